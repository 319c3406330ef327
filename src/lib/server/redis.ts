import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection. BullMQ workers need maxRetriesPerRequest null; for plain commands
 * (health, rate limits) we fail fast instead of queueing forever while Redis is down.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...opts
  });
}

let shared: Redis | undefined;
export function redis(): Redis {
  if (!shared) {
    const url = process.env.REDIS_URL;
    if (!url) throw new Error('REDIS_URL is not set');
    shared = createRedis(url);
    // Connection errors are reported by /health and by the commands that fail; an
    // 'error' listener keeps ioredis from raising them as unhandled events.
    shared.on('error', () => {});
  }
  return shared;
}
