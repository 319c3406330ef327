// Benchmarks of the IMAP sync against the project-local Dovecot, PostgreSQL and Redis:
//   1. imapflow alone fetching the sync's fields of a 10,000-message INBOX (warm)
//   2. our initial sync (syncFolders + syncFolderMessages with backfill) of that folder, each
//      run on a fresh account row; timed like the raw fetch: one untimed warm-up, then the
//      median of three
//   3. the first page alone (newest 200, no backfill) on a fresh account row
//   4. new mail: SMTP accepted -> MessageCreated on the user's live channel, real worker
//   5. worker memory per idle account: RSS of a worker before and after 200 accounts
// Writes bench/results/sync.json. BENCH_SYNC_PROFILE=1 adds an instrumented initial sync
// that prints where its time goes (IMAP commands vs. Prisma operations vs. the rest).
import { Queue } from 'bullmq';
import type { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { sealSecret } from '../src/lib/server/crypto/envelope.js';
import { masterKeys } from '../src/lib/server/crypto/keys.js';
import { createDb, type Db } from '../src/lib/server/db.js';
import { QUEUES } from '../src/lib/server/queue/jobs.js';
import { parseEnv } from '../src/lib/server/env.js';
import { controlChannel, publishToUser, userChannel } from '../src/lib/server/realtime/events.js';
import { createRedis } from '../src/lib/server/redis.js';
import { run, type Running } from '../tests/helpers/process.js';
import { HostGate, openImap } from '../worker/imap/connection.js';
import {
  FETCH_QUERY,
  syncFolderMessages,
  syncFolders,
  type SyncAccount,
  type SyncDeps
} from '../worker/imap/sync.js';
import { addUsers, appendMessages, canWriteMaildir, mailEnv, sleep, writeMaildir } from './lib/mailbox.js';
import { generateMessages, type GeneratedMessage } from './lib/messages.js';
import { profileImap, profiledDb } from './lib/profile.js';
import { forceGc, rssMb, tcpConnectionsTo } from './lib/proc.js';
import { Breakdown, median, pct, round, timed } from './lib/stats.js';

const MESSAGES = 10_000;
const DELIVERIES = 50;
const IDLE_ACCOUNTS = 200;
const IDLE_ACCOUNT_MESSAGES = 3;
const FIRST_PAGE = 200;
/** a delivery not seen by then does not hold up the next one */
const NEXT_AFTER_MS = 1_500;

const suiteStart = performance.now();
const phases: Record<string, number> = {};
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    phases[name] = round((performance.now() - t) / 1000, 1);
    console.log(`-- ${name}: ${phases[name]} s`);
  }
}

const mail = mailEnv();
const env = parseEnv({ ...process.env, NODE_ENV: process.env.NODE_ENV || 'test' });
const keys = masterKeys(env);
const db = createDb(env.DATABASE_URL, 8);
const redis = createRedis(env.REDIS_URL);
redis.on('error', () => {});
const log = pino({ level: 'warn' });
const tag = randomUUID().slice(0, 6);
const basePrefix = (process.env.QUEUE_PREFIX || 'bench').slice(0, 30);
const workerPrefixes = [`${basePrefix}-sn${tag}`, `${basePrefix}-si${tag}`];
const imapTimeout = env.IMAP_TIMEOUT;
const workers: Running[] = [];
process.on('exit', () => {
  for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
});

// ------------------------------------------------------------------------------------------
// rows and mailboxes

// leftovers of an earlier run that did not get to clean up (not one running right now)
await db.tenant.deleteMany({
  where: { slug: { startsWith: 'bench-sync-' }, createdAt: { lt: new Date(Date.now() - 3_600_000) } }
});
const tenant = await db.tenant.create({ data: { slug: `bench-sync-${tag}`, name: 'bench sync' } });
// the idle accounts live in an organisation of their own, synced by a worker of their own
const idleTenant = await db.tenant.create({
  data: { slug: `bench-sync-${tag}-idle`, name: 'bench sync idle' }
});

async function benchUser(name: string, tenantId = tenant.id) {
  return db.user.create({
    data: { tenantId, email: `${name}-${tag}@bench.example.test`, passwordHash: 'x' }
  });
}

