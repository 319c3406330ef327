// Move, archive, junk and delete: applied to PostgreSQL at once (the UI can rely on the row
// being in its new folder, under the same id) and carried to IMAP by a job.
//
// A moved row keeps where the server still has it (srcFolderId, srcUidValidity, srcUid) until
// the job has moved it there too; meanwhile it sits in the new folder under a placeholder uid
// (uidValidity 0, a negative uid) that no sync will ever see or expunge, and the sync of the
// old folder treats the source uid as known, so it neither re-adds nor loses the message.
// A message deleted for good is marked `deleting` (hidden everywhere) until it is expunged.
//
// Every change of a pending action takes one advisory lock per account, shared with the
// worker's jobs, so a move and its undo cannot interleave with the job carrying the first.
import type { Redis } from 'ioredis';
import type { Db } from '../db.js';
import { AppError } from '../errors.js';
import type { Producer } from '../queue/producer.js';
import { publishToUser, type LiveEvent } from '../realtime/events.js';
import { recountFolders } from './counts.js';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export interface ActionDeps {
  db: Db;
  redis: Redis;
  prefix: string;
  producer: Producer;
}
export interface ActionScope {
  tenantId: string;
  accountId: string;
  userId: string;
}
export interface UndoGroup {
  folderId: string;
  messageIds: string[];
}
export interface MoveResult {
  toFolderId: string | null;
  undo: UndoGroup[];
  permanentlyDeleted: string[];
}

