import { removeAccount } from '../../../accounts/service.js';
import { accountProcedure } from '../../init.js';
import { accountDeps, actor } from './deps.js';

/** Removes the account with all its cached mail; the worker drops its connections within seconds. */
export const removeProcedure = accountProcedure.mutation(({ ctx }) =>
  removeAccount(accountDeps(ctx), actor(ctx), ctx.account.id)
);
