/**
 * The complete message as it will be sent, built once when the user presses Send: headers
 * (Message-ID fixed here, Date, From from the account's identity), text and HTML alternatives,
 * attachments, CRLF line ends. The bytes are stored in the outbox row and sent as they are, so
 * a retry sends exactly the same message. Pure: no I/O.
 */
import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import MimeNode from 'nodemailer/lib/mime-node';
import { asciiDomain, type Recipient } from './address.js';

export interface ComposeAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
  /** Content-ID for an image shown inside the HTML (cid: URL); sent inline */
  cid?: string | null;
}

export interface ComposeInput {
  from: Recipient;
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  replyTo?: Recipient[];
  subject: string;
  text: string;
  html?: string | null;
  inReplyTo?: string | null;
  references?: string[];
  attachments?: ComposeAttachment[];
  messageId: string;
  date: Date;
}

export interface ComposedMessage {
  raw: Buffer;
  /** SMTP envelope: MAIL FROM and every RCPT TO (To, Cc and Bcc; domains in punycode) */
  envelope: { from: string; to: string[] };
  messageId: string;
}

/** `<uuid@domain-of-the-sender>`: unique, and traceable to the sending domain. */
export function newMessageId(fromAddress: string): string {
  const domain = asciiDomain(fromAddress.slice(fromAddress.lastIndexOf('@') + 1)) ?? 'localhost';
  return `<${randomUUID()}@${domain.replace(/^\[|\]$/g, '')}>`;
}

/** `abc@x` or `<abc@x>` → `<abc@x>`; null when it is not a msg-id. */
export function normalizeMessageId(s: string): string | null {
  const t = s.trim();
  const inner = t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : t;
  if (!/^[^<>\s@]+@[^<>\s@]+$/.test(inner) || inner.length > 900) return null;
  return `<${inner}>`;
}

/** One line, no control characters: a subject can never smuggle in a header. */
export function cleanSubject(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+/g, ' ').trim();
}

export async function composeMessage(input: ComposeInput): Promise<ComposedMessage> {
  const addr = (r: Recipient) => ({ name: r.name ?? '', address: r.address });
  const composer = new MailComposer({
    from: addr(input.from),
    to: input.to.map(addr),
    cc: input.cc.length ? input.cc.map(addr) : undefined,
    bcc: input.bcc.length ? input.bcc.map(addr) : undefined,
    replyTo: input.replyTo?.length ? input.replyTo.map(addr) : undefined,
    subject: cleanSubject(input.subject),
    messageId: input.messageId,
    date: input.date,
    inReplyTo: input.inReplyTo ?? undefined,
    references: input.references?.length ? input.references.join(' ') : undefined,
    text: input.text,
    html: input.html ?? undefined,
    attachments: (input.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      ...(a.cid ? { cid: a.cid, contentDisposition: 'inline' } : {})
    })),
    newline: 'windows',
    disableFileAccess: true,
    disableUrlAccess: true
  });
  const node = composer.compile();
  const raw = await node.build();
  const envelope = node.getEnvelope() as { from: string | false; to: string[] };
  if (!envelope.from) throw new Error('the message has no sender');
  return { raw, envelope: { from: envelope.from, to: envelope.to }, messageId: input.messageId };
}

/**
 * The copy for the sender's Sent folder: the sent bytes with a Bcc header in front, so the
 * sender can see whom they sent a blind copy to (the recipients never see it).
 */
export function withBccHeader(raw: Buffer, bcc: Recipient[]): Buffer {
  if (!bcc.length) return raw;
  const node = new MimeNode('text/plain', { keepBcc: true });
  node.setHeader(
    'Bcc',
    bcc.map((r) => ({ name: r.name ?? '', address: r.address }))
  );
  // nodemailer encodes names (RFC 2047) and domains (punycode) and folds long lines
  const line = node
    .buildHeaders()
    .split(/\r\n(?![ \t])/)
    .find((l) => /^Bcc:/i.test(l));
  if (!line) return raw;
  return Buffer.concat([Buffer.from(line + '\r\n'), raw]);
}

export { formatBytes } from '../../format-bytes.js';
