// Spawns the real app (built) and worker as child processes, with their JSON logs captured.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface Running {
  proc: ChildProcess;
  lines: string[];
  /** stdout and stderr lines, JSON parsed where they are JSON */
  records(): Record<string, unknown>[];
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function run(cmd: string, args: string[], env: Record<string, string | undefined>): Running {
  const proc = spawn(cmd, args, {
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  const lines: string[] = [];
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  const onData = (buf: Buffer, acc: { rest: string }) => {
    acc.rest += buf.toString();
    const parts = acc.rest.split('\n');
    acc.rest = parts.pop() ?? '';
    for (const l of parts) {
      lines.push(l);
      for (const w of [...waiters])
        if (w.match(l)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(l);
        }
    }
  };
  const o = { rest: '' };
  const e = { rest: '' };
  proc.stdout!.on('data', (b: Buffer) => onData(b, o));
  proc.stderr!.on('data', (b: Buffer) => onData(b, e));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    lines,
    exited,
    records: () =>
      lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    waitForLine(match, timeoutMs = 20_000) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(new Error(`timed out waiting for a line; output so far:\n${lines.slice(-20).join('\n')}`)),
          timeoutMs
        );
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          }
        });
        void exited.then((code) => {
          clearTimeout(t);
          reject(
            new Error(`process exited (${code}) before the line; output:\n${lines.slice(-20).join('\n')}`)
          );
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    }
  };
}

export async function startApp(
  env: Record<string, string | undefined> = {},
  opts: { waitHealthy?: boolean } = {}
) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const app = run('node', ['scripts/start-app.js'], {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    ORIGIN: origin,
    ...env
  });
  try {
    await app.waitForLine((l) => l.includes('Listening on'), 30_000);
    if (opts.waitHealthy !== false) {
      const res = await fetch(`${origin}/health`);
      if (res.status !== 200) throw new Error(`app not healthy: ${res.status} ${await res.text()}`);
    }
  } catch (e) {
    await app.stop('SIGKILL'); // never leave a half-started app behind
    throw e;
  }
  return { ...app, port, origin };
}

export function startWorker(env: Record<string, string | undefined> = {}) {
  // one process (not the tsx CLI, which runs node as a child): signals reach the worker itself
  return run('node', ['--import', 'tsx', 'worker/main.ts'], { NODE_ENV: 'test', LOG_LEVEL: 'info', ...env });
}
