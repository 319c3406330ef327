import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import { jobs, queueOf, queuePrefix, type JobName, type JobPayload, type QueueName } from './jobs.js';

/** Enqueues jobs for the worker. One BullMQ Queue (and Redis connection) per queue name. */
export class Producer {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly events = new Map<QueueName, Promise<QueueEvents>>();
  constructor(
    private readonly redisUrl: string,
    private readonly log: Logger,
    private readonly prefix = queuePrefix()
  ) {}

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: { url: this.redisUrl, maxRetriesPerRequest: 1, connectTimeout: 3_000 },
        prefix: this.prefix,
        defaultJobOptions: { removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } }
      });
      q.on('error', (err) => this.log.warn({ err, queue: name }, 'queue connection error'));
      this.queues.set(name, q);
    }
    return q;
  }

  /** Validates the payload, enqueues, and returns the job id. Same jobId = same job (dedupe). */
  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    opts: { jobId?: string; delayMs?: number; attempts?: number } = {}
  ): Promise<string> {
    const data = jobs[name].payload.parse(payload);
    const jobOpts: JobsOptions = {};
    if (opts.jobId) jobOpts.jobId = opts.jobId;
    if (opts.delayMs) jobOpts.delay = opts.delayMs;
    if (opts.attempts) {
      jobOpts.attempts = opts.attempts;
      jobOpts.backoff = { type: 'exponential', delay: 1_000, jitter: 0.5 };
    }
    const job = await this.queue(queueOf(name)).add(name, data, jobOpts);
    return job.id!;
  }

  private queueEvents(name: QueueName): Promise<QueueEvents> {
    let e = this.events.get(name);
    if (!e) {
      const qe = new QueueEvents(name, { connection: { url: this.redisUrl }, prefix: this.prefix });
      qe.on('error', (err) => this.log.warn({ err, queue: name }, 'queue events connection error'));
      e = qe.waitUntilReady().then(() => qe);
      this.events.set(name, e);
    }
    return e;
  }

  /**
   * Runs a job (deduplicated by jobId: concurrent callers share one run) and waits for its
   * result. A finished or failed earlier run under the same id is replaced by a new one.
   */
  async run<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    jobId: string,
    timeoutMs: number
  ): Promise<unknown> {
    const queueName = queueOf(name);
    const events = await this.queueEvents(queueName);
    const q = this.queue(queueName);
    let job = await q.getJob(jobId);
    if (job && ((await job.isCompleted()) || (await job.isFailed()))) {
      await job.remove().catch(() => {});
      job = undefined;
    }
    job ??= await q.add(name, jobs[name].payload.parse(payload), {
      jobId,
      attempts: 2,
      backoff: { type: 'exponential', delay: 500 }
    });
    return job.waitUntilFinished(events, timeoutMs);
  }

  async close(): Promise<void> {
    const events = await Promise.allSettled([...this.events.values()]);
    await Promise.all([
      ...[...this.queues.values()].map((q) => q.close()),
      ...events.map((e) => (e.status === 'fulfilled' ? e.value.close() : undefined))
    ]);
    this.queues.clear();
    this.events.clear();
  }
}
