import { z } from 'zod';
import { emailSchema, newPasswordSchema, signup } from '../../../auth/service.js';
import { publicProcedure } from '../../init.js';

export const signupInput = z.object({
  email: emailSchema,
  password: newPasswordSchema,
  displayName: z.string().trim().max(100, 'Use at most 100 characters.').optional(),
  inviteToken: z.string().trim().min(1).max(100).optional()
});

export const signupProcedure = publicProcedure.input(signupInput).mutation(async ({ ctx, input }) => {
  const res = await signup(
    {
      db: ctx.db,
      throttle: ctx.throttle,
      session: { ttlDays: ctx.env.SESSION_TTL_DAYS },
      allowSignup: ctx.env.ALLOW_SIGNUP,
      defaultTenant: { slug: ctx.env.DEFAULT_TENANT_SLUG, name: ctx.env.DEFAULT_TENANT_NAME }
    },
    input,
    ctx.meta
  );
  ctx.setSessionCookie(res.token, res.expiresAt);
  return { user: res.user };
});