function accountData(
  id: string,
  userId: string,
  email: string,
  password: string,
  disabled: boolean,
  tenantId = tenant.id
) {
  return {
    id,
    tenantId,
    userId,
    name: email,
    email,
    imapHost: mail.host,
    imapPort: mail.imapPort,
    imapTls: 'none' as const,
    smtpHost: mail.host,
    smtpPort: mail.smtpPort,
    smtpTls: 'none' as const,
    username: email,
    // rows synced in this process are 'disabled' so that no worker picks them up
    syncState: disabled ? ('disabled' as const) : ('pending' as const),
    ...sealSecret(keys, id, password)
  };
}

async function account(userId: string, email: string, password: string, disabled: boolean) {
  const id = randomUUID();
  await db.mailAccount.create({ data: accountData(id, userId, email, password, disabled) });
  return { id, tenantId: tenant.id, userId } satisfies SyncAccount;
}

function startWorker(prefix: string, tenantSlug: string, nodeFlags: string[] = []): Running {
  const w = run('node', [...nodeFlags, '--import', 'tsx', 'worker/main.ts'], {
    NODE_ENV: env.NODE_ENV,
    QUEUE_PREFIX: prefix,
    // only this run's accounts, whatever else the database holds
    IMAP_SYNC_TENANTS: tenantSlug,
    LOG_LEVEL: 'info'
  });
  workers.push(w);
  return w;
}

async function stopWorker(w: Running): Promise<void> {
  const t = setTimeout(() => w.proc.kill('SIGKILL'), 15_000);
  await w.stop('SIGTERM');
  clearTimeout(t);
}

// The memory worker starts now, with no accounts, so that it is long settled when its baseline
// is read: V8 gives back its start-up garbage only ~25 s after "worker ready".
// --inspect-port only picks the port SIGUSR1 would open the inspector on (see forceGc)
const idleWorker = startWorker(workerPrefixes[1]!, idleTenant.slug, ['--inspect-port=127.0.0.1:0']);
const idleWorkerReady = idleWorker.waitForLine((l) => l.includes('"worker ready"'), 60_000);
idleWorkerReady.catch(() => {});

const box = (name: string) => ({ email: `bs${tag}-${name}@${mail.domain}`, password: `pw-${randomUUID()}` });
const big = box('big');
const live = box('live');
const idle = Array.from({ length: IDLE_ACCOUNTS }, (_, i) => box(`idle${i}`));

const fill = await phase('fill mailboxes', async () => {
  await addUsers(mail, [big, live, ...idle]);
  const { ms: genMs, value: bigMessages } = await timed(async () =>
    generateMessages(MESSAGES, big.email, { seed: 7, tag })
  );
  const small = (to: string, seed: number) =>
    generateMessages(IDLE_ACCOUNT_MESSAGES, to, { seed, tag, start: new Date(Date.now() - 86_400_000) });
  const maildir = canWriteMaildir(mail);
  const put = async (b: { email: string; password: string }, msgs: GeneratedMessage[]) => {
    if (maildir) writeMaildir(mail, b.email, msgs);
    else await appendMessages(mail, b.email, b.password, msgs);
  };
  const { ms: bigMs } = await timed(() => put(big, bigMessages));
  await put(live, small(live.email, 1));
  for (let i = 0; i < idle.length; i += 10)
    await Promise.all(idle.slice(i, i + 10).map((b, j) => put(b, small(b.email, 100 + i + j))));
  const bytes = bigMessages.reduce((s, m) => s + m.source.length, 0);
  console.log(
    `filled ${MESSAGES} messages (${round(bytes / MESSAGES / 1024, 1)} KB average, ` +
      `${bigMessages.filter((m) => m.hasAttachment).length} with attachments, ` +
      `${bigMessages.filter((m) => m.source.includes('\nReferences:')).length} replies) ` +
      `by ${maildir ? 'Maildir files' : 'IMAP APPEND'} in ${Math.round(bigMs)} ms (generated in ${Math.round(genMs)} ms)`
  );
  return { method: maildir ? 'maildir' : 'append', ms: bigMs };
});

const gate = new HostGate(10);
const login = (b: { email: string; password: string }) => ({
  host: mail.host,
  port: mail.imapPort,
  tls: 'none' as const,
  username: b.email,
  password: b.password
});

async function fetchAll(client: ImapFlow): Promise<number> {
  let n = 0;
  for await (const _m of client.fetch('1:*', FETCH_QUERY)) n++;
  return n;
}

