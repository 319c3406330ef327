// One per worker process: claims accounts through Redis leases, runs an AccountRunner for each
// account it holds, renews the leases, and gives up accounts whose lease it lost. Several
// workers share the accounts; when one dies, its leases lapse and the others pick them up.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../../src/lib/server/db.js';
import { controlChannel, controlSchema } from '../../src/lib/server/realtime/events.js';
import { AccountRunner, type RunnerDeps } from './account-runner.js';
import { Leases } from './leases.js';

export interface SupervisorOptions {
  db: Db;
  redis: Redis;
  subscriber: Redis;
  prefix: string;
  owner: string;
  log: Logger;
  runner: Omit<RunnerDeps, 'db' | 'log'>;
  leaseTtlMs?: number;
  /** Only accounts of these tenants (ids or slugs); empty: all. */
  tenants?: string[];
  scanMs?: number;
  startJitterMs?: number;
}

export class Supervisor {
  readonly runners = new Map<string, AccountRunner>();
  private readonly leases: Leases;
  private timers: NodeJS.Timeout[] = [];
  private scanning: Promise<void> | null = null;
  private rescanRequested = false;
  private stopped = false;

  constructor(private readonly o: SupervisorOptions) {
    this.leases = new Leases(o.redis, o.prefix, o.owner, o.leaseTtlMs ?? 15_000);
  }

  async start(): Promise<void> {
    const channel = controlChannel(this.o.prefix);
    this.o.subscriber.on('message', (ch: string, message: string) => {
      if (ch !== channel) return;
      const msg = controlSchema.safeParse(safeJson(message));
      if (!msg.success) return;
      if (msg.data.type === 'SyncFolder')
        this.runners.get(msg.data.accountId)?.syncFolderSoon(msg.data.folderId);
      else void this.rescan();
    });
    await this.o.subscriber.subscribe(channel);
    const ttl = this.leases.ttlMs;
    this.timers.push(setInterval(() => void this.heartbeat(), Math.max(1000, Math.floor(ttl / 3))));
    this.timers.push(setInterval(() => void this.rescan(), this.o.scanMs ?? 5_000));
    await this.rescan();
  }

  /** Serialised: a rescan asked for while one runs happens once, right after it. */
  rescan(): Promise<void> {
    if (this.scanning) {
      this.rescanRequested = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      try {
        do {
          this.rescanRequested = false;
          await this.scanOnce();
        } while (this.rescanRequested && !this.stopped);
      } catch (err) {
        this.o.log.error({ err }, 'account scan failed');
      } finally {
        this.scanning = null;
      }
    })();
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    if (this.stopped) return;
    const tenants = this.o.tenants ?? [];
    const rows = await this.o.db.mailAccount.findMany({
      where: {
        syncState: { not: 'disabled' },
        ...(tenants.length
          ? {
              tenant: {
                OR: [{ id: { in: tenants.filter((t) => UUID.test(t)) } }, { slug: { in: tenants } }]
              }
            }
          : {})
      },
      select: { id: true }
    });
    const wanted = new Set(rows.map((r) => r.id));
    for (const id of [...this.runners.keys()]) if (!wanted.has(id)) await this.drop(id, 'account removed');
    for (const id of wanted) {
      if (this.runners.has(id) || this.stopped) continue;
      if (!(await this.leases.acquire(id))) continue;
      const runner = new AccountRunner(id, { ...this.o.runner, db: this.o.db, log: this.o.log });
      this.runners.set(id, runner);
      // stagger logins so a restart does not hit every server at the same instant
      runner.start(Math.floor(Math.random() * (this.o.startJitterMs ?? 1_000)));
      this.o.log.info({ accountId: id }, 'account claimed');
    }
  }

  private async heartbeat(): Promise<void> {
    for (const id of [...this.runners.keys()]) {
      try {
        if (!(await this.leases.renew(id))) await this.drop(id, 'lease lost');
      } catch (err) {
        this.o.log.warn({ err, accountId: id }, 'lease renewal failed');
      }
    }
  }

  private async drop(id: string, reason: string): Promise<void> {
    const runner = this.runners.get(id);
    this.runners.delete(id);
    await runner?.stop();
    await this.leases.release(id).catch(() => {});
    this.o.log.info({ accountId: id, reason }, 'account released');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.scanning;
    await Promise.all([...this.runners.keys()].map((id) => this.drop(id, 'worker stopping')));
    this.o.subscriber.disconnect();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
