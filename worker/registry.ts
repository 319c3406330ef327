import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { HostGate } from './imap/connection.js';
import type { Renderer } from './render/pool.js';
import type { Db } from '../src/lib/server/db.js';
import type { Env } from '../src/lib/server/env.js';
import { jobNames, type JobName, type JobPayload } from '../src/lib/server/queue/jobs.js';
import { pruneSessions } from './jobs/prune-sessions.js';
import { fetchBodyJob } from './jobs/fetch-body.js';
import { fetchBodiesJob } from './jobs/fetch-bodies.js';
import { renderJob } from './jobs/render.js';
import { fetchPartJob } from './jobs/fetch-part.js';
import { prunePartCache } from './jobs/prune-part-cache.js';
import { pruneUploadsJob } from './jobs/prune-uploads.js';
import { setFlagsJob } from './jobs/set-flags.js';
import { sendMessageJob } from './jobs/send-message.js';
import { appendSentJob } from './jobs/send-append-sent.js';
import { moveMessagesJob } from './jobs/move-messages.js';
import { expungeJob } from './jobs/expunge-messages.js';
import { copyMessagesJob } from './jobs/copy-messages.js';
import { folderCreateJob, folderDeleteJob, folderRenameJob } from './jobs/folders.js';
import { draftSyncJob } from './jobs/draft-sync.js';
import { contactsRebuildJob } from './jobs/contacts-rebuild.js';

export interface JobContext {
  db: Db;
  env: Env;
  log: Logger;
  jobId: string;
  attempt: number;
  maxAttempts: number;
  redis: Redis;
  gate: HostGate;
  /** Renders bodies on the render threads (never on the main thread: see render/pool.ts). */
  renderer: Renderer;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, ctx: JobContext) => Promise<unknown>;

export type Handlers = { [N in JobName]: JobHandler<N> };

export const handlers: Handlers = {
  'maintenance.pruneSessions': pruneSessions,
  'maintenance.prunePartCache': prunePartCache,
  'maintenance.pruneUploads': pruneUploadsJob,
  'imap.fetchPart': fetchPartJob,
  'imap.setFlags': setFlagsJob,
  'send.message': sendMessageJob,
  'send.appendSent': appendSentJob,
  'imap.fetchBody': fetchBodyJob,
  'imap.fetchBodies': fetchBodiesJob,
  'mail.render': renderJob,
  'imap.moveMessages': moveMessagesJob,
  'imap.expunge': expungeJob,
  'imap.copyMessages': copyMessagesJob,
  'imap.folderCreate': folderCreateJob,
  'imap.folderRename': folderRenameJob,
  'imap.folderDelete': folderDeleteJob,
  'draft.sync': draftSyncJob,
  'contacts.rebuild': contactsRebuildJob
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
