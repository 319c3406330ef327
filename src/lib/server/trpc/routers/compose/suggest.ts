import { z } from 'zod';
import { ensureRebuilt, suggest } from '../../../contacts/contacts.js';
import { authedProcedure } from '../../init.js';

/**
 * Address autocomplete: the user's top 8 contacts whose address or name starts with the query
 * (an empty query: the top 8 overall). Asks for a rebuild of stale accounts on the way.
 */
export const suggestProcedure = authedProcedure
  .input(z.object({ query: z.string().max(200).default('') }))
  .query(async ({ ctx, input }) => {
    const scope = { tenantId: ctx.user.tenantId, userId: ctx.user.id };
    const accounts = await ctx.db.mailAccount.findMany({ where: scope, select: { id: true } });
    await ensureRebuilt(
      { redis: ctx.redis, producer: ctx.producer, prefix: ctx.env.QUEUE_PREFIX },
      accounts.map((a) => a.id)
    ).catch((err: unknown) => ctx.log.warn({ err }, 'could not ask for a contacts rebuild'));
    return suggest(ctx.db, scope, input.query);
  });
