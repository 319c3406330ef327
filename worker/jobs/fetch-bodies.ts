import type { JobPayload } from '../../src/lib/server/queue/jobs.js';
import type { JobContext, JobHandler } from '../registry.js';
import {
  bodyClaim,
  findBodyRows,
  MAX_PARSE_BYTES,
  openAccountImap,
  storeSource,
  type BodyRow
} from './fetch-body.js';

/**
 * The sources of one batch are held in memory between the fetch and the parse: past this many
 * bytes (by the sizes the server reported) the rest of the batch is left to be fetched when
 * opened. A batch of recent mail is usually a few MB.
 */
const BATCH_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The prefetch of recent mail: the bodies of up to 100 messages of one account with one IMAP
 * login, one UID FETCH per folder, then (the connection closed) each parsed, rendered on a
 * render thread and stored like imap.fetchBody does (storeSource). Messages already fetched,
 * gone, too large to parse, or in a folder whose UIDVALIDITY changed are skipped.
 */
export const fetchBodiesJob: JobHandler<'imap.fetchBodies'> = async (p, ctx) => {
  const rank = new Map(p.messageIds.map((id, i) => [id, i]));
  // in the order asked for (newest first): what the byte budget leaves out is the oldest
  const rows = (await findBodyRows(ctx.db, p.accountId, p.messageIds)).sort(
    (a, b) => rank.get(a.id)! - rank.get(b.id)!
  );
  const wanted: BodyRow[] = [];
  let bytes = 0;
  let deferred = 0;
  for (const r of rows) {
    if (r.bodyFetchedAt || r.size > MAX_PARSE_BYTES) continue;
    if (wanted.length && bytes + r.size > BATCH_MAX_BYTES) {
      deferred++;
      continue;
    }
    bytes += r.size;
    wanted.push(r);
  }
  // what an open is fetching now is left to it
  const claimed: BodyRow[] = [];
  for (const r of wanted) if (await bodyClaim.take(ctx, r.id)) claimed.push(r);
  try {
    return await fetchAndStoreAll(ctx, p, claimed, deferred);
  } finally {
    await Promise.all(claimed.map((r) => bodyClaim.release(ctx, r.id)));
  }
};

async function fetchAndStoreAll(
  ctx: JobContext,
  p: JobPayload<'imap.fetchBodies'>,
  wanted: BodyRow[],
  deferred: number
) {
  if (!wanted.length) return { fetched: 0, stored: 0 };

  const byFolder = new Map<string, BodyRow[]>();
  for (const r of wanted) byFolder.set(r.folder.path, [...(byFolder.get(r.folder.path) ?? []), r]);
  const client = await openAccountImap(ctx, p.accountId);
  if (!client) return { skipped: 'account gone' };
  const sources = new Map<string, Buffer>(); // message id -> source
  try {
    for (const [path, msgs] of byFolder) {
      const lock = await client.getMailboxLock(path, { readOnly: true });
      try {
        const uidValidity = client.mailbox ? client.mailbox.uidValidity : null;
        const byUid = new Map(
          msgs.filter((m) => m.uidValidity === uidValidity).map((m) => [String(m.uid), m])
        );
        if (!byUid.size) continue;
        // One UID FETCH (BODY.PEEK[]: not marked as read) for the folder. No other command may
        // be sent on the connection until it has ended (imapflow), so this loop only collects.
        for await (const f of client.fetch(
          [...byUid.keys()].join(','),
          { uid: true, source: true },
          { uid: true }
        )) {
          const m = byUid.get(String(f.uid));
          if (m && f.source) sources.set(m.id, f.source);
        }
      } finally {
        lock.release();
      }
    }
  } finally {
    // parsing and rendering take from milliseconds to a minute each: not while logged in
    await client.logout().catch(() => client.close());
  }
  // fetched: an open of one of these may now fetch it itself rather than wait for its turn here
  await Promise.all(wanted.map((r) => bodyClaim.release(ctx, r.id)));

  const fetched = sources.size;
  let stored = 0;
  let failed = 0;
  for (const m of wanted) {
    const source = sources.get(m.id);
    if (!source) continue;
    sources.delete(m.id); // let it go once parsed
    if (!(await bodyClaim.take(ctx, m.id))) continue; // an open is on it
    try {
      const row = await ctx.db.message.findUnique({ where: { id: m.id }, select: { bodyFetchedAt: true } });
      if (!row || row.bodyFetchedAt) continue; // an open stored it meanwhile
      // one at a time: an open waiting for the render threads queues behind one render, not a batch
      const r = await storeSource(ctx, m, source);
      if (r.stored) stored++;
      if (r.renderError) failed++;
    } finally {
      await bodyClaim.release(ctx, m.id);
    }
  }
  ctx.log.info(
    { accountId: p.accountId, asked: p.messageIds.length, fetched, stored, renderFailed: failed, deferred },
    'bodies prefetched'
  );
  return { fetched, stored, renderFailed: failed, deferred };
}
