// Contacts for address autocomplete: who the user mails with, ranked by how often and how
// recently. Two cheap sources, neither on the sync hot path:
//  - counted up when a message of the user goes out (worker, after the server accepted it);
//  - aggregated from the synced mail of an account (From of received mail, To/Cc of sent
//    mail) by the job contacts.rebuild, which compose.suggest asks for at most every few hours.
// Both merge with GREATEST, so the same mail seen by both is not counted twice over.
import type { Redis } from 'ioredis';
import type { Db } from '../db.js';
import type { Producer } from '../queue/producer.js';

export interface ContactScope {
  tenantId: string;
  userId: string;
}

export interface Suggestion {
  address: string;
  name: string | null;
  count: number;
  lastUsedAt: Date;
}

/** How long a rebuilt account counts as fresh. */
export const REBUILD_EVERY_SECONDS = 6 * 3600;
/** The newest messages per account the rebuild looks at (a bound on its work). */
const REBUILD_WINDOW = 50_000;

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The top 8 contacts whose address, or a word of whose name, starts with `query`. The score is
 * frequency damped by age: log(1 + count) weighted by a decay with a half-life of about 60 days,
 * so last week's new colleague outranks someone mailed often years ago.
 */
export async function suggest(db: Db, scope: ContactScope, query: string, limit = 8): Promise<Suggestion[]> {
  const q = likeEscape(query.trim().toLowerCase()).slice(0, 200);
  const prefix = `${q}%`;
  const word = `% ${q}%`;
  return db.$queryRaw<Suggestion[]>`
    SELECT address, name, count, "lastUsedAt"
      FROM "Contact"
     WHERE "tenantId" = ${scope.tenantId}::uuid AND "userId" = ${scope.userId}::uuid
       AND (${q} = '' OR address LIKE ${prefix} OR lower(name) LIKE ${prefix} OR lower(name) LIKE ${word})
     ORDER BY ln(1 + count) * exp(-extract(epoch FROM (now() - "lastUsedAt")) / (86400 * 87)) DESC,
              address
     LIMIT ${limit}`;
}

/** Counts each recipient of a message the user sent, once. */
export async function recordSent(
  db: Db,
  scope: ContactScope,
  recipients: { name: string | null; address: string }[],
  at = new Date()
): Promise<void> {
  const seen = new Set<string>();
  for (const r of recipients) {
    const address = r.address.trim().toLowerCase();
    if (!address.includes('@') || seen.has(address)) continue;
    seen.add(address);
    const name = r.name?.trim() || null;
    await db.$executeRaw`
      INSERT INTO "Contact" (id, "tenantId", "userId", address, name, count, "lastUsedAt")
      VALUES (gen_random_uuid(), ${scope.tenantId}::uuid, ${scope.userId}::uuid, ${address}, ${name}, 1, ${at})
      ON CONFLICT ("tenantId", "userId", address) DO UPDATE
        SET count = "Contact".count + 1,
            "lastUsedAt" = GREATEST("Contact"."lastUsedAt", EXCLUDED."lastUsedAt"),
            name = COALESCE(EXCLUDED.name, "Contact".name)`;
  }
}

/**
 * Aggregates the account's synced mail into the user's contacts in one statement: the sender
 * of every received message, the recipients of every sent one, over the newest messages.
 * Junk, Trash and Drafts are left out; so are the account's own addresses.
 */
export async function rebuildAccount(db: Db, accountId: string): Promise<number> {
  const account = await db.mailAccount.findUnique({
    where: { id: accountId },
    select: { id: true, tenantId: true, userId: true, email: true, aliases: true }
  });
  if (!account) return 0;
  const own = [account.email, ...account.aliases].map((a) => a.toLowerCase());
  return db.$executeRaw`
    WITH recent AS (
      SELECT m."fromAddress", m."toAddresses", m."ccAddresses", coalesce(m.date, m."internalDate") AS at,
             coalesce(f."specialUse", '') AS use
        FROM "Message" m JOIN "Folder" f ON f.id = m."folderId"
       WHERE m."tenantId" = ${account.tenantId}::uuid AND m."accountId" = ${account.id}::uuid
         AND NOT m.deleting
         AND coalesce(f."specialUse", '') NOT IN ('\\Junk', '\\Trash', '\\Drafts')
       ORDER BY m."internalDate" DESC
       LIMIT ${REBUILD_WINDOW}
    ), people AS (
      SELECT r."fromAddress" AS a, r.at FROM recent r
       WHERE r.use <> '\\Sent' AND jsonb_typeof(r."fromAddress") = 'object'
      UNION ALL
      SELECT x.a, r.at FROM recent r
       CROSS JOIN LATERAL jsonb_array_elements(
         CASE WHEN jsonb_typeof(r."toAddresses") = 'array' THEN r."toAddresses" ELSE '[]'::jsonb END ||
         CASE WHEN jsonb_typeof(r."ccAddresses") = 'array' THEN r."ccAddresses" ELSE '[]'::jsonb END) AS x(a)
       WHERE r.use = '\\Sent'
    ), clean AS (
      SELECT lower(trim(a->>'address')) AS address, nullif(trim(a->>'name'), '') AS name, at
        FROM people WHERE position('@' IN coalesce(a->>'address', '')) > 1
    )
    INSERT INTO "Contact" (id, "tenantId", "userId", address, name, count, "lastUsedAt")
    SELECT gen_random_uuid(), ${account.tenantId}::uuid, ${account.userId}::uuid, address,
           (array_agg(name ORDER BY at DESC) FILTER (WHERE name IS NOT NULL))[1], count(*)::int, max(at)
      FROM clean
     WHERE NOT (address = ANY(${own}::text[])) AND length(address) <= 254
     GROUP BY address
    ON CONFLICT ("tenantId", "userId", address) DO UPDATE
      SET count = GREATEST("Contact".count, EXCLUDED.count),
          "lastUsedAt" = GREATEST("Contact"."lastUsedAt", EXCLUDED."lastUsedAt"),
          name = COALESCE("Contact".name, EXCLUDED.name)`;
}

/**
 * Asks for a rebuild of each account not rebuilt in the last REBUILD_EVERY_SECONDS (a Redis
 * key per account marks it; one job per account and period).
 */
export async function ensureRebuilt(
  deps: { redis: Redis; producer: Producer; prefix: string },
  accountIds: string[]
): Promise<void> {
  for (const id of accountIds) {
    const fresh = await deps.redis.set(
      `${deps.prefix}:contacts:built:${id}`,
      '1',
      'EX',
      REBUILD_EVERY_SECONDS,
      'NX'
    );
    if (fresh !== 'OK') continue;
    await deps.producer
      .enqueue('contacts.rebuild', { accountId: id }, { jobId: `contacts-${id}-${Date.now()}`, attempts: 2 })
      .catch(() => deps.redis.del(`${deps.prefix}:contacts:built:${id}`));
  }
}
