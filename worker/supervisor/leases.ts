// Account leases in Redis: a worker runs an account only while it holds the account's lease
// (SET NX PX, renewed by heartbeat). A worker that dies stops renewing; its leases expire and
// another worker's supervisor claims the accounts.
import type { Redis } from 'ioredis';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class Leases {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly owner: string,
    readonly ttlMs: number
  ) {}

  private key(accountId: string) {
    return `${this.prefix}:lease:account:${accountId}`;
  }

  async acquire(accountId: string): Promise<boolean> {
    return (await this.redis.set(this.key(accountId), this.owner, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  async renew(accountId: string): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key(accountId), this.owner, String(this.ttlMs))) === 1;
  }

  async release(accountId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(accountId), this.owner);
  }

  async holder(accountId: string): Promise<string | null> {
    return this.redis.get(this.key(accountId));
  }
}
