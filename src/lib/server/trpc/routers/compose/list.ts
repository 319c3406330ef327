import { z } from 'zod';
import { listOutbox } from '../../../compose/outbox.js';
import { authedProcedure } from '../../init.js';
import { scope } from './deps.js';

/** The user's outbox: by default what has not gone out yet (queued, scheduled, sending, failed). */
export const listProcedure = authedProcedure
  .input(
    z
      .object({
        state: z.enum(['queued', 'scheduled', 'sending', 'failed', 'sent', 'cancelled']).optional(),
        accountId: z.uuid({ error: 'Not a mail account id.' }).optional()
      })
      .default({})
  )
  .query(({ ctx, input }) => listOutbox({ db: ctx.db }, scope(ctx), input));
