#!/usr/bin/env node
// Starts the built app (adapter-node output in build/):
//  1. loads .env when present (adapter-node itself does not),
//  2. with AUTO_RUN_MIGRATIONS=true applies pending migrations under a PostgreSQL advisory
//     lock, so several instances starting at once apply them exactly once,
//  3. imports build/index.js, whose hooks validate the rest of the configuration.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));

const MIGRATION_LOCK = 0x656d6c02;
const truthy = (v) => ['true', '1', 'yes', 'on'].includes(String(v ?? '').toLowerCase());

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

export async function migrate(databaseUrl, log = (m) => process.stdout.write(m + '\n')) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    log(
      JSON.stringify({
        level: 'info',
        service: 'emailclient',
        component: 'migrate',
        msg: 'applying migrations'
      })
    );
    await new Promise((resolve, reject) => {
      const bin = join(root, 'node_modules', '.bin', 'prisma');
      const child = spawn(bin, ['migrate', 'deploy'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: process.env
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolve(undefined)
          : reject(
              new Error(
                `prisma migrate deploy exited ${code}: ${out.trim().split('\n').slice(-5).join(' | ')}`
              )
            )
      );
    });
    log(
      JSON.stringify({
        level: 'info',
        service: 'emailclient',
        component: 'migrate',
        msg: 'migrations up to date'
      })
    );
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await client.end();
  }
}

/**
 * adapter-node refuses request bodies over BODY_SIZE_LIMIT (512K by default), but a file
 * upload (POST /api/uploads, which enforces its own, tighter limit while it streams) and the
 * text and HTML of a message being sent can each come near MAX_MESSAGE_BYTES: without an
 * explicit limit, take one that fits it.
 */
export function bodySizeLimit(env) {
  if (env.BODY_SIZE_LIMIT) return env.BODY_SIZE_LIMIT;
  const max = Number(env.MAX_MESSAGE_BYTES) > 0 ? Number(env.MAX_MESSAGE_BYTES) : 25 * 1024 * 1024;
  return String(Math.ceil(max * 1.4) + 1024 * 1024);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.env.BODY_SIZE_LIMIT = bodySizeLimit(process.env);
  if (truthy(process.env.AUTO_RUN_MIGRATIONS)) {
    if (!process.env.DATABASE_URL) fail('Invalid configuration: DATABASE_URL is required but not set');
    try {
      await migrate(process.env.DATABASE_URL);
    } catch (e) {
      fail(`Migrations failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  await import(join(root, process.env.BUILD_OUT ?? 'build', 'index.js'));
}
