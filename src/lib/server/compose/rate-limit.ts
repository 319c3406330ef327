// Messages per user per hour (SEND_RATE_PER_HOUR), counted in Redis so that every app process
// shares the count. A send takes a point when it is accepted; undo gives it back.
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors.js';

export interface SendLimitOptions {
  enabled: boolean;
  perHour: number;
  prefix: string;
}

const limiters = new WeakMap<Redis, Map<string, RateLimiterRedis>>();

function limiter(redis: Redis, o: SendLimitOptions): RateLimiterRedis {
  let byKey = limiters.get(redis);
  if (!byKey) limiters.set(redis, (byKey = new Map()));
  const key = `${o.prefix}:${o.perHour}`;
  let l = byKey.get(key);
  if (!l) {
    l = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${o.prefix}:rl:send`,
      points: o.perHour,
      duration: 3600
    });
    byKey.set(key, l);
  }
  return l;
}

export function waitText(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 90) return `${s} s`;
  const m = Math.ceil(s / 60);
  return m < 90 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Takes one send from the user's hourly budget; throws TOO_MANY_REQUESTS when it is spent. */
export async function takeSend(redis: Redis, o: SendLimitOptions, userId: string): Promise<void> {
  if (!o.enabled) return;
  try {
    await limiter(redis, o).consume(userId, 1);
  } catch (e) {
    if (!(e instanceof RateLimiterRes)) throw e;
    // a refused send does not count (consume counted it): trying again is not held against you
    await limiter(redis, o)
      .reward(userId, 1)
      .catch(() => {});
    const seconds = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
    throw new AppError(
      'TOO_MANY_REQUESTS',
      `You have sent ${o.perHour} messages in the last hour, the most allowed. You can send again in ${waitText(e.msBeforeNext)}; your message has not been sent.`,
      { retryAfterSeconds: seconds }
    );
  }
}

/** Gives a send back (undo, or the send could not be stored). */
export async function giveBackSend(redis: Redis, o: SendLimitOptions, userId: string): Promise<void> {
  if (!o.enabled) return;
  await limiter(redis, o)
    .reward(userId, 1)
    .catch(() => {});
}