/** Serialises pending-action changes of one account between the app and the worker. */
export async function lockAccountActions(tx: Pick<Db, '$executeRaw'>, accountId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${'mailactions:' + accountId}, 0))`;
}

/**
 * Moves messages of one account into a folder of the same account. Rows already there are
 * left alone; a row moved back to where the server still has it is simply restored.
 */
export async function moveInDb(
  tx: Tx,
  scope: ActionScope,
  messageIds: string[],
  toFolderId: string
): Promise<{ groups: UndoGroup[]; pending: string[] }> {
  await lockAccountActions(tx, scope.accountId);
  const rows = await tx.$queryRaw<{ id: string; folderId: string; restored: boolean }[]>`
    WITH target AS (
      SELECT m.id, m."folderId" AS old, (m."srcFolderId" = ${toFolderId}::uuid) AS back
        FROM "Message" m
       WHERE m."tenantId" = ${scope.tenantId}::uuid AND m."accountId" = ${scope.accountId}::uuid
         AND m.id = ANY(${messageIds}::uuid[]) AND NOT m.deleting
         AND m."folderId" <> ${toFolderId}::uuid
       ORDER BY m.id
       FOR UPDATE)
    UPDATE "Message" m SET
      "folderId" = ${toFolderId}::uuid,
      "uidValidity" = CASE WHEN t.back THEN m."srcUidValidity" ELSE 0 END,
      uid = CASE WHEN t.back THEN m."srcUid" ELSE -(floor(random() * 4503599627370496)::bigint + 1) END,
      "srcFolderId" = CASE WHEN t.back THEN NULL ELSE COALESCE(m."srcFolderId", m."folderId") END,
      "srcUidValidity" = CASE WHEN t.back THEN NULL ELSE COALESCE(m."srcUidValidity", m."uidValidity") END,
      "srcUid" = CASE WHEN t.back THEN NULL ELSE COALESCE(m."srcUid", m.uid) END,
      "updatedAt" = now()
    FROM target t WHERE m.id = t.id
    RETURNING m.id, t.old AS "folderId", t.back AS restored`;
  const groups = new Map<string, string[]>();
  for (const r of rows) groups.set(r.folderId, [...(groups.get(r.folderId) ?? []), r.id]);
  return {
    groups: [...groups].map(([folderId, ids]) => ({ folderId, messageIds: ids })),
    pending: rows.filter((r) => !r.restored).map((r) => r.id)
  };
}

async function folderOf(db: Db, scope: ActionScope, folderId: string) {
  const f = await db.folder.findFirst({
    where: { id: folderId, tenantId: scope.tenantId, accountId: scope.accountId },
    select: { id: true, specialUse: true }
  });
  if (!f)
    throw new AppError('NOT_FOUND', 'That folder does not exist (it may have been deleted or renamed).');
  return f;
}

/** The account's folder with a special use (\Trash, \Archive, \Junk), if it has one. */
export async function specialFolder(db: Db, scope: ActionScope, use: string) {
  return db.folder.findFirst({
    where: { tenantId: scope.tenantId, accountId: scope.accountId, specialUse: use },
    select: { id: true, path: true }
  });
}

async function announce(
  deps: ActionDeps,
  scope: ActionScope,
  groups: UndoGroup[],
  toFolderId: string,
  extraFolders: string[] = []
) {
  const counts = await recountFolders(deps.db, scope.tenantId, [
    ...new Set([...groups.map((g) => g.folderId), toFolderId, ...extraFolders])
  ]);
  const events: LiveEvent[] = groups.map((g) => ({
    type: 'MessageMoved',
    accountId: scope.accountId,
    messageIds: g.messageIds,
    fromFolderId: g.folderId,
    toFolderId
  }));
  if (counts.length)
    events.push({ type: 'FolderCountsChanged', accountId: scope.accountId, folders: counts });
  for (const e of events) await publishToUser(deps.redis, scope.userId, e, deps.prefix);
}

/** Moves messages to a folder: PostgreSQL now, IMAP by the `imap.moveMessages` job. */
export async function moveMessages(
  deps: ActionDeps,
  scope: ActionScope,
  messageIds: string[],
  toFolderId: string
): Promise<MoveResult> {
  await folderOf(deps.db, scope, toFolderId);
  const { groups, pending } = await deps.db.$transaction((tx) => moveInDb(tx, scope, messageIds, toFolderId));
  if (groups.length) await announce(deps, scope, groups, toFolderId);
  if (pending.length)
    await deps.producer.enqueue(
      'imap.moveMessages',
      { accountId: scope.accountId, messageIds: pending },
      { attempts: 5 }
    );
  return { toFolderId, undo: groups, permanentlyDeleted: [] };
}

/** Deletes messages for good: hidden at once, expunged on the server by `imap.expunge`. */
export async function deleteForGood(
  deps: ActionDeps,
  scope: ActionScope,
  messageIds: string[]
): Promise<string[]> {
  if (!messageIds.length) return [];
  const rows = await deps.db.$transaction(async (tx) => {
    await lockAccountActions(tx, scope.accountId);
    return tx.$queryRaw<{ id: string; folderId: string }[]>`
      UPDATE "Message" SET deleting = true, "updatedAt" = now()
       WHERE "tenantId" = ${scope.tenantId}::uuid AND "accountId" = ${scope.accountId}::uuid
         AND id = ANY(${messageIds}::uuid[]) AND NOT deleting
      RETURNING id, "folderId"`;
  });
  if (!rows.length) return [];
  const byFolder = new Map<string, string[]>();
  for (const r of rows) byFolder.set(r.folderId, [...(byFolder.get(r.folderId) ?? []), r.id]);
  const counts = await recountFolders(deps.db, scope.tenantId, [...byFolder.keys()]);
  for (const [folderId, ids] of byFolder)
    await publishToUser(
      deps.redis,
      scope.userId,
      { type: 'MessagesDeleted', accountId: scope.accountId, folderId, messageIds: ids },
      deps.prefix
    );
  await publishToUser(
    deps.redis,
    scope.userId,
    { type: 'FolderCountsChanged', accountId: scope.accountId, folders: counts },
    deps.prefix
  );
  const ids = rows.map((r) => r.id);
  await deps.producer.enqueue(
    'imap.expunge',
    { accountId: scope.accountId, messageIds: ids },
    { attempts: 5 }
  );
  return ids;
}

/**
 * Delete as users expect it: to Trash; what is already in Trash (or every message, when the
 * account has no Trash) goes for good.
 */
export async function deleteMessages(
  deps: ActionDeps,
  scope: ActionScope,
  messageIds: string[]
): Promise<MoveResult> {
  const trash = await specialFolder(deps.db, scope, '\\Trash');
  const rows = await deps.db.message.findMany({
    where: { tenantId: scope.tenantId, accountId: scope.accountId, id: { in: messageIds }, deleting: false },
    select: { id: true, folderId: true }
  });
  const forGood = rows.filter((r) => !trash || r.folderId === trash.id).map((r) => r.id);
  const toTrash = rows.filter((r) => trash && r.folderId !== trash.id).map((r) => r.id);
  const moved = trash && toTrash.length ? await moveMessages(deps, scope, toTrash, trash.id) : null;
  const permanentlyDeleted = await deleteForGood(deps, scope, forGood);
  return { toFolderId: moved ? trash!.id : null, undo: moved?.undo ?? [], permanentlyDeleted };
}

/**
 * Archive or junk: move to the account's folder with that special use. An account without
 * one gets it created (as Gmail and Fastmail do) by the worker, which waits on IMAP.
 */
export async function moveToSpecial(
  deps: ActionDeps,
  scope: ActionScope,
  messageIds: string[],
  use: '\\Archive' | '\\Junk',
  createFolder: (name: string) => Promise<string>
): Promise<MoveResult> {
  const found = await specialFolder(deps.db, scope, use);
  const folderId = found?.id ?? (await createFolder(use === '\\Archive' ? 'Archive' : 'Junk'));
  return moveMessages(deps, scope, messageIds, folderId);
}

/** The columns that say where the server has a message (see serverLocation). */
export const LOCATION_SELECT = {
  id: true,
  folderId: true,
  uid: true,
  uidValidity: true,
  srcFolderId: true,
  srcUid: true,
  srcUidValidity: true
} as const;

/** Where the server has a message now: its source while a move is still on its way. */
export function serverLocation(r: {
  id: string;
  folderId: string;
  uid: bigint;
  uidValidity: bigint;
  srcFolderId: string | null;
  srcUid: bigint | null;
  srcUidValidity: bigint | null;
}) {
  return {
    id: r.id,
    folderId: r.srcFolderId ?? r.folderId,
    uid: r.srcUid ?? r.uid,
    uidValidity: r.srcUidValidity ?? r.uidValidity
  };
}