// ------------------------------------------------------------------------------------------
// 1. imapflow alone

const raw = await phase('raw fetch', async () => {
  const client = await openImap(login(big), imapTimeout, gate);
  try {
    const lock = await client.getMailboxLock('INBOX');
    let cold: number;
    const runs: number[] = [];
    try {
      // untimed for the figure: on first access Dovecot builds its index and cache
      const warmUp = await timed(() => fetchAll(client));
      if (warmUp.value !== MESSAGES)
        throw new Error(`INBOX has ${warmUp.value} messages, expected ${MESSAGES}`);
      cold = warmUp.ms;
    } finally {
      lock.release();
    }
    // timed like the sync does it: select the folder, fetch everything, release
    for (let i = 0; i < 3; i++) {
      const { ms } = await timed(async () => {
        const l = await client.getMailboxLock('INBOX');
        try {
          await fetchAll(client);
        } finally {
          l.release();
        }
      });
      runs.push(ms);
    }
    console.log(
      `raw fetch: warm-up (cold) ${Math.round(cold)} ms, warm runs ${runs.map((r) => Math.round(r)).join(', ')} ms`
    );
    return { ms: median(runs), cold };
  } finally {
    await client.logout().catch(() => client.close());
  }
});

// ------------------------------------------------------------------------------------------
// 2. + 3. our sync, in this process, against fresh account rows

function publisher(userId: string): SyncDeps['publish'] {
  return async (event) => {
    await publishToUser(redis, userId, event, workerPrefixes[0]);
  };
}

