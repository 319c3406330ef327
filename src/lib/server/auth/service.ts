// Sign-up, log-in, log-out and password change as plain functions over their dependencies,
// so the tRPC procedures stay thin and tests can call these directly.
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { Db } from '../db.js';
import { AppError } from '../errors.js';
import { burnVerify, hashPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from './password.js';
import { createSession, invalidateOtherSessions, invalidateSession, type SessionOptions } from './session.js';
import type { LoginThrottle } from './throttle.js';

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'That address is too long.')
  .pipe(z.email({ error: 'Enter a valid email address, like name@example.com.' }));

export const newPasswordSchema = z
  .string()
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters.`)
  .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters.`);

export interface AuthDeps {
  db: Db;
  throttle: LoginThrottle;
  session: SessionOptions;
  allowSignup: boolean;
  defaultTenant: { slug: string; name: string };
}

export interface RequestMeta {
  ip: string;
  userAgent: string | null;
}

const FIRST_USER_LOCK = 0x656d6c01; // pg_advisory_xact_lock key: serialises the first sign-up

export function hashToken(token: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(sha256(new TextEncoder().encode(token)));
}

export async function signup(
  deps: AuthDeps,
  input: {
    email: string;
    password: string;
    displayName?: string | undefined;
    inviteToken?: string | undefined;
  },
  meta: RequestMeta
) {
  const { db } = deps;
  const passwordHash = await hashPassword(input.password);
  const user = await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_USER_LOCK})`;
    let tenantId: string;
    let role: 'admin' | 'member' = 'member';
    let invitationId: string | null = null;
    if (input.inviteToken) {
      const inv = await tx.invitation.findUnique({ where: { tokenHash: hashToken(input.inviteToken) } });
      if (!inv || inv.acceptedAt || inv.expiresAt <= new Date())
        throw new AppError('FORBIDDEN', 'This invitation is invalid or has expired. Ask for a new one.');
      if (inv.email !== input.email)
        throw new AppError('FORBIDDEN', `This invitation is for ${inv.email}. Sign up with that address.`);
      tenantId = inv.tenantId;
      role = inv.role;
      invitationId = inv.id;
    } else {
      const anyUser = await tx.user.findFirst({ select: { id: true } });
      if (anyUser && !deps.allowSignup)
        throw new AppError(
          'FORBIDDEN',
          'Sign-up is closed on this server. Ask an administrator for an invitation.'
        );
      const tenant = await tx.tenant.upsert({
        where: { slug: deps.defaultTenant.slug },
        create: { slug: deps.defaultTenant.slug, name: deps.defaultTenant.name },
        update: {}
      });
      tenantId = tenant.id;
      if (!anyUser) role = 'admin'; // the first user of a fresh install runs it
    }
    const exists = await tx.user.findUnique({ where: { tenantId_email: { tenantId, email: input.email } } });
    if (exists)
      throw new AppError('CONFLICT', 'An account with this address already exists. Log in instead.');
    const created = await tx.user.create({
      data: { tenantId, email: input.email, displayName: input.displayName || null, passwordHash, role }
    });
    if (invitationId)
      await tx.invitation.update({ where: { id: invitationId }, data: { acceptedAt: new Date() } });
    await audit(tx, {
      tenantId,
      userId: created.id,
      action: 'auth.signup',
      ip: meta.ip,
      userAgent: meta.userAgent,
      details: { role, invited: Boolean(invitationId) }
    });
    return created;
  });
  const session = await createSession(db, user, deps.session, meta);
  return { user: publicUser(user), ...session };
}

const GENERIC_LOGIN_FAILURE = 'Wrong email address or password.';

export async function login(
  deps: AuthDeps,
  input: { email: string; password: string; organisation?: string | undefined },
  meta: RequestMeta
) {
  const { db, throttle } = deps;
  const accountKey = input.organisation ? `${input.organisation}/${input.email}` : input.email;
  await throttle.check(accountKey, meta.ip).catch(async (e: unknown) => {
    if (e instanceof AppError)
      await audit(db, {
        action: 'auth.login.throttled',
        ip: meta.ip,
        userAgent: meta.userAgent,
        details: { email: input.email }
      });
    throw e;
  });

  const candidates = await db.user.findMany({
    where: { email: input.email, ...(input.organisation ? { tenant: { slug: input.organisation } } : {}) },
    take: 2
  });
  if (candidates.length > 1)
    throw new AppError(
      'BAD_REQUEST',
      'This address belongs to more than one organisation on this server. Enter the organisation too.'
    );
  const user = candidates[0];
  const ok = user ? !user.disabled && (await verifyPassword(user.passwordHash, input.password)) : false;
  if (!user) await burnVerify(input.password);
  if (!user || !ok) {
    await throttle.failed(accountKey, meta.ip);
    await audit(db, {
      tenantId: user?.tenantId ?? null,
      userId: user?.id ?? null,
      action: 'auth.login.failure',
      ip: meta.ip,
      userAgent: meta.userAgent,
      details: {
        email: input.email,
        reason: !user ? 'unknown-user' : user.disabled ? 'disabled' : 'bad-password'
      }
    });
    throw new AppError('UNAUTHORIZED', GENERIC_LOGIN_FAILURE);
  }
  await throttle.succeeded(accountKey);
  const session = await createSession(db, user, deps.session, meta);
  await db.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
  await audit(db, {
    tenantId: user.tenantId,
    userId: user.id,
    action: 'auth.login.success',
    ip: meta.ip,
    userAgent: meta.userAgent
  });
  return { user: publicUser(user), ...session };
}

export async function logout(
  db: Db,
  s: { sessionId: string; userId: string; tenantId: string },
  meta: RequestMeta
): Promise<void> {
  await invalidateSession(db, s.sessionId);
  await audit(db, {
    tenantId: s.tenantId,
    userId: s.userId,
    action: 'auth.logout',
    ip: meta.ip,
    userAgent: meta.userAgent
  });
}

export async function changePassword(
  db: Db,
  s: { sessionId: string; userId: string; tenantId: string },
  input: { currentPassword: string; newPassword: string },
  meta: RequestMeta
): Promise<{ endedSessions: number }> {
  const user = await db.user.findFirst({ where: { id: s.userId, tenantId: s.tenantId } });
  if (!user) throw new AppError('UNAUTHORIZED', 'Your session has ended. Log in again.');
  if (!(await verifyPassword(user.passwordHash, input.currentPassword)))
    throw new AppError('BAD_REQUEST', 'Your current password is not right.');
  if (input.currentPassword === input.newPassword)
    throw new AppError('BAD_REQUEST', 'The new password must differ from the current one.');
  const passwordHash = await hashPassword(input.newPassword);
  await db.user.update({ where: { id: user.id }, data: { passwordHash } });
  const endedSessions = await invalidateOtherSessions(db, user.id, user.tenantId, s.sessionId);
  await audit(db, {
    tenantId: user.tenantId,
    userId: user.id,
    action: 'auth.password.change',
    ip: meta.ip,
    userAgent: meta.userAgent,
    details: { endedSessions }
  });
  return { endedSessions };
}

export async function createInvitation(
  db: Db,
  admin: { userId: string; tenantId: string },
  input: { email: string; role: 'admin' | 'member' },
  meta: RequestMeta
): Promise<{ token: string; expiresAt: Date }> {
  const exists = await db.user.findUnique({
    where: { tenantId_email: { tenantId: admin.tenantId, email: input.email } }
  });
  if (exists) throw new AppError('CONFLICT', `${input.email} already has an account in your organisation.`);
  const token = encodeBase32LowerCaseNoPadding(randomBytes(20));
  const expiresAt = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  await db.invitation.create({
    data: {
      tenantId: admin.tenantId,
      email: input.email,
      role: input.role,
      tokenHash: hashToken(token),
      invitedBy: admin.userId,
      expiresAt
    }
  });
  await audit(db, {
    tenantId: admin.tenantId,
    userId: admin.userId,
    action: 'admin.invite',
    ip: meta.ip,
    userAgent: meta.userAgent,
    details: { email: input.email, role: input.role }
  });
  return { token, expiresAt };
}

export function publicUser(u: {
  id: string;
  email: string;
  displayName: string | null;
  role: 'admin' | 'member';
}) {
  return { id: u.id, email: u.email, displayName: u.displayName, role: u.role };
}
