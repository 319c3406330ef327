// Signed, expiring URLs for inline images of a message. The message HTML is shown in a
// sandboxed iframe with an opaque origin, whose image requests carry no session cookie; the
// signature stands in for the session, for exactly one user, message and attachment.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { decodeKey } from '../env.js';

export interface PartUrlFields {
  /** The user who owns the message (the owner of its mail account) */
  userId: string;
  messageId: string;
  attachmentId: string;
  expiresAt: Date;
}

export type PartUrlCheck = 'ok' | 'expired' | 'invalid';

const INFO = 'emailclient part-url v1';

/**
 * The signing key, derived from a server secret (ENCRYPTION_KEY) with HKDF so the master key
 * itself is never used for anything but wrapping credentials.
 */
function signingKey(secret: Buffer | string): Buffer {
  const ikm = typeof secret === 'string' ? (decodeKey(secret) ?? Buffer.from(secret, 'utf8')) : secret;
  if (ikm.length < 16) throw new Error('the secret for signed URLs is too short');
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.from('emailclient'), INFO, 32));
}

function mac(
  secret: Buffer | string,
  f: { userId: string; messageId: string; attachmentId: string; exp: string }
) {
  return createHmac('sha256', signingKey(secret))
    .update(['v1', f.userId, f.messageId, f.attachmentId, f.exp].map((v) => v.toLowerCase()).join('\n'))
    .digest();
}

/** A relative URL that shows the attachment inline until `expiresAt`, without a session. */
export function signPartUrl(secret: Buffer | string, f: PartUrlFields): string {
  const exp = String(Math.floor(f.expiresAt.getTime() / 1000));
  const sig = mac(secret, { ...f, exp }).toString('base64url');
  return `/api/messages/${encodeURIComponent(f.messageId)}/attachments/${encodeURIComponent(f.attachmentId)}?inline=1&exp=${exp}&sig=${sig}`;
}

/** Checks `exp` and `sig` (from the query string) against the user, message and attachment. */
export function verifyPartUrl(
  secret: Buffer | string,
  f: { userId: string; messageId: string; attachmentId: string; exp: string | null; sig: string | null },
  now: Date = new Date()
): PartUrlCheck {
  if (!f.exp || !f.sig || !/^\d{1,12}$/.test(f.exp) || !/^[A-Za-z0-9_-]{43}$/.test(f.sig)) return 'invalid';
  const expected = mac(secret, { ...f, exp: f.exp });
  const given = Buffer.from(f.sig, 'base64url');
  // the canonical spelling only: base64 lets the last character vary without changing the bytes
  if (given.toString('base64url') !== f.sig) return 'invalid';
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
  // checked only once the signature is genuine: "expired" then tells the truth
  return Number(f.exp) * 1000 > now.getTime() ? 'ok' : 'expired';
}
