// Reading the mirror (folders, pages of a folder) and the first user action (flags) against
// a real worker, Dovecot, PostgreSQL and Redis: the database changes at once, the job carries
// it to IMAP, and a change the server refuses is undone with a message to the user.
import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFlagsInDb } from '../../src/lib/server/actions/flags';
import { hashPassword } from '../../src/lib/server/auth/password';
import type { LiveEvent } from '../../src/lib/server/realtime/events';
import { client, makeServices, uniqueEmail } from '../helpers/context';
import { startWorker } from '../helpers/process';
import { accountInput, imapClient, newMailbox } from '../helpers/mailbox';
import { until } from '../helpers/wait';

const prefix = `msg${randomUUID().slice(0, 6)}`;
const PASSWORD = 'correct horse battery staple';

describe('folders and messages', () => {
  const services = makeServices({ QUEUE_PREFIX: prefix, ALLOW_SIGNUP: 'true' });
  const { db } = services;
  const box = newMailbox('msg');
  let worker: ReturnType<typeof startWorker>;
  let me: ReturnType<typeof client>;
  let accountId: string;
  let inboxId: string;

  const imap = () => imapClient(box);
  const serverFlags = async () => {
    const c = imap();
    await c.connect();
    const lock = await c.getMailboxLock('INBOX');
    const out = new Map<number, string[]>();
    for await (const m of c.fetch('1:*', { uid: true, flags: true })) out.set(m.uid, [...m.flags!]);
    lock.release();
    await c.logout();
    return out;
  };

  beforeAll(async () => {
    const c = imap();
    await c.connect();
    for (let i = 1; i <= 10; i++)
      await c.append(
        'INBOX',
        `From: s${i}@example.test\r\nSubject: m${i}\r\nMessage-ID: <${randomUUID()}@x>\r\n\r\nbody\r\n`,
        [],
        new Date(Date.UTC(2026, 10, i))
      );
    await c.logout();
    // a tenant of its own, and a worker that syncs only that tenant
    const tenant = await db.tenant.create({ data: { slug: `msg-${randomUUID().slice(0, 8)}`, name: 'Msg' } });
    const reader = uniqueEmail('reader');
    await db.user.create({
      data: { tenantId: tenant.id, email: reader, passwordHash: await hashPassword(PASSWORD) }
    });
    worker = startWorker({
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: process.env.DEBUG_WORKER ? 'debug' : 'info',
      IMAP_SYNC_TENANTS: tenant.id
    });
    await worker.waitForLine((l) => l.includes('"worker ready"'));
    me = client(services);
    await (await me.caller()).auth.login({ email: reader, password: PASSWORD });
    const acct = await (await me.caller()).accounts.add(accountInput(box));
    accountId = acct.id;
    const inbox = await until(
      async () => {
        const f = await db.folder.findFirst({ where: { accountId, specialUse: '\\Inbox' } });
        return f && (await db.message.count({ where: { folderId: f.id } })) === 10 ? f : null;
      },
      10_000,
      'the INBOX to sync'
    );
    inboxId = inbox.id;
  });

  afterAll(async () => {
    if (process.env.DEBUG_WORKER)
      console.log(worker.lines.filter((l) => /job|warn|error/.test(l)).join('\n'));
    await worker?.stop();
    await services.close();
  });

  it('lists folders, special ones first, with counts', async () => {
    const folders = await (await me.caller()).folders.list({ accountId });
    expect(folders[0]).toMatchObject({
      id: inboxId,
      name: 'Inbox',
      specialUse: '\\Inbox',
      total: 10,
      unread: 10
    });
    const uses = folders.map((f) => f.specialUse);
    expect(uses.indexOf('\\Sent')).toBeLessThan(uses.indexOf('\\Trash'));
  });

  it('pages a folder newest first without gaps or repeats', async () => {
    const c = await me.caller();
    const seen: string[] = [];
    let cursor: { internalDate: Date; id: string } | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof c.messages.list>> = await c.messages.list({
        accountId,
        folderId: inboxId,
        limit: 4,
        cursor
      });
      seen.push(...page.items.map((m) => m.subject));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['m10', 'm9', 'm8', 'm7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1']);
  });

  it('marks read and starred at once in the database, then on the server', async () => {
    const c = await me.caller();
    const page = await c.messages.list({ accountId, folderId: inboxId, limit: 2 });
    const ids = page.items.map((m) => m.id);
    const res = await c.messages.setFlags({ accountId, messageIds: ids, seen: true, flagged: true });
    expect(res.changed).toBe(2);
    // the database (and so every view) has it before the server does
    const rows = await db.message.findMany({ where: { id: { in: ids } } });
    expect(rows.every((r) => r.seen && r.flagged)).toBe(true);
    expect((await db.folder.findUniqueOrThrow({ where: { id: inboxId } })).unread).toBe(8);
    const uids = rows.map((r) => Number(r.uid));
    await until(
      async () => {
        const flags = await serverFlags();
        return uids.every((u) => flags.get(u)?.includes('\\Seen') && flags.get(u)?.includes('\\Flagged'));
      },
      5_000,
      'the server to have the flags'
    );
    // and back
    await c.messages.setFlags({ accountId, messageIds: [ids[0]!], seen: false });
    const first = Number(rows.find((r) => r.id === ids[0])!.uid);
    await until(
      async () => !(await serverFlags()).get(first)?.includes('\\Seen'),
      5_000,
      'unread on the server'
    );
  });

  it('undoes a change the server refuses, and tells the user', async () => {
    const stream = (await (await me.caller()).live.events()) as AsyncIterable<unknown>;
    const it = stream[Symbol.asyncIterator]();
    const failed = (async () => {
      for (;;) {
        const n = await it.next();
        if (n.done) throw new Error('stream ended');
        const e = (Array.isArray(n.value) ? n.value[1] : n.value) as LiveEvent;
        if (e.type === 'ActionFailed') return e;
      }
    })();
    const target = (
      await db.message.findFirstOrThrow({ where: { folderId: inboxId }, orderBy: { uid: 'asc' } })
    ).id;
    const bad = 'bad(flag'; // not a valid IMAP keyword: Dovecot answers BAD
    const user = await db.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    await setFlagsInDb(
      { db, redis: services.redis, prefix },
      { tenantId: user.tenantId, accountId, userId: user.userId },
      [target],
      {
        add: [bad],
        remove: []
      }
    );
    expect((await db.message.findUniqueOrThrow({ where: { id: target } })).flags).toContain(bad);
    await services.producer.enqueue('imap.setFlags', {
      accountId,
      messageIds: [target],
      add: [bad],
      remove: []
    });
    const event = await Promise.race([
      failed,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no ActionFailed within 8 s')), 8000))
    ]);
    await it.return?.();
    expect(event).toMatchObject({ accountId, action: 'setFlags' });
    expect((event as { message: string }).message).toMatch(/did not accept the change.*It has been undone\./);
    expect((await db.message.findUniqueOrThrow({ where: { id: target } })).flags).not.toContain(bad);
  });

  it('prefetches recent bodies, and fetches a body on first open without marking it read', async () => {
    // prefetch: the newest mail of INBOX has its body and snippet soon after the sync
    await until(
      async () =>
        (await db.message.count({ where: { folderId: inboxId, bodyFetchedAt: { not: null } } })) === 10,
      10_000,
      'prefetched bodies'
    );
    const target = await db.message.findFirstOrThrow({
      where: { folderId: inboxId, seen: false },
      orderBy: { uid: 'asc' }
    });
    expect(target.snippet).toBe('body');
    // forget the body, as for old mail beyond the prefetch window, and open it
    await db.message.update({
      where: { id: target.id },
      data: { bodyFetchedAt: null, textBody: null, snippet: '' }
    });
    const opened = await (await me.caller()).messages.get({ accountId, messageId: target.id });
    // the body comes rendered (escaped, linked), never raw; a plain-text mail has no HTML document
    expect(opened.body).toMatchObject({ html: null, remoteContentBlocked: false, senderTrusted: false });
    expect(opened.body.text).toContain('<div>body</div>');
    expect(opened.snippet).toBe('body');
    expect(opened.bodyFetchedAt).not.toBeNull();
    expect((await serverFlags()).get(Number(target.uid))).not.toContain('\\Seen');
    // a second open is served from PostgreSQL
    const again = await (await me.caller()).messages.get({ accountId, messageId: target.id });
    expect(again.bodyFetchedAt?.getTime()).toBe(opened.bodyFetchedAt?.getTime());
    const missing = await (
      await me.caller()
    ).messages
      .get({ accountId, messageId: randomUUID() })
      .catch((e: unknown) => e);
    expect((missing as TRPCError).code).toBe('NOT_FOUND');
  });

  it('keeps another tenant out', async () => {
    const stranger = client(services);
    await (await stranger.caller()).auth.signup({ email: uniqueEmail('stranger'), password: PASSWORD });
    const s = await stranger.caller();
    const e1 = await s.folders.list({ accountId }).catch((e: unknown) => e);
    const e2 = await s.messages.list({ accountId, folderId: inboxId }).catch((e: unknown) => e);
    const e3 = await s.messages
      .setFlags({ accountId, messageIds: [randomUUID()], seen: true })
      .catch((e: unknown) => e);
    for (const e of [e1, e2, e3]) {
      expect(e).toBeInstanceOf(TRPCError);
      expect((e as TRPCError).code).toBe('NOT_FOUND');
    }
  });
});
