import { z } from 'zod';
import { authedProcedure } from '../../init.js';
import { LIST_SELECT, messagePage, pageInput } from './page.js';
import { threadCounts } from './thread.js';

/**
 * "All inboxes": one page of the INBOX folders of every mail account of the signed-in user,
 * newest first, keyset-paginated like messages.list. Each item says which account it is from.
 */
export const listAllInboxesProcedure = authedProcedure
  .input(
    z
      .object({
        ...pageInput
      })
      .default({ limit: 50, unreadOnly: false })
  )
  .query(async ({ ctx, input }) => {
    const tenantId = ctx.user.tenantId;
    const inboxes = await ctx.db.folder.findMany({
      where: { tenantId, specialUse: '\\Inbox', account: { tenantId, userId: ctx.user.id } },
      select: { id: true }
    });
    if (!inboxes.length) return { items: [], nextCursor: null, threadCounts: {} };
    const { items, nextCursor } = await messagePage(
      ctx.db,
      { tenantId, folderId: { in: inboxes.map((f) => f.id) } },
      input,
      { ...LIST_SELECT, accountId: true, folderId: true }
    );
    return {
      items,
      nextCursor,
      threadCounts: await threadCounts(ctx.db, tenantId, items)
    };
  });
