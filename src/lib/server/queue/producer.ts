import { Queue, type JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import { jobs, queueOf, queuePrefix, type JobName, type JobPayload, type QueueName } from './jobs.js';

/** Enqueues jobs for the worker. One BullMQ Queue (and Redis connection) per queue name. */
export class Producer {
  private readonly queues = new Map<QueueName, Queue>();
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

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
