// The outbox as the app sees it: send (build the message, write the row, enqueue its job),
// cancel (undo or unschedule, handing the draft back), list, retry and edit. Every query is
// scoped by tenant and user; a row of someone else is "not found".
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import type { Logger } from 'pino';
import type { OutboxState } from '../../../generated/prisma/client.js';
import type { Db } from '../db.js';
import type { Env } from '../env.js';
import { AppError } from '../errors.js';
import type { Producer } from '../queue/producer.js';
import { textFromHtml } from '../mail/snippet.js';
import { publishToUser } from '../realtime/events.js';
import { parseRecipient, uniqueRecipients, type Recipient } from './address.js';
import { readDraft, toStoredDraft, type SendFields, type StoredDraft } from './draft.js';
import { composeMessage, formatBytes, newMessageId } from './mime.js';
import { dropSendJob, scheduleSend } from './queue.js';
import { giveBackSend, takeSend, type SendLimitOptions } from './rate-limit.js';
import { loadParts } from './forward-parts.js';
import { enqueueDraftSync } from './draft-queue.js';
import { loadUploads, uploadsFromFiles, type UploadRef } from './uploads.js';

export interface OutboxDeps {
  db: Db;
  redis: Redis;
  env: Env;
  /** the BullMQ queue of the send jobs */
  sendQueue: () => Queue;
  log: Logger;
  /** for forwarded attachments (PartCache) and removing the sent draft */
  producer?: Producer;
}

export interface Scope {
  tenantId: string;
  userId: string;
}

export interface SendingAccount {
  id: string;
  tenantId: string;
  userId: string;
  email: string;
  displayName: string | null;
  aliases: string[];
  /** the identity's Reply-To (MailAccount.replyTo) */
  replyTo?: string | null;
}

/** A scheduled time this close to now is just "send now" (clocks, slow clicks). */
const SCHEDULE_SLACK_MS = 1_000;
const MAX_SCHEDULE_MS = 366 * 24 * 3600 * 1000;

function limits(env: Env): SendLimitOptions {
  return { enabled: env.RATE_LIMIT_ENABLED, perHour: env.SEND_RATE_PER_HOUR, prefix: env.QUEUE_PREFIX };
}

async function publishStatus(
  deps: Pick<OutboxDeps, 'redis' | 'env' | 'log'>,
  userId: string,
  outboxId: string,
  state: OutboxState,
  error: string | null = null
) {
  await publishToUser(
    deps.redis,
    userId,
    { type: 'SendStatusChanged', outboxId, state, error },
    deps.env.QUEUE_PREFIX
  ).catch((err: unknown) => deps.log.warn({ err, outboxId }, 'could not publish send status'));
}

export function fromIdentity(
  account: SendingAccount,
  userName: string | null,
  from?: string | null
): Recipient {
  const name = account.displayName ?? userName ?? null;
  if (!from) return { name, address: account.email };
  let wanted: Recipient;
  try {
    wanted = parseRecipient(from);
  } catch (e) {
    throw new AppError('BAD_REQUEST', `From: ${(e as Error).message}`);
  }
  const allowed = [account.email, ...account.aliases].find(
    (a) => a.toLowerCase() === wanted.address.toLowerCase()
  );
  if (!allowed)
    throw new AppError(
      'BAD_REQUEST',
      `${wanted.address} is not an address of this account. Send from ${account.email}${account.aliases.length ? ` or one of its aliases (${account.aliases.join(', ')})` : ''}.`
    );
  return { name: wanted.name ?? name, address: allowed };
}

function sendTime(env: Env, f: SendFields, now: number): { sendAfter: Date; scheduled: boolean } {
  if (f.sendAt) {
    const at = f.sendAt.getTime();
    if (Number.isNaN(at)) throw new AppError('BAD_REQUEST', 'sendAt: Not a date and time.');
    if (at < now - 60_000)
      throw new AppError('BAD_REQUEST', 'The time to send is in the past. Pick a later time, or send now.');
    if (at > now + MAX_SCHEDULE_MS)
      throw new AppError('BAD_REQUEST', 'A message can be scheduled at most a year ahead.');
    if (at > now + SCHEDULE_SLACK_MS) return { sendAfter: new Date(at), scheduled: true };
  }
  const undo = f.undoSeconds ?? env.SEND_UNDO_SECONDS;
  return { sendAfter: new Date(now + undo * 1000), scheduled: false };
}

