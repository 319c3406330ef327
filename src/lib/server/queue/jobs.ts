// The typed registry of every job: its queue and the schema of its payload. Jobs carry ids,
// not data; a handler re-reads what it needs. The worker refuses to start when a job named
// here has no handler.
import { z } from 'zod';

export const QUEUES = ['sync', 'send', 'maintenance'] as const;
export type QueueName = (typeof QUEUES)[number];

const uuid = z.uuid();

export const jobs = {
  /** Fetch, parse and store the text and HTML of one message (on first open, or prefetch). */
  'imap.fetchBody': {
    queue: 'sync',
    payload: z.object({ accountId: uuid, messageId: uuid })
  },
  /** Carry a flag change the user made (already in PostgreSQL) to the IMAP server. */
  'imap.setFlags': {
    queue: 'sync',
    payload: z.object({
      accountId: uuid,
      messageIds: z.array(uuid).min(1).max(1000),
      add: z.array(z.string().min(1)).max(10),
      remove: z.array(z.string().min(1)).max(10)
    })
  },
  'maintenance.pruneSessions': {
    queue: 'maintenance',
    payload: z.object({ requestedBy: z.string().optional() })
  }
} as const satisfies Record<string, { queue: QueueName; payload: z.ZodType }>;

export type JobName = keyof typeof jobs;
export type JobPayload<N extends JobName> = z.infer<(typeof jobs)[N]['payload']>;
export const jobNames = Object.keys(jobs) as JobName[];

export function queueOf(name: JobName): QueueName {
  return jobs[name].queue;
}

export function queuePrefix(): string {
  return process.env.QUEUE_PREFIX || 'emailclient';
}
