import { z } from 'zod';
import { emailSchema, login } from '../../../auth/service.js';
import { publicProcedure } from '../../init.js';

export const loginInput = z.object({
  email: emailSchema,
  password: z.string().min(1, 'Enter your password.').max(1024),
  organisation: z.string().trim().toLowerCase().max(63).optional()
});

export const loginProcedure = publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
  const res = await login(
    {
      db: ctx.db,
      throttle: ctx.throttle,
      session: { ttlDays: ctx.env.SESSION_TTL_DAYS },
      allowSignup: ctx.env.ALLOW_SIGNUP,
      defaultTenant: { slug: ctx.env.DEFAULT_TENANT_SLUG, name: ctx.env.DEFAULT_TENANT_NAME }
    },
    { ...input, organisation: input.organisation || undefined },
    ctx.meta
  );
  ctx.setSessionCookie(res.token, res.expiresAt);
  return { user: res.user };
});
