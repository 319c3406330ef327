// docker-compose.yml, checked without a Docker engine: `docker-compose config` validates the file
// against the Compose schema and resolves it (variables, env_file, YAML anchors); the tests then
// read the resolved file. Everything runs in a temporary copy with a .env made from .env.example,
// so the repository is never touched and the outer shell's variables do not leak in.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INSTALL_HINT =
  'docker-compose is not installed: install it (Debian: apt-get install -y docker-compose; ' +
  'npm test does this when run as root) to check docker-compose.yml';

type Json = Record<string, unknown>;
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  container_name?: string;
  command?: string[] | string;
  environment?: Record<string, string | null> | string[];
  env_file?: unknown;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  ports?: (string | { published?: number | string; target?: number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  networks?: Record<string, unknown> | string[];
  profiles?: string[];
  restart?: string;
  init?: boolean;
  stop_grace_period?: string;
  logging?: { driver?: string; options?: Record<string, string> };
}
interface Resolved {
  services: Record<string, Service>;
  volumes?: Record<string, { name?: string } | null>;
  networks?: Record<string, { name?: string } | null>;
}

/** The docker-compose executable on PATH, or null. */
function findCompose(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, 'docker-compose');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** Only what docker-compose needs: variables from the outer shell would override .env. */
function cleanEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME ?? tmpdir(), LANG: 'C.UTF-8' };
}

function compose(dir: string, args: string[]) {
  const bin = findCompose();
  if (!bin) throw new Error(INSTALL_HINT);
  const r = spawnSync(bin, ['-f', join(dir, 'docker-compose.yml'), '--project-directory', dir, ...args], {
    cwd: dir,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 60_000
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A throwaway copy of docker-compose.yml + docker/ with a .env from .env.example. */
function stage(extraEnv = 'POSTGRES_PASSWORD=ci0test0password\n'): string {
  const dir = mkdtempSync(join(tmpdir(), 'emailclient-compose-'));
  cpSync(join(repo, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  cpSync(join(repo, 'docker'), join(dir, 'docker'), { recursive: true });
  writeFileSync(join(dir, '.env'), readFileSync(join(repo, '.env.example'), 'utf8') + '\n' + extraEnv);
  return dir;
}

/**
 * The resolved file as JSON. Debian's docker-compose 1.29 is a Python program that depends on
 * PyYAML, so its own interpreter can turn the YAML into JSON; Compose v2 prints JSON itself.
 */
function resolvedConfig(dir: string): Resolved {
  const bin = findCompose();
  if (!bin) throw new Error(INSTALL_HINT);
  const shebang = readFileSync(bin, 'latin1').slice(0, 200).split('\n')[0] ?? '';
  const python = shebang.startsWith('#!') && /python/.test(shebang) ? shebang.slice(2).trim() : null;
  if (python) {
    const out = compose(dir, ['config']);
    expect(out.status, out.stderr).toBe(0);
    const [exe, ...exeArgs] = python.split(/\s+/);
    const conv = spawnSync(
      exe!,
      [...exeArgs, '-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
      { input: out.stdout, encoding: 'utf8' }
    );
    if (conv.status !== 0) throw new Error(`could not convert the compose YAML to JSON: ${conv.stderr}`);
    return JSON.parse(conv.stdout) as Resolved;
  }
  const out = compose(dir, ['config', '--format', 'json']);
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as Resolved;
}

function envOf(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(
      env.map((e) => [e.split('=')[0]!, e.includes('=') ? e.slice(e.indexOf('=') + 1) : ''])
    );
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v ?? '']));
}

/** "host_ip:published:target" for every published port, whatever syntax the tool printed. */
function portsOf(s: Service): string[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'string') {
      const parts = p.replace(/\/tcp$/, '').split(':');
      return parts.length === 3 ? parts.join(':') : `0.0.0.0:${parts.join(':')}`;
    }
    return `${p.host_ip ?? '0.0.0.0'}:${p.published}:${p.target}`;
  });
}

function healthTest(s: Service): string {
  const t = s.healthcheck?.test;
  return Array.isArray(t) ? t.join(' ') : (t ?? '');
}

/** KEY names of .env.example (lines KEY=value, comments skipped). */
function exampleKeys(): string[] {
  return readFileSync(join(repo, '.env.example'), 'utf8')
    .split('\n')
    .map((l) => /^([A-Z][A-Z0-9_]*)=/.exec(l.trim())?.[1])
    .filter((k): k is string => !!k);
}

