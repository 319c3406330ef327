import { logout } from '../../../auth/service.js';
import { authedProcedure } from '../../init.js';

export const logoutProcedure = authedProcedure.mutation(async ({ ctx }) => {
  await logout(
    ctx.db,
    { sessionId: ctx.session.id, userId: ctx.user.id, tenantId: ctx.user.tenantId },
    ctx.meta
  );
  ctx.clearSessionCookie();
  return { ok: true as const };
});
