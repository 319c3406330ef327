// npm run keys:rotate: re-wraps every mail account's data key under the current master key
// (ENCRYPTION_KEY / ENCRYPTION_KEY_ID), reading the old wrapping with ENCRYPTION_KEYS_PREVIOUS.
// Only the wrapped data key changes, never the sealed password, and each row is updated only
// if nobody changed it meanwhile, so this runs while the app and workers keep running.
//
// Rotation, step by step (docs/self-hosting.md):
//   1. set ENCRYPTION_KEY to a new key, ENCRYPTION_KEY_ID to a new id, and
//      ENCRYPTION_KEYS_PREVIOUS=<old id>:<old key>; restart app and workers (both keys work)
//   2. npm run keys:rotate            (or: docker compose exec app npm run keys:rotate)
//   3. when it reports 0 left, remove ENCRYPTION_KEYS_PREVIOUS and restart again
// Options: --dry-run (count only); --tenant=<id or slug> (one organisation at a time, for big
// installs). Exit code 1 if any account could not be re-wrapped.
import { rewrap } from '../src/lib/server/crypto/envelope.js';
import { masterKeys } from '../src/lib/server/crypto/keys.js';
import { createDb } from '../src/lib/server/db.js';
import { EnvError, parseEnv } from '../src/lib/server/env.js';
import { createLogger } from '../src/lib/server/logger.js';
import { audit } from '../src/lib/server/audit.js';

const dryRun = process.argv.includes('--dry-run');
const tenantArg = process.argv.find((a) => a.startsWith('--tenant='))?.slice('--tenant='.length);
let env: ReturnType<typeof parseEnv>;
try {
  env = parseEnv(process.env);
} catch (err) {
  console.error(err instanceof EnvError ? err.message : String(err));
  process.exit(2);
}
const log = createLogger({ level: env.LOG_LEVEL, service: 'keys-rotate' });
const keys = masterKeys(env);
const db = createDb(env.DATABASE_URL, 2);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const tenantScope = tenantArg
  ? { tenant: UUID.test(tenantArg) ? { id: tenantArg } : { slug: tenantArg } }
  : {};
let rewrapped = 0;
let failed = 0;
let cursor: string | undefined;
try {
  for (;;) {
    const batch = await db.mailAccount.findMany({
      where: { ...tenantScope, keyId: { not: keys.current.id }, ...(cursor ? { id: { gt: cursor } } : {}) },
      select: { id: true, tenantId: true, keyId: true, wrappedKey: true, secretCiphertext: true },
      orderBy: { id: 'asc' },
      take: 200
    });
    if (!batch.length) break;
    cursor = batch.at(-1)!.id;
    for (const a of batch) {
      try {
        const next = rewrap(keys, a.id, a);
        if (dryRun) {
          rewrapped++;
          continue;
        }
        // only if the row still holds what we read (an edit of the password meanwhile wins)
        const res = await db.mailAccount.updateMany({
          where: { id: a.id, keyId: a.keyId, wrappedKey: a.wrappedKey },
          data: { wrappedKey: next.wrappedKey, keyId: next.keyId }
        });
        rewrapped += res.count;
      } catch (err) {
        failed++;
        log.error(
          { accountId: a.id, keyId: a.keyId, err: { message: (err as Error).message } },
          're-wrap failed'
        );
      }
    }
  }
  const left = await db.mailAccount.count({ where: { ...tenantScope, keyId: { not: keys.current.id } } });
  if (!dryRun && rewrapped)
    await audit(db, { action: 'keys.rotate', details: { keyId: keys.current.id, rewrapped, failed } });
  const summary = { keyId: keys.current.id, rewrapped, failed, left, dryRun };
  log.info(summary, dryRun ? 'key rotation dry run' : 'key rotation done');
  console.log(
    `${dryRun ? 'would re-wrap' : 're-wrapped'} ${rewrapped} account(s) under key "${keys.current.id}"; ` +
      `${failed} failed; ${left} still under another key`
  );
  process.exitCode = failed ? 1 : 0;
} finally {
  await db.$disconnect();
}
