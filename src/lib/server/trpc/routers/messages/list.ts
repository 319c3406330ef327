import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { publishControl } from '../../../realtime/events.js';
import { accountProcedure } from '../../init.js';

const cursorSchema = z.object({ internalDate: z.coerce.date(), id: z.uuid() });

/** One page of a folder, newest first, keyset-paginated (stable while mail arrives). */
export const listProcedure = accountProcedure
  .input(
    z.object({
      folderId: z.uuid(),
      limit: z.number().int().min(1).max(200).default(50),
      cursor: cursorSchema.nullish(),
      unreadOnly: z.boolean().default(false)
    })
  )
  .query(async ({ ctx, input }) => {
    const scope = { tenantId: ctx.user.tenantId, accountId: ctx.account.id };
    const folder = await ctx.db.folder.findFirst({
      where: { ...scope, id: input.folderId },
      select: { id: true }
    });
    if (!folder)
      throw new AppError('NOT_FOUND', 'That folder does not exist (it may have been deleted or renamed).');
    const c = input.cursor;
    // opening a folder asks its account's runner to sync it now (IDLE watches only INBOX);
    // the runner debounces, and a worker that does not hold the account ignores it
    if (!c)
      await publishControl(ctx.redis, ctx.env.QUEUE_PREFIX, {
        type: 'SyncFolder',
        accountId: ctx.account.id,
        folderId: folder.id
      }).catch((err: unknown) => ctx.log.warn({ err }, 'could not ask for a folder sync'));
    const rows = await ctx.db.message.findMany({
      where: {
        ...scope,
        folderId: folder.id,
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
    return { items, nextCursor: more && last ? { internalDate: last.internalDate, id: last.id } : null };
  });
