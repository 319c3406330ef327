import { z } from 'zod';
import { authedProcedure } from '../../init.js';
import { threadCounts } from './thread.js';

const cursorSchema = z.object({ internalDate: z.coerce.date(), id: z.uuid() });

/**
 * "All inboxes": one page of the INBOX folders of every mail account of the signed-in user,
 * newest first, keyset-paginated like messages.list. Each item says which account it is from.
 */
export const listAllInboxesProcedure = authedProcedure
  .input(
    z
      .object({
        limit: z.number().int().min(1).max(200).default(50),
        cursor: cursorSchema.nullish(),
        unreadOnly: z.boolean().default(false)
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
    const c = input.cursor;
    const rows = await ctx.db.message.findMany({
      where: {
        tenantId,
        folderId: { in: inboxes.map((f) => f.id) },
        deleting: false,
        ...(input.unreadOnly ? { seen: false } : {}),
        ...(c
          ? {
              OR: [
                { internalDate: { lt: c.internalDate } },
                { internalDate: c.internalDate, id: { lt: c.id } }
              ]
            }
          : {})
      },
      orderBy: [{ internalDate: 'desc' }, { id: 'desc' }],
      take: input.limit + 1,
      select: {
        id: true,
        accountId: true,
        folderId: true,
        threadId: true,
        subject: true,
        fromAddress: true,
        toAddresses: true,
        date: true,
        internalDate: true,
        seen: true,
        flagged: true,
        flags: true,
        hasAttachments: true,
        snippet: true,
        size: true
      }
    });
    const more = rows.length > input.limit;
    const items = more ? rows.slice(0, input.limit) : rows;
    const last = items.at(-1);
    return {
      items,
      nextCursor: more && last ? { internalDate: last.internalDate, id: last.id } : null,
      threadCounts: await threadCounts(ctx.db, tenantId, items)
    };
  });
