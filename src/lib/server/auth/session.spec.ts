import { describe, expect, it } from 'vitest';
import { sessionCookie } from './session';
import { hashPassword, verifyPassword } from './password';

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Lax and not Secure over http', () => {
    expect(sessionCookie('http://localhost:3000', 'ec')).toEqual({
      name: 'ec',
      options: { path: '/', httpOnly: true, sameSite: 'lax', secure: false }
    });
  });
  it('is Secure with the __Host- prefix over https', () => {
    const c = sessionCookie('https://mail.example.com', 'ec');
    expect(c.name).toBe('__Host-ec');
    expect(c.options.secure).toBe(true);
    expect(c.options.path).toBe('/');
  });
});

describe('passwords', () => {
  it('hashes with argon2id and verifies', async () => {
    const h = await hashPassword('correct horse battery');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(h, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(h, 'wrong horse battery')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
  });
});
