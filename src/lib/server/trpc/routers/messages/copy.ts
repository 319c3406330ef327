import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { accountProcedure } from '../../init.js';
import { messageIdsSchema } from './inputs.js';

/** Copy messages to another folder; the copies appear when the worker has made them. */
export const copyProcedure = accountProcedure
  .input(z.object({ messageIds: messageIdsSchema, toFolderId: z.uuid({ error: 'Choose a folder.' }) }))
  .mutation(async ({ ctx, input }) => {
    const scope = { tenantId: ctx.user.tenantId, accountId: ctx.account.id };
    const folder = await ctx.db.folder.findFirst({
      where: { ...scope, id: input.toFolderId },
      select: { id: true }
    });
    if (!folder)
      throw new AppError('NOT_FOUND', 'That folder does not exist (it may have been deleted or renamed).');
    const count = await ctx.db.message.count({
      where: { ...scope, id: { in: input.messageIds }, deleting: false }
    });
    if (!count) throw new AppError('NOT_FOUND', 'Those messages do not exist any more.');
    await ctx.producer.enqueue(
      'imap.copyMessages',
      { accountId: ctx.account.id, messageIds: input.messageIds, toFolderId: folder.id },
      { attempts: 5 }
    );
    return { queued: count };
  });
