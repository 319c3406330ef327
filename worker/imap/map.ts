// From an imapflow FETCH result to the columns of a Message row.
import type { FetchMessageObject, MessageAddressObject } from 'imapflow';
import type { Prisma } from '../../src/generated/prisma/client.js';
import { hasAttachments } from '../../src/lib/server/mail/bodystructure.js';
import {
  normalizeMessageId,
  normalizeSubject,
  parseReferences
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

export function messageRow(m: FetchMessageObject): MessageFields {
  const env = m.envelope;
  const { flags, keywords } = splitFlags(m.flags ?? new Set());
  const internal = m.internalDate ? new Date(m.internalDate) : new Date();
  const date = env?.date ? new Date(env.date) : null;
  return {
    uid: BigInt(m.uid),
    modseq: m.modseq ?? null,
    messageId: normalizeMessageId(env?.messageId),
    inReplyTo: normalizeMessageId(env?.inReplyTo),
    references: referencesOf(m.headers),
    subject: (env?.subject ?? '').slice(0, 2000),
    subjectKey: normalizeSubject(env?.subject ?? '').slice(0, 500),
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
    hasAttachments: hasAttachments(m.bodyStructure),
    bodyStructure: (m.bodyStructure as unknown as Prisma.InputJsonValue) ?? undefined
  };
}
