// A mailbox of its own on the test Dovecot for each test file, and IMAP clients for it (the
// "second client" that changes things behind the app's back, or checks what the server has).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { sealSecret, type MasterKeys } from '../../src/lib/server/crypto/envelope';
import type { Db } from '../../src/lib/server/db';
import { mailServers } from './servers';

export interface Mailbox {
  email: string;
  password: string;
}

/** Adds a fresh user to the test Dovecot (scripts/servers.sh add-user). */
export function newMailbox(tag: string): Mailbox {
  const mail = mailServers();
  const email = `${tag}-${randomUUID().slice(0, 8)}@${mail.domain}`;
  const password = `pw-${randomUUID()}`;
  execFileSync('bash', ['scripts/servers.sh', 'add-user', process.env.SERVERS_DIR!, email, password]);
  return { email, password };
}

/** An IMAP client for a mailbox, not yet connected; errors surface on the awaited calls. */
export function imapClient(box: Mailbox): ImapFlow {
  const mail = mailServers();
  const c = new ImapFlow({
    host: mail.host,
    port: mail.imapPort,
    secure: false,
    auth: { user: box.email, pass: box.password },
    logger: false
  });
  c.on('error', () => {});
  return c;
}

/** Connects, runs fn, logs out (also when fn throws). */
export async function withImap<T>(box: Mailbox, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = imapClient(box);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout().catch(() => c.close());
  }
}

/** The accounts.add input for a mailbox on the test servers (plain IMAP/SMTP on loopback). */
export function accountInput(box: Mailbox) {
  const mail = mailServers();
  return {
    email: box.email,
    password: box.password,
    imap: { host: mail.host, port: mail.imapPort, tls: 'none' as const },
    smtp: { host: mail.host, port: mail.submissionPort, tls: 'none' as const }
  };
}

/**
 * Writes a mail account row for a mailbox on the test servers directly (no login check, no
 * app): for tests that exercise the worker alone. Returns the account id.
 */
export async function addAccountRow(
  db: Db,
  keys: MasterKeys,
  owner: { tenantId: string; userId: string },
  box: Mailbox
): Promise<string> {
  const mail = mailServers();
  const id = randomUUID();
  await db.mailAccount.create({
    data: {
      id,
      ...owner,
      name: box.email,
      email: box.email,
      imapHost: mail.host,
      imapPort: mail.imapPort,
      imapTls: 'none',
      smtpHost: mail.host,
      smtpPort: mail.submissionPort,
      smtpTls: 'none',
      username: box.email,
      ...sealSecret(keys, id, box.password)
    }
  });
  return id;
}

/** IMAP and SMTP settings nothing can connect to (port 1): for account rows no worker may sync. */
export const UNREACHABLE_SERVERS = {
  imapHost: '127.0.0.1',
  imapPort: 1,
  imapTls: 'none',
  smtpHost: '127.0.0.1',
  smtpPort: 1,
  smtpTls: 'none'
} as const;

/**
 * A mail account row no worker can log in to (port 1, a dummy secret), with an INBOX and a Sent
 * folder: for tests of what the app reads from PostgreSQL (list, search), with rows put in by
 * the test itself.
 */
export async function offlineAccount(db: Db, tenantId: string, userId: string, name: string) {
  const a = await db.mailAccount.create({
    data: {
      tenantId,
      userId,
      name,
      email: `${name.toLowerCase()}-${randomUUID().slice(0, 6)}@example.test`,
      ...UNREACHABLE_SERVERS,
      username: name,
      secretCiphertext: Buffer.from('x'),
      wrappedKey: Buffer.from('x'),
      keyId: 'k1'
    }
  });
  const folder = (path: string, specialUse: string | null) =>
    db.folder.create({ data: { tenantId, accountId: a.id, path, name: path, delimiter: '/', specialUse } });
  const [inbox, sent] = [await folder('INBOX', '\\Inbox'), await folder('Sent', '\\Sent')];
  return { id: a.id, inbox: inbox.id, sent: sent.id };
}
