import { recountFolders } from '../../src/lib/server/actions/counts.js';
import { LOCATION_SELECT, lockAccountActions, serverLocation } from '../../src/lib/server/actions/move.js';
import { publishToUser, type LiveEvent } from '../../src/lib/server/realtime/events.js';
import { isRefusal, openAccount, refused } from '../imap/connection.js';
import type { JobHandler } from '../registry.js';

/**
 * Expunges what the user deleted for good (the rows are hidden already): STORE \Deleted and
 * UID EXPUNGE of exactly those uids, then the rows go. A message still waiting for a move is
 * expunged where the server has it. If the server refuses, the messages come back.
 */
export const expungeJob: JobHandler<'imap.expunge'> = async (p, ctx) => {
  const { db } = ctx;
  const account = await db.mailAccount.findUnique({ where: { id: p.accountId } });
  if (!account) return { skipped: 'account removed' };
  const scope = { tenantId: account.tenantId, accountId: account.id };
  const rows = await db.message.findMany({
    where: { ...scope, id: { in: p.messageIds }, deleting: true },
    select: LOCATION_SELECT
  });
  if (!rows.length) return { skipped: 'nothing to expunge' };
  const where = rows.map(serverLocation);
  const folders = await db.folder.findMany({
    where: { ...scope, id: { in: [...new Set(where.map((w) => w.folderId))] } },
    select: { id: true, path: true }
  });
  const client = await openAccount(account, ctx);
  const done: string[] = [];
  try {
    for (const f of folders) {
      const list = where.filter((w) => w.folderId === f.id);
      const lock = await client.getMailboxLock(f.path);
      try {
        const mb = client.mailbox;
        // an older UIDVALIDITY: the server no longer has these uids; only the rows are left
        const valid = mb ? list.filter((w) => w.uidValidity === mb.uidValidity) : [];
        if (valid.length) {
          const ok = await client.messageDelete(valid.map((w) => w.uid.toString()).join(','), { uid: true });
          if (!ok) throw refused(`the server refused to delete messages in ${f.path}`);
        }
      } finally {
        lock.release();
      }
      await db.$transaction(async (tx) => {
        await lockAccountActions(tx, account.id);
        await tx.message.deleteMany({ where: { ...scope, id: { in: list.map((w) => w.id) } } });
      });
      done.push(...list.map((w) => w.id));
    }
    // rows whose folder is gone have nothing left to expunge
    const orphans = where.filter((w) => !folders.some((f) => f.id === w.folderId)).map((w) => w.id);
    if (orphans.length) await db.message.deleteMany({ where: { ...scope, id: { in: orphans } } });
    await client.logout().catch(() => {});
    return { expunged: done.length + orphans.length };
  } catch (err) {
    client.close();
    if (!isRefusal(err) && ctx.attempt < ctx.maxAttempts) throw err;
    ctx.log.warn(
      { err: { message: (err as Error).message }, accountId: account.id },
      'delete refused: undoing it'
    );
    const back = await db.message.findMany({
      where: { ...scope, id: { in: p.messageIds.filter((id) => !done.includes(id)) }, deleting: true },
      select: { id: true, folderId: true }
    });
    await db.message.updateMany({
      where: { ...scope, id: { in: back.map((b) => b.id) } },
      data: { deleting: false }
    });
    const byFolder = new Map<string, string[]>();
    for (const b of back) byFolder.set(b.folderId, [...(byFolder.get(b.folderId) ?? []), b.id]);
    const counts = await recountFolders(db, account.tenantId, [...byFolder.keys()]);
    const events: LiveEvent[] = [...byFolder].map(([folderId, messageIds]) => ({
      type: 'MessageCreated',
      accountId: account.id,
      folderId,
      messageIds
    }));
    events.push({ type: 'FolderCountsChanged', accountId: account.id, folders: counts });
    events.push({
      type: 'ActionFailed',
      accountId: account.id,
      action: 'delete',
      message: `The mail server did not delete the messages${(err as { responseText?: string }).responseText ? `: ${(err as { responseText?: string }).responseText}` : ''}. They are back.`
    });
    for (const e of events) await publishToUser(ctx.redis, account.userId, e, ctx.env.QUEUE_PREFIX);
    return { undone: back.length };
  }
};
