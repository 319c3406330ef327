import { afterEach, describe, expect, it, vi } from 'vitest';
import { whenIdle } from './idle';

describe('whenIdle', () => {
  afterEach(() => vi.useRealTimers());

  it('without requestIdleCallback: runs after the fallback delay, and not once cancelled', () => {
    vi.useFakeTimers();
    const ran: string[] = [];
    whenIdle(() => ran.push('a'), { fallbackMs: 100 });
    const cancel = whenIdle(() => ran.push('b'), { fallbackMs: 100 });
    cancel();
    vi.advanceTimersByTime(99);
    expect(ran).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ran).toEqual(['a']);
  });
});
