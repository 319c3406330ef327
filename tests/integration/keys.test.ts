// `npm run keys:rotate` against a real PostgreSQL: every account of the tenant ends up wrapped
// by the new master key, the passwords still open (and only with the keys configured), the
// run is repeatable, and a missing old key is reported without leaking anything.
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecret, sealSecret, type MasterKeys } from '../../src/lib/server/crypto/envelope';
import { makeServices } from '../helpers/context';
import { UNREACHABLE_SERVERS } from '../helpers/mailbox';

const k1 = randomBytes(32).toString('hex');
const k2 = randomBytes(32).toString('hex');
const keys1: MasterKeys = { current: { id: 'old1', key: Buffer.from(k1, 'hex') } };
const keys2: MasterKeys = { current: { id: 'new2', key: Buffer.from(k2, 'hex') } };

function rotate(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync('node', ['--import', 'tsx', 'scripts/keys-rotate.ts', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    encoding: 'utf8',
    timeout: 60_000
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('npm run keys:rotate', () => {
  const services = makeServices();
  const { db } = services;
  let tenantId: string;
  const passwords = new Map<string, string>();

  beforeAll(async () => {
    const tenant = await db.tenant.create({
      data: { slug: `keys-${randomUUID().slice(0, 8)}`, name: 'Keys' }
    });
    tenantId = tenant.id;
    const user = await db.user.create({
      data: { tenantId, email: `keys-${randomUUID().slice(0, 8)}@example.test`, passwordHash: 'x' }
    });
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      const password = `mailbox-secret-${randomUUID()}`;
      passwords.set(id, password);
      await db.mailAccount.create({
        data: {
          id,
          tenantId,
          userId: user.id,
          name: `A${i}`,
          email: `a${i}-${randomUUID().slice(0, 6)}@example.test`,
          username: `a${i}`,
          ...UNREACHABLE_SERVERS,
          ...sealSecret(keys1, id, password)
        }
      });
    }
  });

  afterAll(async () => {
    await db.tenant.delete({ where: { id: tenantId } });
    await services.close();
  });

  it('without the old key: reports each failure, changes nothing, leaks nothing', async () => {
    const r = rotate({ ENCRYPTION_KEY: k2, ENCRYPTION_KEY_ID: 'new2' }, `--tenant=${tenantId}`);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/re-wrapped 0 account\(s\) under key "new2"; 3 failed; 3 still under another key/);
    expect(r.out).toMatch(/master key \\?"old1\\?" is not configured/);
    for (const p of passwords.values()) expect(r.out).not.toContain(p);
    expect(r.out).not.toContain(k1);
    expect(r.out).not.toContain(k2);
    const rows = await db.mailAccount.findMany({ where: { tenantId } });
    expect(rows.every((a) => a.keyId === 'old1')).toBe(true);
  });

  it('a dry run counts and writes nothing', async () => {
    const r = rotate(
      { ENCRYPTION_KEY: k2, ENCRYPTION_KEY_ID: 'new2', ENCRYPTION_KEYS_PREVIOUS: `old1:${k1}` },
      '--dry-run',
      `--tenant=${tenantId}`
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/would re-wrap 3 account\(s\)/);
    expect((await db.mailAccount.findMany({ where: { tenantId } })).every((a) => a.keyId === 'old1')).toBe(
      true
    );
  });

  it('re-wraps every account under the new key; the passwords open with it alone', async () => {
    const before = await db.mailAccount.findMany({ where: { tenantId } });
    const r = rotate(
      { ENCRYPTION_KEY: k2, ENCRYPTION_KEY_ID: 'new2', ENCRYPTION_KEYS_PREVIOUS: `old1:${k1}` },
      `--tenant=${tenantId}`
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/re-wrapped 3 account\(s\) under key "new2"; 0 failed; 0 still under another key/);
    const after = await db.mailAccount.findMany({ where: { tenantId } });
    for (const a of after) {
      expect(a.keyId).toBe('new2');
      expect(openSecret(keys2, a.id, a)).toBe(passwords.get(a.id));
      expect(() => openSecret(keys1, a.id, a)).toThrow();
      // the sealed password itself is untouched: only the data key's wrapping changed
      const old = before.find((b) => b.id === a.id)!;
      expect(Buffer.from(a.secretCiphertext).equals(Buffer.from(old.secretCiphertext))).toBe(true);
      expect(Buffer.from(a.wrappedKey).equals(Buffer.from(old.wrappedKey))).toBe(false);
    }
    expect(await db.auditLog.count({ where: { action: 'keys.rotate' } })).toBeGreaterThan(0);
    // running it again finds nothing to do
    const again = rotate({ ENCRYPTION_KEY: k2, ENCRYPTION_KEY_ID: 'new2' }, `--tenant=${tenantId}`);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/re-wrapped 0 account\(s\)/);
  });

  it('refuses a malformed list of previous keys with one clear line', () => {
    const r = rotate({ ENCRYPTION_KEY: k2, ENCRYPTION_KEY_ID: 'new2', ENCRYPTION_KEYS_PREVIOUS: 'old1' });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/Invalid configuration: ENCRYPTION_KEYS_PREVIOUS must be a comma-separated list/);
  });
});
