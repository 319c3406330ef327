// The BullMQ side of the outbox, shared by the app (send, retry, cancel) and the worker
// (sweeper): one job per outbox row, id `send-{outboxId}`, delayed until the row's sendAfter.
// The row is the truth; the job is only the alarm clock. A job that runs for a row that is
// not due, already sent or cancelled does nothing, so an extra job is harmless and a missing
// one is put back by the worker's sweeper.
import type { Job, JobsOptions, Queue } from 'bullmq';
import type { Env } from '../env.js';

export const sendJobId = (outboxId: string) => `send-${outboxId}`;
export const appendJobId = (outboxId: string) => `append-${outboxId}`;
/** a second job for a row whose first job is stuck (its worker died while running it) */
export const recoverJobId = (outboxId: string) => `send-${outboxId}-recover`;

type RetryEnv = Pick<Env, 'SEND_MAX_ATTEMPTS' | 'SEND_RETRY_SECONDS'>;

export function sendJobOptions(env: RetryEnv, jobId: string, delayMs: number): JobsOptions {
  return {
    jobId,
    delay: Math.max(0, Math.round(delayMs)),
    attempts: env.SEND_MAX_ATTEMPTS,
    // exponential with jitter: the n-th retry waits between 1/2 and 1 times base * 2^(n-1)
    backoff: { type: 'exponential', delay: env.SEND_RETRY_SECONDS * 1000, jitter: 0.5 },
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 5000 }
  };
}

/** The longest the n-th retry waits (for telling the user). */
export function retryDelayMs(env: RetryEnv, attempt: number): number {
  return Math.pow(2, Math.max(0, attempt - 1)) * env.SEND_RETRY_SECONDS * 1000;
}

const PENDING = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'active']);

export type EnsureResult = 'added' | 'pending' | 'active';

/**
 * Makes sure a job `jobId` will run: leaves a waiting, delayed or running one alone, replaces
 * a finished one (BullMQ ignores an add under the id of a job it still keeps).
 */
export async function ensureJob(
  queue: Queue,
  name: 'send.message' | 'send.appendSent',
  outboxId: string,
  jobId: string,
  opts: JobsOptions
): Promise<EnsureResult> {
  const existing: Job | undefined = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state === 'active') return 'active';
    if (PENDING.has(state)) return 'pending';
    // completed, failed or unknown (just removed): a fresh job under the same id
    await existing.remove().catch(() => {});
  }
  await queue.add(name, { outboxId }, { ...opts, jobId });
  return 'added';
}

/** Enqueue (or re-enqueue) the send job of a row due at sendAfter. */
export function scheduleSend(
  queue: Queue,
  env: RetryEnv,
  outboxId: string,
  sendAfter: Date,
  jobId = sendJobId(outboxId)
): Promise<EnsureResult> {
  return ensureJob(
    queue,
    'send.message',
    outboxId,
    jobId,
    sendJobOptions(env, jobId, sendAfter.getTime() - Date.now())
  );
}

/** Remove the job of a cancelled row, when it has not started (a running one finds the row cancelled). */
export async function dropSendJob(queue: Queue, outboxId: string): Promise<void> {
  for (const id of [sendJobId(outboxId), recoverJobId(outboxId)]) {
    const job = await queue.getJob(id);
    if (!job) continue;
    const state = await job.getState();
    if (state !== 'active') await job.remove().catch(() => {});
  }
}
