// The reading views added for the mail UI: a conversation across folders (messages.thread),
// conversation sizes for a page (messages.threadCounts) and "All inboxes"
// (messages.listAllInboxes). They only read PostgreSQL, so the rows are written directly; what
// matters is the order, the paging, and that nobody else's mail is ever reachable.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password';
import { client, makeServices, uniqueEmail } from '../helpers/context';
import { offlineAccount } from '../helpers/mailbox';
import { errorOf } from '../helpers/wait';

const PASSWORD = 'correct horse battery staple';

describe('conversations and All inboxes', () => {
  const services = makeServices();
  const { db } = services;
  const me = client(services);
  const colleague = client(services); // same organisation, another user
  const stranger = client(services); // another organisation
  let work: string;
  let home: string;
  const thread = `t-${randomUUID()}`;
  let uid = 1;

  async function user(tenantId: string) {
    const email = uniqueEmail('views');
    await db.user.create({ data: { tenantId, email, passwordHash: await hashPassword(PASSWORD) } });
    return email;
  }
  const account = (tenantId: string, userId: string, name: string) =>
    offlineAccount(db, tenantId, userId, name);
  async function message(
    tenantId: string,
    accountId: string,
    folderId: string,
    subject: string,
    at: Date,
    extra: { threadId?: string; deleting?: boolean } = {}
  ) {
    return db.message.create({
      data: {
        tenantId,
        accountId,
        folderId,
        uidValidity: 1n,
        uid: BigInt(uid++),
        subject,
        internalDate: at,
        fromAddress: { name: 'Sender', address: 'sender@example.test' },
        ...extra
      }
    });
  }
  const day = (d: number) => new Date(Date.UTC(2026, 10, d, 12));

  beforeAll(async () => {
    const tenant = await db.tenant.create({
      data: { slug: `views-${randomUUID().slice(0, 8)}`, name: 'Views' }
    });
    const other = await db.tenant.create({
      data: { slug: `views-${randomUUID().slice(0, 8)}`, name: 'Other' }
    });
    const [mine, theirs, far] = [await user(tenant.id), await user(tenant.id), await user(other.id)];
    const myId = (await db.user.findFirstOrThrow({ where: { email: mine } })).id;
    const theirId = (await db.user.findFirstOrThrow({ where: { email: theirs } })).id;
    const farId = (await db.user.findFirstOrThrow({ where: { email: far } })).id;
    const w = await account(tenant.id, myId, 'Work');
    const h = await account(tenant.id, myId, 'Home');
    const c = await account(tenant.id, theirId, 'Colleague');
    const s = await account(other.id, farId, 'Stranger');
    work = w.id;
    home = h.id;
    // a conversation in Work: two received, one reply from Sent, one deleted for good
    await message(tenant.id, w.id, w.inbox, 'Plan', day(1), { threadId: thread });
    await message(tenant.id, w.id, w.sent, 'Re: Plan', day(2), { threadId: thread });
    await message(tenant.id, w.id, w.inbox, 'Re: Plan', day(3), { threadId: thread });
    await message(tenant.id, w.id, w.inbox, 'Re: Plan (gone)', day(4), { threadId: thread, deleting: true });
    await message(tenant.id, w.id, w.inbox, 'Work 5', day(5));
    await message(tenant.id, h.id, h.inbox, 'Home 6', day(6));
    await message(tenant.id, h.id, h.sent, 'Home sent 7', day(7));
    await message(tenant.id, h.id, h.inbox, 'Home 8', day(8));
    // the same thread id elsewhere must never count or show
    await message(tenant.id, c.id, c.inbox, 'Colleague', day(9), { threadId: thread });
    await message(other.id, s.id, s.inbox, 'Stranger', day(10), { threadId: thread });
    for (const [cl, email] of [
      [me, mine],
      [colleague, theirs],
      [stranger, far]
    ] as const)
      await (await cl.caller()).auth.login({ email, password: PASSWORD });
  });

  afterAll(() => services.close());

  it('a conversation spans folders (Sent included), oldest first, without deleted mail', async () => {
    const t = await (await me.caller()).messages.thread({ accountId: work, threadId: thread });
    expect(t.messages.map((m) => [m.subject, m.folder.specialUse])).toEqual([
      ['Plan', '\\Inbox'],
      ['Re: Plan', '\\Sent'],
      ['Re: Plan', '\\Inbox']
    ]);
    expect(
      await (await me.caller()).messages.threadCounts({ accountId: work, threadIds: [thread, 'none'] })
    ).toEqual({ [thread]: 3 });
  });

  it('an unknown conversation is a clear NOT_FOUND', async () => {
    const e = await errorOf((await me.caller()).messages.thread({ accountId: home, threadId: thread }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(/conversation does not exist/);
  });

  it('All inboxes pages both inboxes newest first, with each message’s account, and no Sent', async () => {
    const c = await me.caller();
    const first = await c.messages.listAllInboxes({ limit: 3 });
    expect(first.items.map((m) => m.subject)).toEqual(['Home 8', 'Home 6', 'Work 5']);
    expect(first.items.map((m) => m.accountId)).toEqual([home, home, work]);
    const second = await c.messages.listAllInboxes({ limit: 3, cursor: first.nextCursor });
    expect(second.items.map((m) => m.subject)).toEqual(['Re: Plan', 'Plan']);
    expect(second.nextCursor).toBeNull();
    expect(second.threadCounts).toEqual({ [thread]: 3 });
  });

  it('another user of the organisation, or of another one, reaches none of it', async () => {
    for (const other of [colleague, stranger]) {
      const c = await other.caller();
      for (const call of [
        () => c.messages.thread({ accountId: work, threadId: thread }),
        () => c.messages.threadCounts({ accountId: work, threadIds: [thread] })
      ]) {
        const e = await errorOf(call());
        expect(e.code).toBe('NOT_FOUND');
      }
      const all = await c.messages.listAllInboxes();
      expect(all.items.map((m) => m.subject)).not.toContain('Plan');
      expect(all.items).toHaveLength(1);
      expect(all.threadCounts).toEqual({ [thread]: 1 });
    }
  });

  it('asks to log in first', async () => {
    const anon = await client(services).caller();
    expect((await errorOf(anon.messages.listAllInboxes())).code).toBe('UNAUTHORIZED');
  });
});
