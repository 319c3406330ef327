/**
 * Recipient addresses as the user typed them, checked with a real RFC 5322 parser
 * (email-addresses, with RFC 6532 so internationalised names, local parts and domains parse)
 * and then held to what a mail server will take: a domain with at least one dot that converts
 * to an ASCII (punycode) name, or an address literal. Pure: no I/O.
 */
import addrs from 'email-addresses';
import { domainToASCII } from 'node:url';
import { z } from 'zod';

export interface Recipient {
  name: string | null;
  /** local@domain, the domain lower-cased and kept in Unicode (nodemailer punycodes it on the wire) */
  address: string;
}

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

const MAX_ADDRESS = 254; // RFC 5321 path limit less the angle brackets
const MAX_LOCAL = 64;
const MAX_NAME = 200;

/** `bücher.de` → `xn--bcher-kva.de`; null when it is not a usable domain name. */
export function asciiDomain(domain: string): string | null {
  if (/^\[.*\]$/.test(domain)) return /^\[(\d{1,3}\.){3}\d{1,3}\]$/.test(domain) ? domain : null;
  const ascii = domainToASCII(domain);
  if (!ascii || ascii.length > 253 || !ascii.includes('.')) return null;
  const labels = ascii.split('.');
  if (labels.some((l) => !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(l))) return null;
  // the top-level domain is letters (or an IDN A-label), never all digits
  if (/^\d+$/.test(labels[labels.length - 1]!)) return null;
  return ascii.toLowerCase();
}

function quoteForUser(s: string): string {
  const t = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  return `"${t}"`;
}

/**
 * One recipient: either a string (`Jane Doe <jane@example.com>` or a bare address) or
 * `{ name, address }`. Throws AddressError with a message naming what is wrong.
 */
export function parseRecipient(input: string | { name?: string | null; address: string }): Recipient {
  const raw = typeof input === 'string' ? input : input.address;
  const text = raw.trim().replace(/^mailto:/i, '');
  if (!text) throw new AddressError('An address is empty.');
  // eslint-disable-next-line no-control-regex
  if (/[\r\n\x00]/.test(text)) throw new AddressError(`${quoteForUser(text)} contains a line break.`);
  const parsed = addrs.parseOneAddress({ input: text, rfc6532: true, rejectTLD: false });
  if (!parsed || parsed.type !== 'mailbox') {
    const hint = !text.includes('@')
      ? 'it has no @'
      : /@[^@]*$/.test(text) && !/@[^@\s>]+/.test(text)
        ? 'the part after @ is missing'
        : 'check for typos, spaces or missing brackets';
    throw new AddressError(`${quoteForUser(text)} is not a valid email address (${hint}).`);
  }
  const local = parsed.local;
  const domain = parsed.domain.toLowerCase();
  if (!asciiDomain(domain))
    throw new AddressError(
      `${quoteForUser(parsed.address)} has no valid domain: "${parsed.domain}" is not a full domain name (like example.com).`
    );
  if (Buffer.byteLength(local) > MAX_LOCAL)
    throw new AddressError(`${quoteForUser(parsed.address)} is too long before the @ (64 bytes at most).`);
  const address = `${local}@${domain}`;
  if (Buffer.byteLength(address) > MAX_ADDRESS)
    throw new AddressError(`${quoteForUser(address)} is too long (254 bytes at most).`);
  const given = typeof input === 'string' ? parsed.name : (input.name ?? parsed.name);
  const name = given?.replace(/\s+/g, ' ').trim().slice(0, MAX_NAME) || null;
  return { name: name && name.toLowerCase() !== address.toLowerCase() ? name : null, address };
}

/** A recipient field in an API input: a string or { name, address }, parsed into a Recipient. */
export const recipientInput = z
  .union([
    z.string().max(1000, 'An address is too long.'),
    z.object({
      name: z.string().max(1000).nullish(),
      address: z.string().max(1000, 'An address is too long.')
    })
  ])
  .transform((v, ctx) => {
    try {
      return parseRecipient(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

export const recipientList = (max: number) =>
  z.array(recipientInput).max(max, `At most ${max} addresses in one field.`).default([]);

/** The same address (local part as is, domain case-insensitive) only once, first one wins. */
export function uniqueRecipients(lists: Recipient[][]): Recipient[][] {
  const seen = new Set<string>();
  return lists.map((list) =>
    list.filter((r) => {
      const key = r.address.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
  );
}
