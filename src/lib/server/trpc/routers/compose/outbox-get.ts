import { z } from 'zod';
import { outboxDraft } from '../../../compose/outbox.js';
import { authedProcedure } from '../../init.js';
import { scope } from './deps.js';

/** A message of the outbox as the user wrote it, to edit it (it stays queued until edit). */
export const outboxGetProcedure = authedProcedure
  .input(z.object({ outboxId: z.uuid({ error: 'Not an outbox message id.' }) }))
  .query(({ ctx, input }) => outboxDraft({ db: ctx.db, env: ctx.env }, scope(ctx), input.outboxId));
