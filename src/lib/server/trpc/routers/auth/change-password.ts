import { z } from 'zod';
import { changePassword, newPasswordSchema } from '../../../auth/service.js';
import { authedProcedure } from '../../init.js';

export const changePasswordInput = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
  newPassword: newPasswordSchema
});

export const changePasswordProcedure = authedProcedure
  .input(changePasswordInput)
  .mutation(({ ctx, input }) =>
    changePassword(
      ctx.db,
      { sessionId: ctx.session.id, userId: ctx.user.id, tenantId: ctx.user.tenantId },
      input,
      ctx.meta
    )
  );
