// From an imapflow FETCH result to the columns of a Message row.
import type { FetchMessageObject, MessageAddressObject, MessageStructureObject } from 'imapflow';
import type { Prisma } from '../../src/generated/prisma/client.js';
import { splitFlags } from './sync.js';

type Row = Omit<Prisma.MessageCreateManyInput, 'id' | 'tenantId' | 'accountId' | 'folderId' | 'uidValidity'>;

function addresses(list: MessageAddressObject[] | undefined): { name: string | null; address: string }[] {
  return (list ?? [])
    .filter((a) => a.address)
    .map((a) => ({ name: a.name?.trim() || null, address: a.address!.trim() }));
}

function ids(raw: string | undefined | null): string[] {
  return [...new Set((raw ?? '').match(/<[^<>\s]+>/g) ?? [])].map((s) => s.slice(1, -1));
}

export function referencesOf(headers: Buffer | undefined): string[] {
  if (!headers) return [];
  const text = headers.toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const line = /^references:(.*)$/im.exec(text);
  return ids(line?.[1]);
}

export function hasAttachmentParts(s: MessageStructureObject | undefined): boolean {
  if (!s) return false;
  if (s.childNodes?.length) return s.childNodes.some(hasAttachmentParts);
  const disposition = (s.disposition ?? '').toLowerCase();
  if (disposition === 'attachment') return true;
  const filename = s.dispositionParameters?.filename ?? s.parameters?.name;
  return Boolean(filename) && !s.type.startsWith('text/') && disposition !== 'inline';
}

export function messageRow(m: FetchMessageObject): Row {
  const env = m.envelope;
  const { flags, keywords } = splitFlags(m.flags ?? new Set());
  const internal = m.internalDate ? new Date(m.internalDate) : new Date();
  const date = env?.date ? new Date(env.date) : null;
  return {
    uid: BigInt(m.uid),
    modseq: m.modseq ?? null,
    messageId: ids(env?.messageId)[0] ?? null,
    inReplyTo: ids(env?.inReplyTo)[0] ?? null,
    references: referencesOf(m.headers),
    subject: (env?.subject ?? '').slice(0, 2000),
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
    hasAttachments: hasAttachmentParts(m.bodyStructure),
    bodyStructure: (m.bodyStructure as unknown as Prisma.InputJsonValue) ?? undefined
  };
}
