/**
 * Reads the KEY=VALUE file that `bash scripts/servers.sh start DIR` writes (DIR/servers.env).
 * The test runner points env SERVERS_ENV at it.
 */
import { readFileSync } from 'node:fs';

export interface MailServers {
  host: string;
  imapPort: number;
  smtpPort: number;
  submissionPort: number;
  lmtpPort: number;
  pop3Port: number;
  sievePort: number;
  domain: string;
  users: string[];
  password: string;
}

/** Parses KEY=VALUE lines as written by servers.sh (plain, 'single' or "double" quoted). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1] as string;
    let value = m[2] as string;
    if (value.startsWith("'")) {
      // bash single quotes; a quote inside is written as '\''
      value = value.split("'\\''").join('\u0000').replace(/^'|'$/g, '').split('\u0000').join("'");
    } else if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    }
    out[key] = value;
  }
  return out;
}

/** The keys of the servers env file named by env SERVERS_ENV. */
export function loadServersEnv(): Record<string, string> {
  const file = process.env.SERVERS_ENV;
  if (!file) {
    throw new Error(
      'SERVERS_ENV is not set: start the servers with `bash scripts/servers.sh start DIR` ' +
        'and set SERVERS_ENV=DIR/servers.env (scripts/test.sh does both)'
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read SERVERS_ENV file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseEnvFile(text);
}

function required(env: Record<string, string>, key: string): string {
  const v = env[key];
  if (v === undefined || v === '') {
    throw new Error(`${key} missing in ${process.env.SERVERS_ENV ?? 'servers env file'}`);
  }
  return v;
}

function port(env: Record<string, string>, key: string): number {
  const n = Number(required(env, key));
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${key} is not a port: ${env[key]}`);
  return n;
}

/** Typed view of the mail servers of the current test DIR. */
export function mailServers(): MailServers {
  const env = loadServersEnv();
  return {
    host: required(env, 'MAIL_HOST'),
    imapPort: port(env, 'IMAP_PORT'),
    smtpPort: port(env, 'SMTP_PORT'),
    submissionPort: port(env, 'SUBMISSION_PORT'),
    lmtpPort: port(env, 'LMTP_PORT'),
    pop3Port: port(env, 'POP3_PORT'),
    sievePort: port(env, 'SIEVE_PORT'),
    domain: required(env, 'MAIL_DOMAIN'),
    users: required(env, 'MAIL_USERS')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    password: required(env, 'MAIL_PASSWORD')
  };
}
