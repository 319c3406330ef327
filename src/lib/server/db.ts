// One Prisma client per process, talking to PostgreSQL through node-postgres (no engine binary).
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../generated/prisma/client.js';

export type Db = PrismaClient;

const pools = new WeakMap<Db, pg.Pool>();

export function createDb(connectionString: string, max = 10): Db {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000 });
  // an idle connection that breaks (PostgreSQL restarted) must not crash the process; the next
  // query gets a fresh connection or a proper error
  pool.on('error', () => {});
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/**
 * The node-postgres pool under a client made by createDb, for the few bulk statements where
 * Prisma's per-value conversions cost more than the statement itself (the sync's batch
 * INSERT of a thousand rows as one JSON parameter, the re-threading read of a whole account).
 * Same connections, same limits; $disconnect ends it.
 */
export function pgPool(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('pgPool: this client was not made by createDb');
  return pool;
}

let shared: Db | undefined;
export function db(): Db {
  if (!shared) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set');
    shared = createDb(url);
  }
  return shared;
}
