import { z } from 'zod';
import type { Logger } from 'pino';
import { AppError } from '../../../errors.js';
import type { Producer } from '../../../queue/producer.js';
import type { Db } from '../../../db.js';
import { accountProcedure } from '../../init.js';
import { delimiterCheck, folderNameSchema } from './name.js';
import { runFolderJob } from './run.js';

/** Creates a folder on the server (the worker does it; we wait) and returns its id. */
export async function createFolderFor(
  ctx: { db: Db; producer: Producer; log: Logger; user: { tenantId: string }; account: { id: string } },
  name: string,
  parentId: string | null,
  existingOk = false
): Promise<string> {
  const scope = { tenantId: ctx.user.tenantId, accountId: ctx.account.id };
  const parent = parentId ? await ctx.db.folder.findFirst({ where: { ...scope, id: parentId } }) : null;
  if (parentId && !parent) throw new AppError('NOT_FOUND', 'The parent folder does not exist any more.');
  const anyFolder =
    parent ?? (await ctx.db.folder.findFirst({ where: { ...scope, delimiter: { not: null } } }));
  const bad = delimiterCheck(name, anyFolder?.delimiter ?? null);
  if (bad) throw new AppError('BAD_REQUEST', bad);
  return runFolderJob(ctx, 'imap.folderCreate', { accountId: ctx.account.id, name, parentId, existingOk });
}

export const createProcedure = accountProcedure
  .input(z.object({ name: folderNameSchema, parentId: z.uuid().nullish() }))
  .mutation(async ({ ctx, input }) => {
    const scope = { tenantId: ctx.user.tenantId, accountId: ctx.account.id };
    const id = await createFolderFor(ctx, input.name, input.parentId ?? null);
    return ctx.db.folder.findFirstOrThrow({
      where: { ...scope, id },
      select: {
        id: true,
        path: true,
        name: true,
        delimiter: true,
        specialUse: true,
        total: true,
        unread: true
      }
    });
  });
