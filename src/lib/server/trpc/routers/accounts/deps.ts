import type { AccountDeps, Actor } from '../../../accounts/service.js';
import { masterKeys } from '../../../crypto/keys.js';
import type { Context } from '../../context.js';

export function accountDeps(ctx: Context): AccountDeps {
  return {
    db: ctx.db,
    redis: ctx.redis,
    keys: masterKeys(ctx.env),
    prefix: ctx.env.QUEUE_PREFIX,
    imapTimeout: ctx.env.IMAP_TIMEOUT,
    smtpTimeout: ctx.env.SMTP_TIMEOUT
  };
}

export function actor(ctx: Context & { user: { id: string; tenantId: string } }): Actor {
  return { userId: ctx.user.id, tenantId: ctx.user.tenantId, ip: ctx.meta.ip, userAgent: ctx.meta.userAgent };
}
