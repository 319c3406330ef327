import { z } from 'zod';
import { cancelMessage } from '../../../compose/outbox.js';
import { authedProcedure } from '../../init.js';
import { outboxDeps, scope } from './deps.js';

/**
 * Undo a message in its undo delay, or cancel a scheduled or failed one, while it has not
 * started to go out. Returns what the user wrote, so the composer can open it again.
 */
export const cancelProcedure = authedProcedure
  .input(
    z.object({
      outboxId: z.uuid({ error: 'Not an outbox message id.' }),
      accountId: z.uuid({ error: 'Not a mail account id.' }).optional()
    })
  )
  .mutation(({ ctx, input }) => cancelMessage(outboxDeps(ctx), scope(ctx), input.outboxId, input.accountId));
