#!/usr/bin/env node
// Starts the built app (adapter-node output in build/):
//  1. loads .env when present (adapter-node itself does not),
//  2. with AUTO_RUN_MIGRATIONS=true applies pending migrations under a PostgreSQL advisory
//     lock, so several instances starting at once apply them exactly once,
//  3. keeps a file of build/client that is gone from killing the process (see guardStaticReads),
//  4. imports build/index.js, whose hooks validate the rest of the configuration.
import { spawn } from 'node:child_process';
import fs, { existsSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
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

/**
 * adapter-node serves build/client with sirv, which lists the files once at start and pipes
 * `fs.createReadStream(file)` into the response with no 'error' listener: a file gone since then
 * (build/ rebuilt or replaced under the running app) made that stream throw an unhandled 'error'
 * event, which ended the whole process. Read streams of files under `clientDir` get a listener:
 * the response they were piped into is ended (its status and length are already sent, so the
 * connection is dropped and the browser sees a failed load rather than a truncated file), and a
 * warning says once per file what happened and what to do. Other reads are left as they are.
 * @param {string} clientDir
 * @param {(record: Record<string, unknown>) => void} warn
 */
export function guardStaticReads(clientDir, warn) {
  const open = fs.createReadStream;
  const warned = new Set();
  const under = clientDir.endsWith(sep) ? clientDir : clientDir + sep;
  /** @type {typeof fs.createReadStream} */
  const guarded = function (path, options) {
    const stream = open.call(fs, path, options);
    if (typeof path !== 'string' || !path.startsWith(under)) return stream;
    /** @type {NodeJS.WritableStream | undefined} */
    let into;
    const pipe = stream.pipe;
    stream.pipe = function (destination, opts) {
      into = destination;
      return pipe.call(this, destination, opts);
    };
    stream.on('error', (err) => {
      const code = /** @type {NodeJS.ErrnoException} */ (err).code;
      /** @type {{ destroy?: () => void } | undefined} */ (into)?.destroy?.();
      const file = relative(clientDir, path);
      if (warned.has(file)) return;
      warned.add(file);
      warn({
        level: 'warn',
        service: 'emailclient',
        component: 'static',
        file,
        code,
        msg: 'a file of the built app could not be read: the build was changed under the running app; restart the app'
      });
    });
    return stream;
  };
  fs.createReadStream = guarded;
  // `import { createReadStream } from 'node:fs'` and `import * as fs` see the change too
  syncBuiltinESMExports();
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
  const out = join(root, process.env.BUILD_OUT ?? 'build');
  guardStaticReads(join(out, 'client'), (record) =>
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n')
  );
  await import(join(out, 'index.js'));
}
