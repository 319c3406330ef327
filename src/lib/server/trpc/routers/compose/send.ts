import { sendFieldsSchema } from '../../../compose/draft.js';
import { sendMessage } from '../../../compose/outbox.js';
import { accountProcedure } from '../../init.js';
import { outboxDeps, scope } from './deps.js';

/**
 * Sends a message from one of the user's accounts: held for the undo delay (or until sendAt),
 * then sent by the worker. Returns the outbox id to undo, follow (SendStatusChanged) or edit it.
 */
export const sendProcedure = accountProcedure
  .input(sendFieldsSchema)
  .mutation(({ ctx, input }) => sendMessage(outboxDeps(ctx), scope(ctx), ctx.account, input));
