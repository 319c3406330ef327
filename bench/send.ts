// Benchmarks of sending against the project-local Postfix (submission port, SASL), Dovecot,
// PostgreSQL, Redis and a real worker:
//   1. latency: from the send mutation returning to the message being in the recipient's INBOX
//      (50 sends one after the other, undo delay off)
//   2. chaos: at least 500 sends while the worker is SIGKILLed at random every few seconds and
//      started again; then every delivery in the recipient's INBOX is counted by Message-ID
// Writes bench/results/send.json.
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { sendMessage, type OutboxDeps } from '../src/lib/server/compose/outbox.js';
import { sendFieldsSchema } from '../src/lib/server/compose/draft.js';
import { sealSecret } from '../src/lib/server/crypto/envelope.js';
import { masterKeys } from '../src/lib/server/crypto/keys.js';
import { createDb } from '../src/lib/server/db.js';
import { parseEnv } from '../src/lib/server/env.js';
import { createRedis } from '../src/lib/server/redis.js';
import { run, type Running } from '../tests/helpers/process.js';
import { UNCERTAIN_REASON } from '../worker/smtp/outbox-rows.js';
import { addUsers, imapClient, mailEnv, sleep } from './lib/mailbox.js';
import { pct, round } from './lib/stats.js';

const LATENCY_SENDS = 50;
const CHAOS_SENDS = Number(process.env.BENCH_CHAOS_SENDS || 500);
const CHAOS_RATE_PER_S = 20;
/** the worker is killed this long after it became ready (uniformly at random) */
const KILL_AFTER_MS: [number, number] = [1_500, 5_000];
const LEASE_SECONDS = 3;

const mail = mailEnv();
const submissionPort = Number(process.env.SUBMISSION_PORT);
if (!submissionPort)
  throw new Error('SUBMISSION_PORT is not set: source DIR/servers.env of scripts/servers.sh');
const tag = randomUUID().slice(0, 6);
const prefix = `${(process.env.QUEUE_PREFIX || 'bench').slice(0, 30)}-sd${tag}`;
const env = parseEnv({
  ...process.env,
  NODE_ENV: process.env.NODE_ENV || 'test',
  QUEUE_PREFIX: prefix,
  RATE_LIMIT_ENABLED: 'false', // the bench sends far more than a person may
  SEND_RETRY_SECONDS: '1',
  SEND_MAX_ATTEMPTS: '30',
  SEND_LEASE_SECONDS: String(LEASE_SECONDS)
});
const db = createDb(env.DATABASE_URL, 8);
const redis = createRedis(env.REDIS_URL);
redis.on('error', () => {});
const log = pino({ level: 'warn' });
const queue = new Queue('send', { connection: { url: env.REDIS_URL }, prefix });
const deps: OutboxDeps = { db, redis, env, log, sendQueue: () => queue };
const workers: Running[] = [];
process.on('exit', () => {
  for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
});

await db.tenant.deleteMany({
  where: { slug: { startsWith: 'bench-send-' }, createdAt: { lt: new Date(Date.now() - 3_600_000) } }
});
const tenant = await db.tenant.create({ data: { slug: `bench-send-${tag}`, name: 'bench send' } });
const user = await db.user.create({
  data: { tenantId: tenant.id, email: `send-${tag}@bench.example.test`, passwordHash: 'x' }
});
const box = (name: string) => ({ email: `bsd${tag}-${name}@${mail.domain}`, password: `pw-${randomUUID()}` });
const from = box('from');
const latencyTo = box('lat');
const chaosTo = box('chaos');
await addUsers(mail, [from, latencyTo, chaosTo]);
const accountId = randomUUID();
const account = await db.mailAccount.create({
  data: {
    id: accountId,
    tenantId: tenant.id,
    userId: user.id,
    name: 'bench',
    email: from.email,
    imapHost: mail.host,
    imapPort: mail.imapPort,
    imapTls: 'none',
    smtpHost: mail.host,
    smtpPort: submissionPort,
    smtpTls: 'none',
    username: from.email,
    syncState: 'disabled',
    ...sealSecret(masterKeys(env), accountId, from.password)
  }
});