export interface SendResult {
  outboxId: string;
  messageId: string;
  sendAfter: Date;
  scheduled: boolean;
  bytes: number;
}

/**
 * Builds the message and puts it in the outbox: one transaction writes the row (and, for an
 * edit, cancels the row it replaces); the job is enqueued after the commit. If Redis is away
 * at that moment the worker's sweeper enqueues it later: the row is what counts.
 */
export async function sendMessage(
  deps: OutboxDeps,
  scope: Scope & { userName: string | null },
  account: SendingAccount,
  f: SendFields,
  opts: { replaces?: string } = {}
): Promise<SendResult> {
  const { db, env } = deps;
  if (!env.ENABLE_SMTP_SEND)
    throw new AppError(
      'PRECONDITION_FAILED',
      'Sending mail is turned off on this server (ENABLE_SMTP_SEND=false). Ask your administrator.'
    );
  const [to, cc, bcc] = uniqueRecipients([f.to, f.cc, f.bcc]) as [Recipient[], Recipient[], Recipient[]];
  if (!to.length && !cc.length && !bcc.length)
    throw new AppError('BAD_REQUEST', 'Add at least one recipient (To, Cc or Bcc).');
  const from = fromIdentity(account, scope.userName, f.from);
  const now = Date.now();
  const { sendAfter, scheduled } = sendTime(env, f, now);
  const scopeAcct = { tenantId: scope.tenantId, accountId: account.id };
  if (f.forward.length && !deps.producer) throw new Error('forwarding needs the job producer');
  const forwarded = f.forward.length
    ? await loadParts({ db, env, producer: deps.producer! }, scopeAcct, f.forward)
    : [];
  const uploaded = await loadUploads({ db, env }, scope, f.attachments, {
    otherBytes: forwarded.reduce((n, a) => n + a.content.length, 0)
  });
  const files = [
    ...uploaded.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      cid: a.cid,
      bytes: a.content
    })),
    ...forwarded.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      cid: a.cid,
      bytes: a.content
    }))
  ];
  // the message replied to must be this account's; gone meanwhile: the reply still goes out
  const answers = f.answers
    ? ((
        await db.message.findFirst({
          where: { id: f.answers, tenantId: scope.tenantId, accountId: account.id },
          select: { id: true }
        })
      )?.id ?? null)
    : null;
  let replyTo: Recipient[] = [];
  if (account.replyTo) {
    try {
      replyTo = [parseRecipient(account.replyTo)];
    } catch {
      replyTo = []; // checked when it was set; an old bad value is left out rather than blocking mail
    }
  }
  const text = f.text.trim() || !f.html ? f.text : textFromHtml(f.html);
  const messageId = newMessageId(from.address);
  const composed = await composeMessage({
    from,
    to,
    cc,
    bcc,
    replyTo,
    subject: f.subject,
    text,
    html: f.html ?? null,
    inReplyTo: f.inReplyTo ?? null,
    references: f.references,
    attachments: files.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.bytes,
      cid: a.cid ?? null
    })),
    messageId,
    // a scheduled message is dated when it goes out, not when it was written
    date: scheduled ? sendAfter : new Date(now)
  });
  if (composed.raw.length > env.MAX_MESSAGE_BYTES)
    throw new AppError(
      'BAD_REQUEST',
      `This message is ${formatBytes(composed.raw.length)} as sent (attachments grow by a third when encoded); the most you can send is ${formatBytes(env.MAX_MESSAGE_BYTES)}. Remove or shrink some attachments.`
    );
  await takeSend(deps.redis, limits(env), scope.userId);
  const draft = {
    ...toStoredDraft(
      { ...f, to, cc, bcc, answers },
      from,
      files.map((a) => ({ ...a, size: a.bytes.length }))
    ),
    replyTo: replyTo.map((r) => ({ name: r.name, address: r.address }))
  };
  let row: { id: string };
  try {
    row = await db.$transaction(async (tx) => {
      if (opts.replaces) await cancelRow(tx, scope, opts.replaces);
      // the draft is now in the outbox row: undo and edit hand it back from there
      if (f.draftId)
        await tx.draft.updateMany({
          where: { id: f.draftId, tenantId: scope.tenantId, userId: scope.userId, deletedAt: null },
          data: { deletedAt: new Date() }
        });
      return tx.outboxMessage.create({
        data: {
          tenantId: scope.tenantId,
          userId: scope.userId,
          accountId: account.id,
          messageId,
          envelopeFrom: composed.envelope.from,
          recipients: composed.envelope.to,
          raw: new Uint8Array(composed.raw),
          state: 'queued',
          sendAfter,
          scheduled,
          draft
        },
        select: { id: true }
      });
    });
  } catch (e) {
    await giveBackSend(deps.redis, limits(env), scope.userId);
    throw e;
  }
  if (opts.replaces) {
    await dropSendJob(deps.sendQueue(), opts.replaces).catch(() => {});
    await publishStatus(deps, scope.userId, opts.replaces, 'cancelled');
  }
  if (f.draftId && deps.producer)
    await enqueueDraftSync(deps.producer, f.draftId).catch((err: unknown) =>
      deps.log.warn({ err, draftId: f.draftId }, 'could not enqueue removing the sent draft')
    );
  try {
    await scheduleSend(deps.sendQueue(), env, row.id, sendAfter);
  } catch (err) {
    deps.log.warn({ err, outboxId: row.id }, 'could not enqueue the send job: the sweeper will');
  }
  await publishStatus(deps, scope.userId, row.id, 'queued');
  return { outboxId: row.id, messageId, sendAfter, scheduled, bytes: composed.raw.length };
}

