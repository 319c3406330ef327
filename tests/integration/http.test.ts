// The built app over real HTTP: health, origin check, cookies, request ids, error hygiene.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { uniqueEmail } from '../helpers/context';
import { freePort, run, startApp } from '../helpers/process';

type App = Awaited<ReturnType<typeof startApp>>;

function post(app: { origin: string }, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${app.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: app.origin, ...headers },
    body: JSON.stringify(body)
  });
}

describe('the app over HTTP', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp({ ALLOW_SIGNUP: 'true' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers /health with the documented body', async () => {
    const res = await fetch(`${app.origin}/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({
      status: 'healthy',
      service: 'emailclient',
      version: pkg.version,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      checks: { database: 'ok', redis: 'ok' }
    });
    expect(Math.abs(Date.parse(body.timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it('refuses cross-site state-changing requests, JSON included', async () => {
    const evil = await post(
      app,
      '/api/trpc/auth.login',
      { email: 'a@example.test', password: 'x' },
      { origin: 'https://evil.test' }
    );
    expect(evil.status).toBe(403);
    expect((await evil.json()).error.message).toBe('Cross-site request refused.');
    const noOrigin = await fetch(`${app.origin}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      body: '{}'
    });
    expect(noOrigin.status).toBe(403);
    const same = await post(app, '/api/trpc/auth.login', { email: 'a@example.test', password: 'x' });
    expect(same.status).toBe(401);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie and never logs the password', async () => {
    const email = uniqueEmail('http');
    const password = 'a-very-unusual-password-42';
    const res = await post(app, '/api/trpc/auth.signup', { email, password });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^emailclient_session=[a-z2-7]+\.[a-z2-7]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const body = await res.text();
    expect(body).not.toContain(cookie.split(';')[0]!.split('=')[1]!);
    expect(app.lines.join('\n')).not.toContain(password);
    expect(app.lines.join('\n')).not.toContain(cookie.split(';')[0]!.split('=')[1]!);
  });

  it('tags every request log line with a request id and returns it', async () => {
    const res = await fetch(`${app.origin}/login`, { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-abc-123');
    const own = await fetch(`${app.origin}/login`);
    expect(own.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 100));
    const requestLines = app.records().filter((r) => r.msg === 'request');
    expect(requestLines.length).toBeGreaterThan(3);
    expect(requestLines.every((r) => typeof r.reqId === 'string' && (r.reqId as string).length > 0)).toBe(
      true
    );
    expect(
      requestLines.some((r) => r.reqId === 'trace-abc-123' && r.path === '/login' && r.status === 200)
    ).toBe(true);
  });

  it('accepts a request as large as a message with attachments may be, and refuses larger', async () => {
    // a message being sent carries its attachments base64-encoded: 5 MB of files is ~7 MB here;
    // the app's body limit follows MAX_MESSAGE_BYTES (25 MB by default), not adapter-node's 512K
    // (auth.login reads its input whatever the session; a procedure behind a session would
    // answer 401 before reading the body at all)
    const big = await post(app, '/api/trpc/auth.login', { email: 'a@b.test', password: 'x'.repeat(7 << 20) });
    // read whole and judged by the procedure's own rules, not cut off by a body limit
    expect(big.status).toBe(400);
    expect(await big.text()).toMatch(/password: Too big/);
    const huge = await post(app, '/api/trpc/auth.login', {
      email: 'a@b.test',
      password: 'x'.repeat(40 << 20)
    });
    expect(huge.status).toBe(400);
    expect(await huge.text()).toMatch(/exceeds limit of 3\d{7} bytes/);
  });

  it('sends anonymous visitors of the mail page to the login page', async () => {
    const res = await fetch(`${app.origin}/mail`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fmail');
  });
});

