// Process figures read from /proc (Linux): resident memory and the TCP connections a
// process holds to a given remote port.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** VmRSS of a process, in MB (1024 * 1024 bytes). */
export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** Established TCP connections of `pid` whose remote end is `port` (IPv4 and IPv6). */
export function tcpConnectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // the fd closed while we looked
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const [, , remote, state, , , , , , inode] = cols;
      if (state === '01' && remote?.endsWith(`:${hexPort}`) && inodes.has(inode!)) n++;
    }
  }
  return n;
}

/**
 * Forces a full garbage collection in a Node process started with `--inspect-port=127.0.0.1:0`:
 * SIGUSR1 opens its inspector (the address appears on its stderr, which `lines` collects),
 * and a helper process (Node 20 has WebSocket only behind a flag) asks V8 to collect.
 * The inspector stays open afterwards.
 */
export async function forceGc(pid: number, lines: string[], timeoutMs = 10_000): Promise<void> {
  const { execFile } = await import('node:child_process');
  const find = () => lines.map((l) => /Debugger listening on (ws:\/\/\S+)/.exec(l)?.[1]).find(Boolean);
  if (!find()) process.kill(pid, 'SIGUSR1');
  const end = Date.now() + timeoutMs;
  while (!find() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const url = find();
  if (!url) throw new Error(`no inspector address from pid ${pid}`);
  const script = `
    const ws = new WebSocket(process.argv[1]);
    const t = setTimeout(() => process.exit(2), ${timeoutMs});
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    ws.onmessage = (e) => { if (JSON.parse(e.data).id === 1) { clearTimeout(t); ws.close(); process.exit(0); } };
    ws.onerror = () => process.exit(3);`;
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['--experimental-websocket', '--no-warnings', '-e', script, url], (err) =>
      err ? reject(new Error(`forcing a GC in pid ${pid} failed: ${err.message}`)) : resolve()
    )
  );
}
