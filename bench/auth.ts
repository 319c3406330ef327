// Benchmarks of the skeleton's hot paths against the real PostgreSQL and Redis:
// session validation (every request), password hashing (sign-up, log-in), /health.
// Writes bench/results/auth.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hashPassword, verifyPassword } from '../src/lib/server/auth/password.js';
import { createSession, validateSessionToken } from '../src/lib/server/auth/session.js';
import { createDb } from '../src/lib/server/db.js';
import { checkHealth } from '../src/lib/server/health.js';
import { createRedis } from '../src/lib/server/redis.js';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(3));
}
async function time(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const db = createDb(process.env.DATABASE_URL!);
const redis = createRedis(process.env.REDIS_URL!);
const tenant = await db.tenant.create({ data: { slug: `bench-${randomUUID().slice(0, 8)}`, name: 'bench' } });
const hash = await hashPassword('bench password 123');
const user = await db.user.create({
  data: { tenantId: tenant.id, email: `bench-${randomUUID()}@example.test`, passwordHash: hash }
});
const { token } = await createSession(db, user, { ttlDays: 30 });

await time(50, () => validateSessionToken(db, token, { ttlDays: 30 })); // warm up
const validate = await time(1000, () => validateSessionToken(db, token, { ttlDays: 30 }));
const hashing = await time(10, () => hashPassword('bench password 123'));
const verifying = await time(10, () => verifyPassword(hash, 'bench password 123'));
const health = await time(200, () => checkHealth({ db, redis, version: 'bench' }));

const results = {
  session_validate_p50_ms: pct(validate, 50),
  session_validate_p95_ms: pct(validate, 95),
  argon2id_hash_p50_ms: pct(hashing, 50),
  argon2id_verify_p50_ms: pct(verifying, 50),
  health_check_p50_ms: pct(health, 50),
  health_check_p95_ms: pct(health, 95)
};
await db.tenant.delete({ where: { id: tenant.id } });
await db.$disconnect();
redis.disconnect();
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/auth.json', JSON.stringify(results, null, 2) + '\n');
console.log('auth', results);
