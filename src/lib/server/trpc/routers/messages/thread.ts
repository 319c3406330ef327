import { z } from 'zod';
import type { Db } from '../../../db.js';
import { AppError } from '../../../errors.js';
import { accountProcedure } from '../../init.js';
import { LIST_SELECT } from './page.js';

/** A conversation longer than this shows its newest messages only. */
const THREAD_MAX = 200;

/**
 * How many messages each conversation holds, in every folder of its account (Sent included):
 * the "3" beside a subject in the message list. One grouped query for a whole page.
 */
export async function threadCounts(
  db: Db,
  tenantId: string,
  pairs: { accountId: string; threadId: string | null }[]
): Promise<Record<string, number>> {
  const byAccount = new Map<string, Set<string>>();
  for (const p of pairs) {
    if (!p.threadId) continue;
    let set = byAccount.get(p.accountId);
    if (!set) byAccount.set(p.accountId, (set = new Set()));
    set.add(p.threadId);
  }
  const out: Record<string, number> = {};
  await Promise.all(
    [...byAccount].map(async ([accountId, ids]) => {
      const rows = await db.message.groupBy({
        by: ['threadId'],
        where: { tenantId, accountId, threadId: { in: [...ids] }, deleting: false },
        _count: { _all: true }
      });
      for (const r of rows) if (r.threadId) out[r.threadId] = r._count._all;
    })
  );
  return out;
}

/** Message counts of the given conversations of one account (for pages loaded in the browser). */
export const threadCountsProcedure = accountProcedure
  .input(z.object({ threadIds: z.array(z.string().min(1).max(200)).max(200, 'At most 200 at once.') }))
  .query(({ ctx, input }) =>
    threadCounts(
      ctx.db,
      ctx.user.tenantId,
      input.threadIds.map((threadId) => ({ accountId: ctx.account.id, threadId }))
    )
  );

/**
 * One conversation: its messages in every folder of the account (Sent included), oldest first,
 * each with the folder it sits in. Bodies are loaded per message with messages.get.
 */
export const threadProcedure = accountProcedure
  .input(z.object({ threadId: z.string().min(1, 'Not a conversation id.').max(200) }))
  .query(async ({ ctx, input }) => {
    const rows = await ctx.db.message.findMany({
      where: {
        tenantId: ctx.user.tenantId,
        accountId: ctx.account.id,
        threadId: input.threadId,
        deleting: false
      },
      orderBy: [{ internalDate: 'desc' }, { id: 'desc' }],
      take: THREAD_MAX,
      // a list row's fields, and where each message of the conversation is
      select: {
        ...LIST_SELECT,
        folderId: true,
        ccAddresses: true,
        folder: { select: { name: true, specialUse: true } }
      }
    });
    if (!rows.length)
      throw new AppError(
        'NOT_FOUND',
        'That conversation does not exist any more (its messages may have been moved or deleted).'
      );
    return { threadId: input.threadId, messages: rows.reverse() };
  });
