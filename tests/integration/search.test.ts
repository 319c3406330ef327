// messages.search against the real PostgreSQL (its trigram index and SQL): the rows are written
// directly, since search only reads them. What matters: every word must match, the operators
// pick the right rows, paging is newest first without gaps, and nobody else's mail is reachable.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password';
import { client, makeServices, uniqueEmail } from '../helpers/context';
import { offlineAccount } from '../helpers/mailbox';
import { errorOf } from '../helpers/wait';

const PASSWORD = 'correct horse battery staple';

describe('messages.search', () => {
  const services = makeServices();
  const { db } = services;
  const me = client(services);
  const colleague = client(services); // same organisation, another user
  const stranger = client(services); // another organisation
  let work: { id: string; inbox: string; sent: string };
  let home: { id: string; inbox: string; sent: string };
  let theirs: { id: string; inbox: string; sent: string };
  let far: { id: string; inbox: string; sent: string };
  let uid = 1;
  // a word nobody else's test data has, so counts are exact
  const tag = `zq${randomUUID().slice(0, 6)}`;

  async function user(tenantId: string) {
    const email = uniqueEmail('search');
    const u = await db.user.create({ data: { tenantId, email, passwordHash: await hashPassword(PASSWORD) } });
    return { email, id: u.id };
  }
  const account = (tenantId: string, userId: string, name: string) =>
    offlineAccount(db, tenantId, userId, name);
  const day = (d: number) => new Date(Date.UTC(2026, 9, 1, 12) + d * 86_400_000);
  async function message(
    tenantId: string,
    acc: { id: string },
    folderId: string,
    d: number,
    data: {
      subject?: string;
      from?: { name?: string; address: string };
      to?: { name?: string; address: string }[];
      cc?: { name?: string; address: string }[];
      snippet?: string;
      textBody?: string;
      seen?: boolean;
      flagged?: boolean;
      hasAttachments?: boolean;
      deleting?: boolean;
    }
  ) {
    const m = await db.message.create({
      data: {
        tenantId,
        accountId: acc.id,
        folderId,
        uidValidity: 1n,
        uid: BigInt(uid++),
        internalDate: day(d),
        subject: data.subject ?? '',
        fromAddress: data.from ?? { name: 'Nobody', address: 'nobody@example.test' },
        toAddresses: data.to ?? [],
        ccAddresses: data.cc ?? [],
        snippet: data.snippet ?? '',
        textBody: data.textBody ?? null,
        seen: data.seen ?? true,
        flagged: data.flagged ?? false,
        hasAttachments: data.hasAttachments ?? false,
        deleting: data.deleting ?? false
      }
    });
    return m.id;
  }

  beforeAll(async () => {
    const tenant = await db.tenant.create({
      data: { slug: `search-${randomUUID().slice(0, 8)}`, name: 'S' }
    });
    const other = await db.tenant.create({ data: { slug: `search-${randomUUID().slice(0, 8)}`, name: 'O' } });
    const [mine, their, stran] = [await user(tenant.id), await user(tenant.id), await user(other.id)];
    work = await account(tenant.id, mine.id, 'Work');
    home = await account(tenant.id, mine.id, 'Home');
    theirs = await account(tenant.id, their.id, 'Colleague');
    far = await account(other.id, stran.id, 'Stranger');
    const t = tenant.id;
    await message(t, work, work.inbox, 1, {
      subject: `Quarterly budget ${tag}`,
      from: { name: 'Anna Berg', address: 'anna@acme.test' },
      to: [{ name: 'Me', address: 'me@acme.test' }],
      snippet: 'numbers for the board'
    });
    await message(t, work, work.inbox, 2, {
      subject: `Lunch ${tag}`,
      from: { name: 'Bob Stone', address: 'bob@acme.test' },
      to: [{ address: 'me@acme.test' }],
      cc: [{ name: 'Carla Diaz', address: 'carla@acme.test' }],
      snippet: 'the Budget is fine, lunch at 12',
      seen: false
    });
    await message(t, work, work.inbox, 3, {
      subject: `Photos ${tag}`,
      from: { name: 'Anna Berg', address: 'anna@acme.test' },
      textBody: 'Here are the holiday pictures (50%_off at the printer)',
      hasAttachments: true,
      flagged: true
    });
    await message(t, work, work.inbox, 4, { subject: `Budget deleted ${tag}`, deleting: true });
    await message(t, work, work.sent, 5, {
      subject: `Re: Quarterly budget ${tag}`,
      from: { name: 'Me', address: 'me@acme.test' },
      to: [{ name: 'Anna Berg', address: 'anna@acme.test' }]
    });
    await message(t, home, home.inbox, 6, { subject: `Budget at home ${tag}` });
    await message(t, theirs, theirs.inbox, 7, { subject: `Colleague budget ${tag}` });
    await message(other.id, far, far.inbox, 8, { subject: `Stranger budget ${tag}` });
    for (const [cl, u] of [
      [me, mine],
      [colleague, their],
      [stranger, stran]
    ] as const)
      await (await cl.caller()).auth.login({ email: u.email, password: PASSWORD });
  });

  afterAll(() => services.close());

  const subjects = async (input: {
    accountId: string;
    folderId?: string;
    query: string;
    inboxesOnly?: boolean;
  }) => (await (await me.caller()).messages.search(input)).items.map((m) => m.subject.replace(` ${tag}`, ''));

  it('every word must match, in any case, anywhere (subject, snippet, body, names, addresses)', async () => {
    const inbox = { accountId: work.id, folderId: work.inbox };
    expect(await subjects({ ...inbox, query: `BUDGET ${tag}` })).toEqual(['Lunch', 'Quarterly budget']);
    expect(await subjects({ ...inbox, query: `budget board ${tag}` })).toEqual(['Quarterly budget']);
    expect(await subjects({ ...inbox, query: `holiday ${tag}` })).toEqual(['Photos']);
    expect(await subjects({ ...inbox, query: `carla ${tag}` })).toEqual(['Lunch']);
    expect(await subjects({ ...inbox, query: `"anna@acme" ${tag}` })).toEqual(['Photos', 'Quarterly budget']);
    expect(await subjects({ ...inbox, query: `"lunch at 12" ${tag}` })).toEqual(['Lunch']);
    expect(await subjects({ ...inbox, query: `50%_off ${tag}` })).toEqual(['Photos']);
    expect(await subjects({ ...inbox, query: `50%_of_ ${tag}` })).toEqual([]); // % and _ are literal
    expect(await subjects({ ...inbox, query: `budget nothinglikethis ${tag}` })).toEqual([]);
  });

  it('understands from:, to:, subject:, has:attachment, is:unread, is:starred and -word', async () => {
    const inbox = { accountId: work.id, folderId: work.inbox };
    expect(await subjects({ ...inbox, query: `from:anna ${tag}` })).toEqual(['Photos', 'Quarterly budget']);
    expect(await subjects({ ...inbox, query: `from:"Bob Stone" ${tag}` })).toEqual(['Lunch']);
    expect(await subjects({ ...inbox, query: `to:carla ${tag}` })).toEqual(['Lunch']); // Cc counts
    expect(await subjects({ ...inbox, query: `to:anna ${tag}` })).toEqual([]); // the sender is not To
    expect(await subjects({ ...inbox, query: `subject:budget ${tag}` })).toEqual(['Quarterly budget']);
    expect(await subjects({ ...inbox, query: `has:attachment ${tag}` })).toEqual(['Photos']);
    expect(await subjects({ ...inbox, query: `is:unread ${tag}` })).toEqual(['Lunch']);
    expect(await subjects({ ...inbox, query: `is:starred ${tag}` })).toEqual(['Photos']);
    expect(await subjects({ ...inbox, query: `${tag} -from:anna` })).toEqual(['Lunch']);
    expect(await subjects({ ...inbox, query: `${tag} -budget` })).toEqual(['Photos']);
  });

  it('searches one folder, every folder of the account, all inboxes or all accounts', async () => {
    expect(await subjects({ accountId: work.id, query: `budget ${tag}` })).toEqual([
      'Re: Quarterly budget',
      'Lunch',
      'Quarterly budget'
    ]);
    expect(await subjects({ accountId: 'all', inboxesOnly: true, query: `budget ${tag}` })).toEqual([
      'Budget at home',
      'Lunch',
      'Quarterly budget'
    ]);
    const all = await (await me.caller()).messages.search({ accountId: 'all', query: `budget ${tag}` });
    expect(all.items.map((m) => m.accountId)).toEqual([home.id, work.id, work.id, work.id]);
    expect(all.items.map((m) => m.folderId)).toEqual([home.inbox, work.sent, work.inbox, work.inbox]);
    expect(all.total).toBe(4);
  });

  it('pages newest first without gaps or repeats, and counts all matches on the first page', async () => {
    const c = await me.caller();
    const seen: string[] = [];
    let page = await c.messages.search({ accountId: 'all', query: tag, limit: 2 });
    expect(page.total).toBe(5);
    for (;;) {
      seen.push(...page.items.map((m) => m.subject));
      for (const m of page.items) expect(m).toHaveProperty('snippet');
      if (!page.nextCursor) break;
      page = await c.messages.search({ accountId: 'all', query: tag, limit: 2, cursor: page.nextCursor });
      expect(page.total).toBeNull();
    }
    expect(seen.map((s) => s.replace(` ${tag}`, ''))).toEqual([
      'Budget at home',
      'Re: Quarterly budget',
      'Photos',
      'Lunch',
      'Quarterly budget'
    ]);
    expect(seen).toHaveLength(5); // the message being deleted never shows
  });

  it('says what is wrong with a query it cannot run', async () => {
    const c = await me.caller();
    const bad = await errorOf(c.messages.search({ accountId: work.id, query: 'has:pony' }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/has:attachment/);
    expect((await errorOf(c.messages.search({ accountId: work.id, query: '   ' }))).code).toBe('BAD_REQUEST');
    expect((await errorOf(c.messages.search({ accountId: work.id, query: 'x'.repeat(201) }))).code).toBe(
      'BAD_REQUEST'
    );
  });

  it('another user’s or another organisation’s account and folders are NOT_FOUND, and never their rows', async () => {
    const c = await me.caller();
    for (const acc of [theirs, far]) {
      const a = await errorOf(c.messages.search({ accountId: acc.id, query: 'budget' }));
      expect(a.code).toBe('NOT_FOUND');
      const f = await errorOf(
        c.messages.search({ accountId: work.id, folderId: acc.inbox, query: 'budget' })
      );
      expect(f.code).toBe('NOT_FOUND');
    }
    const mine = await subjects({ accountId: 'all', query: `budget ${tag}` });
    expect(mine.some((s) => /Colleague|Stranger/.test(s))).toBe(false);
    // and they see only their own
    const col = await (await colleague.caller()).messages.search({ accountId: 'all', query: tag });
    expect(col.items.map((m) => m.accountId)).toEqual([theirs.id]);
    const str = await (await stranger.caller()).messages.search({ accountId: 'all', query: tag });
    expect(str.items.map((m) => m.accountId)).toEqual([far.id]);
    expect(
      (await errorOf((await stranger.caller()).messages.search({ accountId: work.id, query: tag }))).code
    ).toBe('NOT_FOUND');
  });

  it('is not reachable signed out', async () => {
    const anon = client(services);
    const e = await errorOf((await anon.caller()).messages.search({ accountId: 'all', query: tag }));
    expect(e.code).toBe('UNAUTHORIZED');
  });
});
