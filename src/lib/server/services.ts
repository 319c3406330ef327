// The app process's long-lived dependencies, built once on first use.
import type { Redis } from 'ioredis';
import { LoginThrottle } from './auth/throttle.js';
import { db, type Db } from './db.js';
import { env, type Env } from './env.js';
import { logger } from './logger.js';
import { Producer } from './queue/producer.js';
import { RealtimeHub } from './realtime/hub.js';
import { createRedis, redis } from './redis.js';

export interface Services {
  env: Env;
  db: Db;
  redis: Redis;
  throttle: LoginThrottle;
  producer: Producer;
  hub: RealtimeHub;
}

let services: Services | undefined;

export function getServices(): Services {
  if (services) return services;
  const e = env();
  const r = redis();
  services = {
    env: e,
    db: db(),
    redis: r,
    throttle: new LoginThrottle(r, {
      enabled: e.RATE_LIMIT_ENABLED,
      perAccount: e.RATE_LIMIT_LOGIN_PER_ACCOUNT,
      perIp: e.RATE_LIMIT_LOGIN_PER_IP,
      windowSeconds: e.RATE_LIMIT_LOGIN_WINDOW_SECONDS
    }),
    producer: new Producer(e.REDIS_URL, logger()),
    hub: new RealtimeHub(subscriber(e.REDIS_URL), e.QUEUE_PREFIX, logger())
  };
  return services;
}

/** Closes every connection the app holds, so the process can exit after a graceful shutdown. */
export async function closeServices(): Promise<void> {
  const s = services;
  services = undefined;
  if (!s) return;
  await Promise.allSettled([s.producer.close(), s.db.$disconnect()]);
  s.hub.close();
  s.redis.disconnect();
}

function subscriber(url: string) {
  // A subscriber connection must never give up: it reconnects and re-subscribes by itself.
  const r = createRedis(url, { maxRetriesPerRequest: null });
  r.on('error', () => {});
  return r;
}
