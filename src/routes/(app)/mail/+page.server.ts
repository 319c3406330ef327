import { requireUser } from '$lib/server/guards';
import { getServices } from '$lib/server/services';
import type { PageServerLoad } from './$types';

const ORDER = ['\\Inbox', '\\Drafts', '\\Sent', '\\Archive', '\\Junk', '\\Trash'];

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireUser(locals, url);
  const { db } = getServices();
  const accounts = await db.mailAccount.findMany({
    where: { tenantId: user.tenantId, userId: user.id },
    select: {
      id: true,
      name: true,
      email: true,
      syncState: true,
      lastError: true,
      lastSyncAt: true,
      folders: {
        select: {
          id: true,
          name: true,
          path: true,
          delimiter: true,
          specialUse: true,
          total: true,
          unread: true
        }
      }
    },
    orderBy: { createdAt: 'asc' }
  });
  const rank = (s: string | null) => (s && ORDER.includes(s) ? ORDER.indexOf(s) : ORDER.length);
  for (const a of accounts)
    a.folders.sort((x, y) => rank(x.specialUse) - rank(y.specialUse) || x.path.localeCompare(y.path));
  return { user: { email: user.email, displayName: user.displayName, role: user.role }, accounts };
};
