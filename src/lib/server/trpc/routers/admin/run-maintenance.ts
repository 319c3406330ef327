import { z } from 'zod';
import type { JobName } from '../../../queue/jobs.js';
import { adminProcedure } from '../../init.js';

const TASKS = {
  pruneSessions: 'maintenance.pruneSessions',
  prunePartCache: 'maintenance.prunePartCache'
} as const satisfies Record<string, JobName>;

/** Queue a maintenance job now instead of waiting for its schedule. */
export const runMaintenanceProcedure = adminProcedure
  .input(z.object({ task: z.enum(Object.keys(TASKS) as [keyof typeof TASKS]) }))
  .mutation(async ({ ctx, input }) => {
    const jobId = await ctx.producer.enqueue(TASKS[input.task], { requestedBy: ctx.user.id });
    return { jobId };
  });
