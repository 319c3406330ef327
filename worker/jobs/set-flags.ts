import type { ImapFlow } from 'imapflow';
import { setFlagsInDb } from '../../src/lib/server/actions/flags.js';
import { openSecret } from '../../src/lib/server/crypto/envelope.js';
import { masterKeys } from '../../src/lib/server/crypto/keys.js';
import { publishToUser } from '../../src/lib/server/realtime/events.js';
import { openImap } from '../imap/connection.js';
import type { JobHandler } from '../registry.js';

/** A refusal by the server (NO/BAD): retrying will not help. Anything else may be transient. */
function isRefusal(err: unknown): boolean {
  const s = (err as { responseStatus?: string })?.responseStatus;
  return s === 'NO' || s === 'BAD';
}

/**
 * Carries a flag change to IMAP. The rows already hold the new flags; this job only has to
 * tell the server. When the server refuses (or the last attempt fails), the change is undone
 * in PostgreSQL and the user is told why.
 */
export const setFlagsJob: JobHandler<'imap.setFlags'> = async (p, ctx) => {
  const { db, log } = ctx;
  const account = await db.mailAccount.findUnique({ where: { id: p.accountId } });
  if (!account) return { skipped: 'account removed' };
  const rows = await db.message.findMany({
    where: { tenantId: account.tenantId, accountId: account.id, id: { in: p.messageIds } },
    select: { id: true, uid: true, uidValidity: true, folder: { select: { path: true } } }
  });
  if (!rows.length) return { skipped: 'messages gone' };
  const byFolder = new Map<string, typeof rows>();
  for (const r of rows) byFolder.set(r.folder.path, [...(byFolder.get(r.folder.path) ?? []), r]);

  let client: ImapFlow | undefined;
  try {
    client = await openImap(
      {
        host: account.imapHost,
        port: account.imapPort,
        tls: account.imapTls,
        username: account.username,
        password: openSecret(masterKeys(ctx.env), account.id, account)
      },
      ctx.env.IMAP_TIMEOUT,
      ctx.gate
    );
    let applied = 0;
    for (const [path, list] of byFolder) {
      const lock = await client.getMailboxLock(path);
      try {
        // rows of an older UIDVALIDITY are stale: the next sync replaces them
        const mailbox = client.mailbox;
        const valid = mailbox ? list.filter((r) => r.uidValidity === mailbox.uidValidity) : [];
        if (!valid.length) continue;
        const uids = valid.map((r) => r.uid.toString()).join(',');
        // imapflow answers false (not an exception) when the server refuses a STORE or a flag
        // is not allowed in the mailbox
        const refused = () =>
          Object.assign(new Error(`the server refused to change flags in ${path}`), { responseStatus: 'NO' });
        if (p.add.length && !(await client.messageFlagsAdd(uids, p.add, { uid: true }))) throw refused();
        if (p.remove.length && !(await client.messageFlagsRemove(uids, p.remove, { uid: true })))
          throw refused();
        applied += valid.length;
      } finally {
        lock.release();
      }
    }
    await client.logout();
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
      undo
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