describe('over https', () => {
  it('uses a Secure, __Host- prefixed cookie when ORIGIN is https', async () => {
    const port = await freePort();
    const origin = `https://127.0.0.1:${port}`;
    const app = run('node', ['scripts/start-app.js'], {
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      ORIGIN: origin,
      ALLOW_SIGNUP: 'true'
    });
    try {
      await app.waitForLine((l) => l.includes('Listening on'));
      const res = await fetch(`http://127.0.0.1:${port}/api/trpc/auth.signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin },
        body: JSON.stringify({ email: uniqueEmail('tls'), password: 'correct horse battery' })
      });
      expect(res.status).toBe(200);
      const cookie = res.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^__Host-emailclient_session=/);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/Path=\//);
      expect(cookie).not.toMatch(/Domain=/);
    } finally {
      await app.stop();
    }
  });
});

describe('when a dependency is down', () => {
  it('reports 503 naming PostgreSQL, and hides internals from API errors', async () => {
    const closed = await freePort();
    const app = await startApp(
      { DATABASE_URL: `postgresql://postgres@127.0.0.1:${closed}/emailclient` },
      { waitHealthy: false }
    );
    try {
      const res = await fetch(`${app.origin}/health`);
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body).toMatchObject({ status: 'unhealthy', service: 'emailclient', checks: { redis: 'ok' } });
      expect(body.checks.database).not.toBe('ok');

      const failed = await post(app, '/api/trpc/auth.login', {
        email: 'someone@example.test',
        password: 'whatever'
      });
      expect(failed.status).toBe(500);
      const text = await failed.text();
      expect(text).toMatch(/quote error id [0-9a-f-]{36}/);
      expect(text).not.toMatch(/ECONNREFUSED|at .*\.js:\d+|stack|prisma/i);
      const id = /error id ([0-9a-f-]{36})/.exec(text)![1];
      await new Promise((r) => setTimeout(r, 100));
      expect(app.records().some((r) => r.errorId === id && r.level === 'error')).toBe(true);
    } finally {
      await app.stop();
    }
  });

  it('reports 503 naming Redis when it stops, and recovers when it is back', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'ec-redis-'));
    const startRedis = () =>
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        {
          stdio: 'ignore'
        }
      );
    let redis = startRedis();
    await new Promise((r) => setTimeout(r, 300));
    const app = await startApp({ REDIS_URL: `redis://127.0.0.1:${port}` });
    try {
      expect((await fetch(`${app.origin}/health`)).status).toBe(200);
      redis.kill('SIGKILL');
      await new Promise((r) => redis.on('exit', r));
      const down = await fetch(`${app.origin}/health`);
      expect(down.status).toBe(503);
      const body = await down.json();
      expect(body.status).toBe('unhealthy');
      expect(body.checks.database).toBe('ok');
      expect(body.checks.redis).not.toBe('ok');
      redis = startRedis();
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 250));
        status = (await fetch(`${app.origin}/health`)).status;
      }
      expect(status).toBe(200);
    } finally {
      await app.stop();
      redis.kill('SIGKILL');
    }
  });
});

describe('configuration', () => {
  it('stops at start with one line naming a bad variable', async () => {
    const app = run('node', ['scripts/start-app.js'], {
      NODE_ENV: 'test',
      PORT: String(await freePort()),
      SESSION_TTL_DAYS: 'forever'
    });
    expect(await app.exited).toBe(1);
    expect(app.lines.filter(Boolean)).toEqual([
      'Invalid configuration: SESSION_TTL_DAYS must be a whole number'
    ]);
  });

  it('refuses to start in production without an encryption key', async () => {
    const app = run('node', ['scripts/start-app.js'], {
      NODE_ENV: 'production',
      PORT: String(await freePort()),
      ORIGIN: 'https://mail.example.com',
      ENCRYPTION_KEY: ''
    });
    expect(await app.exited).toBe(1);
    expect(app.lines.filter(Boolean)).toEqual([
      'Invalid configuration: ENCRYPTION_KEY is required in production (generate with: openssl rand -hex 32)'
    ]);
  });
});
