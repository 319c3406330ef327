// Keeps exactly one copy of a draft in the account's Drafts folder.
//
// The row is the truth, the job only catches the server up with it. A run claims the row
// (a lease in Draft.syncingAt, so two runs for the same draft never interleave their APPEND
// and delete), appends the newest version, then deletes every other copy: all versions have
// Message-IDs `<draftId.N@domain>`, so one SEARCH by the draft id finds them, including a copy
// left by a run that died between its APPEND and its delete. When it releases the row and a
// newer version was saved meanwhile, it goes round again; a run that finds the row claimed
// does nothing, since the holder will see the newer version when it releases.
import type { ImapFlow, ListResponse } from 'imapflow';
import { publishControl } from '../../src/lib/server/realtime/events.js';
import { openAccount } from '../imap/connection.js';
import type { JobContext, JobHandler } from '../registry.js';

/** A run that holds the row longer than this is taken to be dead. */
const LEASE_SECONDS = 120;

const DRAFT_NAMES = /^(drafts?|entwürfe|brouillons|borradores|bozze)$/i;

function draftsFolder(list: ListResponse[]): string | null {
  const usable = list.filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'));
  return (
    usable.find((f) => f.specialUse === '\\Drafts')?.path ??
    usable.find((f) => DRAFT_NAMES.test(f.name))?.path ??
    null
  );
}

interface Claimed {
  id: string;
  accountId: string;
  version: number;
  syncedVersion: number;
  deletedAt: Date | null;
  adoptedMessageId: string | null;
  raw: Uint8Array;
}

async function claim(ctx: JobContext, id: string): Promise<Claimed | null> {
  const rows = await ctx.db.$queryRaw<Claimed[]>`
    UPDATE "Draft" SET "syncingAt" = now()
     WHERE id = ${id}::uuid
       AND ("syncingAt" IS NULL OR "syncingAt" < now() - make_interval(secs => ${LEASE_SECONDS}))
 RETURNING id, "accountId", version, "syncedVersion", "deletedAt", "adoptedMessageId", raw`;
  return rows[0] ?? null;
}

/** Copies `raw` (unless null) and deletes every other copy of the draft; returns the folder. */
async function replaceCopies(
  client: ImapFlow,
  draftId: string,
  raw: Buffer | null,
  currentId: string | null,
  adopted: string | null
): Promise<string> {
  let path = draftsFolder(await client.list());
  if (!path) {
    path = 'Drafts';
    await client.mailboxCreate(path).catch(() => {}); // may exist unflagged: the append tells
  }
  const lock = await client.getMailboxLock(path);
  try {
    let keep: number | null = null;
    if (raw) {
      const res = await client.append(path, raw, ['\\Seen', '\\Draft']);
      if (res && typeof res === 'object' && typeof res.uid === 'number') keep = res.uid;
      else if (currentId) {
        // no UIDPLUS: find the copy just appended by its exact Message-ID
        const found = await client.search({ header: { 'message-id': currentId } }, { uid: true });
        keep = Array.isArray(found) && found.length ? Math.max(...found) : null;
      }
    }
    const ours = await client.search({ header: { 'message-id': draftId } }, { uid: true });
    const theirs = adopted ? await client.search({ header: { 'message-id': adopted } }, { uid: true }) : [];
    const stale = [...new Set([...(ours || []), ...(theirs || [])])].filter((u) => u !== keep);
    if (stale.length) await client.messageDelete(stale.join(','), { uid: true });
  } finally {
    lock.release();
  }
  return path;
}

async function syncFolderNow(ctx: JobContext, accountId: string, path: string) {
  const folder = await ctx.db.folder.findFirst({ where: { accountId, path }, select: { id: true } });
  if (folder)
    await publishControl(ctx.redis, ctx.env.QUEUE_PREFIX, {
      type: 'SyncFolder',
      accountId,
      folderId: folder.id
    });
}

export const draftSyncJob: JobHandler<'draft.sync'> = async (p, ctx) => {
  const { db, log } = ctx;
  for (let round = 0; round < 10; round++) {
    const row = await claim(ctx, p.draftId);
    if (!row) {
      const exists = await db.draft.findUnique({ where: { id: p.draftId }, select: { id: true } });
      return { skipped: exists ? 'another run holds it' : 'gone' };
    }
    if (!row.deletedAt && row.syncedVersion >= row.version) {
      await db.draft.updateMany({ where: { id: row.id }, data: { syncingAt: null } });
      return { skipped: 'up to date' };
    }
    const account = await db.mailAccount.findUnique({ where: { id: row.accountId } });
    if (!account) return { skipped: 'account removed' };
    let client: ImapFlow | undefined;
    let path: string;
    try {
      client = await openAccount(account, ctx);
      const raw = row.deletedAt ? null : Buffer.from(row.raw);
      const currentId = raw
        ? (/^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw.subarray(0, 8192).toString())?.[1] ?? null)
        : null;
      path = await replaceCopies(client, row.id, raw, currentId, row.adoptedMessageId);
      await client.logout();
    } catch (err) {
      client?.close();
      const message = (err as Error).message?.slice(0, 500) ?? 'unknown error';
      await db.draft.updateMany({ where: { id: row.id }, data: { syncingAt: null, syncError: message } });
      log.warn({ err: { message }, draftId: row.id }, 'could not update the Drafts folder');
      throw err; // retried with backoff; the row keeps the draft meanwhile
    }
    await syncFolderNow(ctx, account.id, path);
    if (row.deletedAt) {
      await db.draft.deleteMany({ where: { id: row.id } });
      return { removed: true };
    }
    // release, and see in the same statement whether a newer version came in meanwhile
    const after = await db.$queryRaw<{ version: number; deletedAt: Date | null }[]>`
      UPDATE "Draft" SET "syncingAt" = NULL, "syncedVersion" = ${row.version}, "syncError" = NULL,
             "adoptedMessageId" = NULL
       WHERE id = ${row.id}::uuid
   RETURNING version, "deletedAt"`;
    const now = after[0];
    if (!now) return { removed: true };
    if (now.version === row.version && !now.deletedAt) return { synced: row.version };
  }
  return { synced: 'gave up after 10 rounds; the next save runs again' };
};
