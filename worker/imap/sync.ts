// Mirrors an IMAP account into PostgreSQL: the folder tree, then each folder's messages
// (envelope, flags, size, dates, body structure), newest first. Incremental runs fetch only
// new UIDs, changed flags (CONDSTORE when offered) and expunges; a changed UIDVALIDITY
// resyncs the folder from scratch.
import type { FetchMessageObject, FetchQueryObject, ImapFlow, ListResponse } from 'imapflow';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../../src/lib/server/db.js';
import type { LiveEvent } from '../../src/lib/server/realtime/events.js';
import type { Prisma } from '../../src/generated/prisma/client.js';
import { attachmentsOf } from '../../src/lib/server/mail/bodystructure.js';
import type { MessageStructureObject } from 'imapflow';
import { messageRow } from './map.js';
import { assignThreads } from './threads.js';

export interface SyncAccount {
  id: string;
  tenantId: string;
  userId: string;
}

export interface SyncDeps {
  db: Db;
  log: Logger;
  publish: (event: LiveEvent) => Promise<void>;
  /** how many of the newest messages the first pass fetches before the rest backfills */
  firstPage?: number;
  chunk?: number;
}

const SPECIAL_ORDER = ['\\Inbox', '\\Drafts', '\\Sent', '\\Archive', '\\Junk', '\\Trash'];
/** What a sync fetches per message (the sync benchmark's raw fetch uses the same). */
export const FETCH_QUERY: FetchQueryObject = {
  uid: true,
  flags: true,
  envelope: true,
  bodyStructure: true,
  internalDate: true,
  size: true,
  headers: ['references']
};

/** Folders first: the tree, special-use roles and subscriptions. Returns the folder rows. */
export async function syncFolders(client: ImapFlow, account: SyncAccount, deps: SyncDeps) {
  const { db } = deps;
  const list: ListResponse[] = await client.list();
  const seen = new Set<string>();
  for (const f of list) {
    if (f.flags.has('\\Noselect') || f.flags.has('\\NonExistent')) continue;
    seen.add(f.path);
    const specialUse = f.path.toUpperCase() === 'INBOX' ? '\\Inbox' : (f.specialUse ?? null);
    await db.folder.upsert({
      where: { accountId_path: { accountId: account.id, path: f.path } },
      create: {
        tenantId: account.tenantId,
        accountId: account.id,
        path: f.path,
        name: f.path.toUpperCase() === 'INBOX' ? 'Inbox' : f.name,
        delimiter: f.delimiter || null,
        specialUse,
        subscribed: f.subscribed
      },
      update: {
        name: f.path.toUpperCase() === 'INBOX' ? 'Inbox' : f.name,
        specialUse,
        subscribed: f.subscribed
      }
    });
  }
  await db.folder.deleteMany({
    where: { tenantId: account.tenantId, accountId: account.id, path: { notIn: [...seen] } }
  });
  const folders = await db.folder.findMany({ where: { tenantId: account.tenantId, accountId: account.id } });
  return folders.sort(
    (a, b) =>
      rank(a.specialUse) - rank(b.specialUse) ||
      a.path.localeCompare(b.path, undefined, { sensitivity: 'base' })
  );
}

function rank(specialUse: string | null): number {
  const i = specialUse ? SPECIAL_ORDER.indexOf(specialUse) : -1;
  return i === -1 ? SPECIAL_ORDER.length : i;
}

export interface FolderRow {
  id: string;
  path: string;
  uidValidity: bigint | null;
  uidNext: bigint | null;
  highestModseq: bigint | null;
}

export interface FolderSyncResult {
  added: number;
  deleted: number;
  flagsChanged: number;
  resynced: boolean;
  backfillPending: boolean;
}

/**
 * One pass over one folder. With `backfill` false, an initial sync stores only the newest
 * page and leaves the rest for a later pass (which the caller runs in the background).
 */
