import type { OutboxDeps, Scope } from '../../../compose/outbox.js';
import type { Context } from '../../context.js';

export function outboxDeps(ctx: Context): OutboxDeps {
  return {
    db: ctx.db,
    redis: ctx.redis,
    env: ctx.env,
    log: ctx.log,
    producer: ctx.producer,
    sendQueue: () => ctx.producer.queue('send')
  };
}

export function scope(ctx: { user: { id: string; tenantId: string; displayName: string | null } }) {
  return {
    tenantId: ctx.user.tenantId,
    userId: ctx.user.id,
    userName: ctx.user.displayName
  } satisfies Scope & {
    userName: string | null;
  };
}
