// The event stream of one subscriber: first what it missed (from the Redis stream, after its
// last event id), then live events from the hub, in order and without duplicates.
import type { Redis } from 'ioredis';
import type { RealtimeHub } from './hub.js';
import { compareStreamIds, liveEventSchema, userStream, type LiveEvent } from './events.js';

export interface StreamItem {
  id: string;
  event: LiveEvent;
}

export async function* userEvents(opts: {
  redis: Redis;
  hub: RealtimeHub;
  prefix: string;
  userId: string;
  lastEventId?: string | null;
  signal?: AbortSignal;
}): AsyncGenerator<StreamItem> {
  const { redis, hub, prefix, userId, signal } = opts;
  const buffer: StreamItem[] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = await hub.subscribe(userId, (id, event) => {
    buffer.push({ id, event });
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    let last = opts.lastEventId ?? null;
    if (last) {
      const key = userStream(prefix, userId);
      const oldest = (await redis.xrange(key, '-', '+', 'COUNT', 1))[0]?.[0];
      if (!oldest || compareStreamIds(oldest, last) > 0) {
        // the stream no longer reaches back to `last`: the client must refetch
        const head = (await redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? last;
        yield { id: head, event: { type: 'Resync' } };
        last = head;
      } else {
        const missed = await redis.xrange(key, `(${last}`, '+');
        for (const [id, fields] of missed) {
          const raw = fields[fields.indexOf('e') + 1];
          const parsed = raw ? liveEventSchema.safeParse(JSON.parse(raw)) : null;
          if (parsed?.success) yield { id, event: parsed.data };
          last = id;
        }
      }
    }
    while (!signal?.aborted) {
      const item = buffer.shift();
      if (!item) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      if (last && compareStreamIds(item.id, last) <= 0) continue; // already sent during catch-up
      last = item.id;
      yield item;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}