export async function syncFolderMessages(
  client: ImapFlow,
  account: SyncAccount,
  folder: FolderRow,
  deps: SyncDeps,
  opts: { backfill: boolean } = { backfill: true }
): Promise<FolderSyncResult> {
  const { db, log } = deps;
  const firstPage = deps.firstPage ?? 200;
  const chunk = deps.chunk ?? 1000;
  const result: FolderSyncResult = {
    added: 0,
    deleted: 0,
    flagsChanged: 0,
    resynced: false,
    backfillPending: false
  };
  const lock = await client.getMailboxLock(folder.path);
  try {
    // getMailboxLock does not re-select a folder that is already open, so without this the
    // fetch below sees the folder as it was and new mail shows up one message late
    await client.noop();
    const mb = client.mailbox;
    if (!mb) throw new Error(`could not open ${folder.path}`);
    const scope = { tenantId: account.tenantId, accountId: account.id, folderId: folder.id };

    if (folder.uidValidity !== null && folder.uidValidity !== mb.uidValidity) {
      log.warn(
        { folder: folder.path, was: String(folder.uidValidity), now: String(mb.uidValidity) },
        'UIDVALIDITY changed: resyncing folder'
      );
      const gone = await db.message.findMany({ where: scope, select: { id: true } });
      await db.message.deleteMany({ where: scope });
      result.resynced = true;
      result.deleted += gone.length;
      if (gone.length)
        await deps.publish({
          type: 'MessagesDeleted',
          accountId: account.id,
          folderId: folder.id,
          messageIds: gone.map((g) => g.id)
        });
    }
    const uidValidity = mb.uidValidity;
    const local = await db.message.aggregate({
      where: { ...scope, uidValidity },
      _max: { uid: true },
      _min: { uid: true },
      _count: true
    });
    const maxUid = Number(local._max.uid ?? 0);

    // 1. new messages (on a first sync: the newest page)
    if (mb.exists > 0) {
      let range: string;
      let byUid = true;
      if (maxUid === 0) {
        range = `${Math.max(1, mb.exists - firstPage + 1)}:*`;
        byUid = false;
      } else range = `${maxUid + 1}:*`;
      const fetched = await fetchAll(client, range, byUid);
      const fresh = fetched.filter((m) => m.uid > maxUid);
      result.added += await insertMessages(db, account, folder.id, uidValidity, fresh, deps);
    }

    // 2. flag changes and expunges among what we already had
    if (maxUid > 0) {
      const changedSince =
        folder.highestModseq && mb.highestModseq && !result.resynced ? folder.highestModseq : null;
      if (!changedSince || changedSince < (mb.highestModseq ?? 0n)) {
        const changes: FetchMessageObject[] = [];
        for await (const m of client.fetch(
          `1:${maxUid}`,
          { uid: true, flags: true },
          changedSince ? { uid: true, changedSince } : { uid: true }
        ))
          changes.push(m);
        result.flagsChanged += await applyFlags(db, account, folder.id, uidValidity, changes, deps);
      }
      const serverUids = new Set(
        ((await client.search({ uid: `1:${maxUid}` }, { uid: true })) || []).map(Number)
      );
      // only rows up to maxUid: anything above was inserted by this pass and is not in that search
      const localRows = await db.message.findMany({
        where: { ...scope, uidValidity, uid: { lte: BigInt(maxUid) } },
        select: { id: true, uid: true }
      });
      const gone = localRows.filter((r) => !serverUids.has(Number(r.uid)));
      if (gone.length) {
        await db.message.deleteMany({ where: { ...scope, id: { in: gone.map((g) => g.id) } } });
        result.deleted += gone.length;
        await deps.publish({
          type: 'MessagesDeleted',
          accountId: account.id,
          folderId: folder.id,
          messageIds: gone.map((g) => g.id)
        });
      }
    }

    // 3. backfill older messages, newest first, in chunks
    const minUid = Number(
      (await db.message.aggregate({ where: { ...scope, uidValidity }, _min: { uid: true } }))._min.uid ?? 0
    );
    if (minUid > 1) {
      const older = ((await client.search({ uid: `1:${minUid - 1}` }, { uid: true })) || [])
        .map(Number)
        .sort((a, b) => b - a);
      if (older.length && !opts.backfill) result.backfillPending = true;
      else
        for (let i = 0; i < older.length; i += chunk) {
          const uids = older.slice(i, i + chunk);
          const fetched = await fetchAll(client, uids.join(','), true);
          result.added += await insertMessages(db, account, folder.id, uidValidity, fetched, deps, {
            quiet: true
          });
        }
    }

    const [total, unread] = await Promise.all([
      db.message.count({ where: { ...scope, uidValidity } }),
      db.message.count({ where: { ...scope, uidValidity, seen: false } })
    ]);
    await db.folder.update({
      where: { id: folder.id },
      data: {
        uidValidity,
        uidNext: BigInt(mb.uidNext),
        highestModseq: mb.highestModseq ?? null,
        total,
        unread,
        lastSyncAt: new Date()
      }
    });
    folder.uidValidity = uidValidity;
    folder.uidNext = BigInt(mb.uidNext);
    folder.highestModseq = mb.highestModseq ?? null;
    if (result.added || result.deleted || result.flagsChanged)
      await deps.publish({
        type: 'FolderCountsChanged',
        accountId: account.id,
        folders: [{ folderId: folder.id, total, unread }]
      });
    return result;
  } finally {
    lock.release();
  }
}

