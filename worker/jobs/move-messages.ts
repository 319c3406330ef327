import type { ImapFlow } from 'imapflow';
import { recountFolders } from '../../src/lib/server/actions/counts.js';
import { lockAccountActions } from '../../src/lib/server/actions/move.js';
import { publishToUser, type LiveEvent } from '../../src/lib/server/realtime/events.js';
import { isRefusal, openAccount, refused } from '../imap/connection.js';
import type { JobContext, JobHandler } from '../registry.js';

interface PendingRow {
  id: string;
  folderId: string;
  srcFolderId: string;
  srcUid: bigint;
  srcUidValidity: bigint;
}

/**
 * Carries moves to IMAP (UID MOVE, or COPY + EXPUNGE where the server lacks MOVE; imapflow
 * picks). The rows already sit in their new folder; with the server's COPYUID answer each row
 * gets its real uid there and keeps its id, so nothing flickers in the UI. One group (source
 * folder → target folder) at a time, each in its own transaction under the account's action
 * lock: what the server has done is recorded before the next group starts.
 */
export const moveMessagesJob: JobHandler<'imap.moveMessages'> = async (p, ctx) => {
  const { db } = ctx;
  const account = await db.mailAccount.findUnique({ where: { id: p.accountId } });
  if (!account) return { skipped: 'account removed' };
  const scope = { tenantId: account.tenantId, accountId: account.id };
  const pendingIds = async () =>
    (
      await db.message.findMany({
        where: { ...scope, id: { in: p.messageIds }, srcFolderId: { not: null } },
        select: { id: true, folderId: true, srcFolderId: true }
      })
    ).filter((r) => r.folderId !== r.srcFolderId);
  const first = await pendingIds();
  if (!first.length) return { skipped: 'nothing pending' };

  const client = await openAccount(account, ctx);
  const events: LiveEvent[] = [];
  const touched = new Set<string>();
  let moved = 0;
  try {
    // group by (source, target) as read under the lock; a later undo re-reads its own rows
    const groups = new Map<string, string[]>();
    for (const r of first) {
      const k = `${r.srcFolderId} ${r.folderId}`;
      groups.set(k, [...(groups.get(k) ?? []), r.id]);
    }
    for (const ids of groups.values()) {
      const outcome = await db.$transaction(
        async (tx) => {
          await lockAccountActions(tx, account.id);
          const rows = (await tx.message.findMany({
            where: { ...scope, id: { in: ids }, srcFolderId: { not: null } },
            select: { id: true, folderId: true, srcFolderId: true, srcUid: true, srcUidValidity: true }
          })) as PendingRow[];
          if (!rows.length) return null;
          const src = rows[0]!.srcFolderId;
          const dst = rows[0]!.folderId;
          const same = rows.filter((r) => r.srcFolderId === src && r.folderId === dst);
          const folders = await tx.folder.findMany({
            where: { ...scope, id: { in: [src, dst] } },
            select: { id: true, path: true }
          });
          const srcPath = folders.find((f) => f.id === src)?.path;
          const dstPath = folders.find((f) => f.id === dst)?.path;
          if (!srcPath || !dstPath) {
            // the source folder is gone: the server copy went with it; the next sync decides
            await tx.message.deleteMany({ where: { ...scope, id: { in: same.map((r) => r.id) } } });
            return { src, dst, deleted: same.map((r) => r.id), dups: [], moved: 0 };
          }
          return carry(client, tx, scope, same, srcPath, dstPath, src, dst);
        },
        { timeout: 120_000, maxWait: 30_000 }
      );
      if (!outcome) continue;
      moved += outcome.moved;
      touched.add(outcome.src).add(outcome.dst);
      if (outcome.deleted.length)
        events.push({
          type: 'MessagesDeleted',
          accountId: account.id,
          folderId: outcome.dst,
          messageIds: outcome.deleted
        });
      if (outcome.dups.length)
        events.push({
          type: 'MessagesDeleted',
          accountId: account.id,
          folderId: outcome.dst,
          messageIds: outcome.dups
        });
    }
    await client.logout().catch(() => {});
  } catch (err) {
    client.close();
    if (!isRefusal(err) && ctx.attempt < ctx.maxAttempts) {
      await flush(ctx, account, events, touched);
      throw err; // BullMQ retries with backoff
    }
    await flush(ctx, account, events, touched);
    return undo(ctx, account, p.messageIds, err);
  }
  await flush(ctx, account, events, touched);
  return { moved };
};

