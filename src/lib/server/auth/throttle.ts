// Login throttling in Redis (rate-limiter-flexible), shared by every app process:
// per source IP and per account name. Only failures count; a success clears the account's count.
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';

export interface ThrottleOptions {
  enabled: boolean;
  perAccount: number;
  perIp: number;
  windowSeconds: number;
  prefix?: string;
}

export class LoginThrottle {
  private readonly byAccount: RateLimiterRedis;
  private readonly byIp: RateLimiterRedis;
  constructor(
    redis: Redis,
    private readonly opts: ThrottleOptions
  ) {
    const prefix = opts.prefix ?? 'emailclient:rl';
    this.byAccount = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:login:acct`,
      points: opts.perAccount,
      duration: opts.windowSeconds
    });
    this.byIp = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:login:ip`,
      points: opts.perIp,
      duration: opts.windowSeconds
    });
  }

  /** Throws TOO_MANY_REQUESTS when either budget of failures is spent. */
  async check(account: string, ip: string): Promise<void> {
    if (!this.opts.enabled) return;
    const [a, i] = await Promise.all([this.byAccount.get(account), this.byIp.get(ip)]);
    const blocked = [
      [a, this.opts.perAccount],
      [i, this.opts.perIp]
    ].filter(([res, limit]) => res && (res as RateLimiterRes).consumedPoints >= (limit as number)) as [
      RateLimiterRes,
      number
    ][];
    if (blocked.length) {
      const ms = Math.max(...blocked.map(([r]) => r.msBeforeNext));
      const seconds = Math.max(1, Math.ceil(ms / 1000));
      throw new AppError('TOO_MANY_REQUESTS', `Too many attempts. Try again in ${seconds} s.`, {
        retryAfterSeconds: seconds
      });
    }
  }

  async failed(account: string, ip: string): Promise<void> {
    if (!this.opts.enabled) return;
    await Promise.all([this.byAccount.penalty(account, 1), this.byIp.penalty(ip, 1)]);
  }

  async succeeded(account: string): Promise<void> {
    if (!this.opts.enabled) return;
    await this.byAccount.delete(account);
  }
}
