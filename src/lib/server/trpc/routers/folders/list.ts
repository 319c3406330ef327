import { byFolderOrder } from '../../../mail/folder-order.js';
import { accountProcedure } from '../../init.js';

/** The account's folders: special folders first, then the rest by path; with counts. */
export const listProcedure = accountProcedure.query(async ({ ctx }) => {
  const rows = await ctx.db.folder.findMany({
    where: { tenantId: ctx.user.tenantId, accountId: ctx.account.id },
    select: {
      id: true,
      path: true,
      name: true,
      delimiter: true,
      specialUse: true,
      subscribed: true,
      total: true,
      unread: true
    }
  });
  return rows.sort(byFolderOrder);
});