/** Cancels a queued or failed row of this user; throws a message the user can act on otherwise. */
async function cancelRow(db: Pick<Db, 'outboxMessage'>, scope: Scope, outboxId: string, accountId?: string) {
  const where = {
    id: outboxId,
    tenantId: scope.tenantId,
    userId: scope.userId,
    ...(accountId && { accountId })
  };
  const done = await db.outboxMessage.updateMany({
    where: { ...where, state: { in: ['queued', 'failed'] } },
    data: { state: 'cancelled' }
  });
  const row = await db.outboxMessage.findFirst({
    where,
    select: { id: true, accountId: true, state: true, attempts: true, draft: true, raw: true }
  });
  if (!row) throw new AppError('NOT_FOUND', 'That message is not in your outbox (it may have been removed).');
  if (done.count === 0) {
    if (row.state === 'sending')
      throw new AppError('CONFLICT', 'Too late: the message is being sent right now and cannot be stopped.');
    if (row.state === 'sent') throw new AppError('CONFLICT', 'Too late: the message has already been sent.');
  }
  return { ...row, wasQueued: done.count > 0 && row.attempts === 0 };
}

export interface DraftForComposer extends StoredDraft {
  accountId: string;
  /** the attachments, as fresh uploads made from the stored message (sent again by id) */
  uploads: UploadRef[];
}

/** The draft as the composer needs it again, attachments included (read back from the message). */
export async function draftOf(
  deps: Pick<OutboxDeps, 'db' | 'env'>,
  scope: Scope,
  row: {
    accountId: string;
    draft: unknown;
    raw: Uint8Array;
  }
): Promise<DraftForComposer> {
  const draft = readDraft(row.draft);
  let uploads: UploadRef[] = [];
  if (draft.attachments.length) {
    const parsed = await simpleParser(Buffer.from(row.raw), { skipHtmlToText: true, skipTextToHtml: true });
    uploads = await uploadsFromFiles(
      deps,
      scope,
      parsed.attachments.map((a) => ({
        filename: a.filename ?? 'attachment',
        contentType: a.contentType,
        cid: a.cid ?? null,
        content: a.content
      }))
    );
  }
  return { ...draft, accountId: row.accountId, uploads };
}

/**
 * Undo (within the delay) or cancel a scheduled or failed message. Returns what the user
 * wrote so the composer can open it again. Cancelling twice is fine (a double click on Undo).
 */
