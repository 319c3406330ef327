import type { Redis } from 'ioredis';
import type { Db } from './db.js';

export type CheckResult = 'ok' | 'error' | 'timeout';

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    );
  });
}

async function check(fn: () => Promise<unknown>, ms: number): Promise<CheckResult> {
  try {
    await withTimeout(fn(), ms);
    return 'ok';
  } catch (e) {
    return e instanceof Error && e.message === 'timeout' ? 'timeout' : 'error';
  }
}

/** The /health body: healthy only when PostgreSQL and Redis both answer within the timeout. */
export async function checkHealth(deps: { db: Db; redis: Redis; version: string }, timeoutMs = 2_000) {
  const [database, redis] = await Promise.all([
    check(() => deps.db.$queryRaw`SELECT 1`, timeoutMs),
    check(() => deps.redis.ping(), timeoutMs)
  ]);
  const healthy = database === 'ok' && redis === 'ok';
  return {
    status: healthy ? 200 : 503,
    body: {
      status: healthy ? ('healthy' as const) : ('unhealthy' as const),
      service: 'emailclient',
      version: deps.version,
      timestamp: new Date().toISOString(),
      checks: { database, redis }
    }
  };
}
