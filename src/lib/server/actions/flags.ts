// Flag changes (read/unread, star): applied to PostgreSQL at once, so every open view can
// rely on them, and carried to IMAP by a job. If IMAP refuses, the job undoes the change.
import type { Redis } from 'ioredis';
import type { Db } from '../db.js';
import type { Producer } from '../queue/producer.js';
import { publishToUser, type LiveEvent } from '../realtime/events.js';
import { recountFolders } from './counts.js';

export interface FlagChange {
  add: string[];
  remove: string[];
}

export function flagChange(input: { seen?: boolean | undefined; flagged?: boolean | undefined }): FlagChange {
  const add: string[] = [];
  const remove: string[] = [];
  if (input.seen !== undefined) (input.seen ? add : remove).push('\\Seen');
  if (input.flagged !== undefined) (input.flagged ? add : remove).push('\\Flagged');
  return { add, remove };
}

export function applyChange(flags: string[], change: FlagChange): string[] {
  const next = new Set(flags);
  for (const f of change.add) next.add(f);
  for (const f of change.remove) next.delete(f);
  return [...next].sort();
}

/**
 * Writes the change to the given messages of one account (scoped by tenant and account),
 * refreshes the folder counts and tells the user's other views. Returns the ids changed.
 */
export async function setFlagsInDb(
  deps: { db: Db; redis: Redis; prefix: string },
  scope: { tenantId: string; accountId: string; userId: string },
  messageIds: string[],
  change: FlagChange,
  opts: { undo?: boolean } = {}
): Promise<string[]> {
  const { db } = deps;
  const changed: { messageId: string; flags: string[]; keywords: string[] }[] = [];
  const folderIds = new Set<string>();
  await db.$transaction(async (tx) => {
    const rows = await tx.message.findMany({
      where: { tenantId: scope.tenantId, accountId: scope.accountId, id: { in: messageIds } },
      select: { id: true, flags: true, keywords: true, folderId: true },
      orderBy: { id: 'asc' } // rows locked in one order by every writer: no deadlocks
    });
    for (const r of rows) {
      const flags = applyChange(r.flags, change);
      if (flags.join() === [...r.flags].sort().join()) continue;
      await tx.message.update({
        where: { id: r.id },
        data: {
          flags,
          seen: flags.includes('\\Seen'),
          flagged: flags.includes('\\Flagged'),
          // a change the user made waits for the server; an undo of a refused one does not
          flagsPendingAt: opts.undo ? null : new Date()
        }
      });
      changed.push({ messageId: r.id, flags, keywords: r.keywords });
      folderIds.add(r.folderId);
    }
  });
  if (!changed.length) return [];
  const folders = await recountFolders(db, scope.tenantId, [...folderIds]);
  const events: LiveEvent[] = [
    { type: 'FlagsChanged', accountId: scope.accountId, changes: changed },
    { type: 'FolderCountsChanged', accountId: scope.accountId, folders }
  ];
  for (const e of events) await publishToUser(deps.redis, scope.userId, e, deps.prefix);
  return changed.map((c) => c.messageId);
}

export async function setFlags(
  deps: { db: Db; redis: Redis; prefix: string; producer: Producer },
  scope: { tenantId: string; accountId: string; userId: string },
  messageIds: string[],
  change: FlagChange
): Promise<{ changed: number }> {
  const changed = await setFlagsInDb(deps, scope, messageIds, change);
  if (changed.length)
    await deps.producer.enqueue(
      'imap.setFlags',
      { accountId: scope.accountId, messageIds: changed, ...change },
      { attempts: 5 }
    );
  return { changed: changed.length };
}
