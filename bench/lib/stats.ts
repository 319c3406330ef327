// Small numeric helpers shared by the benchmark suites.

/** The p-th percentile (nearest rank) of xs, rounded to 3 decimals. */
export function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return round(s[Math.min(s.length, rank) - 1]!, 3);
}

export function median(xs: number[]): number {
  return pct(xs, 50);
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** Accumulated wall time and call counts by label, for a rough breakdown of a run. */
export class Breakdown {
  readonly totals = new Map<string, { ms: number; calls: number }>();
  add(label: string, ms: number): void {
    const e = this.totals.get(label) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    this.totals.set(label, e);
  }
  rows(): { label: string; ms: number; calls: number }[] {
    return [...this.totals]
      .map(([label, e]) => ({ label, ms: round(e.ms, 1), calls: e.calls }))
      .sort((a, b) => b.ms - a.ms);
  }
}
