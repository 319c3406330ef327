import { pruneExpiredSessions } from '../../src/lib/server/auth/session.js';
import type { JobHandler } from '../registry.js';

/** Deletes expired sessions (validation also deletes them lazily; this catches the ones never used again). */
export const pruneSessions: JobHandler<'maintenance.pruneSessions'> = async (_payload, { db, log }) => {
  const deleted = await pruneExpiredSessions(db);
  log.info({ deleted }, 'pruned expired sessions');
  return { deleted };
};
