import { z } from 'zod';
import { flagChange, setFlags } from '../../../actions/flags.js';
import { AppError } from '../../../errors.js';
import { accountProcedure } from '../../init.js';
import { messageIdsSchema } from './inputs.js';

/** Mark read/unread and star/unstar, on one message or many. */
export const setFlagsProcedure = accountProcedure
  .input(
    z.object({
      messageIds: messageIdsSchema,
      seen: z.boolean().optional(),
      flagged: z.boolean().optional()
    })
  )
  .mutation(({ ctx, input }) => {
    const change = flagChange(input);
    if (!change.add.length && !change.remove.length)
      throw new AppError('BAD_REQUEST', 'Say what to change: seen or flagged.');
    return setFlags(
      { db: ctx.db, redis: ctx.redis, prefix: ctx.env.QUEUE_PREFIX, producer: ctx.producer },
      { tenantId: ctx.user.tenantId, accountId: ctx.account.id, userId: ctx.user.id },
      input.messageIds,
      change
    );
  });
