import type { Logger } from 'pino';
import { sendJobOptions, ensureJob, appendJobId } from '../../src/lib/server/compose/queue.js';
import { retryDelayMs } from '../../src/lib/server/compose/queue.js';
import { openSecret } from '../../src/lib/server/crypto/envelope.js';
import { masterKeys } from '../../src/lib/server/crypto/keys.js';
import type { Db } from '../../src/lib/server/db.js';
import type { Env } from '../../src/lib/server/env.js';
import { publishToUser } from '../../src/lib/server/realtime/events.js';
import type { JobContext, JobHandler } from '../registry.js';
import { classifySmtpError } from '../smtp/classify.js';
import {
  UNCERTAIN_REASON,
  claim,
  failUncertain,
  heartbeat,
  markCommitting,
  markFailed,
  markSent,
  requeue
} from '../smtp/outbox-rows.js';
import { sendRuntime } from '../smtp/runtime.js';
import { waitText } from '../../src/lib/server/compose/rate-limit.js';
import { afterSendHook } from './contacts-after-send.js';

type SendState = 'queued' | 'sending' | 'sent' | 'failed' | 'cancelled';

/** A row this close to its time is waited for rather than left to the sweeper. */
const WAIT_FOR_DUE_MS = 5_000;

export async function publishSendStatus(
  ctx: Pick<JobContext, 'redis' | 'env' | 'log'>,
  userId: string,
  outboxId: string,
  state: SendState,
  error: string | null = null
): Promise<void> {
  await publishToUser(
    ctx.redis,
    userId,
    { type: 'SendStatusChanged', outboxId, state, error },
    ctx.env.QUEUE_PREFIX
  ).catch((err: unknown) => ctx.log.warn({ err, outboxId }, 'could not publish send status'));
}

/**
 * Test builds only (NODE_ENV=test): stop at a named point of the send and never go on, so a
 * test can kill the worker exactly there. SEND_TEST_PAUSE=before-dot (before the last lease check),
 * at-dot (after it, the message written but for its final dot), after-accept, after-sent.
 */
async function testPause(env: Env, log: Logger, point: string, outboxId: string): Promise<void> {
  if (env.NODE_ENV !== 'test' || process.env.SEND_TEST_PAUSE !== point) return;
  log.warn({ point, outboxId }, 'send test pause');
  await new Promise<never>(() => {});
}

/** Enqueue the Sent copy (idempotent: one job per message). */
export async function enqueueAppend(ctx: Pick<JobContext, 'env' | 'log'>, outboxId: string): Promise<void> {
  const rt = sendRuntime(ctx);
  const jobId = appendJobId(outboxId);
  await ensureJob(rt.queue, 'send.appendSent', outboxId, jobId, {
    ...sendJobOptions({ SEND_MAX_ATTEMPTS: 6, SEND_RETRY_SECONDS: 5 }, jobId, 0)
  }).catch((err: unknown) =>
    ctx.log.warn({ err, outboxId }, 'could not enqueue the Sent copy: the sweeper will')
  );
}

async function dueIn(db: Db, id: string): Promise<{ state: string; ms: number } | null> {
  const rows = await db.$queryRaw<{ state: string; ms: number }[]>`
    SELECT state::text AS state, (extract(epoch FROM ("sendAfter" - now())) * 1000)::float8 AS ms
      FROM "OutboxMessage" WHERE id = ${id}::uuid`;
  return rows[0] ?? null;
}

/**
 * Sends one outbox message. Claims the row (only one attempt at a time can), sends its bytes
 * with its envelope through the account's SMTP pool, records the outcome. The rules that keep
 * a message from being lost or sent twice are in ../smtp/outbox-rows.ts.
 */
