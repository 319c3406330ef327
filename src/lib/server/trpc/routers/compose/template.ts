import { z } from 'zod';
import { buildTemplate } from '../../../compose/template.js';
import { accountProcedure } from '../../init.js';

/**
 * A reply, reply-all or forward of a stored message, prefilled: recipients (reply-all without
 * the user's own addresses), Re:/Fwd: subject, In-Reply-To and References, the quoted original
 * (from the safe render), and for a forward the attachments to send along (by id).
 */
export const templateProcedure = accountProcedure
  .input(
    z.object({
      messageId: z.uuid({ error: 'Not a message id.' }),
      mode: z.enum(['reply', 'replyAll', 'forward'])
    })
  )
  .query(({ ctx, input }) =>
    buildTemplate(
      { db: ctx.db, env: ctx.env, producer: ctx.producer },
      {
        id: ctx.account.id,
        tenantId: ctx.user.tenantId,
        email: ctx.account.email,
        aliases: ctx.account.aliases
      },
      input.messageId,
      input.mode
    )
  );
