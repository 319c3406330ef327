// Mailboxes for the benchmarks on the project-local Dovecot (scripts/servers.sh): many users
// added in one go, and messages put in either by IMAP APPEND or, much faster, by writing
// Maildir files as Debian's `mail` user (Dovecot indexes them on first access).
import { ImapFlow } from 'imapflow';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { appendFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { GeneratedMessage } from './messages.js';

export interface MailEnv {
  host: string;
  imapPort: number;
  smtpPort: number;
  domain: string;
  serversDir: string;
}

export function mailEnv(): MailEnv {
  const need = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set: source DIR/servers.env of scripts/servers.sh start`);
    return v;
  };
  return {
    host: need('MAIL_HOST'),
    imapPort: Number(need('IMAP_PORT')),
    smtpPort: Number(need('SMTP_PORT')),
    domain: need('MAIL_DOMAIN'),
    serversDir: need('SERVERS_DIR')
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Adds users to Dovecot's passwd-file the way `servers.sh add-user` does, but all lines at
 * once: Dovecot re-reads the file at most once a second when its mtime (whole seconds)
 * changes, so the mtime gets a second of its own and we return once that second is over.
 */
export async function addUsers(env: MailEnv, users: { email: string; password: string }[]): Promise<void> {
  const file = join(env.serversDir, 'dovecot', 'users');
  const stamp = `${file}.stamp`;
  if (!existsSync(file)) throw new Error(`no Dovecot users file at ${file} (run servers.sh start)`);
  for (const u of users)
    if (/[:\s]/.test(u.email) || /[:\p{Cc}]/u.test(u.password)) throw new Error(`bad user ${u.email}`);
  appendFileSync(file, users.map((u) => `${u.email}:{PLAIN}${u.password}::::::\n`).join(''));
  const before = existsSync(stamp) ? Math.floor(statSync(stamp).mtimeMs / 1000) : 0;
  let now = Math.floor(Date.now() / 1000);
  if (now <= before) now = before + 1;
  if (!existsSync(stamp)) writeFileSync(stamp, '');
  utimesSync(file, now, now);
  utimesSync(stamp, now, now);
  while (Date.now() / 1000 < now + 1) await sleep(20);
  await sleep(100);
}

function mailOwner(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('mail:'));
  const parts = line?.split(':');
  return { uid: Number(parts?.[2] ?? 8), gid: Number(parts?.[3] ?? 8) };
}

/** Can this process write Maildir files as Dovecot's mail user (i.e. are we root)? */
export function canWriteMaildir(env: MailEnv): boolean {
  return process.getuid?.() === 0 && existsSync(join(env.serversDir, 'vmail'));
}

/**
 * Writes the messages straight into the user's Maildir/cur with their flags in the file
 * name, their date as mtime (Dovecot's INTERNALDATE) and S=/W= sizes as Dovecot's own
 * delivery writes them. Must run before the user's first login (or while no session has
 * the folder open). Dovecot assigns UIDs in file-name (time) order on its first scan.
 */
export function writeMaildir(env: MailEnv, email: string, messages: GeneratedMessage[]): number {
  const [local, domain] = email.split('@') as [string, string];
  const { uid, gid } = mailOwner();
  const home = join(env.serversDir, 'vmail', domain, local);
  const maildir = join(home, 'Maildir');
  for (const d of [join(env.serversDir, 'vmail', domain), home, maildir]) {
    if (!existsSync(d)) {
      mkdirSync(d, { mode: 0o700 });
      chownSync(d, uid, gid);
    }
  }
  for (const sub of ['cur', 'new', 'tmp']) {
    const d = join(maildir, sub);
    if (!existsSync(d)) {
      mkdirSync(d, { mode: 0o700 });
      chownSync(d, uid, gid);
    }
  }
  const host = hostname().replace(/[/:]/g, '_');
  let bytes = 0;
  messages.forEach((m, i) => {
    const data = Buffer.from(m.source, 'utf8');
    const lf = m.source.split('\n').length - 1;
    const flags = (m.flagged ? 'F' : '') + (m.answered ? 'R' : '') + (m.seen ? 'S' : '');
    const secs = Math.floor(m.date.getTime() / 1000);
    const name = `${secs}.M${String(i).padStart(6, '0')}P${process.pid}.${host},S=${data.length},W=${data.length + lf}:2,${flags}`;
    const path = join(maildir, 'cur', name);
    writeFileSync(path, data, { mode: 0o600 });
    chownSync(path, uid, gid);
    utimesSync(path, secs, secs);
    bytes += data.length;
  });
  return bytes;
}

export function imapClient(env: MailEnv, user: string, pass: string): ImapFlow {
  const c = new ImapFlow({
    host: env.host,
    port: env.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass },
    logger: false
  });
  c.on('error', () => {});
  return c;
}

/** IMAP APPEND, one message at a time (the portable route when we cannot write Maildir). */
export async function appendMessages(
  env: MailEnv,
  email: string,
  password: string,
  messages: GeneratedMessage[],
  folder = 'INBOX'
): Promise<void> {
  const c = imapClient(env, email, password);
  await c.connect();
  try {
    for (const m of messages) {
      const flags = [m.seen && '\\Seen', m.flagged && '\\Flagged', m.answered && '\\Answered'].filter(
        (f): f is string => Boolean(f)
      );
      await c.append(folder, m.source.replace(/\r?\n/g, '\r\n'), flags, m.date);
    }
  } finally {
    await c.logout().catch(() => c.close());
  }
}
