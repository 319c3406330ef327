// Mirrors an IMAP account into PostgreSQL: the folder tree, then each folder's messages
// (envelope, flags, size, dates, body structure), newest first. Incremental runs fetch only
// new UIDs, changed flags (CONDSTORE when offered) and expunges; a changed UIDVALIDITY
// resyncs the folder from scratch.
import type { FetchMessageObject, FetchQueryObject, ImapFlow, ListResponse } from 'imapflow';
import type { Logger } from 'pino';
import { pgPool, type Db } from '../../src/lib/server/db.js';
import type { LiveEvent } from '../../src/lib/server/realtime/events.js';
import { prepareMessage, type PreparedMessage } from './map.js';
import { assignThreads, rethreadAccount, type Threadable } from './threads.js';
import { byFolderOrder } from '../../src/lib/server/mail/folder-order.js';
import { newThreadId } from '../../src/lib/server/mail/threading.js';
import { recountFolders, type FolderCounts } from '../../src/lib/server/actions/counts.js';
import { lockAccountActions } from '../../src/lib/server/actions/move.js';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

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

/** How long a user's flag change may wait for its job before a sync mirrors the server again. */
const FLAGS_PENDING_MS = 60_000;
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
  // under the account's action lock: a folder renamed or deleted by a job meanwhile must not be
  // half-seen (a LIST from before the rename would drop the renamed row and its mail)
  return deps.db.$transaction((tx) => syncFolderTree(tx, client, account), {
    timeout: 60_000,
    maxWait: 30_000
  });
}

