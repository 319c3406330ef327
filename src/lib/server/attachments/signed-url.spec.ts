import { createHmac, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signPartUrl, verifyPartUrl } from './signed-url';

const KEY = 'a'.repeat(64); // ENCRYPTION_KEY as hex
const now = new Date('2026-11-29T12:00:00Z');
const fields = {
  userId: randomUUID(),
  messageId: randomUUID(),
  attachmentId: randomUUID(),
  expiresAt: new Date(now.getTime() + 3600_000)
};

function parse(url: string) {
  const u = new URL(url, 'http://x');
  const m = /^\/api\/messages\/([^/]+)\/attachments\/([^/]+)$/.exec(u.pathname)!;
  return {
    messageId: m[1]!,
    attachmentId: m[2]!,
    inline: u.searchParams.get('inline'),
    exp: u.searchParams.get('exp'),
    sig: u.searchParams.get('sig')
  };
}

describe('signed part URLs', () => {
  it('signs a relative inline URL that verifies for exactly those fields', () => {
    const url = signPartUrl(KEY, fields);
    expect(url.startsWith(`/api/messages/${fields.messageId}/attachments/${fields.attachmentId}?`)).toBe(
      true
    );
    const p = parse(url);
    expect(p.inline).toBe('1');
    expect(Number(p.exp)).toBe(Math.floor(fields.expiresAt.getTime() / 1000));
    expect(verifyPartUrl(KEY, { ...p, userId: fields.userId }, now)).toBe('ok');
  });

  it('refuses another user, message or attachment', () => {
    const p = parse(signPartUrl(KEY, fields));
    expect(verifyPartUrl(KEY, { ...p, userId: randomUUID() }, now)).toBe('invalid');
    expect(verifyPartUrl(KEY, { ...p, userId: fields.userId, messageId: randomUUID() }, now)).toBe('invalid');
    expect(verifyPartUrl(KEY, { ...p, userId: fields.userId, attachmentId: randomUUID() }, now)).toBe(
      'invalid'
    );
  });

  it('refuses a tampered signature or expiry, and missing parts', () => {
    const p = parse(signPartUrl(KEY, fields));
    const base = { ...p, userId: fields.userId };
    const flipped = (p.sig![0] === 'A' ? 'B' : 'A') + p.sig!.slice(1);
    expect(verifyPartUrl(KEY, { ...base, sig: flipped }, now)).toBe('invalid');
    // the last base64 character carries spare bits: another spelling of the same bytes is refused too
    const last = p.sig!.slice(-1);
    const alt = p.sig!.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) ^ 1);
    expect(verifyPartUrl(KEY, { ...base, sig: alt }, now)).toBe('invalid');
    expect(verifyPartUrl(KEY, { ...base, exp: String(Number(p.exp) + 3600) }, now)).toBe('invalid');
    expect(verifyPartUrl(KEY, { ...base, sig: null }, now)).toBe('invalid');
    expect(verifyPartUrl(KEY, { ...base, exp: null }, now)).toBe('invalid');
    expect(verifyPartUrl(KEY, { ...base, exp: '1e12' }, now)).toBe('invalid');
    expect(verifyPartUrl(KEY, { ...base, sig: p.sig + 'x' }, now)).toBe('invalid');
  });

  it('says expired only for a genuine signature past its time', () => {
    const p = parse(signPartUrl(KEY, fields));
    const later = new Date(fields.expiresAt.getTime() + 1000);
    expect(verifyPartUrl(KEY, { ...p, userId: fields.userId }, later)).toBe('expired');
  });

  it('needs the server secret, and never signs with the raw key itself', () => {
    const p = parse(signPartUrl(KEY, fields));
    expect(verifyPartUrl('b'.repeat(64), { ...p, userId: fields.userId }, now)).toBe('invalid');
    // an HMAC keyed with the master key directly does not verify: the key is derived (HKDF)
    const raw = createHmac('sha256', Buffer.from(KEY, 'hex'))
      .update(['v1', fields.userId, fields.messageId, fields.attachmentId, p.exp].join('\n'))
      .digest('base64url');
    expect(raw).not.toBe(p.sig);
    // the same key as bytes or as its hex text is the same key
    expect(verifyPartUrl(Buffer.from(KEY, 'hex'), { ...p, userId: fields.userId }, now)).toBe('ok');
  });
});
