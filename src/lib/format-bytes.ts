/**
 * 26214400 → "25 MB", 1536 → "1.5 KB": how limits are worded, the same in the server's
 * errors and in the composer's own checks (shared by both, so no server code here).
 */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}
