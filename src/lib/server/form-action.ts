// A page's form sent before its script has run (slow network, script blocked) still works and
// never sends a password in a URL: the forms say method="post" and their default action runs
// the same tRPC procedure the script would have called.
import { type RequestEvent } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { ZodError } from 'zod';
import { getServices } from './services.js';
import { createContext } from './trpc/context.js';
import { createCallerFactory } from './trpc/init.js';
import { appRouter } from './trpc/root.js';

const callerFor = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof callerFor>;

/** Runs `fn` with a tRPC caller for this request: its result, or the error a user can act on. */
export async function viaProcedure<T>(
  event: RequestEvent,
  fn: (caller: Caller) => Promise<T>
): Promise<{ ok: true; value: T } | { ok: false; status: number; error: string }> {
  try {
    return { ok: true, value: await fn(callerFor(createContext(getServices(), event))) };
  } catch (err) {
    if (!(err instanceof TRPCError)) throw err;
    const error =
      err.cause instanceof ZodError
        ? (err.cause.issues[0]?.message ?? 'Check what you typed.')
        : err.code === 'INTERNAL_SERVER_ERROR'
          ? 'Something went wrong on our side. Try again in a moment.'
          : err.message;
    return { ok: false, status: getHTTPStatusCodeFromError(err), error };
  }
}

export const field = (form: FormData, name: string) => String(form.get(name) ?? '');
