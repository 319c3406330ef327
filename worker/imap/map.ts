// From an imapflow FETCH result to the columns of a Message row.
import type { FetchMessageObject, MessageAddressObject, MessageStructureObject } from 'imapflow';
import { randomUUID } from 'node:crypto';
import type { Prisma } from '../../src/generated/prisma/client.js';
import { attachmentsOf, type AttachmentInfo } from '../../src/lib/server/mail/bodystructure.js';
import {
  normalizeMessageId,
  normalizeSubject,
  parseReferences,
  type ThreadInput
} from '../../src/lib/server/mail/threading.js';
import { splitFlags } from './sync.js';

type Address = { name: string | null; address: string };

/** The columns of a Message row that come from one FETCH result. */
export interface MessageFields {
  uid: bigint;
  modseq: bigint | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  subjectKey: string;
  fromAddress: Address | undefined;
  toAddresses: Address[];
  ccAddresses: Address[];
  bccAddresses: Address[];
  replyTo: Address[];
  date: Date | null;
  internalDate: Date;
  size: number;
  flags: string[];
  keywords: string[];
  seen: boolean;
  flagged: boolean;
  hasAttachments: boolean;
  bodyStructure: Prisma.InputJsonValue | undefined;
}

function addresses(list: MessageAddressObject[] | undefined): Address[] {
  return (list ?? [])
    .filter((a) => a.address)
    .map((a) => ({ name: a.name?.trim() || null, address: a.address!.trim() }));
}

/** The References header from a FETCH of `headers: ['references']`. */
export function referencesOf(headers: Buffer | undefined): string[] {
  if (!headers) return [];
  const text = headers.toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  return parseReferences(/^references:(.*)$/im.exec(text)?.[1] ?? null);
}

export function messageRow(
  m: FetchMessageObject,
  attachments: AttachmentInfo[] = attachmentsOf(m.bodyStructure as MessageStructureObject | undefined)
): MessageFields {
  const env = m.envelope;
  const subject = (env?.subject ?? '').slice(0, 2000);
  const { flags, keywords } = splitFlags(m.flags ?? new Set());
  const internal = m.internalDate ? new Date(m.internalDate) : new Date();
  const date = env?.date ? new Date(env.date) : null;
  return {
    uid: BigInt(m.uid),
    modseq: m.modseq ?? null,
    messageId: normalizeMessageId(env?.messageId),
    inReplyTo: normalizeMessageId(env?.inReplyTo),
    references: referencesOf(m.headers),
    subject,
    subjectKey: normalizeSubject(subject).slice(0, 500),
    fromAddress: addresses(env?.from)[0] ?? undefined,
    toAddresses: addresses(env?.to),
    ccAddresses: addresses(env?.cc),
    bccAddresses: addresses(env?.bcc),
    replyTo: addresses(env?.replyTo),
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    internalDate: Number.isNaN(internal.getTime()) ? new Date() : internal,
    size: m.size ?? 0,
    flags,
    keywords,
    seen: flags.includes('\\Seen'),
    flagged: flags.includes('\\Flagged'),
    hasAttachments: attachments.some((a) => !a.inline),
    bodyStructure: (m.bodyStructure as unknown as Prisma.InputJsonValue) ?? undefined
  };
}

/** A fetched message made ready to store, with nothing of the FETCH result kept alive. */
export interface PreparedMessage {
  id: string;
  uid: number;
  /** what threading needs */
  thread: ThreadInput;
  /**
   * the row as JSON for jsonb_populate_recordset, without the closing brace (threadId is added
   * once known) and without the columns every row of a batch shares (tenant, account, folder,
   * UIDVALIDITY, updatedAt: query parameters instead)
   */
  json: string;
  attachments: AttachmentInfo[];
}

/**
 * The row of one FETCH result, straight to JSON. A sync calls this inside its fetch loop, so
 * that a chunk of a thousand messages is held as a thousand strings rather than a thousand
 * envelope and body-structure trees: those survived the wait for PostgreSQL, were promoted
 * to V8's old generation and made garbage collection a fifth of an initial sync.
 */
export function prepareMessage(m: FetchMessageObject): PreparedMessage {
  const attachments = attachmentsOf(m.bodyStructure as MessageStructureObject | undefined);
  const r = messageRow(m, attachments);
  const id = randomUUID();
  const json = JSON.stringify({
    id,
    uid: r.uid.toString(),
    modseq: r.modseq === null ? null : r.modseq.toString(),
    messageId: r.messageId,
    inReplyTo: r.inReplyTo,
    references: r.references,
    subject: r.subject,
    subjectKey: r.subjectKey,
    fromAddress: r.fromAddress ?? null,
    toAddresses: r.toAddresses,
    ccAddresses: r.ccAddresses,
    bccAddresses: r.bccAddresses,
    replyTo: r.replyTo,
    date: r.date,
    internalDate: r.internalDate,
    size: r.size,
    flags: r.flags,
    keywords: r.keywords,
    seen: r.seen,
    flagged: r.flagged,
    hasAttachments: r.hasAttachments,
    bodyStructure: r.bodyStructure ?? null
  });
  return {
    id,
    uid: m.uid,
    thread: {
      messageId: r.messageId,
      inReplyTo: r.inReplyTo,
      references: r.references,
      subject: r.subject,
      date: r.date ?? r.internalDate,
      // as messageRow normalised them; the column's key is cut at 500 characters, this one not
      normalized: true,
      subjectKey: r.subjectKey.length < 500 ? r.subjectKey : normalizeSubject(r.subject)
    },
    json: json.slice(0, -1),
    attachments
  };
}
