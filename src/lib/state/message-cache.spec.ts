import { describe, expect, it } from 'vitest';
import type { MessageDetail } from './mail-api';
import { MessageCache, type Thread } from './message-cache.svelte';

const A = 'acct-1';

function message(id: string, seen = false): MessageDetail {
  return {
    id,
    folderId: 'inbox',
    threadId: 't1',
    subject: `Subject ${id}`,
    fromAddress: { name: 'Carol', address: 'carol@example.test' },
    toAddresses: [],
    ccAddresses: [],
    replyTo: [],
    date: null,
    internalDate: '2026-11-29T10:00:00.000Z',
    seen,
    flagged: false,
    size: 100,
    attachments: [],
    body: { html: `<p>${id}</p>`, text: null, remoteContentBlocked: false, senderTrusted: false }
  };
}

function thread(threadId: string, ids: string[]): Thread {
  return {
    threadId,
    messages: ids.map((id) => ({ ...message(id), folder: { name: 'Inbox', specialUse: '\\Inbox' } }))
  } as unknown as Thread;
}

function setup() {
  const calls: string[] = [];
  let fail = false;
  const cache = new MessageCache({
    message: async (a, id) => {
      calls.push(`get ${a} ${id}`);
      if (fail) throw new Error('offline');
      return message(id);
    },
    thread: async (a, t) => {
      calls.push(`thread ${a} ${t}`);
      return thread(t, ['m1', 'm2']);
    }
  });
  return { cache, calls, failNext: (f: boolean) => (fail = f) };
}

describe('MessageCache', () => {
  it('fetches a message once: a second open, even while the first is in flight, is served from memory', async () => {
    const { cache, calls } = setup();
    expect(cache.peekMessage(A, 'm1')).toBeUndefined();
    const [a, b] = await Promise.all([cache.message(A, 'm1'), cache.message(A, 'm1')]);
    expect(a).toBe(b);
    expect(cache.peekMessage(A, 'm1')?.id).toBe('m1');
    await cache.message(A, 'm1');
    expect(calls).toEqual([`get ${A} m1`]);
  });

  it('forgets a failed fetch, so the next open asks again', async () => {
    const { cache, calls, failNext } = setup();
    failNext(true);
    await expect(cache.message(A, 'm1')).rejects.toThrow('offline');
    failNext(false);
    expect((await cache.message(A, 'm1')).id).toBe('m1');
    expect(calls).toHaveLength(2);
  });

  it('keys by account: the same id of another account is another entry', async () => {
    const { cache } = setup();
    await cache.message(A, 'm1');
    expect(cache.peekMessage('acct-2', 'm1')).toBeUndefined();
  });

  it('applies flag changes (live or the user’s own) to messages and conversations', async () => {
    const { cache } = setup();
    await cache.message(A, 'm1');
    await cache.thread(A, 't1');
    cache.apply({
      type: 'FlagsChanged',
      accountId: A,
      changes: [{ messageId: 'm1', flags: ['\\Seen', '\\Flagged'], keywords: [] }]
    });
    expect(cache.peekMessage(A, 'm1')).toMatchObject({ seen: true, flagged: true });
    expect(cache.peekThread(A, 't1')?.messages[0]).toMatchObject({ id: 'm1', seen: true, flagged: true });
    expect(cache.peekThread(A, 't1')?.messages[1]).toMatchObject({ id: 'm2', seen: false });
    cache.setFlags(A, ['m2'], { seen: true });
    expect(cache.peekThread(A, 't1')?.messages[1]).toMatchObject({ id: 'm2', seen: true });
  });

  it('drops moved and deleted messages with the conversations holding them', async () => {
    const { cache, calls } = setup();
    await cache.message(A, 'm1');
    await cache.message(A, 'm3');
    await cache.thread(A, 't1');
    cache.apply({
      type: 'MessageMoved',
      accountId: A,
      messageIds: ['m2'],
      fromFolderId: 'f',
      toFolderId: 'g'
    });
    expect(cache.peekThread(A, 't1')).toBeUndefined();
    expect(cache.peekMessage(A, 'm1')).toBeDefined();
    cache.apply({ type: 'MessagesDeleted', accountId: A, folderId: 'f', messageIds: ['m1'] });
    expect(cache.peekMessage(A, 'm1')).toBeUndefined();
    expect(cache.peekMessage(A, 'm3')).toBeDefined();
    await cache.thread(A, 't1');
    expect(calls.filter((c) => c.startsWith('thread'))).toHaveLength(2);
  });

  it('drops the account’s conversations when new mail arrives (it may be a reply), and all on Resync', async () => {
    const { cache } = setup();
    await cache.thread(A, 't1');
    await cache.message(A, 'm1');
    cache.apply({ type: 'MessageCreated', accountId: A, folderId: 'f', messageIds: ['m9'] });
    expect(cache.peekThread(A, 't1')).toBeUndefined();
    expect(cache.peekMessage(A, 'm1')).toBeDefined();
    cache.apply({ type: 'Resync' });
    expect(cache.peekMessage(A, 'm1')).toBeUndefined();
  });

  it('keeps a bounded number of bodies, the least recently opened going first', async () => {
    const { cache } = setup();
    for (let i = 0; i < 100; i++) await cache.message(A, `m${i}`);
    expect(cache.peekMessage(A, 'm0')).toBeUndefined();
    expect(cache.peekMessage(A, 'm99')).toBeDefined();
  });

  it('keeps nothing when told not to (the server build)', async () => {
    const calls: string[] = [];
    const cache = new MessageCache(
      {
        message: async (_a, id) => (calls.push(id), message(id)),
        thread: async (_a, t) => thread(t, [])
      },
      false
    );
    await cache.message(A, 'm1');
    await cache.message(A, 'm1');
    expect(cache.peekMessage(A, 'm1')).toBeUndefined();
    expect(calls).toEqual(['m1', 'm1']);
  });
});
