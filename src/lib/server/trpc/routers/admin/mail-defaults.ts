import { audit } from '../../../audit.js';
import { tenantSettings, tenantSettingsSchema } from '../../../accounts/tenant-settings.js';
import { adminProcedure } from '../../init.js';

/** The organisation's default mail servers, so members add an account with address and password only. */
export const getMailDefaultsProcedure = adminProcedure.query(({ ctx }) =>
  tenantSettings(ctx.db, ctx.user.tenantId)
);

export const setMailDefaultsProcedure = adminProcedure
  .input(tenantSettingsSchema)
  .mutation(async ({ ctx, input }) => {
    await ctx.db.tenant.update({ where: { id: ctx.user.tenantId }, data: { settings: input } });
    await audit(ctx.db, {
      tenantId: ctx.user.tenantId,
      userId: ctx.user.id,
      action: 'admin.settings',
      ip: ctx.meta.ip,
      userAgent: ctx.meta.userAgent,
      details: { settings: input }
    });
    return input;
  });
