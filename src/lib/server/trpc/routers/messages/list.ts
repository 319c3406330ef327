import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { publishControl } from '../../../realtime/events.js';
import { accountProcedure } from '../../init.js';
import { LIST_SELECT, messagePage, pageInput } from './page.js';

/** One page of a folder, newest first, keyset-paginated (stable while mail arrives). */
export const listProcedure = accountProcedure
  .input(
    z.object({
      folderId: z.uuid(),
      ...pageInput
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
    return messagePage(ctx.db, { ...scope, folderId: folder.id }, input, LIST_SELECT);
  });
