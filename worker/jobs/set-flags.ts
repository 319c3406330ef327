import type { ImapFlow } from 'imapflow';
import { setFlagsInDb } from '../../src/lib/server/actions/flags.js';
import { LOCATION_SELECT, serverLocation } from '../../src/lib/server/actions/move.js';
import { publishToUser } from '../../src/lib/server/realtime/events.js';
import { isRefusal, openAccount, refused } from '../imap/connection.js';
import type { JobHandler } from '../registry.js';

/** the system flags this app sets on a message (read, star, answered after a reply) */
const APP_FLAGS = ['\\Seen', '\\Flagged', '\\Answered'];

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
  // The server gets what the rows say NOW, not the change itself: two quick changes (read, then
  // unread) whose jobs run out of order still end as the user left them. And it gets that for
  // every flag this app sets, not only the ones this change was about: a row's pending mark
  // (flagsPendingAt) is one for all its flags, and this job clears it below. Read, then star,
  // with the star's job first: that job cleared the mark having sent only the star; a sync then
  // mirrored the server ("starred, unread") over the read, and the read's job, running last,
  // sent that back: the message stayed unread.
  const changed = new Set([...p.add, ...p.remove]);
  const involved = [...new Set([...APP_FLAGS, ...changed])];
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
        // the flags beside this change's own go only where the mailbox keeps them (a flag it
        // does not keep would make it refuse the STORE, and this change would be undone)
        const keeps = (flag: string) =>
          changed.has(flag) ||
          !mailbox ||
          !mailbox.permanentFlags ||
          mailbox.permanentFlags.has('\\*') ||
          mailbox.permanentFlags.has(flag);
        const groups = new Map<string, { add: string[]; remove: string[]; uids: bigint[] }>();
        for (const t of valid) {
          const add = t.add.filter(keeps);
          const remove = t.remove.filter(keeps);
          const k = `${add.join(' ')}|${remove.join(' ')}`;
          const g = groups.get(k) ?? { add, remove, uids: [] };
          g.uids.push(t.uid);
          groups.set(k, g);
        }
        // imapflow answers false (not an exception) when the server refuses a STORE or a flag
        // is not allowed in the mailbox
        const no = () => refused(`the server refused to change flags in ${f.path}`);
        for (const { add, remove, uids: list } of groups.values()) {
          const uids = list.join(',');
          if (add.length && !(await client.messageFlagsAdd(uids, add, { uid: true }))) throw no();
          if (remove.length && !(await client.messageFlagsRemove(uids, remove, { uid: true }))) throw no();
          applied += list.length;
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
