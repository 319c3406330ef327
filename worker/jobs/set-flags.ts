import type { ImapFlow } from 'imapflow';
import { setFlagsInDb } from '../../src/lib/server/actions/flags.js';
import { LOCATION_SELECT, serverLocation } from '../../src/lib/server/actions/move.js';
import { publishToUser } from '../../src/lib/server/realtime/events.js';
import { isRefusal, openAccount, refused } from '../imap/connection.js';
import type { JobHandler } from '../registry.js';

/**
 * Carries a flag change to IMAP. The rows already hold the new flags; this job only has to
 * tell the server. When the server refuses (or the last attempt fails), the change is undone
 * in PostgreSQL and the user is told why.
 */
export const setFlagsJob: JobHandler<'imap.setFlags'> = async (p, ctx) => {
  const { db, log } = ctx;
  const started = new Date();
  const account = await db.mailAccount.findUnique({ where: { id: p.accountId } });
  if (!account) return { skipped: 'account removed' };
  const rows = await db.message.findMany({
    where: { tenantId: account.tenantId, accountId: account.id, id: { in: p.messageIds } },
    select: { ...LOCATION_SELECT, flags: true, keywords: true }
  });
  if (!rows.length) return { skipped: 'messages gone' };
  // The server gets what the rows say NOW for the flags this change was about, not the change
  // itself: two quick changes (read, then unread) whose jobs run out of order still end as the
  // user left them.
  const involved = [...new Set([...p.add, ...p.remove])];
  const targets = rows.map((r) => {
    const have = new Set([...r.flags, ...r.keywords]);
    return {
      ...serverLocation(r),
      add: involved.filter((f) => have.has(f)),
      remove: involved.filter((f) => !have.has(f))
    };
  });
  const folders = await db.folder.findMany({
    where: { tenantId: account.tenantId, id: { in: [...new Set(targets.map((t) => t.folderId))] } },
    select: { id: true, path: true }
  });

  let client: ImapFlow | undefined;
  try {
    client = await openAccount(account, ctx);
    let applied = 0;
    for (const f of folders) {
      const lock = await client.getMailboxLock(f.path);
      try {
        // rows of an older UIDVALIDITY are stale: the next sync replaces them
        const mailbox = client.mailbox;
        const valid = targets.filter(
          (t) => t.folderId === f.id && mailbox && t.uidValidity === mailbox.uidValidity
        );
        const groups = new Map<string, typeof valid>();
        for (const t of valid) {
          const k = `${t.add.join(' ')}|${t.remove.join(' ')}`;
          groups.set(k, [...(groups.get(k) ?? []), t]);
        }
        // imapflow answers false (not an exception) when the server refuses a STORE or a flag
        // is not allowed in the mailbox
        const no = () => refused(`the server refused to change flags in ${f.path}`);
        for (const g of groups.values()) {
          const uids = g.map((t) => t.uid.toString()).join(',');
          const { add, remove } = g[0]!;
          if (add.length && !(await client.messageFlagsAdd(uids, add, { uid: true }))) throw no();
          if (remove.length && !(await client.messageFlagsRemove(uids, remove, { uid: true }))) throw no();
          applied += g.length;
        }
      } finally {
        lock.release();
      }
    }
    await client.logout();
    // the server has them now: syncs may mirror these rows' flags again (unless the user has
    // changed them once more since this job started; that change's job clears it)
    await db.message.updateMany({
      where: { id: { in: rows.map((r) => r.id) }, flagsPendingAt: { lte: started } },
      data: { flagsPendingAt: null }
    });
    return { applied };
  } catch (err) {
    client?.close();
    if (!isRefusal(err) && ctx.attempt < ctx.maxAttempts) throw err; // BullMQ retries with backoff
    log.warn(
      { err: { message: (err as Error).message }, accountId: account.id },
      'flag change refused: undoing it'
    );
    const undo = { add: p.remove, remove: p.add };
    await setFlagsInDb(
      { db, redis: ctx.redis, prefix: ctx.env.QUEUE_PREFIX },
      { tenantId: account.tenantId, accountId: account.id, userId: account.userId },
      rows.map((r) => r.id),
      undo,
      { undo: true }
    );
    await publishToUser(
      ctx.redis,
      account.userId,
      {
        type: 'ActionFailed',
        accountId: account.id,
        action: 'setFlags',
        message: `The mail server did not accept the change${(err as { responseText?: string }).responseText ? `: ${(err as { responseText?: string }).responseText}` : ''}. It has been undone.`
      },
      ctx.env.QUEUE_PREFIX
    );
    return { undone: rows.length };
  }
};
