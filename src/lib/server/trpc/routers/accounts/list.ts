import { listAccounts } from '../../../accounts/service.js';
import { authedProcedure } from '../../init.js';

export const listProcedure = authedProcedure.query(({ ctx }) =>
  listAccounts(ctx.db, { userId: ctx.user.id, tenantId: ctx.user.tenantId })
);
