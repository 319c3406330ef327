// The worker process: runs the bounded jobs (BullMQ) that the app enqueues. Later it also
// supervises the long-lived IMAP connections. Stops cleanly on SIGTERM: running jobs finish
// (or, past the grace period, go back to the queue for another worker).
import { Worker, Queue, type Job } from 'bullmq';
import { createDb } from '../src/lib/server/db.js';
import { env as loadEnv } from '../src/lib/server/env.js';
import { createLogger, setRootLogger } from '../src/lib/server/logger.js';
import { jobs, QUEUES, queueOf, type JobName } from '../src/lib/server/queue/jobs.js';
import { createRedis } from '../src/lib/server/redis.js';
import { masterKeys } from '../src/lib/server/crypto/keys.js';
import { publishToUser } from '../src/lib/server/realtime/events.js';
import { hostname } from 'node:os';
import { createHash, randomUUID } from 'node:crypto';
import { HostGate } from './imap/connection.js';
import { Supervisor } from './supervisor/supervisor.js';
import { Producer } from '../src/lib/server/queue/producer.js';
import { assertHandlers, handlers, type JobContext } from './registry.js';
import { RenderPool } from './render/pool.js';
import { startIdleGc } from './memory.js';
import { startSendRuntime } from './smtp/runtime.js';
import pkg from '../package.json' with { type: 'json' };

/** Messages per imap.fetchBodies job of the prefetch of recent mail. */
const PREFETCH_BATCH = 50;

