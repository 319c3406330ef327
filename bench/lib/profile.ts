// Wrappers that time every Prisma operation and every IMAP command the sync code issues, for
// a rough "where does the time go" breakdown (BENCH_SYNC_PROFILE=1).
import type { ImapFlow } from 'imapflow';
import type { Db } from '../../src/lib/server/db.js';
import type { Breakdown } from './stats.js';

export function profiledDb(db: Db, b: Breakdown): Db {
  return db.$extends({
    query: {
      // every model operation and raw query ($queryRaw, $executeRaw)
      async $allOperations({ model, operation, args, query }) {
        const t = performance.now();
        try {
          return await query(args);
        } finally {
          b.add(`db ${model ? `${model}.` : ''}${operation}`, performance.now() - t);
        }
      }
    }
  }) as unknown as Db;
}

/** Times fetch (until its last message), search, list and mailbox selection on this client. */
export function profileImap(client: ImapFlow, b: Breakdown): void {
  const fetch = client.fetch.bind(client);
  client.fetch = async function* (...args: Parameters<ImapFlow['fetch']>) {
    const t = performance.now();
    let n = 0;
    for await (const m of fetch(...args)) {
      n++;
      yield m;
    }
    b.add(`imap fetch ${n <= 1 ? 'small' : n < 1000 ? '<1000' : '>=1000'}`, performance.now() - t);
  } as ImapFlow['fetch'];
  for (const name of ['search', 'list', 'getMailboxLock'] as const) {
    const orig = (client[name] as (...a: unknown[]) => Promise<unknown>).bind(client);
    (client as unknown as Record<string, unknown>)[name] = async (...a: unknown[]) => {
      const t = performance.now();
      try {
        return await orig(...a);
      } finally {
        b.add(`imap ${name}`, performance.now() - t);
      }
    };
  }
}
