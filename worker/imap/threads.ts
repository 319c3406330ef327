// Thread ids for a batch of new messages: threaded among themselves in memory (JWZ, see
// src/lib/server/mail/threading.ts), then joined to conversations already stored for the
// account (any folder): by Message-ID of a parent, by a stored reply naming one of them, or,
// for reply-looking subjects with nothing else to go on, by subject within 30 days.

import { pgPool, type Db } from '../../src/lib/server/db.js';
import {
  isReplySubject,
  normalizeSubject,
  SUBJECT_WINDOW_MS,
  threadBatch,
  type ThreadInput
} from '../../src/lib/server/mail/threading.js';

export interface Threadable extends ThreadInput {
  key: string;
  /** the thread id the row was stored with, when known */
  threadId?: string | null;
}

export async function assignThreads(
  db: Db,
  scope: { tenantId: string; accountId: string },
  msgs: Threadable[]
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!msgs.length) return out;
  const batch = threadBatch(msgs);
  const batchThread = (i: number) => batch.get(i)!;

  const own = [...new Set(msgs.map((m) => m.messageId).filter((x): x is string => Boolean(x)))];
  const parents = [
    ...new Set(msgs.flatMap((m) => [m.inReplyTo, ...m.references]).filter((x): x is string => Boolean(x)))
  ];
  const [known, children] = await Promise.all([
    parents.length || own.length
      ? db.message.findMany({
          where: { ...scope, messageId: { in: [...new Set([...own, ...parents])] }, threadId: { not: null } },
          select: { messageId: true, threadId: true }
        })
      : [],
    own.length
      ? db.$queryRaw<{ inReplyTo: string | null; references: string[]; threadId: string }[]>`
          SELECT "inReplyTo", "references", "threadId" FROM "Message"
          WHERE "tenantId" = ${scope.tenantId}::uuid AND "accountId" = ${scope.accountId}::uuid
            AND "threadId" IS NOT NULL
            AND ("inReplyTo" = ANY(${own}::text[]) OR "references" && ${own}::text[])
          LIMIT 5000`
      : []
  ]);
  const threadOfId = new Map(known.map((k) => [k.messageId!, k.threadId!]));
  const childThread = new Map<string, string>();
  for (const c of children)
    for (const id of [c.inReplyTo, ...c.references])
      if (id && own.includes(id)) childThread.set(id, c.threadId);

  // a batch thread takes the stored thread of the first of its messages that has one
  const remap = new Map<string, string>();
  msgs.forEach((m, i) => {
    const t = batchThread(i);
    if (remap.has(t)) return;
    const ancestors = [m.messageId, m.inReplyTo, ...[...m.references].reverse()].filter(Boolean) as string[];
    const stored =
      ancestors.map((a) => threadOfId.get(a)).find(Boolean) ??
      (m.messageId ? childThread.get(m.messageId) : undefined);
    if (stored) remap.set(t, stored);
  });

  // subject fallback against stored mail, only for reply-looking subjects still on their own:
  // one query for the whole batch, then the nearest candidate in time for each message
  const lonely = msgs
    .map((m, i) => ({ m, t: batchThread(i), key: normalizeSubject(m.subject) }))
    .filter((x) => !remap.has(x.t) && x.key && isReplySubject(x.m.subject));
  if (lonely.length) {
    const times = lonely.map((x) => x.m.date.getTime());
    const candidates = await db.message.findMany({
      where: {
        ...scope,
        subjectKey: { in: [...new Set(lonely.map((x) => x.key))] },
        threadId: { not: null },
        internalDate: {
          gte: new Date(Math.min(...times) - SUBJECT_WINDOW_MS),
          lte: new Date(Math.max(...times) + SUBJECT_WINDOW_MS)
        }
      },
      select: { subjectKey: true, threadId: true, internalDate: true },
      take: 20_000
    });
    const bySubject = new Map<string, { threadId: string; at: number }[]>();
    for (const c of candidates)
      bySubject.set(c.subjectKey, [
        ...(bySubject.get(c.subjectKey) ?? []),
        { threadId: c.threadId!, at: c.internalDate.getTime() }
      ]);
    for (const x of lonely) {
      if (remap.has(x.t)) continue;
      const at = x.m.date.getTime();
      const near = (bySubject.get(x.key) ?? [])
        .filter((c) => Math.abs(c.at - at) <= SUBJECT_WINDOW_MS)
        .sort((a, b) => Math.abs(a.at - at) - Math.abs(b.at - at))[0];
      if (near) remap.set(x.t, near.threadId);
    }
  }

  msgs.forEach((m, i) => out.set(m.key, remap.get(batchThread(i)) ?? batchThread(i)));
  return out;
}

/**
 * Threads every message of an account in one pass (JWZ over all of them, in memory) and
 * stores the thread ids that changed. Used after a backfill, whose chunks got provisional
 * thread ids: one read and one write instead of lookups per chunk (those were most of an
 * initial sync's time). `known` are rows the caller has just stored (or is storing) and still
 * holds, with the thread id it gave them: they are not read back.
 */
export async function rethreadAccount(
  db: Db,
  scope: { tenantId: string; accountId: string },
  known: Threadable[] = [],
  /** a write of some of `known` still running: the thread ids are stored once it is done */
  writing?: Promise<unknown>
): Promise<number> {
  // straight through node-postgres: Prisma's conversion of 10,000 rows cost more than the query
  const pool = pgPool(db);
  const { rows } = await pool.query<{
    id: string;
    messageId: string | null;
    inReplyTo: string | null;
    references: string[];
    subject: string;
    at: number;
    threadId: string | null;
  }>(
    `SELECT id, "messageId", "inReplyTo", "references", subject, "threadId",
            (extract(epoch FROM COALESCE(date, "internalDate")) * 1000)::float8 AS at
       FROM "Message"
      WHERE "tenantId" = $1::uuid AND "accountId" = $2::uuid AND NOT (id = ANY($3::uuid[]))`,
    [scope.tenantId, scope.accountId, known.map((k) => k.key)]
  );
  const all = [
    ...rows.map((r) => ({ id: r.id, threadId: r.threadId, msg: { ...r, date: new Date(r.at) } })),
    ...known.map((k) => ({ id: k.key, threadId: k.threadId ?? null, msg: k }))
  ];
  const threads = threadBatch(all.map((a) => a.msg));
  const changed = all.flatMap((r, i) =>
    threads.get(i) !== r.threadId ? [{ id: r.id, t: threads.get(i)! }] : []
  );
  await writing;
  if (!changed.length) return 0;
  await pool.query(
    `UPDATE "Message" m SET "threadId" = c.t
       FROM jsonb_to_recordset($1::jsonb) AS c(id uuid, t text)
      WHERE m.id = c.id AND m."tenantId" = $2::uuid`,
    [JSON.stringify(changed), scope.tenantId]
  );
  return changed.length;
}
