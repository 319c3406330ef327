import { z } from 'zod';
import { retryMessage } from '../../../compose/outbox.js';
import { authedProcedure } from '../../init.js';
import { outboxDeps, scope } from './deps.js';

/** Sends a failed message again, now. */
export const retryProcedure = authedProcedure
  .input(z.object({ outboxId: z.uuid({ error: 'Not an outbox message id.' }) }))
  .mutation(({ ctx, input }) => retryMessage(outboxDeps(ctx), scope(ctx), input.outboxId));
