import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/lib/server/redis';
import { publishToUser, userStream, type LiveEvent } from '../../src/lib/server/realtime/events';
import { client, makeServices, uniqueEmail } from '../helpers/context';

const PASSWORD = 'correct horse battery staple';

async function take<T>(it: AsyncIterable<T>, n: number, timeoutMs = 5000): Promise<T[]> {
  const out: T[] = [];
  const iterator = it[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const next = await Promise.race([
      iterator.next(),
      new Promise<never>((_, rej) =>
        setTimeout(() => rej(new Error(`got ${out.length} of ${n} events`)), deadline - Date.now())
      )
    ]);
    if (next.done) break;
    // through a server-side caller, tracked() events arrive as their envelope [id, data, marker]
    const v = next.value as unknown;
    out.push((Array.isArray(v) ? { id: v[0], data: v[1] } : v) as T);
  }
  await iterator.return?.();
  return out;
}

type Tracked = { id: string; data: LiveEvent };
const counts = (accountId: string, unread: number): LiveEvent => ({
  type: 'FolderCountsChanged',
  accountId,
  folders: [{ folderId: 'f1', total: 10, unread }]
});

describe('live events over the tRPC subscription', () => {
  const services = makeServices({ ALLOW_SIGNUP: 'true' });
  const worker = createRedis(services.env.REDIS_URL); // publishes as the worker would
  let alice: ReturnType<typeof client>;
  let bob: ReturnType<typeof client>;
  let aliceId: string;

  beforeAll(async () => {
    alice = client(services);
    aliceId = (await (await alice.caller()).auth.signup({ email: uniqueEmail('alice'), password: PASSWORD }))
      .user.id;
    bob = client(services);
    await (await bob.caller()).auth.signup({ email: uniqueEmail('bob'), password: PASSWORD });
  });
  afterAll(async () => {
    worker.disconnect();
    await services.close();
  });

  it('delivers published events in order, with tracked ids, to their user only', async () => {
    const aliceStream = await (await alice.caller()).live.events();
    const bobStream = await (await bob.caller()).live.events();
    const gotAlice = take(aliceStream as AsyncIterable<Tracked>, 3);
    const gotBob = take(bobStream as AsyncIterable<Tracked>, 1, 1500).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 100));
    const ids = [];
    for (let i = 1; i <= 3; i++)
      ids.push(await publishToUser(worker, aliceId, counts('a1', i), services.env.QUEUE_PREFIX));
    const events = await gotAlice;
    expect(events.map((e) => e.id)).toEqual(ids);
    expect(events.map((e) => (e.data as { folders: { unread: number }[] }).folders[0]!.unread)).toEqual([
      1, 2, 3
    ]);
    const b = await gotBob;
    expect(b).toBeInstanceOf(Error);
    expect((b as Error).message).toBe('got 0 of 1 events');
  });

  it('a reconnecting client gets what it missed, then live events, without duplicates', async () => {
    const p = services.env.QUEUE_PREFIX;
    const first = await publishToUser(worker, aliceId, counts('a2', 1), p);
    const second = await publishToUser(worker, aliceId, counts('a2', 2), p);
    const third = await publishToUser(worker, aliceId, counts('a2', 3), p);
    const stream = await (await alice.caller()).live.events({ lastEventId: first });
    const got = take(stream as AsyncIterable<Tracked>, 3);
    await new Promise((r) => setTimeout(r, 100));
    const fourth = await publishToUser(worker, aliceId, counts('a2', 4), p);
    expect((await got).map((e) => e.id)).toEqual([second, third, fourth]);
  });

  it('tells a client that was away too long to resync', async () => {
    const p = services.env.QUEUE_PREFIX;
    await publishToUser(worker, aliceId, counts('a3', 1), p);
    await worker.xtrim(userStream(p, aliceId), 'MAXLEN', 1);
    const stream = await (await alice.caller()).live.events({ lastEventId: '1-0' });
    const [e] = await take(stream as AsyncIterable<Tracked>, 1);
    expect(e!.data).toEqual({ type: 'Resync' });
  });

  it('refuses anonymous subscribers and malformed ids', async () => {
    await expect((await client(services).caller()).live.events()).rejects.toThrow(TRPCError);
    await expect((await alice.caller()).live.events({ lastEventId: 'abc' })).rejects.toThrow(
      /not an event id/
    );
  });

  it('refuses to publish an event that does not match its schema', async () => {
    await expect(
      publishToUser(worker, aliceId, { type: 'FolderCountsChanged' } as unknown as LiveEvent)
    ).rejects.toThrow();
  });
});
