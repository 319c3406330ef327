import { z } from 'zod';
import { trustSender } from '../../../senders/trusted.js';
import { accountProcedure } from '../../init.js';

export const senderInput = z.object({
  address: z.email({ error: 'Not an email address.' }).max(320, 'That address is too long.')
});

/** "Always show images from this sender", for the signed-in user. */
export const trustSenderProcedure = accountProcedure
  .input(senderInput)
  .mutation(({ ctx, input }) =>
    trustSender(ctx.db, { tenantId: ctx.user.tenantId, userId: ctx.user.id }, input.address, ctx.meta)
  );
