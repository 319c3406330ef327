// Reads and writes PartChunk rows with node-postgres directly instead of Prisma. Prisma carries
// Bytes through its query layer as encoded strings, which for a 20 MB attachment made ~60 MB of
// short-lived strings and buffers per download in the worker (measured); node-postgres sends a
// Buffer parameter as binary and parses a bytea result straight into a Buffer.
import type pg from 'pg';
import { pgPool, type Db } from '../db.js';

export class ChunkStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Writes chunk `seq`; a second writer of the same chunk writes the same bytes. */
  async write(partId: string, seq: number, data: Buffer): Promise<void> {
    await this.pool.query(
      `INSERT INTO "PartChunk" ("partId", "seq", "data") VALUES ($1, $2, $3)
       ON CONFLICT ("partId", "seq") DO UPDATE SET "data" = EXCLUDED."data"`,
      [partId, seq, data]
    );
  }

  async read(partId: string, seq: number): Promise<Buffer | null> {
    const r = await this.pool.query<{ data: Buffer }>(
      `SELECT "data" FROM "PartChunk" WHERE "partId" = $1 AND "seq" = $2`,
      [partId, seq]
    );
    return r.rows[0]?.data ?? null;
  }
}

const stores = new WeakMap<Db, ChunkStore>();

/** The chunk store over the client's own connection pool (see pgPool). */
export function chunkStore(db: Db): ChunkStore {
  let s = stores.get(db);
  if (!s) stores.set(db, (s = new ChunkStore(pgPool(db))));
  return s;
}
