// Snippets for mail that was synced but not prefetched: a partial FETCH of the first 2 KB of
// each message's text part (BODY.PEEK, so nothing is marked read), decoded and cut down. Runs on
// the account's command connection after a folder's backfill, newest first, in batches.
import type { FetchMessageObject, ImapFlow, MessageStructureObject } from 'imapflow';
import { snippetPartOf, type SnippetPart } from '../../src/lib/server/mail/bodystructure.js';
import { snippetFromPartialPart } from '../../src/lib/server/mail/snippet.js';
import type { SyncAccount, SyncDeps, FolderRow } from './sync.js';

const PEEK_BYTES = 2048;
/** a part with no text gets this, so it is not fetched again (the list shows nothing) */
const NO_TEXT = ' ';

export async function fillSnippets(
  client: ImapFlow,
  account: SyncAccount,
  folder: FolderRow,
  deps: Pick<SyncDeps, 'db' | 'log'>,
  opts: { limit?: number; batch?: number } = {}
): Promise<number> {
  const { db } = deps;
  if (folder.uidValidity === null) return 0;
  const rows = await db.message.findMany({
    where: {
      tenantId: account.tenantId,
      folderId: folder.id,
      uidValidity: folder.uidValidity,
      uid: { gt: 0 },
      snippet: '',
      bodyFetchedAt: null
    },
    select: { id: true, uid: true, bodyStructure: true },
    orderBy: { internalDate: 'desc' },
    take: opts.limit ?? 20_000
  });
  if (!rows.length) return 0;
  const batch = opts.batch ?? 500;
  let filled = 0;
  const lock = await client.getMailboxLock(folder.path, { readOnly: true });
  try {
    if (client.mailbox && client.mailbox.uidValidity !== folder.uidValidity) return 0;
    for (let i = 0; i < rows.length; i += batch) {
      const chunk = rows.slice(i, i + batch);
      const out: { id: string; s: string }[] = [];
      // one FETCH per distinct text part number (most messages: "1" or "1.1")
      const byPart = new Map<string, { id: string; uid: bigint; info: SnippetPart }[]>();
      for (const r of chunk) {
        const info = snippetPartOf(r.bodyStructure as unknown as MessageStructureObject | null);
        if (!info) {
          out.push({ id: r.id, s: NO_TEXT });
          continue;
        }
        byPart.set(info.part, [...(byPart.get(info.part) ?? []), { id: r.id, uid: r.uid, info }]);
      }
      for (const [part, list] of byPart) {
        const fetched: FetchMessageObject[] = [];
        // nothing else may run on the connection inside the loop (imapflow): collect first
        for await (const m of client.fetch(
          list.map((l) => l.uid.toString()).join(','),
          { uid: true, bodyParts: [{ key: part, maxLength: PEEK_BYTES }] },
          { uid: true }
        ))
          fetched.push(m);
        const byUid = new Map(fetched.map((m) => [BigInt(m.uid), m]));
        for (const l of list) {
          const m = byUid.get(l.uid);
          const buf = m?.bodyParts?.get(part);
          if (!m) continue; // expunged meanwhile: the next sync removes the row
          const snippet = buf ? snippetFromPartialPart(buf, l.info, m.binaryParts?.has(part) ?? false) : '';
          out.push({ id: l.id, s: snippet || NO_TEXT });
        }
      }
      if (out.length) {
        await db.$executeRaw`
          UPDATE "Message" m SET snippet = c.s
            FROM jsonb_to_recordset(${JSON.stringify(out)}::jsonb) AS c(id uuid, s text)
           WHERE m.id = c.id AND m."tenantId" = ${account.tenantId}::uuid AND m.snippet = ''`;
        filled += out.length;
      }
    }
  } finally {
    lock.release();
  }
  return filled;
}
