// Folder changes the user asked for: the app waits for the answer (they are rare, and the
// user wants to know at once whether the server took the name), so a refusal is returned as
// { error } with the server's reason rather than thrown.
import type { ImapFlow } from 'imapflow';
import { lockAccountActions } from '../../src/lib/server/actions/move.js';
import { publishToUser } from '../../src/lib/server/realtime/events.js';
import { isRefusal, openAccount } from '../imap/connection.js';
import { syncFolders } from '../imap/sync.js';
import type { JobContext, JobHandler } from '../registry.js';

export type FolderJobResult = { folderId: string } | { error: string };

function reason(err: unknown): string {
  const text = (err as { responseText?: string }).responseText;
  return text ? `The mail server said: ${text}` : 'The mail server refused the change.';
}

async function withAccount(
  accountId: string,
  ctx: JobContext,
  fn: (
    client: ImapFlow,
    account: { id: string; tenantId: string; userId: string }
  ) => Promise<FolderJobResult>
): Promise<FolderJobResult> {
  const account = await ctx.db.mailAccount.findUnique({ where: { id: accountId } });
  if (!account) return { error: 'That mail account does not exist any more.' };
  const client = await openAccount(account, ctx);
  try {
    const out = await fn(client, account);
    await client.logout().catch(() => {});
    return out;
  } catch (err) {
    client.close();
    if (isRefusal(err)) return { error: reason(err) };
    throw err;
  }
}

async function refreshTree(
  client: ImapFlow,
  account: { id: string; tenantId: string; userId: string },
  ctx: JobContext
) {
  const publish = (e: Parameters<typeof publishToUser>[2]) =>
    publishToUser(ctx.redis, account.userId, e, ctx.env.QUEUE_PREFIX).then(() => {});
  const folders = await syncFolders(client, account, { db: ctx.db, log: ctx.log, publish });
  await publish({
    type: 'FolderCountsChanged',
    accountId: account.id,
    folders: folders.map((f) => ({ folderId: f.id, total: f.total, unread: f.unread }))
  });
  return folders;
}

export const folderCreateJob: JobHandler<'imap.folderCreate'> = (p, ctx) =>
  withAccount(p.accountId, ctx, async (client, account) => {
    const scope = { tenantId: account.tenantId, accountId: account.id };
    const parent = p.parentId ? await ctx.db.folder.findFirst({ where: { ...scope, id: p.parentId } }) : null;
    if (p.parentId && !parent) return { error: 'The parent folder does not exist any more.' };
    const path = parent ? `${parent.path}${parent.delimiter ?? '/'}${p.name}` : p.name;
    const res = await client.mailboxCreate(path);
    if (!res.created && !p.existingOk) return { error: `A folder named "${p.name}" already exists here.` };
    await client.mailboxSubscribe(res.path).catch(() => {});
    const folders = await refreshTree(client, account, ctx);
    const row = folders.find((f) => f.path === res.path);
    return row ? { folderId: row.id } : { error: 'The folder was created but the server does not list it.' };
  });

export const folderRenameJob: JobHandler<'imap.folderRename'> = (p, ctx) =>
  withAccount(p.accountId, ctx, async (client, account) => {
    const scope = { tenantId: account.tenantId, accountId: account.id };
    const folder = await ctx.db.folder.findFirst({ where: { ...scope, id: p.folderId } });
    if (!folder) return { error: 'That folder does not exist any more.' };
    const delim = folder.delimiter ?? '/';
    const cut = folder.path.lastIndexOf(delim);
    const newPath = cut >= 0 ? `${folder.path.slice(0, cut + 1)}${p.name}` : p.name;
    if (newPath === folder.path) return { folderId: folder.id };
    const res = await client.mailboxRename(folder.path, newPath);
    await client.mailboxSubscribe(res.newPath).catch(() => {});
    // rename our rows (the folder and everything below it) so ids, and the mail in them, stay
    await ctx.db.$transaction(async (tx) => {
      await lockAccountActions(tx, account.id);
      await tx.$executeRaw`
        UPDATE "Folder" SET path = ${res.newPath} || substr(path, ${folder.path.length + 1}), "updatedAt" = now()
         WHERE "tenantId" = ${account.tenantId}::uuid AND "accountId" = ${account.id}::uuid
           AND (id = ${folder.id}::uuid OR starts_with(path, ${folder.path + delim}))`;
      await tx.folder.update({ where: { id: folder.id }, data: { name: p.name } });
    });
    await refreshTree(client, account, ctx);
    return { folderId: folder.id };
  });

export const folderDeleteJob: JobHandler<'imap.folderDelete'> = (p, ctx) =>
  withAccount(p.accountId, ctx, async (client, account) => {
    const scope = { tenantId: account.tenantId, accountId: account.id };
    const folder = await ctx.db.folder.findFirst({ where: { ...scope, id: p.folderId } });
    if (!folder) return { folderId: p.folderId }; // already gone: that is what was asked
    const children = await ctx.db.folder.findMany({
      where: { ...scope, path: { startsWith: folder.path + (folder.delimiter ?? '/') } },
      select: { path: true },
      orderBy: { path: 'desc' }
    });
    // deepest first: many servers refuse to delete a folder that still has folders below it
    for (const c of children) await client.mailboxDelete(c.path);
    await client.mailboxDelete(folder.path);
    await refreshTree(client, account, ctx);
    return { folderId: folder.id };
  });
