import { rebuildAccount } from '../../src/lib/server/contacts/contacts.js';
import type { JobHandler } from '../registry.js';

/** Aggregates an account's synced mail into its user's contacts (one SQL statement). */
export const contactsRebuildJob: JobHandler<'contacts.rebuild'> = async (p, ctx) => {
  const started = performance.now();
  const contacts = await rebuildAccount(ctx.db, p.accountId);
  ctx.log.info(
    { accountId: p.accountId, contacts, ms: Math.round(performance.now() - started) },
    'contacts rebuilt'
  );
  return { contacts };
};
