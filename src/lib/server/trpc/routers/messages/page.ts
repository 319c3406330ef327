// One keyset page of messages, newest first (stable while mail arrives): shared by a folder's
// list and All inboxes, which differ only in which folders they read and one extra column.
import { z } from 'zod';
import type { Db } from '../../../db.js';
import type { Prisma } from '../../../../../generated/prisma/client.js';

export const pageInput = {
  limit: z.number().int().min(1).max(200).default(50),
  cursor: z.object({ internalDate: z.coerce.date(), id: z.uuid() }).nullish(),
  unreadOnly: z.boolean().default(false)
};

type PageInput = { limit: number; cursor?: { internalDate: Date; id: string } | null; unreadOnly: boolean };

/** What a list row shows. */
export const LIST_SELECT = {
  id: true,
  threadId: true,
  subject: true,
  fromAddress: true,
  toAddresses: true,
  date: true,
  internalDate: true,
  seen: true,
  flagged: true,
  flags: true,
  hasAttachments: true,
  snippet: true,
  size: true
} as const satisfies Prisma.MessageSelect;

export async function messagePage<S extends Prisma.MessageSelect>(
  db: Db,
  where: Prisma.MessageWhereInput,
  input: PageInput,
  select: S
) {
  const c = input.cursor;
  const rows = await db.message.findMany({
    where: {
      ...where,
      deleting: false,
      ...(input.unreadOnly ? { seen: false } : {}),
      ...(c
        ? {
            OR: [{ internalDate: { lt: c.internalDate } }, { internalDate: c.internalDate, id: { lt: c.id } }]
          }
        : {})
    },
    orderBy: [{ internalDate: 'desc' }, { id: 'desc' }],
    take: input.limit + 1,
    select
  });
  const more = rows.length > input.limit;
  const items = more ? rows.slice(0, input.limit) : rows;
  const last = items.at(-1) as { id: string; internalDate: Date } | undefined;
  return { items, nextCursor: more && last ? { internalDate: last.internalDate, id: last.id } : null };
}
