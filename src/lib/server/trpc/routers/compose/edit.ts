import { z } from 'zod';
import { sendFieldsSchema } from '../../../compose/draft.js';
import { sendMessage } from '../../../compose/outbox.js';
import { accountProcedure } from '../../init.js';
import { outboxDeps, scope } from './deps.js';

/**
 * Replaces a message that has not gone out yet (queued, scheduled or failed) with a new
 * version: the old one is cancelled and the new one queued in one transaction, so there is
 * never a moment with both or neither. Too late (being sent, or sent) is a CONFLICT.
 */
export const editProcedure = accountProcedure
  .input(sendFieldsSchema.extend({ outboxId: z.uuid({ error: 'Not an outbox message id.' }) }))
  .mutation(({ ctx, input }) => {
    const { outboxId, ...fields } = input;
    return sendMessage(outboxDeps(ctx), scope(ctx), ctx.account, fields, { replaces: outboxId });
  });
