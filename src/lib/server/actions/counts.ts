// Folder counts (total and unread) as the user sees them: messages being deleted for good are
// already gone from the user's point of view.
import type { Db } from '../db.js';

export interface FolderCounts {
  folderId: string;
  total: number;
  unread: number;
}

type Tx = Pick<Db, '$queryRaw'>;

/** Recounts the given folders of one tenant and stores the counts. */
export async function recountFolders(db: Tx, tenantId: string, folderIds: string[]): Promise<FolderCounts[]> {
  if (!folderIds.length) return [];
  // the folder rows are locked in id order first: two recounts of overlapping folders (a move in
  // the app and its job in the worker) would otherwise lock them in different orders and deadlock
  const rows = await db.$queryRaw<{ folderId: string; total: number; unread: number }[]>`
    WITH locked AS (
      SELECT id FROM "Folder"
       WHERE "tenantId" = ${tenantId}::uuid AND id = ANY(${folderIds}::uuid[])
       ORDER BY id FOR UPDATE),
    c AS (
      SELECT l.id,
             count(m.id) FILTER (WHERE NOT m.deleting)::int AS total,
             count(m.id) FILTER (WHERE NOT m.deleting AND NOT m.seen)::int AS unread
        FROM locked l
        LEFT JOIN "Message" m ON m."folderId" = l.id AND m."tenantId" = ${tenantId}::uuid
       GROUP BY l.id)
    UPDATE "Folder" f
       SET total = c.total, unread = c.unread, "updatedAt" = now()
      FROM c
     WHERE f.id = c.id
    RETURNING f.id AS "folderId", f.total, f.unread`;
  return rows;
}
