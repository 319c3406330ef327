import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { HostGate } from './imap/connection.js';
import type { Db } from '../src/lib/server/db.js';
import type { Env } from '../src/lib/server/env.js';
import { jobNames, type JobName, type JobPayload } from '../src/lib/server/queue/jobs.js';
import { pruneSessions } from './jobs/prune-sessions.js';
import { fetchBodyJob } from './jobs/fetch-body.js';
import { setFlagsJob } from './jobs/set-flags.js';

export interface JobContext {
  db: Db;
  env: Env;
  log: Logger;
  jobId: string;
  attempt: number;
  maxAttempts: number;
  redis: Redis;
  gate: HostGate;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, ctx: JobContext) => Promise<unknown>;

export type Handlers = { [N in JobName]: JobHandler<N> };

export const handlers: Handlers = {
  'maintenance.pruneSessions': pruneSessions,
  'imap.setFlags': setFlagsJob,
  'imap.fetchBody': fetchBodyJob
};

/** Every job name in the registry must have a handler, and nothing else may claim one. */
export function assertHandlers(
  h: Partial<Record<string, unknown>>,
  names: readonly string[] = jobNames
): void {
  const missing = names.filter((n) => typeof h[n] !== 'function');
  const unknown = Object.keys(h).filter((n) => !names.includes(n));
  if (missing.length) throw new Error(`no handler for job(s): ${missing.join(', ')}`);
  if (unknown.length) throw new Error(`handler(s) for unknown job(s): ${unknown.join(', ')}`);
}
