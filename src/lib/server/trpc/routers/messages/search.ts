import { z } from 'zod';
import { Prisma } from '../../../../../generated/prisma/client.js';
import { AppError } from '../../../errors.js';
import {
  likePattern,
  parseSearchQuery,
  SearchQueryError,
  type SearchQuery
} from '../../../mail/search-query.js';
import { authedProcedure } from '../../init.js';
import { LIST_SELECT, pageInput } from './page.js';
import { threadCounts } from './thread.js';

/** How far the first page counts matches: past this the answer is "more than". */
export const SEARCH_COUNT_CAP = 1000;

// What a plain word matches: the indexed expression of migration 20261201100000_message_search
// (written the same way, or PostgreSQL would not use its trigram index).
const TEXT = Prisma.raw(
  'message_search_text(m."subject", m."snippet", m."textBody", m."fromAddress", m."toAddresses", m."ccAddresses")'
);
const FROM = Prisma.raw(
  `(coalesce(m."fromAddress" ->> 'name', '') || ' ' || coalesce(m."fromAddress" ->> 'address', ''))`
);
const TO = Prisma.raw(
  `(jsonb_path_query_array(m."toAddresses", 'lax $[*].name')::text || jsonb_path_query_array(m."toAddresses", 'lax $[*].address')::text || ` +
    `jsonb_path_query_array(m."ccAddresses", 'lax $[*].name')::text || jsonb_path_query_array(m."ccAddresses", 'lax $[*].address')::text)`
);

function conditions(q: SearchQuery): Prisma.Sql[] {
  const out: Prisma.Sql[] = [];
  for (const t of q.terms) {
    const p = likePattern(t.value);
    if (t.field === 'any') {
      out.push(t.negate ? Prisma.sql`NOT (${TEXT} ILIKE ${p})` : Prisma.sql`${TEXT} ILIKE ${p}`);
      continue;
    }
    const col = t.field === 'from' ? FROM : t.field === 'to' ? TO : Prisma.raw('m."subject"');
    if (t.negate) out.push(Prisma.sql`NOT (${col} ILIKE ${p})`);
    // the field is part of the indexed text too: asking both lets the trigram index narrow it
    else out.push(Prisma.sql`${TEXT} ILIKE ${p}`, Prisma.sql`${col} ILIKE ${p}`);
  }
  if (q.hasAttachment !== undefined) out.push(Prisma.sql`m."hasAttachments" = ${q.hasAttachment}`);
  if (q.seen !== undefined) out.push(Prisma.sql`m."seen" = ${q.seen}`);
  if (q.flagged !== undefined) out.push(Prisma.sql`m."flagged" = ${q.flagged}`);
  return out;
}

/**
 * Searches the signed-in user's mail on the server: one folder, every folder of an account, or
 * (accountId "all") every account's inboxes or every folder. Rows as messages.list gives them,
 * newest first, keyset-paginated; the first page also says how many match (up to a cap).
 */
export const searchProcedure = authedProcedure
  .input(
    z.object({
      accountId: z.union([z.uuid({ error: 'Not a mail account id.' }), z.literal('all')]),
      /** absent: every folder (of the account, or with "all" of every account) */
      folderId: z.uuid().optional(),
      /** with accountId "all" and no folderId: only the inboxes (the All inboxes view) */
      inboxesOnly: z.boolean().default(false),
      query: z
        .string()
        .trim()
        .min(1, 'Type something to search for.')
        .max(200, 'A search can be at most 200 characters.'),
      limit: pageInput.limit,
      cursor: pageInput.cursor
    })
  )
  .query(async ({ ctx, input }) => {
    const tenantId = ctx.user.tenantId;
    let parsed: SearchQuery;
    try {
      parsed = parseSearchQuery(input.query);
    } catch (e) {
      if (e instanceof SearchQueryError) throw new AppError('BAD_REQUEST', e.message);
      throw e;
    }
    const accounts = await ctx.db.mailAccount.findMany({
      where: {
        tenantId,
        userId: ctx.user.id,
        ...(input.accountId === 'all' ? {} : { id: input.accountId })
      },
      select: { id: true }
    });
    if (input.accountId !== 'all' && !accounts.length)
      throw new AppError('NOT_FOUND', 'That mail account does not exist (it may have been removed).');
    const accountIds = accounts.map((a) => a.id);
    let folderIds: string[] | null = null;
    if (input.folderId) {
      const folder = await ctx.db.folder.findFirst({
        where: { tenantId, id: input.folderId, accountId: { in: accountIds } },
        select: { id: true }
      });
      if (!folder)
        throw new AppError('NOT_FOUND', 'That folder does not exist (it may have been deleted or renamed).');
      folderIds = [folder.id];
    } else if (input.accountId === 'all' && input.inboxesOnly) {
      const inboxes = await ctx.db.folder.findMany({
        where: { tenantId, specialUse: '\\Inbox', accountId: { in: accountIds } },
        select: { id: true }
      });
      folderIds = inboxes.map((f) => f.id);
    }
    if (!accountIds.length || (folderIds && !folderIds.length))
      return { items: [], nextCursor: null, threadCounts: {}, total: input.cursor ? null : 0 };

    const where = Prisma.join(
      [
        Prisma.sql`m."tenantId" = ${tenantId}::uuid`,
        accountIds.length === 1
          ? Prisma.sql`m."accountId" = ${accountIds[0]}::uuid`
          : Prisma.sql`m."accountId" = ANY(${accountIds}::uuid[])`,
        ...(folderIds
          ? [
              folderIds.length === 1
                ? Prisma.sql`m."folderId" = ${folderIds[0]}::uuid`
                : Prisma.sql`m."folderId" = ANY(${folderIds}::uuid[])`
            ]
          : []),
        Prisma.sql`NOT m."deleting"`,
        ...conditions(parsed)
      ],
      ' AND '
    );
    const c = input.cursor;
    const after = c
      ? Prisma.sql`AND (m."internalDate" < ${c.internalDate} OR (m."internalDate" = ${c.internalDate} AND m.id < ${c.id}::uuid))`
      : Prisma.empty;
    const [hits, counted] = await Promise.all([
      ctx.db.$queryRaw<{ id: string }[]>`
        SELECT m.id FROM "Message" m WHERE ${where} ${after}
         ORDER BY m."internalDate" DESC, m.id DESC LIMIT ${input.limit + 1}`,
      c
        ? null
        : ctx.db.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM (SELECT 1 FROM "Message" m WHERE ${where} LIMIT ${SEARCH_COUNT_CAP + 1}) s`
    ]);
    const more = hits.length > input.limit;
    const ids = (more ? hits.slice(0, input.limit) : hits).map((h) => h.id);
    const rows = ids.length
      ? await ctx.db.message.findMany({
          where: { tenantId, id: { in: ids } },
          select: { ...LIST_SELECT, accountId: true, folderId: true }
        })
      : [];
    const order = new Map(ids.map((id, i) => [id, i]));
    const items = rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    const last = items.at(-1);
    return {
      items,
      nextCursor: more && last ? { internalDate: last.internalDate, id: last.id } : null,
      threadCounts: await threadCounts(ctx.db, tenantId, items),
      /** matches in all (first page only; SEARCH_COUNT_CAP + 1 means "more than the cap") */
      total: counted ? (counted[0]?.n ?? 0) : null
    };
  });
