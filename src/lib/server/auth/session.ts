// Sessions after the Lucia guide: the token is `<id>.<secret>`; the database keeps the id and
// the SHA-256 of the secret, so a leaked database row cannot be replayed as a cookie.
import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { randomBytes } from 'node:crypto';
import type { Db } from '../db.js';

const DAY = 24 * 60 * 60 * 1000;

export interface SessionUser {
  id: string;
  tenantId: string;
  email: string;
  displayName: string | null;
  role: 'admin' | 'member';
}
export interface ValidSession {
  id: string;
  userId: string;
  tenantId: string;
  expiresAt: Date;
  fresh: boolean; // expiry was just extended: re-send the cookie
}

function randomString(): string {
  return encodeBase32LowerCaseNoPadding(randomBytes(20)); // 160 bits
}
function hashSecret(secret: string): Uint8Array {
  return sha256(new TextEncoder().encode(secret));
}

export interface SessionOptions {
  ttlDays: number;
}

export async function createSession(
  db: Db,
  user: { id: string; tenantId: string },
  opts: SessionOptions,
  meta: { ip?: string | null; userAgent?: string | null } = {}
): Promise<{ token: string; expiresAt: Date }> {
  const id = randomString();
  const secret = randomString();
  const expiresAt = new Date(Date.now() + opts.ttlDays * DAY);
  await db.session.create({
    data: {
      id,
      tenantId: user.tenantId,
      userId: user.id,
      secretHash: Buffer.from(hashSecret(secret)),
      expiresAt,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 300) ?? null
    }
  });
  return { token: `${id}.${secret}`, expiresAt };
}

/**
 * Checks a token. Expired or unknown sessions give null (and expired ones are deleted).
 * Sliding expiry: once less than half the lifetime is left, the expiry moves forward.
 */
export async function validateSessionToken(
  db: Db,
  token: string,
  opts: SessionOptions
): Promise<{ session: ValidSession; user: SessionUser } | null> {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1] || parts[0].length > 64 || parts[1].length > 64)
    return null;
  const [id, secret] = parts as [string, string];
  const row = await db.session.findUnique({
    where: { id },
    include: {
      user: {
        select: { id: true, tenantId: true, email: true, displayName: true, role: true, disabled: true }
      }
    }
  });
  if (!row) return null;
  if (!constantTimeEqual(new Uint8Array(row.secretHash), hashSecret(secret))) return null;
  const now = Date.now();
  if (row.expiresAt.getTime() <= now || row.user.disabled) {
    await db.session.deleteMany({ where: { id } });
    return null;
  }
  let expiresAt = row.expiresAt;
  let fresh = false;
  const ttl = opts.ttlDays * DAY;
  if (expiresAt.getTime() - now < ttl / 2) {
    expiresAt = new Date(now + ttl);
    fresh = true;
    await db.session.update({ where: { id }, data: { expiresAt, lastSeenAt: new Date(now) } });
  }
  const { disabled: _disabled, ...user } = row.user;
  return {
    session: { id, userId: row.userId, tenantId: row.tenantId, expiresAt, fresh },
    user
  };
}

export async function invalidateSession(db: Db, sessionId: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sessionId } });
}

/** Ends every session of a user except `keep` (after a password change). */
export async function invalidateOtherSessions(
  db: Db,
  userId: string,
  tenantId: string,
  keep?: string
): Promise<number> {
  const res = await db.session.deleteMany({
    where: { userId, tenantId, ...(keep ? { id: { not: keep } } : {}) }
  });
  return res.count;
}

export async function pruneExpiredSessions(db: Db, now = new Date()): Promise<number> {
  const res = await db.session.deleteMany({ where: { expiresAt: { lte: now } } });
  return res.count;
}

/** Cookie name and attributes: `__Host-` prefix and Secure over https. */
export function sessionCookie(origin: string, baseName: string) {
  const secure = origin.startsWith('https:');
  return {
    name: secure ? `__Host-${baseName}` : baseName,
    options: { path: '/', httpOnly: true, sameSite: 'lax' as const, secure }
  };
}
