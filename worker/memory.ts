/**
 * Gives memory back after a busy spell. V8 collects its old generation only when the heap
 * grows and shrinks its spaces only much later, so a worker that has just synced two hundred
 * accounts and rendered their recent mail would keep that garbage, and the pages it sat in
 * (tens of MB, more than the accounts' live state), for long after it went quiet, which is
 * most of its life. Once a thread has been quiet for an interval after being busy, one
 * memory-reducing full collection runs (the one the inspector's "collect garbage" button
 * asks for: it also compacts and shrinks the young generation), through an in-process
 * inspector session: no port is opened. Idle IMAP connections (IDLE, lease renewals) keep the
 * event loop far below the threshold.
 *
 * Used by the worker's main thread and by each render thread (their heaps are separate).
 */
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';

export interface IdleGcOptions {
  /** how often the event loop's use is looked at */
  intervalMs?: number;
  /** above this share of an interval spent working, the thread counts as busy */
  busyUtilization?: number;
  /** at least this long between two collections (a worker busy every few seconds pays once) */
  minGapMs?: number;
  /** called after each collection */
  onCollect?: (info: { ms: number; heapMbBefore: number; heapMbAfter: number }) => void;
}

/** One memory-reducing full collection of this thread's heap. */
export async function collectGarbage(): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await new Promise<void>((resolve, reject) =>
      session.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve()))
    );
  } finally {
    session.disconnect();
  }
}

/** Starts watching; returns a function that stops it. */
export function startIdleGc(opts: IdleGcOptions = {}): () => void {
  const intervalMs = opts.intervalMs ?? 3_000;
  const busy = opts.busyUtilization ?? 0.05;
  let last = performance.eventLoopUtilization();
  let dirty = false;
  let running = false;
  let lastAt = 0;
  const minGapMs = opts.minGapMs ?? 30_000;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const used = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (used > busy) {
      dirty = true;
      return;
    }
    if (!dirty || running || Date.now() - lastAt < minGapMs) return;
    dirty = false;
    running = true;
    lastAt = Date.now();
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    collectGarbage()
      .then(() =>
        opts.onCollect?.({
          ms: Math.round(performance.now() - t0),
          heapMbBefore: Math.round(before / 1048576),
          heapMbAfter: Math.round(process.memoryUsage().heapUsed / 1048576)
        })
      )
      // no inspector in this build of Node: V8 collects on its own schedule, as before
      .catch(() => clearInterval(timer))
      .finally(() => {
        running = false;
        // the collection itself must not count as work
        last = performance.eventLoopUtilization();
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
