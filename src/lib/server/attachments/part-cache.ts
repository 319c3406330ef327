// The app's side of attachment downloads. The worker copies a MIME part from IMAP into
// PostgreSQL in fixed 256 KiB chunks as it arrives (worker/jobs/fetch-part.ts); the app asks for
// that copy and streams the chunks to the browser as they land, so neither process holds a
// whole file in memory and the app never talks IMAP inside a request.
import type { Db } from '../db.js';
import { queueOf } from '../queue/jobs.js';
import type { Producer } from '../queue/producer.js';
import type { ChunkStore } from './chunk-store.js';

/** Bytes per PartChunk row. Fixed: chunk `seq` always holds the same bytes of a part. */
export const PART_CHUNK_BYTES = 256 * 1024;

/** The whole message as the server has it (an .eml), instead of one MIME part. */
export const RAW_PART = 'raw';

/** One job per part: concurrent downloads of the same part share one fetch. */
export function partJobId(messageId: string, part: string): string {
  return `part-${messageId}-${part}`;
}

export interface PartTarget {
  tenantId: string;
  accountId: string;
  messageId: string;
  part: string;
}

export interface PartRow {
  id: string;
  complete: boolean;
  size: number | null;
  error: string | null;
}

const ROW = { id: true, complete: true, size: true, error: true } as const;

/**
 * The cache row of a part, created when missing (`touch`: marked as read now). Two requests
 * racing to create it both get the one row.
 */
export async function partRow(
  db: Db,
  t: Omit<PartTarget, 'accountId'>,
  opts: { touch: boolean }
): Promise<PartRow> {
  const args = {
    where: { messageId_part: { messageId: t.messageId, part: t.part } },
    create: { tenantId: t.tenantId, messageId: t.messageId, part: t.part },
    update: opts.touch ? { lastReadAt: new Date() } : {},
    select: ROW
  };
  try {
    return await db.partCache.upsert(args);
  } catch (err) {
    // unique violation: the other one inserted first; now it is an update
    if ((err as { code?: string }).code !== 'P2002') throw err;
    return db.partCache.upsert(args);
  }
}

const ACTIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * The cache row of a part, marked as read now. When the part is not cached completely, makes
 * sure the worker is fetching it: an earlier finished or failed run under the same job id is
 * replaced (its error cleared), a waiting or running one is shared.
 */
export async function requestPart(deps: { db: Db; producer: Producer }, t: PartTarget): Promise<PartRow> {
  const { db, producer } = deps;
  const row = await partRow(db, t, { touch: true });
  if (row.complete) return row;
  const jobId = partJobId(t.messageId, t.part);
  const queue = producer.queue(queueOf('imap.fetchPart'));
  const job = await queue.getJob(jobId);
  const state = job ? await job.getState() : null;
  if (job && state && ACTIVE_STATES.has(state)) return row;
  if (job) await job.remove().catch(() => {}); // finished: a new run may take its id
  let fresh = row;
  if (row.error)
    fresh = await db.partCache.update({
      where: { id: row.id },
      data: { error: null },
      select: ROW
    });
  await producer.enqueue(
    'imap.fetchPart',
    { accountId: t.accountId, messageId: t.messageId, part: t.part },
    { jobId, attempts: 2 }
  );
  return fresh;
}

/** Why a part cannot be served; `status` is the HTTP status to answer with. */
export class PartUnavailable extends Error {
  constructor(
    readonly status: 404 | 502 | 504,
    message: string
  ) {
    super(message);
    this.name = 'PartUnavailable';
  }
}

export interface ReadOptions {
  /** How often to look for the next chunk while the worker is still fetching */
  pollMs?: number;
  /** Give up when no chunk arrived for this long */
  idleTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a part's chunks in order, waiting for the ones the worker has not written yet. */
export class PartReader {
  private seq = 0;
  private bytes = 0;
  cancelled = false;
  private readonly pollMs: number;
  private readonly idleTimeoutMs: number;

  constructor(
    private readonly db: Db,
    private readonly chunks: ChunkStore,
    private readonly partId: string,
    opts: ReadOptions = {}
  ) {
    this.pollMs = opts.pollMs ?? 100;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 20_000;
  }

  cancel(): void {
    this.cancelled = true;
  }

  private async chunk(): Promise<Uint8Array | null> {
    const data = await this.chunks.read(this.partId, this.seq);
    if (!data) return null;
    this.seq++;
    this.bytes += data.length;
    return data;
  }

  /** The next chunk, or null at the end. Throws PartUnavailable. */
  async next(): Promise<Uint8Array | null> {
    const since = Date.now();
    for (;;) {
      if (this.cancelled) return null;
      const c = await this.chunk();
      if (c) return c;
      const row = await this.db.partCache.findUnique({
        where: { id: this.partId },
        select: { complete: true, size: true, error: true }
      });
      if (!row) throw new PartUnavailable(404, 'This message is no longer here (it may have been deleted).');
      if (row.error) throw new PartUnavailable(502, row.error);
      if (row.complete) {
        // the last chunk may have landed between the two reads
        const last = await this.chunk();
        if (last) return last;
        if (row.size !== null && row.size !== this.bytes)
          throw new PartUnavailable(502, 'The copy of this attachment is incomplete. Try again.');
        return null;
      }
      if (Date.now() - since > this.idleTimeoutMs)
        throw new PartUnavailable(
          504,
          `The mail server did not send this attachment within ${Math.round(this.idleTimeoutMs / 1000)} s. Try again in a moment.`
        );
      await sleep(this.pollMs);
    }
  }

  /** Total size when the worker has finished the part, else null. */
  async knownSize(): Promise<number | null> {
    const row = await this.db.partCache.findUnique({
      where: { id: this.partId },
      select: { complete: true, size: true }
    });
    return row?.complete ? row.size : null;
  }
}

/**
 * Waits for the part's first chunk (so a failure or a timeout before any byte is sent can
 * still be answered with an error status), then streams the rest as it arrives. A failure
 * after that aborts the stream, which the browser reports as a failed download.
 */
export async function openPart(
  db: Db,
  chunks: ChunkStore,
  partId: string,
  opts: ReadOptions & { onError?: (err: unknown) => void } = {}
): Promise<{ size: number | null; body: ReadableStream<Uint8Array> }> {
  const reader = new PartReader(db, chunks, partId, opts);
  const first = await reader.next();
  const size = first ? await reader.knownSize() : 0;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first) controller.enqueue(first);
      else controller.close();
    },
    async pull(controller) {
      try {
        const c = await reader.next();
        if (reader.cancelled) return; // the browser went away: nothing to send
        if (c) controller.enqueue(c);
        else controller.close();
      } catch (err) {
        if (reader.cancelled) return;
        opts.onError?.(err);
        controller.error(err);
      }
    },
    cancel() {
      reader.cancel();
    }
  });
  return { size, body };
}
