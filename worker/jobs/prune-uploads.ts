import { pruneUploads, UPLOAD_KEEP_HOURS } from '../../src/lib/server/compose/uploads.js';
import type { JobHandler } from '../registry.js';

/**
 * Deletes composer uploads nothing needs any more: unused for UPLOAD_KEEP_HOURS and not used by
 * a live draft (a sent message keeps its own copy of the bytes), and uploads a crash cut off.
 */
export const pruneUploadsJob: JobHandler<'maintenance.pruneUploads'> = async (_payload, { db, log }) => {
  const deleted = await pruneUploads(db);
  log.info({ deleted, hours: UPLOAD_KEEP_HOURS }, 'pruned unused uploads');
  return { deleted };
};
