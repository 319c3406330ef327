import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptError, openSecret, rewrap, sealSecret, type MasterKeys } from './envelope';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const keys: MasterKeys = { current: k1 };

describe('envelope encryption', () => {
  it('round-trips a secret and never stores it in the clear', () => {
    const s = sealSecret(keys, 'acct-1', 'hunter2 päss');
    expect(s.keyId).toBe('k1');
    expect(Buffer.from(s.secretCiphertext).includes(Buffer.from('hunter2'))).toBe(false);
    expect(openSecret(keys, 'acct-1', s)).toBe('hunter2 päss');
  });

  it('uses a fresh nonce and data key each time', () => {
    const a = sealSecret(keys, 'acct-1', 'same');
    const b = sealSecret(keys, 'acct-1', 'same');
    expect(Buffer.from(a.secretCiphertext).equals(Buffer.from(b.secretCiphertext))).toBe(false);
    expect(Buffer.from(a.wrappedKey).equals(Buffer.from(b.wrappedKey))).toBe(false);
  });

  it("refuses a ciphertext moved to another account's row", () => {
    const s = sealSecret(keys, 'acct-1', 'secret');
    expect(() => openSecret(keys, 'acct-2', s)).toThrow(DecryptError);
  });

  it('refuses a tampered ciphertext and a wrong master key', () => {
    const s = sealSecret(keys, 'acct-1', 'secret');
    const bad = new Uint8Array(s.secretCiphertext);
    bad[bad.length - 1]! ^= 1;
    expect(() => openSecret(keys, 'acct-1', { ...s, secretCiphertext: bad })).toThrow(DecryptError);
    expect(() => openSecret({ current: { id: 'k1', key: randomBytes(32) } }, 'acct-1', s)).toThrow(
      DecryptError
    );
    expect(() => openSecret({ current: k2 }, 'acct-1', s)).toThrow(/master key "k1" is not configured/);
  });

  it('re-wraps under a new master key, readable with the new key alone', () => {
    const s = sealSecret(keys, 'acct-9', 'rotate me');
    const rotating: MasterKeys = { current: k2, previous: [k1] };
    expect(openSecret(rotating, 'acct-9', s)).toBe('rotate me');
    const r = rewrap(rotating, 'acct-9', s);
    expect(r.keyId).toBe('k2');
    expect(openSecret({ current: k2 }, 'acct-9', r)).toBe('rotate me');
    expect(rewrap({ current: k2 }, 'acct-9', r)).toBe(r);
  });
});
