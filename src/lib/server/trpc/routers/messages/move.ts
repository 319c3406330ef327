import { z } from 'zod';
import { moveMessages } from '../../../actions/move.js';
import { accountProcedure } from '../../init.js';
import { actionArgs } from './deps.js';
import { messageIdsSchema } from './inputs.js';

/**
 * Move messages to another folder of the same account. The rows change folder at once (same
 * ids); the result says how to undo it (move each group back).
 */
export const moveProcedure = accountProcedure
  .input(z.object({ messageIds: messageIdsSchema, toFolderId: z.uuid({ error: 'Choose a folder.' }) }))
  .mutation(({ ctx, input }) => moveMessages(...actionArgs(ctx), input.messageIds, input.toFolderId));