async function syncFolderTree(db: Tx, client: ImapFlow, account: SyncAccount) {
  await lockAccountActions(db, account.id);
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
  return folders.sort(byFolderOrder);
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
      // rows moved here by the user and not yet carried to the server (uidValidity 0) stay
      const stale = { ...scope, uidValidity: { not: 0n } };
      const gone = await db.message.findMany({ where: stale, select: { id: true } });
      await db.message.deleteMany({ where: stale });
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
    // messages the user moved out of this folder are still here on the server until the move
    // job has run: their uids count as known, so they are neither re-added nor lost
    const movedOut = new Set(
      (
        await db.message.findMany({
          where: {
            tenantId: account.tenantId,
            accountId: account.id,
            srcFolderId: folder.id,
            srcUidValidity: uidValidity
          },
          select: { srcUid: true }
        })
      ).map((r) => Number(r.srcUid))
    );
    const local = await db.message.aggregate({
      where: { ...scope, uidValidity },
      _max: { uid: true },
      _min: { uid: true },
      _count: true
    });
    let maxUid = Number(local._max.uid ?? 0);
    for (const u of movedOut) maxUid = Math.max(maxUid, u);

    // 1. new messages (on a first sync: the newest page). A first sync writes that page while
    // the backfill below already asks IMAP for the rest: nothing there reads it, and the
    // backfill's own writes wait for it.
    let firstWrite: Promise<number> | null = null;
    let firstMin: number | null = null;
    const settleFirstWrite = async () => {
      const w = firstWrite;
      firstWrite = null;
      if (w) result.added += await w;
    };
    if (mb.exists > 0) {
      let range: string;
      let byUid = true;
      if (maxUid === 0) {
        range = `${Math.max(1, mb.exists - firstPage + 1)}:*`;
        byUid = false;
      } else range = `${maxUid + 1}:*`;
      const fetched = await fetchAll(client, range, byUid);
      const fresh = fetched.filter((m) => m.uid > maxUid && !movedOut.has(m.uid));
      const write = insertMessages(db, account, folder.id, uidValidity, fresh, deps);
      if (maxUid === 0 && fresh.length) {
        write.catch(() => {}); // awaited below; this only keeps a failure from going unhandled
        firstWrite = write;
        firstMin = Math.min(...fresh.map((m) => m.uid));
      } else result.added += await write;
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
    const storedMin =
      firstMin !== null
        ? firstMin // the page being written: nothing was stored before it
        : (await db.message.aggregate({ where: { ...scope, uidValidity }, _min: { uid: true } }))._min.uid;
    let minUid = storedMin === null ? Number.MAX_SAFE_INTEGER : Number(storedMin);
    for (const u of movedOut) minUid = Math.min(minUid, u);
    if (minUid > 1 && minUid !== Number.MAX_SAFE_INTEGER) {
      const older = ((await client.search({ uid: `1:${minUid - 1}` }, { uid: true })) || [])
        .map(Number)
        .sort((a, b) => b - a);
      if (older.length && !opts.backfill) result.backfillPending = true;
      else if (older.length) {
        // the next chunk is fetched from IMAP while this one is written to PostgreSQL
        // a chunk is a contiguous stretch of the (descending) uid list: ask for it as a range
        // ("lo:hi"), not a list of a thousand numbers, and keep only the uids it was about
        const fetchChunk = async (i: number) => {
          const uids = older.slice(i, i + chunk);
          const want = new Set(uids);
          const got = await fetchAll(client, `${uids.at(-1)}:${uids[0]}`, true);
          return got.filter((m) => want.has(m.uid));
        };
        // what the backfill stored, kept for the re-threading below (no need to read it back)
        const stored: Threadable[] = [];
        const scope = { tenantId: account.tenantId, accountId: account.id };
        let next: Promise<PreparedMessage[]> | null = fetchChunk(0);
        try {
          for (let i = 0; next; i += chunk) {
            const fetched: PreparedMessage[] = await next;
            next = i + chunk < older.length ? fetchChunk(i + chunk) : null;
            await settleFirstWrite();
            if (next) {
              result.added += await insertMessages(db, account, folder.id, uidValidity, fetched, deps, {
                quiet: true,
                stored
              });
              continue;
            }
            // the last chunk: the whole account is re-threaded while PostgreSQL writes it (its
            // rows go into the threading as written; the thread ids are stored once it is in)
            const threads = provisionalThreads(fetched);
            const write = insertMessages(db, account, folder.id, uidValidity, fetched, deps, {
              quiet: true,
              threads
            });
            write.catch(() => {}); // awaited below; this only keeps a failure from going unhandled
            const known = [
              ...stored,
              ...fetched.map((m) => ({ key: m.id, ...m.thread, threadId: threads.get(m.id)! }))
            ];
            await rethreadAccount(db, scope, known, write);
            result.added += await write;
          }
        } finally {
          // a write that failed leaves a fetch in flight: wait for it, its error is not ours
          await next?.catch(() => {});
        }
      }
    }

    await settleFirstWrite();
    await db.folder.update({
      where: { id: folder.id },
      data: {
        uidValidity,
        uidNext: BigInt(mb.uidNext),
        highestModseq: mb.highestModseq ?? null,
        lastSyncAt: new Date()
      }
    });
    const [{ total, unread }] = (await recountFolders(db, account.tenantId, [folder.id])) as [FolderCounts];
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

async function fetchAll(client: ImapFlow, range: string, byUid: boolean): Promise<PreparedMessage[]> {
  const out: PreparedMessage[] = [];
  // no other command may run inside this loop (imapflow's rule): collect, then write. Each
  // message is turned into its row at once (pure CPU, no I/O), so the FETCH result dies young.
  for await (const m of client.fetch(range, FETCH_QUERY, { uid: byUid })) out.push(prepareMessage(m));
  return out;
}

/** Thread ids from each message alone (its root Message-ID), before any threading pass. */
function provisionalThreads(fetched: PreparedMessage[]): Map<string, string> {
  return new Map(fetched.map((m) => [m.id, newThreadId(m.thread)]));
}

async function insertMessages(
  db: Db,
  account: SyncAccount,
  folderId: string,
  uidValidity: bigint,
  fetched: PreparedMessage[],
  deps: SyncDeps,
  opts: { quiet?: boolean; stored?: Threadable[]; threads?: Map<string, string> } = {}
): Promise<number> {
  if (!fetched.length) return 0;
  const scope = { tenantId: account.tenantId, accountId: account.id };
  const threadable = fetched.map((m) => ({ key: m.id, ...m.thread }));
  // new mail joins its stored conversation at once; a backfill chunk gets the thread its root
  // Message-ID names (no queries, no threading pass) and the whole account is re-threaded once
  // when the backfill is done
  const threads =
    opts.threads ?? (opts.quiet ? provisionalThreads(fetched) : await assignThreads(db, scope, threadable));
  const inserted = new Set(await insertRows(db, { ...scope, folderId, uidValidity }, fetched, threads));
  if (!inserted.size) return 0;
  if (opts.stored)
    for (const t of threadable)
      if (inserted.has(t.key)) opts.stored.push({ ...t, threadId: threads.get(t.key)! });
  if (!opts.quiet)
    await deps.publish({
      type: 'MessageCreated',
      accountId: account.id,
      folderId,
      messageIds: [...inserted]
    });
  return inserted.size;
}

// The columns a sync writes (prepareMessage in map.ts builds them); every other column of
// Message keeps its default.
const COLUMNS = [
  'id',
  'tenantId',
  'accountId',
  'folderId',
  'uidValidity',
  'uid',
  'modseq',
  'messageId',
  'threadId',
  'inReplyTo',
  'references',
  'subject',
  'subjectKey',
  'fromAddress',
  'toAddresses',
  'ccAddresses',
  'bccAddresses',
  'replyTo',
  'date',
  'internalDate',
  'size',
  'flags',
  'keywords',
  'seen',
  'flagged',
  'hasAttachments',
  'bodyStructure',
  'updatedAt'
] as const;
// the columns every row of a batch shares come as parameters, the rest from the JSON
const SHARED: Record<string, string> = {
  tenantId: '$2::uuid',
  accountId: '$3::uuid',
  folderId: '$4::uuid',
  uidValidity: '$5::bigint',
  // timestamp columns hold UTC (as Prisma writes them), whatever the session's time zone
  updatedAt: "(now() AT TIME ZONE 'UTC')"
};
// and the attachments of the rows actually inserted, in the same statement (one round trip)
const INSERT_SQL = `
  WITH ins AS (
    INSERT INTO "Message" (${COLUMNS.map((c) => `"${c}"`).join(', ')})
    SELECT ${COLUMNS.map((c) => SHARED[c] ?? `r."${c}"`).join(', ')}
      FROM jsonb_populate_recordset(NULL::"Message", $1::jsonb) r
    ON CONFLICT DO NOTHING
    RETURNING id
  ), att AS (
    INSERT INTO "Attachment" (id, "tenantId", "messageId", part, filename, "contentType", size, "contentId", inline)
    SELECT gen_random_uuid(), $2::uuid, a."messageId", a.part, a.filename, a."contentType", a.size,
           a."contentId", a.inline
      FROM jsonb_populate_recordset(NULL::"Attachment", $6::jsonb) a JOIN ins ON ins.id = a."messageId"
    ON CONFLICT DO NOTHING
  )
  SELECT id FROM ins`;

/**
 * One INSERT for a whole batch (a JSON array expanded by PostgreSQL), with its attachments, sent through
 * node-postgres: several times faster than Prisma's createMany, which was three quarters of an
 * initial sync. Rows another pass stored first (same folder, UIDVALIDITY and uid) are skipped;
 * returns the ids inserted.
 */
async function insertRows(
  db: Db,
  batch: { tenantId: string; accountId: string; folderId: string; uidValidity: bigint },
  rows: PreparedMessage[],
  threads: Map<string, string>
): Promise<string[]> {
  const json = `[${rows.map((r) => `${r.json},"threadId":${JSON.stringify(threads.get(r.id) ?? null)}}`).join(',')}]`;
  const attachments = rows.flatMap((r) =>
    r.attachments.map((a) => ({
      messageId: r.id,
      part: a.part,
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      contentId: a.contentId,
      inline: a.inline
    }))
  );
  const out = await pgPool(db).query<{ id: string }>(INSERT_SQL, [
    json,
    batch.tenantId,
    batch.accountId,
    batch.folderId,
    batch.uidValidity.toString(),
    JSON.stringify(attachments)
  ]);
  return out.rows.map((r) => r.id);
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
    select: { id: true, uid: true, flags: true, keywords: true, flagsPendingAt: true }
  });
  const byUid = new Map(local.map((r) => [Number(r.uid), r]));
  // a change the user just made is on its way to the server: do not put the old flags back
  const pendingSince = Date.now() - FLAGS_PENDING_MS;
  const changes: { messageId: string; flags: string[]; keywords: string[] }[] = [];
  for (const m of fetched) {
    const row = byUid.get(m.uid);
    if (!row || !m.flags) continue;
    if (row.flagsPendingAt && row.flagsPendingAt.getTime() > pendingSince) continue;
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