async function fetchAll(client: ImapFlow, range: string, byUid: boolean): Promise<FetchMessageObject[]> {
  const out: FetchMessageObject[] = [];
  // no other command may run inside this loop (imapflow's rule): collect, then write
  for await (const m of client.fetch(range, FETCH_QUERY, { uid: byUid })) out.push(m);
  return out;
}

async function insertMessages(
  db: Db,
  account: SyncAccount,
  folderId: string,
  uidValidity: bigint,
  fetched: FetchMessageObject[],
  deps: SyncDeps,
  opts: { quiet?: boolean } = {}
): Promise<number> {
  if (!fetched.length) return 0;
  const rows = fetched.map((m) => ({
    id: randomUUID(),
    tenantId: account.tenantId,
    accountId: account.id,
    folderId,
    uidValidity,
    ...messageRow(m)
  })) satisfies Prisma.MessageCreateManyInput[];
  const scope = { tenantId: account.tenantId, accountId: account.id };
  const threads = await assignThreads(
    db,
    scope,
    rows.map((r) => ({
      key: r.id,
      messageId: r.messageId,
      inReplyTo: r.inReplyTo,
      references: r.references,
      subject: r.subject,
      date: r.date ?? r.internalDate
    }))
  );
  for (const r of rows) (r as Prisma.MessageCreateManyInput).threadId = threads.get(r.id) ?? null;
  const res = await db.message.createMany({ data: rows, skipDuplicates: true });
  if (!res.count) return 0;
  // rows skipped as duplicates (another pass stored them first) keep their own id
  const inserted = new Set(
    (
      await db.message.findMany({
        where: { ...scope, id: { in: rows.map((r) => r.id) } },
        select: { id: true }
      })
    ).map((r) => r.id)
  );
  const attachments = fetched.flatMap((m, i) =>
    inserted.has(rows[i]!.id)
      ? attachmentsOf(m.bodyStructure as MessageStructureObject | undefined).map((a) => ({
          tenantId: account.tenantId,
          messageId: rows[i]!.id,
          part: a.part,
          filename: a.filename,
          contentType: a.contentType,
          size: a.size,
          contentId: a.contentId,
          inline: a.inline
        }))
      : []
  );
  if (attachments.length) await db.attachment.createMany({ data: attachments, skipDuplicates: true });
  if (!opts.quiet)
    await deps.publish({
      type: 'MessageCreated',
      accountId: account.id,
      folderId,
      messageIds: [...inserted]
    });
  return res.count;
}

async function applyFlags(
  db: Db,
  account: SyncAccount,
  folderId: string,
  uidValidity: bigint,
  fetched: FetchMessageObject[],
  deps: SyncDeps
): Promise<number> {
  if (!fetched.length) return 0;
  const local = await db.message.findMany({
    where: {
      tenantId: account.tenantId,
      folderId,
      uidValidity,
      uid: { in: fetched.map((m) => BigInt(m.uid)) }
    },
    select: { id: true, uid: true, flags: true, keywords: true }
  });
  const byUid = new Map(local.map((r) => [Number(r.uid), r]));
  const changes: { messageId: string; flags: string[]; keywords: string[] }[] = [];
  for (const m of fetched) {
    const row = byUid.get(m.uid);
    if (!row || !m.flags) continue;
    const { flags, keywords } = splitFlags(m.flags);
    if (same(flags, row.flags) && same(keywords, row.keywords)) continue;
    await db.message.update({
      where: { id: row.id },
      data: {
        flags,
        keywords,
        seen: flags.includes('\\Seen'),
        flagged: flags.includes('\\Flagged'),
        modseq: m.modseq ?? null
      }
    });
    changes.push({ messageId: row.id, flags, keywords });
  }
  if (changes.length) await deps.publish({ type: 'FlagsChanged', accountId: account.id, changes });
  return changes.length;
}

export function splitFlags(set: Set<string>): { flags: string[]; keywords: string[] } {
  const all = [...set].filter((f) => f !== '\\Recent'); // \Recent belongs to one session, not the message
  return {
    flags: all.filter((f) => f.startsWith('\\')).sort(),
    keywords: all.filter((f) => !f.startsWith('\\')).sort()
  };
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
}