async function initialSync(
  name: string,
  opts: { backfill: boolean; db?: Db; breakdown?: Breakdown; again?: boolean }
): Promise<{ syncMs: number; foldersMs: number; messagesMs: number; count: number; againMs: number }> {
  const user = await benchUser(name);
  const acc = await account(user.id, big.email, big.password, true);
  const deps: SyncDeps = { db: opts.db ?? db, log, publish: publisher(user.id) };
  const client = await openImap(login(big), imapTimeout, gate);
  if (opts.breakdown) profileImap(client, opts.breakdown);
  try {
    const t0 = performance.now();
    const folders = await syncFolders(client, acc, deps);
    const inbox = folders.find((f) => f.specialUse === '\\Inbox');
    if (!inbox) throw new Error('no INBOX');
    const t1 = performance.now();
    await syncFolderMessages(client, acc, inbox, deps, { backfill: opts.backfill });
    const t2 = performance.now();
    const count = await db.message.count({ where: { accountId: acc.id, folderId: inbox.id } });
    // what the worker's periodic resync costs for this folder when nothing changed
    const t3 = performance.now();
    if (opts.again) await syncFolderMessages(client, acc, inbox, deps, { backfill: true });
    const againMs = performance.now() - t3;
    return { syncMs: t2 - t0, foldersMs: t1 - t0, messagesMs: t2 - t1, count, againMs };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

const initial = await phase('initial sync', async () => {
  // untimed, like the raw fetch's warm-up: the first run in this process also pays for code
  // being compiled (ours, Prisma's query plans) and is printed as such
  const cold = await initialSync('initial-warmup', { backfill: true });
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await initialSync(`initial${i}`, { backfill: true, again: i === 0 }));
  for (const r of [cold, ...runs])
    if (r.count !== MESSAGES)
      throw new Error(`initial sync stored ${r.count} messages, expected ${MESSAGES}`);
  const r = [...runs].sort((a, b) => a.syncMs - b.syncMs)[1]!;
  console.log(
    `initial sync: warm-up (cold) ${Math.round(cold.syncMs)} ms, runs ${runs.map((x) => Math.round(x.syncMs)).join(', ')} ms; ` +
      `median ${Math.round(r.syncMs)} ms (folders ${Math.round(r.foldersMs)} ms, INBOX ${Math.round(r.messagesMs)} ms), ` +
      `${Math.round((MESSAGES / r.syncMs) * 1000)} msg/s; a second pass with nothing new took ${Math.round(runs[0]!.againMs)} ms`
  );
  return { ...r, coldMs: cold.syncMs };
});

const firstPage = await phase('first page', async () => {
  const r = await initialSync('page', { backfill: false });
  if (r.count !== FIRST_PAGE)
    throw new Error(`first page stored ${r.count} messages, expected ${FIRST_PAGE}`);
  console.log(`first page: ${Math.round(r.messagesMs)} ms (after syncFolders ${Math.round(r.foldersMs)} ms)`);
  return r;
});

if (process.env.BENCH_SYNC_PROFILE === '1')
  await phase('profiled initial sync', async () => {
    const b = new Breakdown();
    const r = await initialSync('profile', { backfill: true, db: profiledDb(db, b), breakdown: b });
    const rows = b.rows();
    const accounted = rows.reduce((s, x) => s + x.ms, 0);
    console.log(`profiled initial sync: ${Math.round(r.syncMs)} ms; by operation:`);
    for (const x of rows) console.log(`  ${x.label.padEnd(34)} ${String(x.ms).padStart(9)} ms  x${x.calls}`);
    console.log(
      `  ${'(rest: mapping rows, JS)'.padEnd(34)} ${String(round(r.syncMs - accounted, 1)).padStart(9)} ms`
    );
  });

// ------------------------------------------------------------------------------------------
// 4. new mail through a real worker

async function until<T>(fn: () => Promise<T | false | null | undefined>, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Whether any of the worker's queues still has a job waiting or running. */
function queueWatch(prefix: string) {
  const queues = QUEUES.map((name) => new Queue(name, { connection: { url: env.REDIS_URL }, prefix }));
  return {
    async idle(): Promise<boolean> {
      for (const q of queues) {
        // not 'delayed': the maintenance scheduler always holds its next run there
        const c = await q.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
        if (Object.values(c).some((n) => n > 0)) return false;
      }
      return true;
    },
    close: () => Promise.all(queues.map((q) => q.close()))
  };
}

const newMail = await phase('new mail', async () => {
  const prefix = workerPrefixes[0]!;
  const user = await benchUser('live');
  const acc = await account(user.id, live.email, live.password, false);
  const worker = startWorker(prefix, tenant.slug);
  await worker.waitForLine((l) => l.includes('"worker ready"'), 30_000);
  // in sync: the first page, then IDLE, backfill and every other folder
  await until(
    async () => {
      const a = await db.mailAccount.findUnique({ where: { id: acc.id } });
      if (a?.syncState === 'error') throw new Error(`live account failed: ${a.lastError}`);
      const folders = await db.folder.findMany({ where: { accountId: acc.id } });
      return a?.syncState === 'idle' && folders.length > 0 && folders.every((f) => f.lastSyncAt);
    },
    30_000,
    'the live account to be in sync'
  );
  const queues = queueWatch(prefix);
  await until(() => queues.idle(), 60_000, 'the worker queues to drain');
  await queues.close();
  await sleep(1000);

  // Each MessageCreated is matched to its delivery by the rows' Message-ID, so a message
  // that only shows up with a later sync counts with its real (late) time.
  const msgId = (i: number) => `bench-new-${tag}-${i}@example.org`;
  const accepted: number[] = [];
  const arrived = new Map<number, number>();
  const wake = new Set<() => void>();
  const lookups: Promise<void>[] = [];
  const sub = createRedis(env.REDIS_URL, { maxRetriesPerRequest: null });
  sub.on('error', () => {});
  sub.on('message', (_ch: string, message: string) => {
    const at = performance.now();
    const event = JSON.parse(message.slice(message.indexOf(' ') + 1)) as {
      type: string;
      accountId?: string;
      messageIds?: string[];
    };
    if (event.type !== 'MessageCreated' || event.accountId !== acc.id) return;
    lookups.push(
      (async () => {
        const rows = await db.message.findMany({
          where: { id: { in: event.messageIds ?? [] } },
          select: { messageId: true }
        });
        for (const r of rows) {
          const m = /^bench-new-[0-9a-f]+-(\d+)@example\.org$/.exec(r.messageId ?? '');
          if (m && !arrived.has(Number(m[1]))) arrived.set(Number(m[1]), at);
        }
        for (const w of wake) w();
      })()
    );
  });
  await sub.subscribe(userChannel(prefix, user.id));
  const smtp = nodemailer.createTransport({
    host: mail.host,
    port: mail.smtpPort,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 1
  });
  const waitFor = (done: () => boolean, ms: number) =>
    new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(t);
        wake.delete(check);
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      const t = setTimeout(finish, ms);
      wake.add(check);
      check();
    });
  let end = 0;
  try {
    for (let i = 0; i < DELIVERIES; i++) {
      await smtp.sendMail({
        from: '"Bench Sender" <sender@example.org>',
        to: live.email,
        subject: `new mail ${i + 1} of ${DELIVERIES}`,
        messageId: `<${msgId(i)}>`,
        text: `Delivery ${i + 1}.\n`
      });
      accepted[i] = performance.now();
      // one at a time: the next goes out once this one is seen, or after NEXT_AFTER_MS
      await waitFor(() => arrived.has(i), NEXT_AFTER_MS);
      await sleep(50 + Math.floor(Math.random() * 200)); // do not phase-lock with Dovecot's notify timer
    }
    await waitFor(() => arrived.size >= DELIVERIES, 5_000);
    end = performance.now();
    await Promise.all(lookups);
  } finally {
    smtp.close();
    sub.disconnect();
  }
  // a delivery never seen counts with the time until we stopped waiting (a lower bound)
  const latencies = accepted.map((t, i) => (arrived.get(i) ?? end) - t);
  const missed = DELIVERIES - arrived.size;
  const late = latencies.filter((l, i) => arrived.has(i) && l > NEXT_AFTER_MS).length;
  const stored = await db.message.count({ where: { accountId: acc.id } });
  await stopWorker(worker);
  await db.mailAccount.update({ where: { id: acc.id }, data: { syncState: 'disabled' } });
  console.log(
    `new mail: ${arrived.size}/${DELIVERIES} seen, p50 ${Math.round(pct(latencies, 50))} ms, ` +
      `p95 ${Math.round(pct(latencies, 95))} ms, min ${Math.round(Math.min(...latencies))} ms, ` +
      `max ${Math.round(Math.max(...latencies))} ms; ${stored} messages stored`
  );
  if (late || missed) {
    const never = accepted.flatMap((_t, i) => (arrived.has(i) ? [] : [i + 1]));
    console.warn(
      `new mail: ${late} deliveries were seen only after the next one went out (${NEXT_AFTER_MS} ms later), ` +
        `${missed} never (counted as ${Math.round(end - accepted[DELIVERIES - 1]!)}+ ms)` +
        (never.length ? `: deliveries ${never.join(', ')}` : '')
    );
    const problems = worker
      .records()
      .filter((r) => Number(r.level) >= 40 || r.msg === 'reconnecting after a pause');
    for (const r of problems.slice(0, 10)) console.warn(`worker: ${JSON.stringify(r).slice(0, 300)}`);
  }
  return { latencies, missed };
});

