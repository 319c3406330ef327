// npm run demo, end to end: servers, migrations, demo mail, the demo login, app and worker;
// then a login over HTTP and both demo mailboxes synced (scripts/demo-check.mjs).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('npm run demo', () => {
  it('brings the product up with a working demo login and synced demo mailboxes', () => {
    const dir = `.data/demo-check-${process.pid}`;
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, DEMO_DIR: `${process.cwd()}/${dir}` };
      delete env.SERVERS_ENV;
      delete env.QUEUE_PREFIX;
      delete env.NODE_ENV;
      const res = spawnSync('bash', ['scripts/demo.sh', '--check'], {
        env,
        encoding: 'utf8',
        timeout: 170_000
      });
      const out = `${res.stdout}\n${res.stderr}`;
      expect(res.status, out.slice(-3000)).toBe(0);
      expect(out).toContain('demo check passed: logged in, both demo mailboxes synced, /health healthy');
      expect(out).toMatch(/seeded demo mail in [\d.]+ s: .*alice@example\.test: \d{3}/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
