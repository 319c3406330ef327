// Mail accounts: add (after checking both logins), edit, remove, list. The password is sealed
// before it is stored and never leaves this module in a response, a log line or an error.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { audit } from '../audit.js';
import { sealSecret, type MasterKeys } from '../crypto/envelope.js';
import type { Db } from '../db.js';
import { AppError } from '../errors.js';
import { publishControl } from '../realtime/events.js';
import { ConnectFailure, isLoopbackHost, verifyImap, verifySmtp, type ServerLogin } from './connect.js';
import { tenantSettings, type ServerSettings } from './tenant-settings.js';

export interface AccountDeps {
  db: Db;
  redis: Redis;
  keys: MasterKeys;
  prefix: string;
  imapTimeout: number;
  smtpTimeout: number;
}

export interface Actor {
  userId: string;
  tenantId: string;
  ip: string;
  userAgent: string | null;
}

export interface AccountInput {
  email: string;
  password: string;
  name?: string | undefined;
  displayName?: string | undefined;
  username?: string | undefined;
  imap?: ServerSettings | undefined;
  smtp?: ServerSettings | undefined;
}

const PUBLIC = {
  id: true,
  name: true,
  email: true,
  displayName: true,
  imapHost: true,
  imapPort: true,
  imapTls: true,
  smtpHost: true,
  smtpPort: true,
  smtpTls: true,
  username: true,
  syncState: true,
  lastError: true,
  lastErrorAt: true,
  lastSyncAt: true,
  createdAt: true
} as const;

export type PublicAccount = Awaited<ReturnType<typeof listAccounts>>[number];

export function listAccounts(db: Db, actor: Pick<Actor, 'userId' | 'tenantId'>) {
  return db.mailAccount.findMany({
    where: { tenantId: actor.tenantId, userId: actor.userId },
    select: PUBLIC,
    orderBy: { createdAt: 'asc' }
  });
}

async function resolveServers(deps: AccountDeps, actor: Actor, input: AccountInput) {
  const settings = await tenantSettings(deps.db, actor.tenantId);
  const imap = input.imap ?? settings.defaultImap;
  const smtp = input.smtp ?? settings.defaultSmtp;
  if (!imap || !smtp)
    throw new AppError(
      'BAD_REQUEST',
      'Enter the IMAP and SMTP server settings: your organisation has no default mail server.'
    );
  for (const [proto, s] of [
    ['IMAP', imap],
    ['SMTP', smtp]
  ] as const) {
    if (s.tls === 'none' && !isLoopbackHost(s.host) && !settings.allowInsecureMailServers)
      throw new AppError(
        'BAD_REQUEST',
        `Connecting to ${proto} at ${s.host} without TLS would send your password in the clear. Choose TLS or STARTTLS (an administrator can allow unencrypted servers).`
      );
  }
  return { imap, smtp };
}

async function verifyBoth(deps: AccountDeps, imap: ServerLogin, smtp: ServerLogin): Promise<void> {
  const [i, s] = await Promise.allSettled([
    verifyImap(imap, deps.imapTimeout),
    verifySmtp(smtp, deps.smtpTimeout)
  ]);
  for (const r of [i, s])
    if (r.status === 'rejected') {
      if (r.reason instanceof ConnectFailure) throw new AppError('BAD_REQUEST', r.reason.message);
      throw r.reason;
    }
}

