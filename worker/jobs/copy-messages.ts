import { LOCATION_SELECT, serverLocation } from '../../src/lib/server/actions/move.js';
import { publishControl, publishToUser } from '../../src/lib/server/realtime/events.js';
import { isRefusal, openAccount, refused } from '../imap/connection.js';
import type { JobHandler } from '../registry.js';

/**
 * Copies messages to another folder on the server (UID COPY), then asks the account's runner
 * to sync that folder, which brings the copies in with their own uids and ids.
 */
export const copyMessagesJob: JobHandler<'imap.copyMessages'> = async (p, ctx) => {
  const { db } = ctx;
  const account = await db.mailAccount.findUnique({ where: { id: p.accountId } });
  if (!account) return { skipped: 'account removed' };
  const scope = { tenantId: account.tenantId, accountId: account.id };
  const target = await db.folder.findFirst({ where: { ...scope, id: p.toFolderId }, select: { path: true } });
  if (!target) return { skipped: 'target folder gone' };
  const rows = await db.message.findMany({
    where: { ...scope, id: { in: p.messageIds }, deleting: false },
    select: LOCATION_SELECT
  });
  const where = rows.map(serverLocation);
  const folders = await db.folder.findMany({
    where: { ...scope, id: { in: [...new Set(where.map((w) => w.folderId))] } },
    select: { id: true, path: true }
  });
  const client = await openAccount(account, ctx);
  let copied = 0;
  try {
    for (const f of folders) {
      const lock = await client.getMailboxLock(f.path);
      try {
        const mb = client.mailbox;
        const uids = where.filter((w) => w.folderId === f.id && mb && w.uidValidity === mb.uidValidity);
        if (!uids.length) continue;
        const res = await client.messageCopy(uids.map((w) => w.uid.toString()).join(','), target.path, {
          uid: true
        });
        if (!res) throw refused(`the server refused to copy messages to ${target.path}`);
        copied += uids.length;
      } finally {
        lock.release();
      }
    }
    await client.logout().catch(() => {});
  } catch (err) {
    client.close();
    if (!isRefusal(err) && ctx.attempt < ctx.maxAttempts) throw err;
    await publishToUser(
      ctx.redis,
      account.userId,
      {
        type: 'ActionFailed',
        accountId: account.id,
        action: 'copy',
        message: `The mail server did not copy the messages${(err as { responseText?: string }).responseText ? `: ${(err as { responseText?: string }).responseText}` : ''}.`
      },
      ctx.env.QUEUE_PREFIX
    );
    return { refused: true };
  }
  await publishControl(ctx.redis, ctx.env.QUEUE_PREFIX, {
    type: 'SyncFolder',
    accountId: account.id,
    folderId: p.toFolderId
  });
  return { copied };
};
