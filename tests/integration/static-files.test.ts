// The built app when a file of its build disappears under it (build/ rebuilt or replaced in place
// while the app runs): the request fails, the process lives on and says what to do.
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../helpers/process';

type App = Awaited<ReturnType<typeof startApp>>;

describe('a file of the build that is gone', () => {
  // a copy of the build of its own (start-app.js takes BUILD_OUT relative to the project), so the
  // other tests' build/ is left alone
  const out = join('.data', `static-files-${process.pid}`);
  let app: App;
  beforeAll(async () => {
    cpSync('build', out, { recursive: true });
    app = await startApp({ BUILD_OUT: out });
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('fails that request, keeps serving and says to restart', async () => {
    const entry = join(out, 'client/_app/immutable/entry');
    const name = readdirSync(entry).find((f) => /^start\..*\.js$/.test(f))!;
    const url = `${app.origin}/_app/immutable/entry/${name}`;
    const first = await fetch(url, { headers: { 'accept-encoding': 'br' } });
    expect(first.status).toBe(200);
    expect((await first.arrayBuffer()).byteLength).toBeGreaterThan(0);

    for (const suffix of ['', '.br', '.gz']) rmSync(join(entry, name + suffix), { force: true });
    expect(existsSync(join(entry, name))).toBe(false);
    for (const encoding of ['br', 'gzip', 'identity']) {
      // the server listed the file at start and has sent 200 and its length: the body never
      // comes and the connection is dropped
      const failed = await fetch(url, { headers: { 'accept-encoding': encoding } })
        .then((res) => res.arrayBuffer())
        .then(
          () => false,
          () => true
        );
      expect(failed, `a ${encoding} request for the missing file`).toBe(true);
    }

    expect(app.proc.exitCode).toBeNull();
    const health = await fetch(`${app.origin}/health`);
    expect(health.status).toBe(200);
    const login = await fetch(`${app.origin}/login`);
    expect(login.status).toBe(200);
    const warnings = app.records().filter((r) => r.component === 'static');
    // once per file, whichever of its encodings was asked for
    expect(warnings.map((r) => [r.level, r.file, r.code])).toEqual([
      ['warn', `_app/immutable/entry/${name}.br`, 'ENOENT'],
      ['warn', `_app/immutable/entry/${name}.gz`, 'ENOENT'],
      ['warn', `_app/immutable/entry/${name}`, 'ENOENT']
    ]);
    expect(String(warnings[0]!.msg)).toMatch(/restart the app/);
  });
});
