// Real services (PostgreSQL, Redis) for integration tests, and a tRPC caller that behaves
// like a browser: it keeps the session cookie the procedures set.
import type { Cookies } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { LoginThrottle } from '../../src/lib/server/auth/throttle';
import { validateSessionToken, sessionCookie } from '../../src/lib/server/auth/session';
import { createDb, type Db } from '../../src/lib/server/db';
import { parseEnv, type Env } from '../../src/lib/server/env';
import { Producer } from '../../src/lib/server/queue/producer';
import { RealtimeHub } from '../../src/lib/server/realtime/hub';
import { createRedis } from '../../src/lib/server/redis';
import type { Services } from '../../src/lib/server/services';
import { createContext } from '../../src/lib/server/trpc/context';
import { createCallerFactory } from '../../src/lib/server/trpc/init';
import { appRouter } from '../../src/lib/server/trpc/root';

export const silentLog = pino({ level: 'silent' });

export function testEnv(overrides: Record<string, string> = {}): Env {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL)
    throw new Error('DATABASE_URL and REDIS_URL must be set: run the tests with `npm test`');
  return parseEnv({ ...process.env, NODE_ENV: 'test', ...overrides });
}

export function makeServices(overrides: Record<string, string> = {}): Services & { close(): Promise<void> } {
  const env = testEnv(overrides);
  const db = createDb(env.DATABASE_URL, 4);
  const redis = createRedis(env.REDIS_URL);
  redis.on('error', () => {});
  const producer = new Producer(env.REDIS_URL, silentLog, env.QUEUE_PREFIX);
  const sub = createRedis(env.REDIS_URL, { maxRetriesPerRequest: null });
  sub.on('error', () => {});
  const hub = new RealtimeHub(sub, env.QUEUE_PREFIX, silentLog);
  return {
    env,
    db,
    redis,
    producer,
    hub,
    throttle: new LoginThrottle(redis, {
      enabled: env.RATE_LIMIT_ENABLED,
      perAccount: env.RATE_LIMIT_LOGIN_PER_ACCOUNT,
      perIp: env.RATE_LIMIT_LOGIN_PER_IP,
      windowSeconds: env.RATE_LIMIT_LOGIN_WINDOW_SECONDS,
      prefix: `test:${randomUUID()}`
    }),
    async close() {
      await producer.close();
      hub.close();
      await db.$disconnect();
      redis.disconnect();
    }
  };
}

/** Removes every row: for tests that need a fresh install (no users yet). */
export async function resetDatabase(db: Db): Promise<void> {
  const tables = await db.$queryRaw<{ tablename: string }[]>`
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`;
  if (tables.length)
    await db.$executeRawUnsafe(`TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(', ')} CASCADE`);
}

class Jar {
  readonly values = new Map<string, string>();
  get(name: string) {
    return this.values.get(name);
  }
  getAll() {
    return [...this.values].map(([name, value]) => ({ name, value }));
  }
  set(name: string, value: string) {
    this.values.set(name, value);
  }
  delete(name: string) {
    this.values.delete(name);
  }
  serialize() {
    return '';
  }
}

const createCaller = createCallerFactory(appRouter);

/** A browser-like client: one cookie jar, one IP; each call validates the session as hooks.server.ts does. */
export function client(services: Services, opts: { ip?: string; userAgent?: string } = {}) {
  const jar = new Jar();
  const cookie = sessionCookie(services.env.ORIGIN, services.env.SESSION_COOKIE_NAME);
  const ip = opts.ip ?? `10.${rnd()}.${rnd()}.${rnd()}`;
  async function caller() {
    const locals: App.Locals = { requestId: randomUUID(), log: silentLog, ip, user: null, session: null };
    const token = jar.get(cookie.name);
    if (token) {
      const v = await validateSessionToken(services.db, token, { ttlDays: services.env.SESSION_TTL_DAYS });
      if (v) {
        locals.user = v.user;
        locals.session = v.session;
      } else jar.delete(cookie.name);
    }
    const request = new Request('http://localhost/api/trpc', {
      headers: { 'user-agent': opts.userAgent ?? 'vitest' }
    });
    return createCaller(createContext(services, { cookies: jar as unknown as Cookies, locals, request }));
  }
  return {
    ip,
    jar,
    get token() {
      return jar.get(cookie.name);
    },
    caller
  };
}

function rnd() {
  return Math.floor(Math.random() * 250) + 1;
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.test`;
}
