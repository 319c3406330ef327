import { tracked } from '@trpc/server';
import { z } from 'zod';
import { isStreamId } from '../../../realtime/events.js';
import { userEvents } from '../../../realtime/stream.js';
import { authedProcedure } from '../../init.js';

/**
 * The signed-in user's live events over SSE. Ids are tracked: on reconnect the client sends
 * the last id it saw and receives what it missed (or a Resync event when that is too old).
 */
export const eventsProcedure = authedProcedure
  .input(z.object({ lastEventId: z.string().refine(isStreamId, 'not an event id').nullish() }).optional())
  .subscription(async function* ({ ctx, input, signal }) {
    for await (const item of userEvents({
      redis: ctx.redis,
      hub: ctx.hub,
      prefix: ctx.env.QUEUE_PREFIX,
      userId: ctx.user.id,
      lastEventId: input?.lastEventId ?? null,
      signal
    })) {
      yield tracked(item.id, item.event);
    }
  });
