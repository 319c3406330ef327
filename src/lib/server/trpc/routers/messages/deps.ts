import type { ActionDeps, ActionScope } from '../../../actions/move.js';
import type { Context } from '../../context.js';

/** What an action needs from a procedure's context: its services and the account scope. */
export function actionArgs(
  ctx: Pick<Context, 'db' | 'redis' | 'producer' | 'env'> & {
    user: { id: string; tenantId: string };
    account: { id: string };
  }
): [ActionDeps, ActionScope] {
  return [
    { db: ctx.db, redis: ctx.redis, prefix: ctx.env.QUEUE_PREFIX, producer: ctx.producer },
    { tenantId: ctx.user.tenantId, accountId: ctx.account.id, userId: ctx.user.id }
  ];
}
