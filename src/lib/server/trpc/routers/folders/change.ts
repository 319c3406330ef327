import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { accountProcedure } from '../../init.js';
import { delimiterCheck, folderNameSchema } from './name.js';
import { runFolderJob } from './run.js';

async function ownFolder(
  ctx: { db: import('../../../db.js').Db; user: { tenantId: string }; account: { id: string } },
  folderId: string,
  verb: string
) {
  const f = await ctx.db.folder.findFirst({
    where: { id: folderId, tenantId: ctx.user.tenantId, accountId: ctx.account.id }
  });
  if (!f)
    throw new AppError('NOT_FOUND', 'That folder does not exist (it may have been deleted or renamed).');
  if (f.specialUse)
    throw new AppError('BAD_REQUEST', `${f.name} is a special folder of this account: it cannot be ${verb}.`);
  return f;
}

/** Renames a folder (its mail and the folders below it keep their ids). */
export const renameProcedure = accountProcedure
  .input(z.object({ folderId: z.uuid(), name: folderNameSchema }))
  .mutation(async ({ ctx, input }) => {
    const f = await ownFolder(ctx, input.folderId, 'renamed');
    const bad = delimiterCheck(input.name, f.delimiter);
    if (bad) throw new AppError('BAD_REQUEST', bad);
    await runFolderJob(ctx, 'imap.folderRename', {
      accountId: ctx.account.id,
      folderId: f.id,
      name: input.name
    });
    return ctx.db.folder.findFirstOrThrow({
      where: { id: f.id, tenantId: ctx.user.tenantId },
      select: { id: true, path: true, name: true }
    });
  });

/** Deletes a folder, the folders below it and the mail in them, on the server and here. */
export const deleteProcedure = accountProcedure
  .input(z.object({ folderId: z.uuid() }))
  .mutation(async ({ ctx, input }) => {
    const f = await ownFolder(ctx, input.folderId, 'deleted');
    await runFolderJob(ctx, 'imap.folderDelete', { accountId: ctx.account.id, folderId: f.id });
    return { deleted: f.id };
  });
