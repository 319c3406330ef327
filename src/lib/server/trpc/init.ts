import { initTRPC, TRPCError } from '@trpc/server';
import { randomUUID } from 'node:crypto';
import { z, ZodError } from 'zod';
import { AppError } from '../errors.js';
import type { Context } from './context.js';

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error, ctx, path }) {
    const zod = error.cause instanceof ZodError ? z.flattenError(error.cause) : null;
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      // Never send internals to the client: log them under an id the user can quote.
      const errorId = randomUUID();
      ctx?.log.error({ err: error.cause ?? error, errorId, path }, 'unhandled error in procedure');
      return {
        message: `Something went wrong on our side. If it keeps happening, quote error id ${errorId}.`,
        code: shape.code,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          errorId,
          zodError: null
        }
      };
    }
    const message = zod ? firstZodMessage(error.cause as ZodError) : shape.message;
    return {
      message,
      code: shape.code,
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, zodError: zod }
    };
  }
});

function firstZodMessage(e: ZodError): string {
  const issue = e.issues[0];
  if (!issue) return 'The request is not valid.';
  const field = issue.path.join('.');
  return field ? `${field}: ${issue.message}` : issue.message;
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;

/** A signed-in user; ctx.user and ctx.session are non-null below this. */
export const authedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.user || !ctx.session)
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Log in to continue.' });
  return next({ ctx: { ...ctx, user: ctx.user, session: ctx.session } });
});

export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin')
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'Only an administrator of your organisation can do this.'
    });
  return next();
});

/**
 * A procedure about one mail account: loads it once, checking it belongs to the signed-in
 * user in their tenant; ctx.account is the row (without any secret fields) below this.
 */
export const accountProcedure = authedProcedure
  .input(z.object({ accountId: z.uuid({ error: 'Not a mail account id.' }) }))
  .use(async ({ ctx, input, next }) => {
    const account = await ctx.db.mailAccount.findFirst({
      where: { id: input.accountId, tenantId: ctx.user.tenantId, userId: ctx.user.id },
      omit: { secretCiphertext: true, wrappedKey: true }
    });
    if (!account)
      throw new AppError('NOT_FOUND', 'That mail account does not exist (it may have been removed).');
    return next({ ctx: { ...ctx, account } });
  });
