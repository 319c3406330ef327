import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp } from '../helpers/process';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

describe('AUTO_RUN_MIGRATIONS', () => {
  const name = `ec_mig_${Date.now()}_${process.pid}`;
  const admin = () =>
    new pg.Client({ connectionString: withDatabase(process.env.DATABASE_URL!, 'postgres') });
  const url = withDatabase(process.env.DATABASE_URL!, name);

  afterAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.end();
  });

  it('applies every migration exactly once when two instances start at the same time', async () => {
    const c = admin();
    await c.connect();
    await c.query(`CREATE DATABASE "${name}"`);
    await c.end();

    const apps = await Promise.all([
      startApp({ DATABASE_URL: url, AUTO_RUN_MIGRATIONS: 'true' }),
      startApp({ DATABASE_URL: url, AUTO_RUN_MIGRATIONS: 'true' })
    ]);
    try {
      for (const app of apps) expect((await fetch(`${app.origin}/health`)).status).toBe(200);
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      const rows = (
        await db.query<{ migration_name: string; finished_at: Date | null }>(
          'SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name'
        )
      ).rows;
      const tables = (await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname='public'`))
        .rows[0].n;
      await db.end();
      const expected = readdirSync('prisma/migrations', { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
      expect(rows.map((r) => r.migration_name)).toEqual(expected);
      expect(rows.every((r) => r.finished_at !== null)).toBe(true);
      expect(tables).toBeGreaterThanOrEqual(10);
      // both logged the migration step; at most one of them had anything to apply
      for (const app of apps) expect(app.records().some((r) => r.msg === 'migrations up to date')).toBe(true);
    } finally {
      await Promise.all(apps.map((a) => a.stop()));
    }
  }, 90_000);
});