export async function addAccount(deps: AccountDeps, actor: Actor, input: AccountInput) {
  const { imap, smtp } = await resolveServers(deps, actor, input);
  const username = input.username || input.email;
  const exists = await deps.db.mailAccount.findFirst({
    where: { tenantId: actor.tenantId, userId: actor.userId, email: input.email },
    select: { id: true }
  });
  if (exists) throw new AppError('CONFLICT', `${input.email} is already one of your accounts.`);
  await verifyBoth(
    deps,
    { ...imap, username, password: input.password },
    { ...smtp, username, password: input.password }
  );
  const id = randomUUID();
  const sealed = sealSecret(deps.keys, id, input.password);
  const account = await deps.db.mailAccount.create({
    data: {
      id,
      tenantId: actor.tenantId,
      userId: actor.userId,
      name: input.name || input.email,
      email: input.email,
      displayName: input.displayName || null,
      imapHost: imap.host,
      imapPort: imap.port,
      imapTls: imap.tls,
      smtpHost: smtp.host,
      smtpPort: smtp.port,
      smtpTls: smtp.tls,
      username,
      ...sealed
    },
    select: PUBLIC
  });
  await audit(deps.db, {
    tenantId: actor.tenantId,
    userId: actor.userId,
    action: 'account.add',
    ip: actor.ip,
    userAgent: actor.userAgent,
    details: { accountId: id, email: input.email, imapHost: imap.host, smtpHost: smtp.host }
  });
  await publishControl(deps.redis, deps.prefix, { type: 'AccountsChanged', accountId: id });
  return account;
}

export interface AccountEdit {
  name?: string | undefined;
  displayName?: string | null | undefined;
  username?: string | undefined;
  password?: string | undefined;
  imap?: ServerSettings | undefined;
  smtp?: ServerSettings | undefined;
}

async function ownAccount(db: Db, actor: Pick<Actor, 'userId' | 'tenantId'>, accountId: string) {
  const a = await db.mailAccount.findFirst({
    where: { id: accountId, tenantId: actor.tenantId, userId: actor.userId }
  });
  if (!a) throw new AppError('NOT_FOUND', 'That mail account does not exist (it may have been removed).');
  return a;
}

export async function editAccount(deps: AccountDeps, actor: Actor, accountId: string, edit: AccountEdit) {
  const a = await ownAccount(deps.db, actor, accountId);
  const loginChanged = Boolean(edit.password || edit.username || edit.imap || edit.smtp);
  const data: Record<string, unknown> = {};
  if (edit.name !== undefined) data.name = edit.name || a.email;
  if (edit.displayName !== undefined) data.displayName = edit.displayName || null;
  if (loginChanged) {
    if (!edit.password)
      throw new AppError('BAD_REQUEST', 'Enter the password to change the login or the server settings.');
    const { imap, smtp } = await resolveServers(deps, actor, {
      email: a.email,
      password: edit.password,
      imap: edit.imap ?? { host: a.imapHost, port: a.imapPort, tls: a.imapTls },
      smtp: edit.smtp ?? { host: a.smtpHost, port: a.smtpPort, tls: a.smtpTls }
    });
    const username = edit.username || a.username;
    await verifyBoth(
      deps,
      { ...imap, username, password: edit.password },
      { ...smtp, username, password: edit.password }
    );
    Object.assign(data, {
      imapHost: imap.host,
      imapPort: imap.port,
      imapTls: imap.tls,
      smtpHost: smtp.host,
      smtpPort: smtp.port,
      smtpTls: smtp.tls,
      username,
      syncState: 'pending',
      lastError: null,
      lastErrorAt: null,
      ...sealSecret(deps.keys, a.id, edit.password)
    });
  }
  const updated = await deps.db.mailAccount.update({ where: { id: a.id }, data, select: PUBLIC });
  await audit(deps.db, {
    tenantId: actor.tenantId,
    userId: actor.userId,
    action: 'account.edit',
    ip: actor.ip,
    userAgent: actor.userAgent,
    details: { accountId: a.id, loginChanged }
  });
  if (loginChanged)
    await publishControl(deps.redis, deps.prefix, { type: 'AccountsChanged', accountId: a.id });
  return updated;
}

/** Removes the account and every cached message of it; its connections stop within seconds. */
export async function removeAccount(deps: AccountDeps, actor: Actor, accountId: string) {
  const a = await ownAccount(deps.db, actor, accountId);
  await deps.db.mailAccount.delete({ where: { id: a.id } });
  await audit(deps.db, {
    tenantId: actor.tenantId,
    userId: actor.userId,
    action: 'account.remove',
    ip: actor.ip,
    userAgent: actor.userAgent,
    details: { accountId: a.id, email: a.email }
  });
  await publishControl(deps.redis, deps.prefix, { type: 'AccountsChanged', accountId: a.id });
  return { id: a.id };
}