function startWorker(): Running {
  const w = run('node', ['--import', 'tsx', 'worker/main.ts'], {
    NODE_ENV: env.NODE_ENV,
    QUEUE_PREFIX: prefix,
    IMAP_SYNC_TENANTS: tenant.slug, // this run's outbox only, whatever else the database holds
    ENABLE_IMAP_SYNC: 'false',
    SEND_RETRY_SECONDS: '1',
    SEND_LEASE_SECONDS: String(LEASE_SECONDS),
    LOG_LEVEL: 'info' // "worker ready" is an info line
  });
  workers.push(w);
  return w;
}
const ready = (w: Running) => w.waitForLine((l) => l.includes('"worker ready"'), 60_000);

// ------------------------------------------------------------------------------------------
// the recipient's INBOX: Maildir files read directly (as root) or, failing that, IMAP

const maildir = (email: string) => {
  const [local, domain] = email.split('@') as [string, string];
  return join(mail.serversDir, 'vmail', domain, local, 'Maildir');
};
const seenFiles = new Map<string, Map<string, string | null>>();

/** Message-IDs of every message in the INBOX, one entry per copy. */
async function inboxIds(b: { email: string; password: string }): Promise<string[]> {
  const dir = maildir(b.email);
  if (process.getuid?.() === 0 && existsSync(dir)) {
    const known = seenFiles.get(b.email) ?? new Map<string, string | null>();
    seenFiles.set(b.email, known);
    const names: string[] = [];
    for (const sub of ['new', 'cur'])
      if (existsSync(join(dir, sub))) for (const f of readdirSync(join(dir, sub))) names.push(join(sub, f));
    const out: string[] = [];
    for (const name of names) {
      const base = name.slice(4).split(':')[0]!; // a file moves from new/ to cur/ with flags
      let id = known.get(base);
      if (id === undefined) {
        try {
          const head = readFileSync(join(dir, name)).subarray(0, 8192).toString('latin1');
          id = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(head)?.[1] ?? null;
        } catch {
          continue; // moved between listing and reading: seen on the next pass
        }
        known.set(base, id);
      }
      if (id) out.push(id);
    }
    return out;
  }
  const c = imapClient(mail, b.email, b.password);
  await c.connect();
  try {
    const lock = await c.getMailboxLock('INBOX');
    try {
      const ids: string[] = [];
      for await (const m of c.fetch('1:*', { envelope: true }))
        if (m.envelope?.messageId) ids.push(m.envelope.messageId);
      return ids;
    } catch {
      return [];
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => c.close());
  }
}

const fields = (to: string, subject: string) =>
  sendFieldsSchema.parse({ to: [to], subject, text: `bench ${subject}\n`, undoSeconds: 0 });
const scope = { tenantId: tenant.id, userId: user.id, userName: 'Bench' };

// ------------------------------------------------------------------------------------------
// 1. latency

let worker = startWorker();
await ready(worker);
// warm up: the first send opens the SMTP pool and loads the code paths
{
  const r = await sendMessage(deps, scope, account, fields(latencyTo.email, 'warm-up'));
  const end = Date.now() + 20_000;
  while (!(await inboxIds(latencyTo)).includes(r.messageId) && Date.now() < end) await sleep(20);
}
const latencies: number[] = [];
for (let i = 0; i < LATENCY_SENDS; i++) {
  const r = await sendMessage(deps, scope, account, fields(latencyTo.email, `latency ${i}`));
  const t0 = performance.now();
  const end = Date.now() + 20_000;
  while (!(await inboxIds(latencyTo)).includes(r.messageId)) {
    if (Date.now() > end) throw new Error(`send ${i} not delivered within 20 s`);
    await sleep(5);
  }
  latencies.push(performance.now() - t0);
}
const p50 = round(pct(latencies, 50), 0);
const p95 = round(pct(latencies, 95), 0);
console.log(`accept -> INBOX over ${LATENCY_SENDS} sends: p50 ${p50} ms, p95 ${p95} ms`);

// ------------------------------------------------------------------------------------------
// 2. chaos

