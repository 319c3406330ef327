import { accountProcedure } from '../../init.js';

const ORDER = ['\\Inbox', '\\Drafts', '\\Sent', '\\Archive', '\\Junk', '\\Trash'];

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
  const rank = (s: string | null) => (s && ORDER.includes(s) ? ORDER.indexOf(s) : ORDER.length);
  return rows.sort(
    (a, b) =>
      rank(a.specialUse) - rank(b.specialUse) ||
      a.path.localeCompare(b.path, undefined, { sensitivity: 'base' })
  );
});
