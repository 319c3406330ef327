// Autosaved drafts. The composer saves what the user typed a couple of seconds after typing
// stops; PostgreSQL holds it (the Draft row, with the draft as a message) and the worker keeps
// exactly one copy in the account's Drafts folder (worker/jobs/draft-sync.ts). Every version
// gets its own Message-ID, `<draftId.version@domain>`, so the worker can find every older copy
// by the draft id and delete it after appending the new one.
//
// A draft is lenient where sending is strict: a half-typed address is kept as typed (only the
// valid ones go into the copy on the server), and there may be no recipient at all.
import { randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { z } from 'zod';
import type { Db } from '../db.js';
import type { Env } from '../env.js';
import { AppError } from '../errors.js';
import type { Producer } from '../queue/producer.js';
import { normalizeMessageId as normalizeStoredId } from '../mail/threading.js';
import { textFromHtml } from '../mail/snippet.js';
import { asciiDomain, parseRecipient, type Recipient } from './address.js';
import { attachmentInput } from './draft.js';
import { describeParts, loadParts, type ForwardedPart } from './forward-parts.js';
import { composeMessage, formatBytes, normalizeMessageId, type ComposeAttachment } from './mime.js';
import { bodyForQuote, loadBody } from './template.js';
import { fromIdentity, type SendingAccount } from './outbox.js';
import { enqueueDraftSync } from './draft-queue.js';
import { loadUploads, uploadsFromFiles, type UploadRef } from './uploads.js';

export interface DraftDeps {
  db: Db;
  env: Env;
  producer: Producer;
}

export interface DraftScope {
  tenantId: string;
  userId: string;
  userName: string | null;
}

const typed = z.array(z.string().max(1000, 'An address is too long.')).max(500).default([]);
const lenientId = z
  .string()
  .max(1000)
  .transform((v) => normalizeMessageId(v));

/** compose.saveDraft, besides accountId. */
export const saveDraftSchema = z.object({
  draftId: z.uuid().nullish(),
  to: typed,
  cc: typed,
  bcc: typed,
  subject: z.string().max(2000, 'The subject is too long (2000 characters at most).').default(''),
  text: z.string().max(5_000_000, 'The text is too long.').default(''),
  html: z.string().max(10_000_000, 'The message is too long.').nullish(),
  inReplyTo: lenientId.nullish(),
  references: z.array(lenientId).max(200).default([]),
  answers: z.uuid().nullish(),
  forward: z
    .array(z.object({ messageId: z.uuid(), attachmentId: z.uuid() }))
    .max(100)
    .default([]),
  /** the files, by upload id; left out: the same as the last save (sent only when they change) */
  attachments: z.array(attachmentInput).max(100, 'At most 100 attachments.').optional(),
  /** first save of a draft opened from the Drafts folder that another program wrote: replaces it */
  adopts: z.uuid().nullish()
});
export type SaveDraftInput = z.output<typeof saveDraftSchema>;

const contentSchema = z.object({
  to: z.array(z.string()).default([]),
  cc: z.array(z.string()).default([]),
  bcc: z.array(z.string()).default([]),
  subject: z.string().default(''),
  text: z.string().default(''),
  html: z.string().nullable().default(null),
  inReplyTo: z.string().nullable().default(null),
  references: z.array(z.string()).default([]),
  answers: z.string().nullable().default(null),
  forward: z
    .array(
      z.object({
        messageId: z.string(),
        attachmentId: z.string(),
        filename: z.string(),
        contentType: z.string(),
        size: z.number(),
        cid: z.string().nullable(),
        inline: z.boolean()
      })
    )
    .default([])
});
export type DraftContent = z.output<typeof contentSchema>;

export interface OpenedDraft extends DraftContent {
  draftId: string | null;
  version: number;
  accountId: string;
  /** a draft written by another program: pass as `adopts` with the first save */
  adopts: string | null;
  /** the uploaded (not forwarded) files, as fresh uploads to send again by id */
  attachments: UploadRef[];
}

export const draftMessageId = (draftId: string, version: number, fromAddress: string) =>
  `<${draftId}.${version}@${(asciiDomain(fromAddress.slice(fromAddress.lastIndexOf('@') + 1)) ?? 'localhost').replace(/^\[|\]$/g, '')}>`;

/** The draft id in a stored Message-ID of one of our draft copies (stored without brackets). */
export function draftIdOf(storedMessageId: string | null): string | null {
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.\d+@/.exec(
    storedMessageId ?? ''
  );
  return m ? m[1]! : null;
}

function lenientRecipients(list: string[]): Recipient[] {
  const out: Recipient[] = [];
  for (const s of list) {
    try {
      out.push(parseRecipient(s));
    } catch {
      // kept as typed in the content; left out of the copy on the server
    }
  }
  return out;
}

async function attachmentsOf(raw: Uint8Array): Promise<ComposeAttachment[]> {
  if (!raw.length) return [];
  const parsed = await simpleParser(Buffer.from(raw), { skipHtmlToText: true, skipTextToHtml: true });
  return parsed.attachments.map((a) => ({
    filename: a.filename ?? 'attachment',
    contentType: a.contentType,
    content: a.content,
    cid: a.contentDisposition === 'inline' && a.cid ? a.cid : null
  }));
}

const sameRefs = (a: { attachmentId: string }[], b: { attachmentId: string }[]) =>
  a.length === b.length && a.every((x, i) => x.attachmentId === b[i]!.attachmentId);

/** Saves a new version of a draft and has the worker replace the copy in the Drafts folder. */
export async function saveDraft(
  deps: DraftDeps,
  scope: DraftScope,
  account: SendingAccount,
  input: SaveDraftInput
): Promise<{ draftId: string; version: number; savedAt: Date }> {
  const { db, env } = deps;
  const where = input.draftId
    ? { id: input.draftId, tenantId: scope.tenantId, userId: scope.userId, accountId: account.id }
    : null;
  const existing = where
    ? await db.draft.findFirst({
        where,
        select: { id: true, version: true, deletedAt: true, content: true, raw: true }
      })
    : null;
  if (where && !existing)
    throw new AppError(
      'NOT_FOUND',
      'That draft does not exist any more. Your text is still in the composer.'
    );
  if (existing?.deletedAt) throw new AppError('CONFLICT', 'This draft has already been sent or discarded.');
  const acct = { tenantId: scope.tenantId, accountId: account.id };
  const forward: ForwardedPart[] = await describeParts(db, acct, input.forward);
  const before = existing ? contentSchema.parse(existing.content) : null;
  const id = existing?.id ?? randomUUID();
  let files: ComposeAttachment[];
  if (existing && input.attachments === undefined && before && sameRefs(before.forward, forward))
    files = await attachmentsOf(existing.raw);
  else {
    const uploaded: ComposeAttachment[] = input.attachments
      ? await loadUploads(deps, { tenantId: scope.tenantId, userId: scope.userId }, input.attachments, {
          draftId: id
        })
      : existing
        ? await uploadedOf(existing.raw, before)
        : [];
    const fwd = await loadParts(deps, acct, input.forward);
    files = [...uploaded, ...fwd];
  }
  const from = fromIdentity(account, scope.userName);
  const version = (existing?.version ?? 0) + 1;
  const composed = await composeMessage({
    from,
    to: lenientRecipients(input.to),
    cc: lenientRecipients(input.cc),
    bcc: lenientRecipients(input.bcc),
    subject: input.subject,
    text: input.text.trim() || !input.html ? input.text : textFromHtml(input.html),
    html: input.html ?? null,
    inReplyTo: input.inReplyTo ?? null,
    references: input.references.filter((r): r is string => !!r),
    attachments: files,
    messageId: draftMessageId(id, version, from.address),
    date: new Date()
  });
  if (composed.raw.length > env.MAX_MESSAGE_BYTES)
    throw new AppError(
      'BAD_REQUEST',
      `This draft is ${formatBytes(composed.raw.length)}; the most a message can be is ${formatBytes(env.MAX_MESSAGE_BYTES)}. Remove or shrink some attachments.`
    );
  const content: DraftContent = {
    to: input.to,
    cc: input.cc,
    bcc: input.bcc,
    subject: input.subject,
    text: input.text,
    html: input.html ?? null,
    inReplyTo: input.inReplyTo ?? null,
    references: input.references.filter((r): r is string => !!r),
    answers: input.answers ?? null,
    forward
  };
  const raw = new Uint8Array(composed.raw);
  if (existing) {
    // compare-and-set on the version: two tabs saving the same draft do not interleave
    const done = await db.draft.updateMany({
      where: { ...where!, version: existing.version, deletedAt: null },
      data: { content, raw, version }
    });
    if (!done.count)
      throw new AppError('CONFLICT', 'This draft was changed elsewhere (another tab?) or has been sent.');
  } else {
    let adopted: string | null = null;
    if (input.adopts) {
      const m = await db.message.findFirst({
        where: { id: input.adopts, tenantId: scope.tenantId, accountId: account.id },
        select: { messageId: true }
      });
      adopted = m?.messageId ?? null;
    }
    await db.draft.create({
      data: {
        id,
        tenantId: scope.tenantId,
        userId: scope.userId,
        accountId: account.id,
        content,
        raw,
        version,
        adoptedMessageId: adopted
      }
    });
  }
  await enqueueDraftSync(deps.producer, id, version);
  return { draftId: id, version, savedAt: new Date() };
}

/** The uploaded (not forwarded) files of the last version: every part but the forwarded ones. */
async function uploadedOf(raw: Uint8Array, before: DraftContent | null): Promise<ComposeAttachment[]> {
  const all = await attachmentsOf(raw);
  const fwd = before?.forward ?? [];
  // forwarded parts come last, in order (saveDraft puts them there)
  return fwd.length ? all.slice(0, Math.max(0, all.length - fwd.length)) : all;
}

async function toOpened(
  deps: Pick<DraftDeps, 'db' | 'env'>,
  scope: DraftScope,
  row: { id: string; version: number; accountId: string; content: unknown; raw: Uint8Array }
): Promise<OpenedDraft> {
  const c = contentSchema.parse(row.content);
  const files = await attachmentsOf(row.raw);
  const uploaded = c.forward.length ? files.slice(0, Math.max(0, files.length - c.forward.length)) : files;
  return {
    ...c,
    draftId: row.id,
    version: row.version,
    accountId: row.accountId,
    adopts: null,
    attachments: await uploadsFromFiles(
      deps,
      { tenantId: scope.tenantId, userId: scope.userId },
      uploaded,
      row.id
    )
  };
}

export async function getDraft(
  deps: Pick<DraftDeps, 'db' | 'env'>,
  scope: DraftScope,
  accountId: string,
  draftId: string
): Promise<OpenedDraft> {
  const row = await deps.db.draft.findFirst({
    where: { id: draftId, tenantId: scope.tenantId, userId: scope.userId, accountId, deletedAt: null },
    select: { id: true, version: true, accountId: true, content: true, raw: true }
  });
  if (!row) throw new AppError('NOT_FOUND', 'That draft does not exist any more (it may have been sent).');
  return toOpened(deps, scope, row);
}

const text = (v: unknown): string[] =>
  Array.isArray(v)
    ? v.flatMap((a) => {
        const o = a as { name?: string | null; address?: string };
        if (!o?.address) return [];
        return [
          o.name
            ? `${o.name.includes(',') || o.name.includes('"') ? JSON.stringify(o.name) : o.name} <${o.address}>`
            : o.address
        ];
      })
    : [];

/**
 * A message of the Drafts folder, to continue in the composer: one of ours resumes its Draft
 * row; one another program wrote becomes a new draft that replaces it on its first save.
 */
export async function openDraftMessage(
  deps: DraftDeps,
  scope: DraftScope,
  account: SendingAccount & { tenantId: string },
  messageId: string
): Promise<OpenedDraft> {
  const m = await deps.db.message.findFirst({
    where: { id: messageId, tenantId: scope.tenantId, accountId: account.id },
    select: { id: true, messageId: true }
  });
  if (!m) throw new AppError('NOT_FOUND', 'That draft does not exist any more (it may have been sent).');
  const ours = draftIdOf(m.messageId);
  if (ours) {
    const row = await deps.db.draft.findFirst({
      where: { id: ours, tenantId: scope.tenantId, userId: scope.userId, accountId: account.id },
      select: { id: true, version: true, accountId: true, content: true, raw: true, deletedAt: true }
    });
    if (row?.deletedAt) throw new AppError('NOT_FOUND', 'This draft has already been sent or discarded.');
    if (row) return toOpened(deps, scope, row);
  }
  const body = await loadBody(deps, { ...account, tenantId: scope.tenantId }, m.id);
  const { html, text: plain } = bodyForQuote(body, true);
  const parts = await loadParts(
    deps,
    { tenantId: scope.tenantId, accountId: account.id },
    body.attachments.map((a) => ({ messageId: body.id, attachmentId: a.id }))
  );
  const full = await deps.db.message.findFirstOrThrow({
    where: { id: m.id },
    select: { toAddresses: true, ccAddresses: true, bccAddresses: true }
  });
  return {
    to: text(full.toAddresses),
    cc: text(full.ccAddresses),
    bcc: text(full.bccAddresses),
    subject: body.subject,
    text: plain,
    html,
    inReplyTo: body.inReplyTo ? `<${body.inReplyTo}>` : null,
    references: body.references.map((r) => `<${normalizeStoredId(r) ?? r}>`),
    answers: null,
    forward: [],
    draftId: null,
    version: 0,
    accountId: account.id,
    adopts: m.id,
    attachments: await uploadsFromFiles(deps, { tenantId: scope.tenantId, userId: scope.userId }, parts)
  };
}

/** Discards a draft: the row goes once the worker has removed the copies on the server. */
export async function discardDraft(
  deps: DraftDeps,
  scope: DraftScope,
  accountId: string,
  draftId: string
): Promise<{ draftId: string }> {
  const done = await deps.db.draft.updateMany({
    where: { id: draftId, tenantId: scope.tenantId, userId: scope.userId, accountId },
    data: { deletedAt: new Date() }
  });
  if (!done.count) throw new AppError('NOT_FOUND', 'That draft does not exist any more.');
  await enqueueDraftSync(deps.producer, draftId);
  return { draftId };
}
