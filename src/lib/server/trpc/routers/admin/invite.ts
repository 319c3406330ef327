import { z } from 'zod';
import { createInvitation, emailSchema } from '../../../auth/service.js';
import { adminProcedure } from '../../init.js';

export const inviteProcedure = adminProcedure
  .input(z.object({ email: emailSchema, role: z.enum(['admin', 'member']).default('member') }))
  .mutation(async ({ ctx, input }) => {
    const { token, expiresAt } = await createInvitation(
      ctx.db,
      { userId: ctx.user.id, tenantId: ctx.user.tenantId },
      input,
      ctx.meta
    );
    return {
      url: `${ctx.env.ORIGIN}/signup?invite=${token}&email=${encodeURIComponent(input.email)}`,
      expiresAt
    };
  });