// ------------------------------------------------------------------------------------------
// 5. worker memory per idle account

const memory = await phase('idle accounts', async () => {
  const prefix = workerPrefixes[1]!;
  const worker = idleWorker;
  await idleWorkerReady;
  const pid = worker.proc.pid!;
  const settled = Math.round((performance.now() - suiteStart) / 1000);
  const baseline: number[] = [];
  for (let i = 0; i < 5; i++, await sleep(400)) baseline.push(rssMb(pid));
  const before = median(baseline);
  // and what is left after a full collection (this opens the worker's inspector for good: a
  // few MB, counted in the 'after' figures too)
  await forceGc(pid, worker.lines);
  const beforeGc = rssMb(pid);

  const user = await benchUser('idle', idleTenant.id);
  const rows = idle.map((b) => accountData(randomUUID(), user.id, b.email, b.password, false, idleTenant.id));
  const t0 = performance.now();
  await db.mailAccount.createMany({ data: rows });
  await redis.publish(
    controlChannel(prefix),
    JSON.stringify({ type: 'AccountsChanged', accountId: rows[0]!.id })
  );
  const ids = rows.map((r) => r.id);
  let idleAt = 0;
  await until(
    async () => {
      const states = await db.mailAccount.groupBy({
        by: ['syncState'],
        where: { id: { in: ids } },
        _count: true
      });
      const n = (s: string) => states.find((x) => x.syncState === s)?._count ?? 0;
      if (n('error')) {
        const bad = await db.mailAccount.findFirst({ where: { id: { in: ids }, syncState: 'error' } });
        throw new Error(`${n('error')} idle accounts failed, e.g.: ${bad?.lastError}`);
      }
      if (n('idle') < IDLE_ACCOUNTS) return false;
      idleAt ||= performance.now();
      const synced = await db.folder.count({ where: { accountId: { in: ids }, lastSyncAt: { not: null } } });
      const all = await db.folder.count({ where: { accountId: { in: ids } } });
      return synced === all;
    },
    120_000,
    `${IDLE_ACCOUNTS} accounts to be idle and in sync`
  );
  const syncedAt = performance.now();
  // then the jobs the sync queued (body prefetch) must be done too
  const queues = queueWatch(prefix);
  await until(() => queues.idle(), 120_000, 'the worker queues to drain');
  await queues.close();
  const drainedAt = performance.now();
  // RSS moves by tens of MB with V8's collections: the median of 30 s of samples
  const samples: number[] = [];
  for (let i = 0; i < 30; i++, await sleep(1000)) samples.push(rssMb(pid));
  const after = median(samples);
  await forceGc(pid, worker.lines);
  const afterGc = rssMb(pid);
  const connections = tcpConnectionsTo(pid, mail.imapPort);
  const stored = await db.message.count({ where: { accountId: { in: ids } } });
  const bodies = await db.message.count({ where: { accountId: { in: ids }, bodyFetchedAt: { not: null } } });
  console.log(
    `idle accounts: ${IDLE_ACCOUNTS} idle after ${Math.round(idleAt - t0)} ms, all folders in sync after ` +
      `${Math.round(syncedAt - t0)} ms (${stored} messages), queues drained after ` +
      `${Math.round(drainedAt - t0)} ms (${bodies} bodies fetched); worker RSS ${round(before, 1)} MB ` +
      `(up ${settled} s, no accounts) -> ` +
      `${round(after, 1)} MB (samples ${round(Math.min(...samples), 1)}-${round(Math.max(...samples), 1)} MB), ` +
      `${connections} IMAP connections`
  );
  await stopWorker(worker);
  console.log(
    `idle accounts after a forced full GC: ${round(beforeGc, 1)} MB -> ${round(afterGc, 1)} MB, ` +
      `${round((afterGc - beforeGc) / IDLE_ACCOUNTS, 3)} MB per account`
  );
  return { before, after, beforeGc, afterGc, connections, idleMs: idleAt - t0, syncedMs: syncedAt - t0 };
});

