import { untrustSender } from '../../../senders/trusted.js';
import { accountProcedure } from '../../init.js';
import { senderInput } from './trust-sender.js';

/** Back to blocking remote content from this sender, for the signed-in user. */
export const untrustSenderProcedure = accountProcedure
  .input(senderInput)
  .mutation(({ ctx, input }) =>
    untrustSender(ctx.db, { tenantId: ctx.user.tenantId, userId: ctx.user.id }, input.address, ctx.meta)
  );