let kills = 0;
let stopChaos = false;
const chaos = (async () => {
  while (!stopChaos) {
    await ready(worker).catch(() => {});
    const wait = KILL_AFTER_MS[0] + Math.random() * (KILL_AFTER_MS[1] - KILL_AFTER_MS[0]);
    const until = Date.now() + wait;
    while (!stopChaos && Date.now() < until) await sleep(50);
    if (stopChaos) break;
    worker.proc.kill('SIGKILL');
    await worker.exited;
    kills++;
    worker = startWorker();
  }
})();

const chaosStart = performance.now();
const sent: { outboxId: string; messageId: string }[] = [];
for (let i = 0; i < CHAOS_SENDS; i++) {
  const due = chaosStart + (i * 1000) / CHAOS_RATE_PER_S;
  const now = performance.now();
  if (due > now) await sleep(due - now);
  const r = await sendMessage(deps, scope, account, fields(chaosTo.email, `chaos ${i}`));
  sent.push({ outboxId: r.outboxId, messageId: r.messageId });
}
console.log(
  `chaos: ${sent.length} sends submitted in ${round((performance.now() - chaosStart) / 1000, 1)} s`
);

// keep killing until every message has settled (sent or failed), or 3 minutes
const ids = sent.map((s) => s.outboxId);
const settleEnd = Date.now() + 180_000;
for (;;) {
  const open = await db.outboxMessage.count({
    where: { id: { in: ids }, state: { in: ['queued', 'sending'] } }
  });
  if (!open || Date.now() > settleEnd) break;
  await sleep(500);
}
stopChaos = true;
await chaos;
await ready(worker).catch(() => {});
// the last worker runs on, undisturbed, until everything has settled
const finalEnd = Date.now() + 60_000;
while (
  (await db.outboxMessage.count({ where: { id: { in: ids }, state: { in: ['queued', 'sending'] } } })) &&
  Date.now() < finalEnd
)
  await sleep(500);
await sleep(3_000); // the last deliveries reach Dovecot
const rows = await db.outboxMessage.findMany({
  where: { id: { in: ids } },
  select: { id: true, state: true, lastError: true, attempts: true }
});
const byState = rows.reduce<Record<string, number>>((a, r) => ((a[r.state] = (a[r.state] ?? 0) + 1), a), {});
const copies = new Map<string, number>();
for (const id of await inboxIds(chaosTo)) copies.set(id, (copies.get(id) ?? 0) + 1);
const lost = sent.filter((s) => !copies.get(s.messageId)).length;
const duplicates = sent.reduce((n, s) => n + Math.max(0, (copies.get(s.messageId) ?? 0) - 1), 0);
const uncertain = rows.filter((r) => r.lastError === UNCERTAIN_REASON).length;
const resent = rows.filter((r) => r.attempts > 1).length;
console.log(
  `chaos: ${kills} kills; states ${JSON.stringify(byState)}; lost ${lost}, duplicates ${duplicates}, ` +
    `uncertain ${uncertain}, sent on a later attempt ${resent}`
);

const result = {
  suite: 'send',
  at: new Date().toISOString(),
  send_accept_to_inbox_p50_ms: p50,
  send_accept_to_inbox_p95_ms: p95,
  latency_sends: LATENCY_SENDS,
  chaos_sends: sent.length,
  chaos_lost: lost,
  chaos_duplicates: duplicates,
  chaos_kills: kills,
  chaos_uncertain: uncertain,
  chaos_sent_on_later_attempt: resent,
  chaos_states: byState,
  notes:
    'accept = compose send mutation returned (undo delay 0); INBOX = the delivered file in the recipient Maildir. ' +
    'chaos: worker SIGKILLed 1.5-5 s after each start, restarted at once; lost = sends with no copy in the ' +
    'recipient INBOX, duplicates = extra copies; uncertain = rows failed because their worker died between ' +
    'the final dot and recording the answer (not resent; the user is asked to check)'
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/send.json', JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));

for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
await queue.close();
await db.tenant.delete({ where: { id: tenant.id } });
await db.$disconnect();
redis.disconnect();
process.exit(0);
