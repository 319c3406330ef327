import { z } from 'zod';
import { adminProcedure } from '../../init.js';

/** The organisation's audit trail, newest first, keyset-paginated by id. */
export const auditLogProcedure = adminProcedure
  .input(
    z.object({
      limit: z.number().int().min(1).max(200).default(50),
      before: z.string().regex(/^\d+$/).optional()
    })
  )
  .query(async ({ ctx, input }) => {
    const rows = await ctx.db.auditLog.findMany({
      where: { tenantId: ctx.user.tenantId, ...(input.before ? { id: { lt: BigInt(input.before) } } : {}) },
      orderBy: { id: 'desc' },
      take: input.limit
    });
    return rows.map((r) => ({
      id: r.id.toString(),
      userId: r.userId,
      action: r.action,
      ip: r.ip,
      details: r.details,
      createdAt: r.createdAt
    }));
  });
