// Domain errors carry a tRPC code and a message a user can act on. They extend TRPCError so a
// handler (a plain function) can throw them and tRPC sends them as they are; anything else
// that escapes a handler becomes a generic INTERNAL_SERVER_ERROR with an error id.
import { TRPCError } from '@trpc/server';

export type AppErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'PRECONDITION_FAILED';

export class AppError extends TRPCError {
  readonly retryAfterSeconds?: number;
  constructor(code: AppErrorCode, message: string, extra: { retryAfterSeconds?: number } = {}) {
    super({ code, message });
    this.name = 'AppError';
    if (extra.retryAfterSeconds !== undefined) this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}