describe('docker-compose.yml', () => {
  const dirs: string[] = [];
  let dir: string;
  let resolved: Resolved | undefined;
  /** The resolved file, read once (by the first test that needs it). */
  const config = (): Resolved => (resolved ??= resolvedConfig(dir));

  beforeAll(() => {
    dir = stage();
    dirs.push(dir);
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('docker-compose is installed', () => {
    expect(findCompose(), INSTALL_HINT).not.toBeNull();
    const v = compose(dir, ['version']);
    expect(v.status, v.stderr).toBe(0);
  });

  it('validates: `docker-compose config -q` exits 0 with a .env made from .env.example', () => {
    const r = compose(dir, ['config', '-q']);
    expect(r.status, `docker-compose config -q failed:\n${r.stderr}`).toBe(0);
  });

  it('has the app, the worker, PostgreSQL, Redis, Dovecot, Postfix and the optional nginx', () => {
    expect(Object.keys(config().services).sort()).toEqual(
      ['app', 'dovecot', 'nginx', 'postfix', 'postgres', 'redis', 'worker'].sort()
    );
    expect(config().services.nginx!.profiles).toEqual(['proxy']);
    for (const name of ['app', 'worker', 'postgres', 'redis', 'dovecot', 'postfix'])
      expect(config().services[name]!.profiles ?? [], name).toEqual([]);
  });

  it('passes every setting of .env.example to the app and the worker', () => {
    const keys = exampleKeys();
    expect(keys.length).toBeGreaterThan(30);
    for (const name of ['app', 'worker']) {
      const env = envOf(config().services[name]!);
      const missing = keys.filter((k) => !(k in env));
      expect(missing, `${name} lacks ${missing.join(', ')}`).toEqual([]);
      // the connection strings point at the compose services, with the password from .env
      expect(env.DATABASE_URL).toBe('postgresql://emailclient:ci0test0password@postgres:5432/emailclient');
      expect(env.REDIS_URL).toBe('redis://:@redis:6379/0');
      expect(env.PORT).toBe('3000');
    }
    const raw = readFileSync(join(repo, 'docker-compose.yml'), 'utf8');
    expect(raw).toMatch(/env_file:\s*\n\s*- \.env\b/);
  });

  it('runs the app and the worker from one image, the worker with the worker command', () => {
    const { app, worker } = config().services;
    expect(app!.build?.dockerfile).toBe('docker/app.Dockerfile');
    expect(worker!.image).toBe(app!.image);
    expect(app!.command).toEqual(['node', 'scripts/start-app.js']);
    expect(worker!.command).toEqual(['node', '--import', 'tsx', 'worker/main.ts']);
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Json };
    expect(pkg.scripts.worker).toBe('node --import tsx worker/main.ts');
    expect(worker!.ports ?? []).toEqual([]);
    expect(worker!.container_name).toBeUndefined(); // --scale worker=N needs generated names
    // the image's HTTP healthcheck is switched off (docker-compose 1.29 prints disable: true as test: [NONE])
    const hc = worker!.healthcheck;
    expect(
      hc?.disable === true || (Array.isArray(hc?.test) && hc.test[0] === 'NONE'),
      JSON.stringify(hc)
    ).toBe(true);
    expect(app!.init).toBe(true);
    expect(worker!.init).toBe(true);
  });

  it('has health checks, and starts services only once what they need is healthy', () => {
    const s = config().services;
    expect(healthTest(s.app!)).toContain('http://127.0.0.1:3000/health');
    expect(healthTest(s.postgres!)).toContain('pg_isready');
    expect(healthTest(s.redis!)).toContain('ping');
    expect(healthTest(s.dovecot!)).toContain('healthcheck');
    expect(healthTest(s.postfix!)).toContain('healthcheck');
    expect(healthTest(s.nginx!)).toContain('/nginx-health');
    const healthy = (svc: Service) =>
      Object.entries(svc.depends_on ?? {})
        .filter(([, d]) => (d as { condition?: string }).condition === 'service_healthy')
        .map(([n]) => n)
        .sort();
    expect(healthy(s.app!)).toEqual(['postgres', 'redis']);
    expect(healthy(s.worker!)).toEqual(['app', 'postgres', 'redis']);
    expect(healthy(s.postfix!)).toEqual(['dovecot']);
    expect(healthy(s.nginx!)).toEqual(['app']);
  });

  it('configures Redis for BullMQ: append-only, noeviction', () => {
    const cmd = ([] as string[]).concat(config().services.redis!.command ?? []).join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--maxmemory-policy noeviction');
  });

  it('publishes the documented host ports, databases on loopback only', () => {
    const s = config().services;
    expect(portsOf(s.app!)).toEqual(['0.0.0.0:3000:3000']);
    expect(portsOf(s.postgres!)).toEqual(['127.0.0.1:5433:5432']);
    expect(portsOf(s.redis!)).toEqual(['127.0.0.1:6379:6379']);
    expect(portsOf(s.dovecot!).sort()).toEqual(
      [
        '0.0.0.0:1143:143',
        '0.0.0.0:1993:993',
        '0.0.0.0:1110:110',
        '0.0.0.0:1995:995',
        '0.0.0.0:14190:4190'
      ].sort()
    );
    expect(portsOf(s.postfix!).sort()).toEqual(['0.0.0.0:1025:25', '0.0.0.0:1587:587'].sort());
    expect(portsOf(s.nginx!).sort()).toEqual(['0.0.0.0:443:443', '0.0.0.0:80:80'].sort());
  });

  it('names containers, restarts them, rotates their logs and keeps them on emailclient-net', () => {
    for (const [name, svc] of Object.entries(config().services)) {
      if (name !== 'worker') expect(svc.container_name, name).toBe(`emailclient-${name}`);
      expect(svc.restart, name).toBe('unless-stopped');
      expect(svc.logging, name).toEqual({
        driver: 'json-file',
        options: { 'max-size': '10m', 'max-file': '5' }
      });
      const nets = Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks ?? {});
      expect(nets, name).toEqual(['emailclient-net']);
    }
    expect(config().networks?.['emailclient-net']?.name).toBe('emailclient-net');
  });

  it('keeps data in named volumes', () => {
    const names = Object.fromEntries(Object.entries(config().volumes ?? {}).map(([k, v]) => [k, v?.name]));
    expect(names).toEqual({
      'postgres-data': 'emailclient-postgres-data',
      'redis-data': 'emailclient-redis-data',
      maildir: 'emailclient-maildir',
      'postfix-spool': 'emailclient-postfix-spool',
      'mail-tls': 'emailclient-mail-tls'
    });
    const targets = (svc: Service) =>
      (svc.volumes ?? []).map((v) =>
        typeof v === 'string' ? v.split(':').slice(0, 2).join(':') : `${v.source}:${v.target}`
      );
    expect(targets(config().services.postgres!)).toContain('postgres-data:/var/lib/postgresql/data');
    expect(targets(config().services.redis!)).toContain('redis-data:/data');
    expect(targets(config().services.dovecot!)).toContain('maildir:/var/vmail');
    expect(targets(config().services.postfix!)).toContain('postfix-spool:/var/spool/postfix');
  });

  it('refers only to files that exist: Dockerfiles, mounted configs, the users file', () => {
    for (const [name, svc] of Object.entries(config().services)) {
      if (svc.build) {
        const ctx = resolve(dir, svc.build.context);
        expect(existsSync(join(ctx, svc.build.dockerfile ?? 'Dockerfile')), `${name} Dockerfile`).toBe(true);
      }
      for (const v of svc.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
        if (source.startsWith('/')) expect(existsSync(source), `${name} mounts ${source}`).toBe(true);
      }
    }
    expect(existsSync(join(repo, '.dockerignore'))).toBe(true);
  });

  it('refuses to start without POSTGRES_PASSWORD, naming it', () => {
    const d = stage('');
    dirs.push(d);
    const r = compose(d, ['config', '-q']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('POSTGRES_PASSWORD');
  });

  it('fails on a broken file (the check can fail)', () => {
    const d = stage();
    dirs.push(d);
    const file = join(d, 'docker-compose.yml');
    const broken = readFileSync(file, 'utf8').replace(
      'container_name: emailclient-app\n',
      'container_name: emailclient-app\n    not_a_compose_option: true\n'
    );
    expect(broken).toContain('not_a_compose_option');
    writeFileSync(file, broken);
    const r = compose(d, ['config', '-q']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('not_a_compose_option');
  });

  it('has shell scripts that parse (bash -n)', () => {
    const scripts: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.sh')) scripts.push(join(d, e.name));
      }
    };
    walk(join(repo, 'docker'));
    expect(scripts.length).toBeGreaterThanOrEqual(5);
    for (const f of scripts) {
      const r = spawnSync('bash', ['-n', f], { encoding: 'utf8' });
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
    }
  });
});
