import { requireUser } from '$lib/server/guards';
import { userStream } from '$lib/server/realtime/events';
import { getServices } from '$lib/server/services';
import { byFolderOrder } from '$lib/server/mail/folder-order';
import { LIST_HEIGHT_COOKIE } from '$lib/list-height';
import { listHeightOf } from '$lib/server/list-height';
import type { LayoutServerLoad } from './$types';

/**
 * Every mail page: the user's accounts with their folders and counts (the folder column), and the
 * height the browser last gave the message list (the rows the server renders, $lib/list-height).
 */
export const load: LayoutServerLoad = async ({ locals, url, cookies }) => {
  const user = requireUser(locals, url);
  const { db, redis, env } = getServices();
  const [accounts, head] = await Promise.all([
    db.mailAccount.findMany({
      where: { tenantId: user.tenantId, userId: user.id },
      select: {
        id: true,
        name: true,
        email: true,
        syncState: true,
        lastError: true,
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
    }),
    // the newest live event now: the browser subscribes from here, so nothing that happens
    // between this render and its subscription is missed
    redis
      .xrevrange(userStream(env.QUEUE_PREFIX, user.id), '+', '-', 'COUNT', 1)
      .then((r) => r[0]?.[0] ?? null)
      .catch(() => null)
  ]);
  for (const a of accounts) a.folders.sort(byFolderOrder);
  return {
    user: { id: user.id, email: user.email, displayName: user.displayName, role: user.role },
    accounts,
    liveEventId: head,
    listHeight: listHeightOf(cookies.get(LIST_HEIGHT_COOKIE))
  };
};
