import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { sessionCookie, validateSessionToken } from '$lib/server/auth/session';
import { env } from '$lib/server/env';
import { logger } from '$lib/server/logger';
import { closeServices, getServices } from '$lib/server/services';

export const init: ServerInit = () => {
  // Parse the configuration now: a bad value stops the process at start with one line.
  const e = env();
  logger().info({ origin: e.ORIGIN, nodeEnv: e.NODE_ENV }, 'app starting');
  // adapter-node emits this once the HTTP server has drained after SIGTERM/SIGINT.
  process.once('sveltekit:shutdown', (reason: string) => {
    logger().info({ reason }, 'app stopping');
    void closeServices().then(() => logger().info('app stopped'));
  });
};

// Paths that must answer even when PostgreSQL or Redis is down, and need no session.
const INFRA = new Set(['/health']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

let apiLimiter: RateLimiterRedis | undefined;

export const handle: Handle = async ({ event, resolve }) => {
  const started = performance.now();
  const incoming = event.request.headers.get('x-request-id');
  const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
  const log = logger().child({ reqId: requestId });
  event.locals.requestId = requestId;
  event.locals.log = log;
  event.locals.user = null;
  event.locals.session = null;
  event.locals.ip = event.getClientAddress();
  const path = event.url.pathname;

  const finish = (response: Response): Response => {
    response.headers.set('x-request-id', requestId);
    response.headers.set('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with a form
    // POST (the Fetch standard), and SvelteKit's CSRF check then refused our own login form when
    // it was sent before the page's script ran. Nothing goes to other sites either way; mail
    // bodies, attachments and uploads keep no-referrer of their own.
    if (!response.headers.has('referrer-policy')) response.headers.set('referrer-policy', 'same-origin');
    if (!response.headers.has('x-frame-options')) response.headers.set('x-frame-options', 'DENY');
    log.info(
      {
        method: event.request.method,
        path,
        status: response.status,
        ms: Math.round(performance.now() - started),
        userId: event.locals.user?.id
      },
      'request'
    );
    return response;
  };

  if (INFRA.has(path)) return finish(await resolve(event));

  // SvelteKit checks the origin of form posts only; refuse every cross-site state-changing
  // request, JSON (tRPC) included.
  if (!SAFE_METHODS.has(event.request.method)) {
    const origin = event.request.headers.get('origin');
    const fetchSite = event.request.headers.get('sec-fetch-site');
    if ((origin && origin !== event.url.origin) || (!origin && fetchSite && fetchSite !== 'same-origin')) {
      log.warn({ origin, path }, 'cross-site request refused');
      return finish(
        new Response(JSON.stringify({ error: { message: 'Cross-site request refused.' } }), {
          status: 403,
          headers: { 'content-type': 'application/json' }
        })
      );
    }
  }

  const services = getServices();
  const cookie = sessionCookie(services.env.ORIGIN, services.env.SESSION_COOKIE_NAME);
  const token = event.cookies.get(cookie.name);
  if (token) {
    const result = await validateSessionToken(services.db, token, { ttlDays: services.env.SESSION_TTL_DAYS });
    if (result) {
      event.locals.user = result.user;
      event.locals.session = result.session;
      if (result.session.fresh)
        event.cookies.set(cookie.name, token, { ...cookie.options, expires: result.session.expiresAt });
    } else {
      event.cookies.delete(cookie.name, cookie.options);
    }
  }

  if (path.startsWith('/api/') && services.env.RATE_LIMIT_ENABLED) {
    apiLimiter ??= new RateLimiterRedis({
      storeClient: services.redis,
      keyPrefix: 'emailclient:rl:api',
      points: services.env.RATE_LIMIT_REQUESTS_PER_MINUTE,
      duration: 60
    });
    try {
      await apiLimiter.consume(event.locals.user?.id ?? `ip:${event.locals.ip}`);
    } catch (e) {
      if (e instanceof RateLimiterRes) {
        const seconds = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
        return finish(
          new Response(
            JSON.stringify({ error: { message: `Too many requests. Try again in ${seconds} s.` } }),
            {
              status: 429,
              headers: { 'content-type': 'application/json', 'retry-after': String(seconds) }
            }
          )
        );
      }
      // Redis unavailable: serve the request rather than take the whole API down with it.
      log.warn({ err: e }, 'rate limiter unavailable');
    }
  }

  return finish(await resolve(event));
};

export const handleError: HandleServerError = ({ error, event, status, message }) => {
  const errorId = randomUUID();
  if (status === 404) return { message: 'Not found' };
  (event.locals.log ?? logger()).error(
    { err: error, errorId, status, path: event.url.pathname },
    'unhandled error'
  );
  return { message: status >= 500 ? 'Something went wrong on our side.' : message, errorId };
};