async function main(): Promise<void> {
  const env = loadEnv();
  const log = createLogger({ level: env.LOG_LEVEL, service: 'worker' });
  setRootLogger(log);
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection');
    process.exit(1);
  });

  assertHandlers(handlers);

  const db = createDb(env.DATABASE_URL, Math.max(4, env.WORKER_CONCURRENCY));
  await db.$queryRaw`SELECT 1`;
  const probe = createRedis(env.REDIS_URL);
  probe.on('error', () => {});
  await probe.ping();
  await probe.quit();

  const connection = { url: env.REDIS_URL, maxRetriesPerRequest: null };
  const commands = createRedis(env.REDIS_URL, { maxRetriesPerRequest: null });
  commands.on('error', (err) => log.warn({ err }, 'redis error'));
  const gate = new HostGate(env.IMAP_POOL_SIZE);
  // bodies are rendered on threads of their own: a big HTML mail would stall this thread (IMAP
  // IDLE, jobs, lease renewals) for seconds; a render past the timeout is stopped
  const renderer = new RenderPool({
    threads: env.RENDER_THREADS,
    timeoutMs: env.RENDER_TIMEOUT_SECONDS * 1000,
    log
  });
  const renderReady = renderer.ready().then(
    () => null,
    (err: unknown) => err
  );
  // ENABLE_SMTP_SEND=false: this worker takes no send jobs (they wait for one that does)
  const usedQueues = QUEUES.filter(
    (q) => Object.values(jobs).some((j) => j.queue === q) && (q !== 'send' || env.ENABLE_SMTP_SEND)
  );
  const workers = usedQueues.map((queueName) => {
    const w = new Worker(
      queueName,
      async (job: Job) => {
        const name = job.name as JobName;
        const def = jobs[name];
        if (!def || def.queue !== queueName) throw new Error(`unknown job ${job.name} on queue ${queueName}`);
        const payload = def.payload.parse(job.data);
        const jlog = log.child({ job: name, jobId: job.id, attempt: job.attemptsMade + 1 });
        const ctx: JobContext = {
          db,
          env,
          log: jlog,
          jobId: job.id!,
          attempt: job.attemptsMade + 1,
          maxAttempts: job.opts.attempts ?? 1,
          redis: commands,
          gate,
          renderer
        };
        const started = performance.now();
        const handler = handlers[name] as (p: unknown, c: JobContext) => Promise<unknown>;
        const result = await handler(payload, ctx);
        jlog.debug({ ms: Math.round(performance.now() - started) }, 'job done');
        return result;
      },
      { connection, prefix: env.QUEUE_PREFIX, concurrency: env.WORKER_CONCURRENCY, autorun: true }
    );
    w.on('failed', (job, err) => log.warn({ err, job: job?.name, jobId: job?.id }, 'job failed'));
    w.on('error', (err) => log.error({ err, queue: queueName }, 'worker error'));
    return w;
  });

  // Periodic maintenance: one scheduler entry, shared by every worker process (upsert is idempotent).
  const maintenance = new Queue(queueOf('maintenance.pruneSessions'), {
    connection,
    prefix: env.QUEUE_PREFIX
  });
  await maintenance.upsertJobScheduler(
    'prune-sessions-hourly',
    { pattern: '17 * * * *' }, // hourly, at a minute other schedulers rarely use
    { name: 'maintenance.pruneSessions', data: {} }
  );
  await maintenance.upsertJobScheduler(
    'prune-part-cache-hourly',
    { pattern: '43 * * * *' },
    { name: 'maintenance.prunePartCache', data: {} }
  );
  await maintenance.upsertJobScheduler(
    'prune-uploads-hourly',
    { pattern: '29 * * * *' },
    { name: 'maintenance.pruneUploads', data: {} }
  );
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  const producer = new Producer(env.REDIS_URL, log, env.QUEUE_PREFIX);
  // outbox: SMTP pools for the send jobs, and the sweeper that recovers interrupted sends
  const send = env.ENABLE_SMTP_SEND ? startSendRuntime({ db, env, log, redis: commands }) : null;
  // IMAP: one supervisor per process claims accounts through leases and keeps them in sync
  let supervisor: Supervisor | null = null;
  if (env.ENABLE_IMAP_SYNC) {
    const subscriber = createRedis(env.REDIS_URL, { maxRetriesPerRequest: null });
    subscriber.on('error', () => {});
    supervisor = new Supervisor({
      db,
      redis: commands,
      subscriber,
      prefix: env.QUEUE_PREFIX,
      owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      log,
      leaseTtlMs: env.IMAP_LEASE_SECONDS * 1000,
      tenants: env.IMAP_SYNC_TENANTS,
      runner: {
        keys: masterKeys(env),
        gate,
        imapTimeoutSeconds: env.IMAP_TIMEOUT,
        resyncMs: env.IMAP_RESYNC_SECONDS * 1000,
        // one IMAP login per batch (imap.fetchBodies); opening a message still fetches it alone
        prefetch: async (accountId, messageIds) => {
          for (let i = 0; i < messageIds.length; i += PREFETCH_BATCH) {
            const batch = messageIds.slice(i, i + PREFETCH_BATCH);
            // the same batch asked for again while queued is one job
            const key = createHash('sha256').update(batch.join(',')).digest('hex').slice(0, 32);
            await producer.enqueue(
              'imap.fetchBodies',
              { accountId, messageIds: batch },
              { jobId: `bodies-${key}`, attempts: 2 }
            );
          }
        },
        publish: async (userId, event) => {
          await publishToUser(commands, userId, event, env.QUEUE_PREFIX);
        }
      }
    });
    await supervisor.start();
  }
  const renderFailure = await renderReady;
  if (renderFailure) {
    const why = renderFailure instanceof Error ? renderFailure.message : String(renderFailure);
    throw new Error(`the render threads did not start: ${why}`);
  }
  // garbage of a sync burst or a batch of renders is given back once this thread goes quiet
  startIdleGc({ onCollect: (info) => log.debug(info, 'collected garbage after a busy spell') });
  log.info(
    { queues: usedQueues, concurrency: env.WORKER_CONCURRENCY, version: pkg.version, pid: process.pid },
    'worker ready'
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: finishing running jobs');
    const timer = setTimeout(() => {
      log.warn('grace period over: returning running jobs to the queue');
      // close(true) can wait on the close() already pending; a stuck job must not keep the
      // process alive: its lock lapses and BullMQ hands the job to another worker
      setTimeout(() => process.exit(0), 3_000);
      void Promise.all(workers.map((w) => w.close(true))).finally(() => process.exit(0));
    }, env.WORKER_SHUTDOWN_GRACE_SECONDS * 1000);
    timer.unref();
    await supervisor?.stop();
    await producer.close();
    await Promise.all(workers.map((w) => w.close()));
    await send?.stop();
    await renderer.close();
    await maintenance.close();
    await db.$disconnect();
    clearTimeout(timer);
    log.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(
    JSON.stringify({
      level: 'fatal',
      service: 'emailclient',
      component: 'worker',
      msg: `worker failed to start: ${msg}`
    }) + '\n'
  );
  process.exit(1);
});
