/**
 * Runs `f` once the browser is idle (at the latest after `timeout` ms, if given), or after
 * `fallbackMs` where there is no requestIdleCallback (Safari). Returns what cancels it.
 */
export function whenIdle(
  f: () => void,
  { timeout, fallbackMs = 200 }: { timeout?: number; fallbackMs?: number } = {}
): () => void {
  if (typeof requestIdleCallback === 'function') {
    const h = requestIdleCallback(f, timeout === undefined ? undefined : { timeout });
    return () => cancelIdleCallback(h);
  }
  const t = setTimeout(f, fallbackMs);
  return () => clearTimeout(t);
}
