// What the send jobs share inside one worker process: the SMTP connection pools, the send
// queue (to enqueue the Sent copy and recovery jobs) and the sweeper. main.ts starts it and
// stops it on shutdown; a job that runs without it (a test calling a handler) gets one lazily.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../../src/lib/server/db.js';
import type { Env } from '../../src/lib/server/env.js';
import { OutboxSweeper } from './sweeper.js';
import { SmtpTransports } from './transport.js';

export interface SendRuntime {
  transports: SmtpTransports;
  queue: Queue;
  sweeper: OutboxSweeper | null;
  stop(): Promise<void>;
}

let current: SendRuntime | undefined;

function create(deps: { env: Env; log: Logger }): SendRuntime {
  const transports = new SmtpTransports({
    poolSize: deps.env.SMTP_POOL_SIZE,
    timeoutSeconds: deps.env.SMTP_TIMEOUT,
    log: deps.log
  });
  const queue = new Queue('send', {
    connection: { url: deps.env.REDIS_URL, maxRetriesPerRequest: 1, connectTimeout: 3_000 },
    prefix: deps.env.QUEUE_PREFIX
  });
  queue.on('error', (err) => deps.log.warn({ err }, 'send queue connection error'));
  const rt: SendRuntime = {
    transports,
    queue,
    sweeper: null,
    async stop() {
      rt.sweeper?.stop();
      transports.close();
      await queue.close().catch(() => {});
      if (current === rt) current = undefined;
    }
  };
  return rt;
}

/** Starts the runtime of this process, with its sweeper. */
export function startSendRuntime(deps: { db: Db; env: Env; log: Logger; redis: Redis }): SendRuntime {
  const rt = (current ??= create(deps));
  if (!rt.sweeper) {
    rt.sweeper = new OutboxSweeper({ ...deps, queue: rt.queue });
    rt.sweeper.start();
  }
  return rt;
}

export function sendRuntime(deps: { env: Env; log: Logger }): SendRuntime {
  return (current ??= create(deps));
}