export async function cancelMessage(
  deps: OutboxDeps,
  scope: Scope,
  outboxId: string,
  accountId?: string
): Promise<{ outboxId: string; draft: DraftForComposer }> {
  const row = await cancelRow(deps.db, scope, outboxId, accountId);
  await dropSendJob(deps.sendQueue(), outboxId).catch((err: unknown) =>
    deps.log.warn({ err, outboxId }, 'could not remove the send job (it will find the row cancelled)')
  );
  if (row.wasQueued) await giveBackSend(deps.redis, limits(deps.env), scope.userId);
  await publishStatus(deps, scope.userId, outboxId, 'cancelled');
  return { outboxId, draft: await draftOf(deps, scope, row) };
}

export type OutboxFilter = 'queued' | 'scheduled' | 'sending' | 'failed' | 'sent' | 'cancelled';

export async function listOutbox(
  deps: Pick<OutboxDeps, 'db'>,
  scope: Scope,
  filter: { state?: OutboxFilter | undefined; accountId?: string | undefined }
) {
  const state =
    filter.state === 'scheduled'
      ? { state: 'queued' as const, scheduled: true }
      : filter.state === 'queued'
        ? { state: 'queued' as const, scheduled: false }
        : filter.state
          ? { state: filter.state }
          : { state: { in: ['queued', 'sending', 'failed'] as OutboxState[] } };
  const rows = await deps.db.outboxMessage.findMany({
    where: {
      tenantId: scope.tenantId,
      userId: scope.userId,
      ...(filter.accountId && { accountId: filter.accountId }),
      ...state
    },
    orderBy: [{ sendAfter: filter.state === 'sent' ? 'desc' : 'asc' }, { id: 'asc' }],
    take: 200,
    select: {
      id: true,
      accountId: true,
      messageId: true,
      state: true,
      scheduled: true,
      sendAfter: true,
      sentAt: true,
      attempts: true,
      lastError: true,
      createdAt: true,
      draft: true
    }
  });
  return rows.map(({ draft, ...r }) => {
    const d = readDraft(draft);
    return {
      ...r,
      subject: d.subject,
      to: d.to,
      cc: d.cc,
      bcc: d.bcc,
      attachments: d.attachments.length,
      snippet: (d.text || '').replace(/\s+/g, ' ').trim().slice(0, 140)
    };
  });
}

/** Puts a failed message back in the queue, to be sent now. */
export async function retryMessage(deps: OutboxDeps, scope: Scope, outboxId: string) {
  const now = new Date();
  const done = await deps.db.outboxMessage.updateMany({
    where: { id: outboxId, tenantId: scope.tenantId, userId: scope.userId, state: 'failed' },
    data: { state: 'queued', sendAfter: now, lastError: null, committingAt: null, claimedAt: null }
  });
  if (!done.count) {
    const row = await deps.db.outboxMessage.findFirst({
      where: { id: outboxId, tenantId: scope.tenantId, userId: scope.userId },
      select: { state: true }
    });
    if (!row)
      throw new AppError('NOT_FOUND', 'That message is not in your outbox (it may have been removed).');
    throw new AppError(
      'CONFLICT',
      row.state === 'sent'
        ? 'That message has already been sent.'
        : row.state === 'cancelled'
          ? 'That message was cancelled; open it again to send it.'
          : 'That message is already on its way; only a failed message can be retried.'
    );
  }
  try {
    await scheduleSend(deps.sendQueue(), deps.env, outboxId, now);
  } catch (err) {
    deps.log.warn({ err, outboxId }, 'could not enqueue the send job: the sweeper will');
  }
  await publishStatus(deps, scope.userId, outboxId, 'queued');
  return { outboxId, state: 'queued' as const };
}

/** What the user wrote in a message still in the outbox, for Edit (the row stays queued). */
export async function outboxDraft(
  deps: Pick<OutboxDeps, 'db' | 'env'>,
  scope: Scope,
  outboxId: string
): Promise<{ outboxId: string; state: OutboxState; draft: DraftForComposer }> {
  const row = await deps.db.outboxMessage.findFirst({
    where: { id: outboxId, tenantId: scope.tenantId, userId: scope.userId },
    select: { id: true, accountId: true, state: true, draft: true, raw: true }
  });
  if (!row) throw new AppError('NOT_FOUND', 'That message is not in your outbox (it may have been removed).');
  return { outboxId: row.id, state: row.state, draft: await draftOf(deps, scope, row) };
}