async function carry(
  client: ImapFlow,
  tx: Parameters<Parameters<JobContext['db']['$transaction']>[0]>[0],
  scope: { tenantId: string; accountId: string },
  rows: PendingRow[],
  srcPath: string,
  dstPath: string,
  src: string,
  dst: string
) {
  const lock = await client.getMailboxLock(srcPath);
  try {
    const mb = client.mailbox;
    const valid = mb ? rows.filter((r) => r.srcUidValidity === mb.uidValidity) : [];
    const stale = rows.filter((r) => !valid.includes(r));
    let res: Awaited<ReturnType<ImapFlow['messageMove']>> = false;
    if (valid.length) {
      res = await client.messageMove(valid.map((r) => r.srcUid.toString()).join(','), dstPath, { uid: true });
      if (!res) throw refused(`the server refused to move messages to ${dstPath}`);
    }
    const deleted = stale.map((r) => r.id);
    const dups: string[] = [];
    let moved = 0;
    for (const r of valid) {
      const newUid = res && res.uidMap?.get(Number(r.srcUid));
      if (!res || !newUid || res.uidValidity === undefined) {
        // no COPYUID (server without UIDPLUS, or the message was already gone): the target
        // folder's next sync brings it in under a new id
        deleted.push(r.id);
        continue;
      }
      const uidValidity = res.uidValidity;
      // a sync of the target may have stored the moved message already: keep our row (its id
      // is what the UI shows) and drop that copy
      const dup = await tx.message.findMany({
        where: { ...scope, folderId: dst, uidValidity, uid: BigInt(newUid), id: { not: r.id } },
        select: { id: true }
      });
      if (dup.length) {
        await tx.message.deleteMany({ where: { ...scope, id: { in: dup.map((d) => d.id) } } });
        dups.push(...dup.map((d) => d.id));
      }
      await tx.message.update({
        where: { id: r.id },
        data: { uid: BigInt(newUid), uidValidity, srcFolderId: null, srcUid: null, srcUidValidity: null }
      });
      moved++;
    }
    if (deleted.length) await tx.message.deleteMany({ where: { ...scope, id: { in: deleted } } });
    return { src, dst, deleted, dups, moved };
  } finally {
    lock.release();
  }
}

async function flush(
  ctx: JobContext,
  account: { id: string; tenantId: string; userId: string },
  events: LiveEvent[],
  touched: Set<string>
) {
  const counts = await recountFolders(ctx.db, account.tenantId, [...touched]);
  if (counts.length) events.push({ type: 'FolderCountsChanged', accountId: account.id, folders: counts });
  for (const e of events.splice(0)) await publishToUser(ctx.redis, account.userId, e, ctx.env.QUEUE_PREFIX);
}

/** The server refused (or we gave up): put the rows back where the server still has them. */
async function undo(
  ctx: JobContext,
  account: { id: string; tenantId: string; userId: string },
  messageIds: string[],
  err: unknown
) {
  const { db } = ctx;
  ctx.log.warn(
    { err: { message: (err as Error).message }, accountId: account.id },
    'move refused: undoing it'
  );
  const restored = await db.$transaction(async (tx) => {
    await lockAccountActions(tx, account.id);
    return tx.$queryRaw<{ id: string; from: string; to: string }[]>`
      WITH r AS (
        SELECT id, "folderId" AS cur FROM "Message"
         WHERE "tenantId" = ${account.tenantId}::uuid AND "accountId" = ${account.id}::uuid
           AND id = ANY(${messageIds}::uuid[]) AND "srcFolderId" IS NOT NULL FOR UPDATE)
      UPDATE "Message" m SET "folderId" = m."srcFolderId", uid = m."srcUid",
             "uidValidity" = m."srcUidValidity", "srcFolderId" = NULL, "srcUid" = NULL,
             "srcUidValidity" = NULL, "updatedAt" = now()
        FROM r WHERE m.id = r.id
      RETURNING m.id, r.cur AS "from", m."folderId" AS "to"`;
  });
  const groups = new Map<string, { from: string; to: string; ids: string[] }>();
  for (const r of restored) {
    const k = `${r.from} ${r.to}`;
    const g = groups.get(k) ?? { from: r.from, to: r.to, ids: [] };
    g.ids.push(r.id);
    groups.set(k, g);
  }
  const events: LiveEvent[] = [...groups.values()].map((g) => ({
    type: 'MessageMoved',
    accountId: account.id,
    messageIds: g.ids,
    fromFolderId: g.from,
    toFolderId: g.to
  }));
  events.push({
    type: 'ActionFailed',
    accountId: account.id,
    action: 'move',
    message: `The mail server did not accept the move${(err as { responseText?: string }).responseText ? `: ${(err as { responseText?: string }).responseText}` : ''}. The messages are back where they were.`
  });
  await flush(ctx, account, events, new Set([...groups.values()].flatMap((g) => [g.from, g.to])));
  return { undone: restored.length };
}
