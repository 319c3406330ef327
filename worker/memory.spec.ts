import { describe, expect, it } from 'vitest';
import { collectGarbage, startIdleGc } from './memory.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keeps the event loop busy for `ms`, making garbage as it goes. */
function busyFor(ms: number): void {
  const end = performance.now() + ms;
  let junk: unknown[] = [];
  while (performance.now() < end) {
    junk.push({ a: Math.random(), b: 'x'.repeat(64) });
    if (junk.length > 100_000) junk = [];
  }
}

describe('idle garbage collection', () => {
  it('frees garbage with one memory-reducing collection', async () => {
    const holder: { garbage: unknown[] | null } = {
      garbage: Array.from({ length: 400_000 }, (_, i) => ({ i, s: `item ${i}` }))
    };
    const before = process.memoryUsage().heapUsed;
    holder.garbage = null;
    await collectGarbage();
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 10 * 1048576);
  });

  it('collects once after a busy spell, then not again within the minimum gap, and never without work', async () => {
    const collections: { heapMbBefore: number; heapMbAfter: number }[] = [];
    // a high threshold: a test runner under load must not look "busy" by itself
    const stop = startIdleGc({
      intervalMs: 100,
      busyUtilization: 0.5,
      minGapMs: 60_000,
      onCollect: (i) => collections.push(i)
    });
    try {
      await sleep(450); // only waiting: nothing to give back
      expect(collections).toHaveLength(0);
      const holder: { garbage: unknown[] | null } = {
        garbage: Array.from({ length: 300_000 }, (_, i) => ({ i, s: `item ${i}` }))
      };
      busyFor(250);
      holder.garbage = null;
      for (let i = 0; i < 40 && !collections.length; i++) await sleep(50);
      expect(collections).toHaveLength(1);
      // (how much it frees depends on what V8 collected on its own meanwhile: see the test above)
      expect(collections[0]!.heapMbAfter).toBeLessThanOrEqual(collections[0]!.heapMbBefore);
      busyFor(250); // busy again, quiet again, but within minGapMs of the last collection
      await sleep(450);
      expect(collections).toHaveLength(1);
    } finally {
      stop();
    }
  });
});