export const sendMessageJob: JobHandler<'send.message'> = async (p, ctx) => {
  const { db, env, log } = ctx;
  const lease = env.SEND_LEASE_SECONDS;
  let row = await claim(db, p.outboxId, lease);
  if (!row) {
    const now = await dueIn(db, p.outboxId);
    if (!now) return { skipped: 'gone' };
    if (now.state === 'queued' && now.ms > 0 && now.ms < WAIT_FOR_DUE_MS) {
      // the app's clock and the database's differ a little: wait for the database's time
      await new Promise((r) => setTimeout(r, now.ms + 20));
      row = await claim(db, p.outboxId, lease);
    }
    if (!row) {
      if (now.state === 'sending') {
        // its attempt died after the commit point: say so (if its lease has lapsed)
        for (const r of await failUncertain(db, lease, { id: p.outboxId }))
          await publishSendStatus(ctx, r.userId, r.id, 'failed', UNCERTAIN_REASON);
      }
      if (now.state === 'sent') await enqueueAppend(ctx, p.outboxId);
      return { skipped: now.state };
    }
  }
  const claimed = row;
  const attempt = claimed.attempts;
  const jlog = log.child({ outboxId: claimed.id, claim: attempt });
  const account = await db.mailAccount.findFirst({
    where: { id: claimed.accountId, tenantId: claimed.tenantId }
  });
  if (!account) {
    await markFailed(db, claimed.id, attempt, 'The mail account of this message has been removed.');
    return { skipped: 'account removed' };
  }
  await publishSendStatus(ctx, claimed.userId, claimed.id, 'sending');

  // the lease: renewed while we work, checked once more right before the commit point
  let owned = true;
  const beat = setInterval(
    () => {
      heartbeat(db, claimed.id, attempt).then(
        (ok) => (owned = owned && ok),
        () => {} // a failed renewal is caught by the commit point's own check
      );
    },
    Math.max(500, (lease * 1000) / 3)
  );
  let committed = false;
  try {
    const outcome = await sendRuntime(ctx).transports.send(
      account,
      () => openSecret(masterKeys(env), account.id, account),
      { from: claimed.envelopeFrom, to: claimed.recipients },
      Buffer.from(claimed.raw),
      {
        beforeFinalDot: async () => {
          await testPause(env, jlog, 'before-dot', claimed.id);
          // the lease, checked and renewed once more: the dot goes out only while we own the row
          if (!owned || !(await heartbeat(db, claimed.id, attempt)))
            throw Object.assign(new Error('lost the outbox row to another attempt'), { code: 'ELEASE' });
          await testPause(env, jlog, 'at-dot', claimed.id);
        },
        finalDotSent: async () => {
          // the commit point: from here the server may have the message, so it is never sent
          // again automatically. Died before this is recorded: sent again (the dot may have
          // gone out a moment before: the one duplicate SMTP cannot rule out).
          committed = true;
          try {
            if (!(await markCommitting(db, claimed.id, attempt)))
              jlog.error(
                'the message went out, but the outbox row was no longer ours: check for a duplicate'
              );
          } catch (err) {
            jlog.error({ err }, 'could not record the commit point');
          }
        }
      }
    );
    clearInterval(beat);
    await testPause(env, jlog, 'after-accept', claimed.id);
    if (!(await markSent(db, claimed.id, attempt, outcome.response)))
      jlog.error('sent, but the outbox row was no longer ours: check for a duplicate');
    jlog.info({ ms: outcome.messageTime, recipients: outcome.accepted.length }, 'message sent');
    await testPause(env, jlog, 'after-sent', claimed.id);
    await publishSendStatus(ctx, claimed.userId, claimed.id, 'sent');
    await enqueueAppend(ctx, claimed.id);
    await afterSendHook(ctx, claimed.id); // \Answered on the original, contacts counted
    return { sent: true };
  } catch (err) {
    clearInterval(beat);
    const code = (err as { code?: string }).code;
    if (code === 'ELEASE') return { skipped: 'lease lost' };
    const answered = typeof (err as { responseCode?: number }).responseCode === 'number';
    if (committed && !answered) {
      // the final dot went out and no answer came back: the one case SMTP cannot settle
      jlog.warn({ err: { message: (err as Error).message, code } }, 'no answer to the end of the message');
      if (await markFailed(db, claimed.id, attempt, UNCERTAIN_REASON))
        await publishSendStatus(ctx, claimed.userId, claimed.id, 'failed', UNCERTAIN_REASON);
      return { uncertain: true };
    }
    const failure = classifySmtpError(err, { host: account.smtpHost, port: account.smtpPort });
    jlog.warn({ kind: failure.kind, reason: failure.reason }, 'send failed');
    if (failure.kind === 'transient' && ctx.attempt < ctx.maxAttempts) {
      const next = `${failure.reason} Trying again in about ${waitText(retryDelayMs(env, ctx.attempt))}.`;
      if (await requeue(db, claimed.id, attempt, next))
        await publishSendStatus(ctx, claimed.userId, claimed.id, 'queued', next);
      throw err; // BullMQ retries with exponential backoff and jitter
    }
    const reason =
      failure.kind === 'transient'
        ? `${failure.reason} Gave up after ${ctx.attempt} attempts; press Retry to try again.`
        : failure.reason;
    if (await markFailed(db, claimed.id, attempt, reason))
      await publishSendStatus(ctx, claimed.userId, claimed.id, 'failed', reason);
    return { failed: failure.kind };
  }
};
