import { z } from 'zod';
import { parseRecipient } from '../../../compose/address.js';
import { AppError } from '../../../errors.js';
import { accountProcedure } from '../../init.js';

/** The From identity of an account as the composer shows it, with its signature and limits. */
export const identityProcedure = accountProcedure.query(({ ctx }) => ({
  accountId: ctx.account.id,
  email: ctx.account.email,
  name: ctx.account.displayName ?? ctx.user.displayName ?? null,
  aliases: ctx.account.aliases,
  replyTo: ctx.account.replyTo,
  signature: ctx.account.signature,
  maxMessageBytes: ctx.env.MAX_MESSAGE_BYTES,
  undoSeconds: ctx.env.SEND_UNDO_SECONDS
}));

/** Sets the display name, Reply-To and signature (HTML, cleaned by the composer's editor) of an account. */
export const setIdentityProcedure = accountProcedure
  .input(
    z.object({
      name: z.string().trim().max(100, 'The name is too long (100 characters at most).').nullish(),
      replyTo: z.string().trim().max(320).nullish(),
      signature: z.string().max(20_000, 'The signature is too long (20,000 characters at most).').nullish()
    })
  )
  .mutation(async ({ ctx, input }) => {
    let replyTo: string | null | undefined = undefined;
    if (input.replyTo !== undefined) {
      if (!input.replyTo) replyTo = null;
      else {
        try {
          replyTo = parseRecipient(input.replyTo).address;
        } catch (e) {
          throw new AppError('BAD_REQUEST', `Reply-To: ${(e as Error).message}`);
        }
      }
    }
    const done = await ctx.db.mailAccount.updateMany({
      where: { id: ctx.account.id, tenantId: ctx.user.tenantId, userId: ctx.user.id },
      data: {
        ...(input.name !== undefined && { displayName: input.name || null }),
        ...(replyTo !== undefined && { replyTo }),
        ...(input.signature !== undefined && { signature: input.signature?.trim() ? input.signature : null })
      }
    });
    if (!done.count)
      throw new AppError('NOT_FOUND', 'That mail account does not exist (it may have been removed).');
    return { ok: true };
  });
