import type { JobHandler } from '../registry.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * Deletes cached attachments (PartCache, with their chunks) not read for PART_CACHE_DAYS: the
 * mail server keeps the original, and the next download fetches it again.
 */
export const prunePartCache: JobHandler<'maintenance.prunePartCache'> = async (
  _payload,
  { db, env, log }
) => {
  const before = new Date(Date.now() - env.PART_CACHE_DAYS * DAY);
  const { count } = await db.partCache.deleteMany({ where: { lastReadAt: { lt: before } } });
  log.info({ deleted: count, days: env.PART_CACHE_DAYS }, 'pruned cached attachments');
  return { deleted: count };
};
