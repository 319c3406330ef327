// The outbox sweeper, one per worker process (several sweeping at once is harmless: every
// step is an atomic UPDATE or a job add under a fixed id). Every few seconds it:
//   1. fails, with the "uncertain" reason, rows whose attempt died after the commit point;
//   2. gives a job back to rows that are due but have none that will run: the job vanished
//      (Redis flushed, a crash between the commit and the enqueue) or is stuck as active under
//      a worker that died (BullMQ would notice only after its lock lapses), or the row's
//      attempt died before the commit point (its lease lapsed: the job claims it again);
//   3. enqueues the Sent copy of sent rows that still have none.
// A worker limited to some organisations (IMAP_SYNC_TENANTS) sweeps only their rows.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  appendJobId,
  ensureJob,
  recoverJobId,
  scheduleSend,
  sendJobId,
  sendJobOptions
} from '../../src/lib/server/compose/queue.js';
import type { Db } from '../../src/lib/server/db.js';
import type { Env } from '../../src/lib/server/env.js';
import { publishToUser } from '../../src/lib/server/realtime/events.js';
import { UNCERTAIN_REASON, failUncertain } from './outbox-rows.js';

const BATCH = 500;

export class OutboxSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  readonly everyMs: number;

  constructor(private readonly d: { db: Db; env: Env; log: Logger; redis: Redis; queue: Queue }) {
    this.everyMs = Math.min(10_000, Math.max(1_000, Math.round((d.env.SEND_LEASE_SECONDS * 1000) / 3)));
  }

  start(): void {
    const tick = () => {
      this.running ??= this.sweep()
        .then(() => {})
        .catch((err: unknown) => this.d.log.warn({ err }, 'outbox sweep failed'))
        .finally(() => (this.running = null));
    };
    tick();
    // a little jitter, so that many workers do not sweep in step
    this.timer = setInterval(tick, this.everyMs + Math.floor(Math.random() * 250));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Ids of the organisations this worker is limited to, or null for all. */
  private async tenantIds(): Promise<string[] | null> {
    const only = this.d.env.IMAP_SYNC_TENANTS;
    if (!only.length) return null;
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const rows = await this.d.db.tenant.findMany({
      where: { OR: [{ id: { in: only.filter((t) => uuid.test(t)) } }, { slug: { in: only } }] },
      select: { id: true }
    });
    return rows.map((r) => r.id);
  }

  async sweep(): Promise<{ uncertain: number; requeued: number; appends: number }> {
    const { db, env, queue } = this.d;
    const lease = env.SEND_LEASE_SECONDS;
    let requeued = 0;
    let appends = 0;
    const tenants = await this.tenantIds();

    const uncertain = await failUncertain(db, lease, { tenantIds: tenants });
    for (const r of uncertain) {
      this.d.log.warn({ outboxId: r.id }, 'send attempt died after the commit point: marked uncertain');
      await publishToUser(
        this.d.redis,
        r.userId,
        { type: 'SendStatusChanged', outboxId: r.id, state: 'failed', error: UNCERTAIN_REASON },
        env.QUEUE_PREFIX
      ).catch(() => {});
    }

    // due (or due within a minute: make sure their delayed job still exists), or stale sending
    const rows = await db.$queryRaw<{ id: string; state: string; sendAfter: Date; overdue: boolean }[]>`
      SELECT id, state::text AS state, "sendAfter",
             (state = 'sending' OR "sendAfter" < now() - make_interval(secs => ${this.everyMs / 1000}::float8)) AS overdue
        FROM "OutboxMessage"
       WHERE ((state = 'queued' AND "sendAfter" < now() + interval '60 seconds')
          OR (state = 'sending' AND "committingAt" IS NULL
              AND "claimedAt" < now() - make_interval(secs => ${lease}::float8)))
         AND (${tenants === null} OR "tenantId"::text = ANY(${tenants ?? []}::text[]))
       ORDER BY "sendAfter"
       LIMIT ${BATCH}`;
    for (const r of rows) {
      const job = await queue.getJob(sendJobId(r.id));
      const state = job ? await job.getState() : 'missing';
      if (state === 'active') {
        if (!r.overdue) continue;
        // stuck under a dead worker (or just starting): a second job; the claim lets one through
        const jobId = recoverJobId(r.id);
        if ((await ensureJob(queue, 'send.message', r.id, jobId, sendJobOptions(env, jobId, 0))) === 'added')
          requeued++;
        continue;
      }
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') continue;
      // missing, completed or failed: the row still needs a job
      if ((await scheduleSend(queue, env, r.id, r.sendAfter)) === 'added') {
        requeued++;
        this.d.log.info({ outboxId: r.id, job: state }, 'outbox row had no job: enqueued again');
      }
    }

    const unfiled = await db.outboxMessage.findMany({
      where: {
        state: 'sent',
        ...(tenants && { tenantId: { in: tenants } }),
        appendedAt: null,
        appendError: null,
        sentAt: { lt: new Date(Date.now() - lease * 1000) }
      },
      select: { id: true },
      take: BATCH
    });
    for (const r of unfiled) {
      const jobId = appendJobId(r.id);
      const opts = sendJobOptions({ SEND_MAX_ATTEMPTS: 6, SEND_RETRY_SECONDS: 5 }, jobId, 0);
      if ((await ensureJob(queue, 'send.appendSent', r.id, jobId, opts)) === 'added') appends++;
    }
    return { uncertain: uncertain.length, requeued, appends };
  }
}
