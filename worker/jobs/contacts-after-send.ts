// Called by the send job right after the server accepted a message: \Answered on the replied
// message and the recipients counted as contacts (src/lib/server/compose/after-send.ts).
import { afterSend } from '../../src/lib/server/compose/after-send.js';
import { Producer } from '../../src/lib/server/queue/producer.js';
import type { JobContext } from '../registry.js';

let producer: Producer | undefined;

export async function afterSendHook(ctx: Pick<JobContext, 'db' | 'redis' | 'env' | 'log'>, outboxId: string) {
  await afterSend(
    {
      db: ctx.db,
      redis: ctx.redis,
      prefix: ctx.env.QUEUE_PREFIX,
      log: ctx.log,
      enqueueSetFlags: (p) =>
        (producer ??= new Producer(ctx.env.REDIS_URL, ctx.log, ctx.env.QUEUE_PREFIX)).enqueue(
          'imap.setFlags',
          p,
          {
            attempts: 5
          }
        )
    },
    outboxId
  );
}
