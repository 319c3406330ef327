import { randomUUID } from 'node:crypto';
import { AppError } from '../../../errors.js';
import type { JobName, JobPayload } from '../../../queue/jobs.js';
import type { Producer } from '../../../queue/producer.js';
import type { Logger } from 'pino';

const FOLDER_WAIT_MS = 20_000;

/** Runs a folder job and waits for the server's answer; a refusal becomes a message the user can read. */
export async function runFolderJob<N extends 'imap.folderCreate' | 'imap.folderRename' | 'imap.folderDelete'>(
  ctx: { producer: Producer; log: Logger },
  name: N & JobName,
  payload: JobPayload<N>
): Promise<string> {
  let out: unknown;
  try {
    out = await ctx.producer.run(name, payload, `${name}-${randomUUID()}`, FOLDER_WAIT_MS);
  } catch (err) {
    ctx.log.warn({ err, job: name }, 'folder change failed');
    throw new AppError(
      'PRECONDITION_FAILED',
      'The mail server did not answer in time. Check the folder list in a moment and try again.'
    );
  }
  const r = out as { folderId?: string; error?: string };
  if (r.error) throw new AppError('BAD_REQUEST', r.error);
  return r.folderId!;
}
