// A 2,000-message INBOX, as the issue asks: the newest page first, then the backfill in
// chunks; at the end the database matches the server exactly (uids, flags, subjects), and a
// conversation whose messages landed in different chunks (and in the first page) is one thread.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password';
import { client, makeServices } from '../helpers/context';
import { startWorker } from '../helpers/process';
import { accountInput, imapClient, newMailbox } from '../helpers/mailbox';
import { until } from '../helpers/wait';

const prefix = `big${randomUUID().slice(0, 6)}`;
const COUNT = 2_000;
const ROOT = 10; // an old message: backfilled in the last chunk
const REPLY = 1_000; // a reply in another backfill chunk
const LATEST = 1_990; // and one in the newest page
const id = (i: number) => `big${i}.${prefix}@example.test`;

function raw(i: number): string {
  const thread =
    i === REPLY
      ? [`In-Reply-To: <${id(ROOT)}>`, `References: <${id(ROOT)}>`]
      : i === LATEST
        ? [`In-Reply-To: <${id(REPLY)}>`, `References: <${id(ROOT)}> <${id(REPLY)}>`]
        : [];
  return [
    `From: Sender ${i % 37} <s${i % 37}@example.test>`,
    'To: me@example.test',
    `Subject: ${thread.length ? 'Re: ' : ''}Message ${i === REPLY || i === LATEST ? ROOT : i}`,
    `Message-ID: <${id(i)}>`,
    ...thread,
    `Date: ${new Date(Date.UTC(2026, 0, 1) + i * 60_000).toUTCString()}`,
    '',
    `Body ${i}`,
    ''
  ].join('\r\n');
}

describe('initial sync of a 2,000-message folder', () => {
  const services = makeServices({ QUEUE_PREFIX: prefix });
  const { db } = services;
  const box = newMailbox('big');
  const { password } = box;
  let worker: ReturnType<typeof startWorker>;
  let accountId: string;
  const imap = () => imapClient(box);

  beforeAll(async () => {
    const c = imap();
    await c.connect();
    for (let i = 1; i <= COUNT; i++)
      await c.append(
        'INBOX',
        raw(i),
        i % 3 === 0 ? ['\\Seen'] : i % 7 === 0 ? ['\\Flagged', '$Work'] : [],
        new Date(Date.UTC(2026, 0, 1) + i * 60_000)
      );
    await c.logout();
    const tenant = await db.tenant.create({ data: { slug: `big-${randomUUID().slice(0, 8)}`, name: 'Big' } });
    const user = await db.user.create({
      data: {
        tenantId: tenant.id,
        email: `big-${randomUUID().slice(0, 6)}@x.test`,
        passwordHash: await hashPassword(password)
      }
    });
    worker = startWorker({ QUEUE_PREFIX: prefix, IMAP_SYNC_TENANTS: tenant.id });
    await worker.waitForLine((l) => l.includes('"worker ready"'));
    const me = client(services);
    await (await me.caller()).auth.login({ email: user.email, password });
    accountId = (await (await me.caller()).accounts.add(accountInput(box))).id;
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await services.close();
  });

  it('stores the newest page first, then everything, exactly as the server has it', async () => {
    const inbox = await until(
      () => db.folder.findFirst({ where: { accountId, specialUse: '\\Inbox' } }),
      10_000,
      'the INBOX row'
    );
    // the newest page is there before the backfill has finished
    const firstSeen = await until(
      async () => {
        const rows = await db.message.findMany({ where: { folderId: inbox.id }, select: { subject: true } });
        return rows.length ? rows : null;
      },
      10_000,
      'the first page'
    );
    expect(firstSeen.map((r) => r.subject)).toContain(`Message ${COUNT}`);
    await until(
      async () => (await db.message.count({ where: { folderId: inbox.id } })) === COUNT,
      60_000,
      'all'
    );

    const c = imap();
    await c.connect();
    const lock = await c.getMailboxLock('INBOX');
    const server = new Map<number, { flags: string[]; subject: string }>();
    try {
      for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true }))
        server.set(m.uid, { flags: [...m.flags!].sort(), subject: m.envelope!.subject! });
    } finally {
      lock.release();
    }
    await c.logout();
    const local = await db.message.findMany({
      where: { folderId: inbox.id },
      select: { uid: true, flags: true, keywords: true, subject: true, seen: true, flagged: true }
    });
    expect(server.size).toBe(COUNT);
    expect(local.length).toBe(COUNT);
    for (const m of local) {
      const s = server.get(Number(m.uid));
      expect(s, `uid ${m.uid}`).toBeDefined();
      expect(m.subject).toBe(s!.subject);
      expect([...m.flags, ...m.keywords].sort()).toEqual(s!.flags);
      expect(m.seen).toBe(s!.flags.includes('\\Seen'));
      expect(m.flagged).toBe(s!.flags.includes('\\Flagged'));
    }
    expect(new Set(local.map((m) => m.uid)).size).toBe(COUNT);
    const folder = await db.folder.findUniqueOrThrow({ where: { id: inbox.id } });
    expect(folder.total).toBe(COUNT);
    expect(folder.unread).toBe(local.filter((m) => !m.seen).length);
  });

  it('threads a conversation spread over the first page and two backfill chunks as one', async () => {
    const rows = await db.message.findMany({
      where: { accountId, messageId: { in: [id(ROOT), id(REPLY), id(LATEST)] } },
      select: { messageId: true, threadId: true }
    });
    expect(rows).toHaveLength(3);
    const threads = new Set(rows.map((r) => r.threadId));
    expect(threads.size).toBe(1);
    const [thread] = [...threads];
    expect(thread).toBeTruthy();
    // and nothing else joined it
    expect(await db.message.count({ where: { accountId, threadId: thread } })).toBe(3);
  });

  it('gives every message a snippet, prefetched or not, without marking anything read', async () => {
    await until(
      async () => (await db.message.count({ where: { accountId, snippet: '' } })) === 0,
      60_000,
      'every snippet'
    );
    const rows = await db.message.findMany({
      where: { accountId, messageId: { in: [id(1), id(999), id(COUNT)] } },
      select: { messageId: true, snippet: true, bodyFetchedAt: true }
    });
    expect(Object.fromEntries(rows.map((r) => [r.messageId, r.snippet]))).toEqual({
      [id(1)]: 'Body 1',
      [id(999)]: 'Body 999',
      [id(COUNT)]: `Body ${COUNT}`
    });
    // most were read from a partial FETCH, not a body download
    expect(await db.message.count({ where: { accountId, bodyFetchedAt: null } })).toBeGreaterThan(COUNT / 2);
    const c = imap();
    await c.connect();
    const status = await c.status('INBOX', { unseen: true });
    await c.logout();
    expect(status && status.unseen).toBe(COUNT - Math.floor(COUNT / 3));
  });
});
