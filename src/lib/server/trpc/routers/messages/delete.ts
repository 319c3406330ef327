import { z } from 'zod';
import { deleteMessages } from '../../../actions/move.js';
import { accountProcedure } from '../../init.js';
import { actionArgs } from './deps.js';
import { messageIdsSchema } from './inputs.js';

/** Delete: to Trash; from Trash (or on an account without one) for good. */
export const deleteProcedure = accountProcedure
  .input(z.object({ messageIds: messageIdsSchema }))
  .mutation(({ ctx, input }) => deleteMessages(...actionArgs(ctx), input.messageIds));