// ------------------------------------------------------------------------------------------

const results = {
  messages: MESSAGES,
  raw_fetch_ms: round(raw.ms, 1),
  initial_sync_ms: round(initial.syncMs, 1),
  initial_sync_ratio: round(initial.syncMs / raw.ms, 2),
  initial_sync_cold_ms: round(initial.coldMs, 1),
  first_page_ms: round(firstPage.messagesMs, 1),
  deliveries: DELIVERIES,
  new_mail_p50_ms: round(pct(newMail.latencies, 50), 1),
  new_mail_p95_ms: round(pct(newMail.latencies, 95), 1),
  idle_accounts: IDLE_ACCOUNTS,
  worker_rss_mb_per_idle_account: round((memory.after - memory.before) / IDLE_ACCOUNTS, 3)
};

// clean up: rows, the worker prefixes' Redis keys, this run's mailboxes
await db.tenant.deleteMany({ where: { id: { in: [tenant.id, idleTenant.id] } } });
for (const prefix of workerPrefixes) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
if (fill.method === 'maildir')
  for (const b of [big, live, ...idle]) {
    const [local, domain] = b.email.split('@') as [string, string];
    const home = join(mail.serversDir, 'vmail', domain, local);
    if (local.startsWith(`bs${tag}-`) && existsSync(home)) rmSync(home, { recursive: true, force: true });
  }
await db.$disconnect();
redis.disconnect();

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/sync.json', JSON.stringify(results, null, 2) + '\n');
console.log('sync', results);
console.log(
  `targets: initial_sync_ratio <= 2.0 (${results.initial_sync_ratio}), new_mail_p95_ms < 1000 ` +
    `(${results.new_mail_p95_ms}), worker_rss_mb_per_idle_account < 0.35 (${results.worker_rss_mb_per_idle_account}); ` +
    `worker RSS ${round(memory.before, 1)} -> ${round(memory.after, 1)} MB with ${memory.connections} IMAP connections ` +
    `(after a forced GC ${round((memory.afterGc - memory.beforeGc) / IDLE_ACCOUNTS, 3)} MB per account)`
);
console.log(
  `phases (s): ${JSON.stringify(phases)}; total ${round((performance.now() - suiteStart) / 1000, 1)} s`
);
