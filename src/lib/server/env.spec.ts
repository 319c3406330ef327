import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv, settingNames } from './env';

const base = { DATABASE_URL: 'postgresql://u@localhost:5432/db', REDIS_URL: 'redis://localhost:6379' };

// Read by adapter-node's own server, documented in .env.example but not parsed by us.
const ADAPTER_NODE = [
  'ADDRESS_HEADER',
  'XFF_DEPTH',
  'PROTOCOL_HEADER',
  'HOST_HEADER',
  'BODY_SIZE_LIMIT',
  'SHUTDOWN_TIMEOUT'
];
// Read by docker-compose.yml only (tests/integration/compose.test.ts checks the compose side).
const COMPOSE_ONLY = [
  'POSTGRES_PASSWORD',
  'POSTGRES_USER',
  'POSTGRES_DB',
  'REDIS_PASSWORD',
  'APP_PORT',
  'MAIL_HOSTNAME',
  'MAIL_DOMAINS'
];

function exampleKeys(): string[] {
  return readFileSync('.env.example', 'utf8')
    .split('\n')
    .map((l) => /^([A-Z][A-Z0-9_]*)=/.exec(l)?.[1])
    .filter((k): k is string => Boolean(k));
}

describe('parseEnv', () => {
  it('fills defaults for a minimal development environment', () => {
    const env = parseEnv(base);
    expect(env.PORT).toBe(3000);
    expect(env.ALLOW_SIGNUP).toBe(false);
    expect(env.RATE_LIMIT_LOGIN_PER_ACCOUNT).toBe(5);
    expect(env.ORIGIN).toBe('http://localhost:3000');
    expect(env.ENABLE_IMAP_SYNC).toBe(true);
  });

  it('names a missing required variable', () => {
    expect(() => parseEnv({ REDIS_URL: base.REDIS_URL })).toThrow(
      new EnvError('DATABASE_URL', 'is required but not set')
    );
  });

  it('names an invalid value and says what is wrong', () => {
    expect(() => parseEnv({ ...base, PORT: 'eighty' })).toThrow(
      /^Invalid configuration: PORT must be a whole number$/
    );
    expect(() => parseEnv({ ...base, REDIS_URL: 'http://x' })).toThrow(
      /REDIS_URL must start with redis:\/\//
    );
    expect(() => parseEnv({ ...base, ALLOW_SIGNUP: 'maybe' })).toThrow(/ALLOW_SIGNUP must be true or false/);
    expect(() => parseEnv({ ...base, ENCRYPTION_KEY: 'short' })).toThrow(
      /ENCRYPTION_KEY must be 32 random bytes/
    );
  });

  it('reads lists', () => {
    expect(parseEnv(base).IMAP_SYNC_TENANTS).toEqual([]);
    expect(parseEnv({ ...base, IMAP_SYNC_TENANTS: 'acme,globex' }).IMAP_SYNC_TENANTS).toEqual([
      'acme',
      'globex'
    ]);
    expect(() => parseEnv({ ...base, IMAP_SYNC_TENANTS: 'acme, globex' })).toThrow(
      /IMAP_SYNC_TENANTS must be a comma-separated list/
    );
  });

  it('treats an empty value as unset', () => {
    expect(parseEnv({ ...base, PORT: '' }).PORT).toBe(3000);
  });

  it('has no working secret default in production', () => {
    const prod = { ...base, NODE_ENV: 'production', ORIGIN: 'https://mail.example.com' };
    expect(() => parseEnv(prod)).toThrow(/ENCRYPTION_KEY is required in production/);
    expect(() => parseEnv({ ...prod, ENCRYPTION_KEY: '0'.repeat(63) + '1' })).toThrow(/development key/);
    expect(() => parseEnv({ ...prod, ORIGIN: '', ENCRYPTION_KEY: 'ab'.repeat(32) })).toThrow(
      /ORIGIN is required/
    );
    expect(parseEnv({ ...prod, ENCRYPTION_KEY: 'ab'.repeat(32) }).NODE_ENV).toBe('production');
  });

  it('.env.example documents every setting and nothing unknown', () => {
    const keys = exampleKeys();
    expect(settingNames.filter((k) => !keys.includes(k))).toEqual([]);
    expect(
      keys.filter((k) => !settingNames.includes(k) && !ADAPTER_NODE.includes(k) && !COMPOSE_ONLY.includes(k))
    ).toEqual([]);
  });

  it("the README's configuration table lists every setting of .env.example", () => {
    const readme = readFileSync('README.md', 'utf8');
    const inTable = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]));
    expect(exampleKeys().filter((k) => !inTable.has(k))).toEqual([]);
    expect([...inTable].filter((k) => !exampleKeys().includes(k!))).toEqual([]);
  });
});
