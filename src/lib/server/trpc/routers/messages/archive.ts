import { z } from 'zod';
import { moveToSpecial } from '../../../actions/move.js';
import { accountProcedure } from '../../init.js';
import { actionArgs } from './deps.js';
import { createFolderFor } from '../folders/create.js';
import { messageIdsSchema } from './inputs.js';

/** Archive: move to the account's Archive folder (created if the account has none). */
export const archiveProcedure = accountProcedure
  .input(z.object({ messageIds: messageIdsSchema }))
  .mutation(({ ctx, input }) =>
    moveToSpecial(...actionArgs(ctx), input.messageIds, '\\Archive', (name) =>
      createFolderFor(ctx, name, null, true)
    )
  );

/** Mark as junk: move to the account's Junk folder (created if the account has none). */
export const junkProcedure = accountProcedure
  .input(z.object({ messageIds: messageIdsSchema }))
  .mutation(({ ctx, input }) =>
    moveToSpecial(...actionArgs(ctx), input.messageIds, '\\Junk', (name) =>
      createFolderFor(ctx, name, null, true)
    )
  );
