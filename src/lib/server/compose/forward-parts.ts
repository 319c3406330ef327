// The original attachments of a forwarded message (or of a draft written elsewhere), read
// through the PartCache: the worker copies each part from IMAP into PostgreSQL (job
// imap.fetchPart) and we read the chunks back. Done in the app when the message is built,
// because the outbox row holds the complete message, fixed once: a retry must send the very
// same bytes, so nothing may be fetched later by the worker. compose.template asks for the
// parts as soon as the composer opens, so by the time Send is pressed they are usually cached.
import type { Db } from '../db.js';
import type { Env } from '../env.js';
import { AppError } from '../errors.js';
import { chunkStore } from '../attachments/chunk-store.js';
import { PartReader, PartUnavailable, requestPart } from '../attachments/part-cache.js';
import type { Producer } from '../queue/producer.js';
import type { ComposeAttachment } from './mime.js';
import { formatBytes } from './mime.js';

export interface PartRef {
  /** the Message row */
  messageId: string;
  attachmentId: string;
}

export interface PartDeps {
  db: Db;
  env: Env;
  producer: Producer;
}

export interface ForwardedPart {
  messageId: string;
  attachmentId: string;
  filename: string;
  contentType: string;
  size: number;
  cid: string | null;
  inline: boolean;
}

/** The attachments of these messages as the composer lists them (checked: same tenant and account). */
export async function describeParts(
  db: Db,
  scope: { tenantId: string; accountId: string },
  refs: PartRef[]
): Promise<ForwardedPart[]> {
  if (!refs.length) return [];
  const rows = await db.attachment.findMany({
    where: {
      tenantId: scope.tenantId,
      id: { in: refs.map((r) => r.attachmentId) },
      message: { accountId: scope.accountId, deleting: false }
    },
    select: {
      id: true,
      messageId: true,
      filename: true,
      contentType: true,
      size: true,
      contentId: true,
      inline: true
    }
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return refs.map((ref) => {
    const r = byId.get(ref.attachmentId);
    if (!r || r.messageId !== ref.messageId)
      throw new AppError(
        'NOT_FOUND',
        'An attachment of the original message is no longer there (the message may have been deleted). Remove it and try again.'
      );
    return {
      messageId: r.messageId,
      attachmentId: r.id,
      filename: r.filename || 'attachment',
      contentType: r.contentType || 'application/octet-stream',
      size: r.size,
      cid: r.contentId ? r.contentId.replace(/^<|>$/g, '') : null,
      inline: r.inline
    };
  });
}

/** Asks the worker to cache the parts now (the composer opened): no waiting. */
export async function prefetchParts(
  deps: PartDeps,
  scope: { tenantId: string; accountId: string },
  parts: { messageId: string; part: string }[]
): Promise<void> {
  for (const p of parts)
    await requestPart(deps, { tenantId: scope.tenantId, accountId: scope.accountId, ...p }).catch(() => {});
}

/**
 * The bytes of each part, waiting for the worker where they are not cached yet. Refuses
 * before fetching anything when their declared sizes already exceed the message limit.
 */
export async function loadParts(
  deps: PartDeps,
  scope: { tenantId: string; accountId: string },
  refs: PartRef[],
  opts: { idleTimeoutMs?: number } = {}
): Promise<(ComposeAttachment & { attachmentId: string })[]> {
  if (!refs.length) return [];
  const parts = await describeParts(deps.db, scope, refs);
  const declared = parts.reduce((n, p) => n + p.size, 0);
  if (declared > deps.env.MAX_MESSAGE_BYTES)
    throw new AppError(
      'BAD_REQUEST',
      `The forwarded attachments are ${formatBytes(declared)}; the most you can send is ${formatBytes(deps.env.MAX_MESSAGE_BYTES)}. Remove some of them.`
    );
  const rows = await deps.db.attachment.findMany({
    where: { id: { in: parts.map((p) => p.attachmentId) } },
    select: { id: true, part: true }
  });
  const partOf = new Map(rows.map((r) => [r.id, r.part]));
  const chunks = chunkStore(deps.db);
  const out: (ComposeAttachment & { attachmentId: string })[] = [];
  for (const p of parts) {
    const row = await requestPart(deps, {
      tenantId: scope.tenantId,
      accountId: scope.accountId,
      messageId: p.messageId,
      part: partOf.get(p.attachmentId)!
    });
    const reader = new PartReader(deps.db, chunks, row.id, { idleTimeoutMs: opts.idleTimeoutMs ?? 30_000 });
    const pieces: Uint8Array[] = [];
    try {
      for (let c = await reader.next(); c; c = await reader.next()) pieces.push(c);
    } catch (e) {
      if (e instanceof PartUnavailable)
        throw new AppError(
          'PRECONDITION_FAILED',
          `The attachment "${p.filename}" of the original message could not be fetched: ${e.message}`
        );
      throw e;
    }
    out.push({
      attachmentId: p.attachmentId,
      filename: p.filename,
      contentType: p.contentType,
      content: Buffer.concat(pieces),
      cid: p.inline ? p.cid : null
    });
  }
  return out;
}
