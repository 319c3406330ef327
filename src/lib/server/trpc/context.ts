import type { Cookies } from '@sveltejs/kit';
import type { Logger } from 'pino';
import type { SessionUser, ValidSession } from '../auth/session.js';
import { sessionCookie } from '../auth/session.js';
import type { Services } from '../services.js';

export interface ContextEvent {
  cookies: Cookies;
  locals: App.Locals;
  request: Request;
}

export function createContext(services: Services, event: ContextEvent) {
  const { env } = services;
  const cookie = sessionCookie(env.ORIGIN, env.SESSION_COOKIE_NAME);
  return {
    ...services,
    log: event.locals.log as Logger,
    requestId: event.locals.requestId,
    session: event.locals.session as ValidSession | null,
    user: event.locals.user as SessionUser | null,
    meta: { ip: event.locals.ip, userAgent: event.request.headers.get('user-agent') },
    setSessionCookie(token: string, expiresAt: Date) {
      event.cookies.set(cookie.name, token, { ...cookie.options, expires: expiresAt });
    },
    clearSessionCookie() {
      event.cookies.delete(cookie.name, cookie.options);
    }
  };
}

export type Context = ReturnType<typeof createContext>;
