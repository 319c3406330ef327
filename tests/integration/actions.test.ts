// Moving, copying and deleting mail, and changing folders, against a real worker, Dovecot,
// PostgreSQL and Redis: the database changes at once (same message ids), the worker carries
// the change to IMAP, the sync never duplicates or loses a message on the way, and what the
// server refuses is undone with a message to the user.
import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFlagsInDb } from '../../src/lib/server/actions/flags';
import { hashPassword } from '../../src/lib/server/auth/password';
import type { LiveEvent } from '../../src/lib/server/realtime/events';
import { client, makeServices, uniqueEmail } from '../helpers/context';
import { startWorker } from '../helpers/process';
import { accountInput, imapClient, newMailbox } from '../helpers/mailbox';
import { errorOf, until } from '../helpers/wait';

const prefix = `act${randomUUID().slice(0, 6)}`;
const PASSWORD = 'correct horse battery staple';

describe('moving, copying and deleting mail; folders', () => {
  const services = makeServices({ QUEUE_PREFIX: prefix, ALLOW_SIGNUP: 'true' });
  const { db } = services;
  const box = newMailbox('act');
  let worker: ReturnType<typeof startWorker>;
  let me: ReturnType<typeof client>;
  let stranger: ReturnType<typeof client>;
  let accountId: string;
  const folderIds: Record<string, string> = {};

  const imap = async () => {
    const c = imapClient(box);
    await c.connect();
    return c;
  };
  /** Subjects in a folder on the server (sorted), read by a second client. */
  const serverSubjects = async (path: string) => {
    const c = await imap();
    const out: string[] = [];
    const lock = await c.getMailboxLock(path);
    try {
      if ((c.mailbox && c.mailbox.exists) || 0)
        for await (const m of c.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
    } finally {
      lock.release();
    }
    await c.logout();
    return out.sort();
  };
  const dbSubjects = async (folderId: string) =>
    (await db.message.findMany({ where: { folderId, deleting: false }, select: { subject: true } }))
      .map((m) => m.subject)
      .sort();
  const idOf = async (subject: string) =>
    (await db.message.findFirstOrThrow({ where: { accountId, subject }, select: { id: true } })).id;
  const append = async (path: string, subject: string) => {
    const c = await imap();
    await c.append(
      path,
      `From: a@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${randomUUID()}@x>\r\n\r\nbody of ${subject}\r\n`
    );
    await c.logout();
  };
  // a flag change as the app makes it (rows first), and then only the job this test names
  const flagsInDb = async (id: string, change: { add: string[]; remove: string[] }) => {
    const acct = await db.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    await setFlagsInDb(
      { db, redis: services.redis, prefix },
      { tenantId: acct.tenantId, accountId, userId: acct.userId },
      [id],
      change
    );
  };
  const onlyFlagJob = async (id: string, change: { add: string[]; remove: string[] }) => {
    await services.producer.enqueue('imap.setFlags', { accountId, messageIds: [id], ...change });
    await until(
      async () => !(await db.message.findUniqueOrThrow({ where: { id } })).flagsPendingAt,
      5_000,
      'the flag jobs to finish'
    );
  };
  const serverFlags = async (uid: bigint) => {
    const c = await imap();
    const lock = await c.getMailboxLock('INBOX');
    try {
      const m = await c.fetchOne(String(uid), { flags: true }, { uid: true });
      return m ? [...m.flags!] : [];
    } finally {
      lock.release();
      await c.logout();
    }
  };
  const events: LiveEvent[] = [];
  let listening: Promise<void> | undefined;
  const listen = async () => {
    const stream = (await (await me.caller()).live.events()) as AsyncIterable<unknown>;
    listening = (async () => {
      for await (const v of stream) events.push((Array.isArray(v) ? v[1] : v) as LiveEvent);
    })().catch(() => {});
  };

  beforeAll(async () => {
    for (let i = 1; i <= 8; i++) await append('INBOX', `m${i}`);
    const c = await imap();
    await c.mailboxCreate('Projects');
    await c.logout();
    const tenant = await db.tenant.create({ data: { slug: `act-${randomUUID().slice(0, 8)}`, name: 'Act' } });
    const other = await db.tenant.create({
      data: { slug: `act-${randomUUID().slice(0, 8)}`, name: 'Other' }
    });
    const reader = uniqueEmail('mover');
    const outsider = uniqueEmail('outsider');
    await db.user.create({
      data: { tenantId: tenant.id, email: reader, passwordHash: await hashPassword(PASSWORD) }
    });
    await db.user.create({
      data: { tenantId: other.id, email: outsider, passwordHash: await hashPassword(PASSWORD) }
    });
    worker = startWorker({ QUEUE_PREFIX: prefix, IMAP_SYNC_TENANTS: tenant.id });
    await worker.waitForLine((l) => l.includes('"worker ready"'));
    me = client(services);
    await (await me.caller()).auth.login({ email: reader, password: PASSWORD });
    stranger = client(services);
    await (await stranger.caller()).auth.login({ email: outsider, password: PASSWORD });
    accountId = (await (await me.caller()).accounts.add(accountInput(box))).id;
    await until(
      async () => {
        const inbox = await db.folder.findFirst({ where: { accountId, specialUse: '\\Inbox' } });
        return inbox && (await db.message.count({ where: { folderId: inbox.id } })) === 8;
      },
      10_000,
      'the INBOX to sync'
    );
    for (const f of await db.folder.findMany({ where: { accountId } })) folderIds[f.path] = f.id;
    expect(Object.keys(folderIds)).toEqual(expect.arrayContaining(['INBOX', 'Trash', 'Archive', 'Projects']));
    await listen();
  });

  afterAll(async () => {
    if (process.env.DEBUG_WORKER)
      console.log(worker.lines.filter((l) => !/"level":"debug"/.test(l)).join('\n'));
    await worker?.stop();
    void listening;
    await services.close();
  });

  it('moves a message at once in the database, then on the server, keeping its id', async () => {
    const id = await idOf('m1');
    const res = await (
      await me.caller()
    ).messages.move({ accountId, messageIds: [id], toFolderId: folderIds.Projects! });
    expect(res.undo).toEqual([{ folderId: folderIds.INBOX, messageIds: [id] }]);
    // the database first: same id, new folder, counts updated
    const row = await db.message.findUniqueOrThrow({ where: { id } });
    expect(row.folderId).toBe(folderIds.Projects);
    expect((await db.folder.findUniqueOrThrow({ where: { id: folderIds.Projects! } })).total).toBe(1);
    expect(events.some((e) => e.type === 'MessageMoved' && e.messageIds.includes(id))).toBe(true);
    // then the server, and the row gets its real uid there
    await until(async () => (await serverSubjects('Projects')).includes('m1'), 5_000, 'm1 in Projects');
    expect(await serverSubjects('INBOX')).not.toContain('m1');
    await until(
      async () => (await db.message.findUniqueOrThrow({ where: { id } })).srcFolderId === null,
      5_000,
      'the move to be recorded'
    );
    // opening both folders syncs them: still exactly one m1, the same row
    const c = await me.caller();
    await c.messages.list({ accountId, folderId: folderIds.Projects! });
    await c.messages.list({ accountId, folderId: folderIds.INBOX! });
    await new Promise((r) => setTimeout(r, 1_500));
    const m1 = await db.message.findMany({ where: { accountId, subject: 'm1' } });
    expect(m1.map((m) => m.id)).toEqual([id]);
    expect(m1[0]!.uid).toBeGreaterThan(0n);
  });

  it('an immediate undo leaves the message where it was, once, on the server and here', async () => {
    const id = await idOf('m2');
    const c = await me.caller();
    const res = await c.messages.move({ accountId, messageIds: [id], toFolderId: folderIds.Projects! });
    for (const g of res.undo)
      await c.messages.move({ accountId, messageIds: g.messageIds, toFolderId: g.folderId });
    expect((await db.message.findUniqueOrThrow({ where: { id } })).folderId).toBe(folderIds.INBOX);
    await new Promise((r) => setTimeout(r, 1_500)); // let any job and sync run
    await c.messages.list({ accountId, folderId: folderIds.INBOX! });
    await until(
      async () => (await serverSubjects('INBOX')).filter((s) => s === 'm2').length === 1,
      5_000,
      'm2 back in INBOX on the server'
    );
    expect(await serverSubjects('Projects')).not.toContain('m2');
    await until(
      async () => (await db.message.findMany({ where: { accountId, subject: 'm2' } })).length === 1,
      5_000,
      'one m2 row'
    );
    const row = await db.message.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ folderId: folderIds.INBOX, srcFolderId: null });
  });

  it('deletes to Trash, and from Trash for good', async () => {
    const id = await idOf('m3');
    const c = await me.caller();
    const res = await c.messages.delete({ accountId, messageIds: [id] });
    expect(res).toMatchObject({ toFolderId: folderIds.Trash, permanentlyDeleted: [] });
    await until(async () => (await serverSubjects('Trash')).includes('m3'), 5_000, 'm3 in Trash');
    await until(
      async () => (await db.message.findUniqueOrThrow({ where: { id } })).srcFolderId === null,
      5_000,
      'the move to Trash to be recorded'
    );
    const again = await c.messages.delete({ accountId, messageIds: [id] });
    expect(again).toMatchObject({ toFolderId: null, undo: [], permanentlyDeleted: [id] });
    // hidden at once
    const trash = await c.messages.list({ accountId, folderId: folderIds.Trash! });
    expect(trash.items.map((m) => m.id)).not.toContain(id);
    await until(async () => !(await serverSubjects('Trash')).includes('m3'), 5_000, 'm3 expunged');
    await until(async () => !(await db.message.findUnique({ where: { id } })), 5_000, 'the row gone');
    expect(await serverSubjects('INBOX')).not.toContain('m3');
  });

  it('archives; an account whose server names no Archive gets the folder made', async () => {
    const c = await me.caller();
    const a = await c.messages.archive({ accountId, messageIds: [await idOf('m4')] });
    expect(a.toFolderId).toBe(folderIds.Archive);
    await until(async () => (await serverSubjects('Archive')).includes('m4'), 5_000, 'm4 archived');
    // as if the server had no special-use Archive: the procedure asks the worker for one
    await db.folder.update({ where: { id: folderIds.Archive! }, data: { specialUse: null } });
    const b = await c.messages.archive({ accountId, messageIds: [await idOf('m5')] });
    expect(b.toFolderId).toBe(folderIds.Archive);
    await until(async () => (await serverSubjects('Archive')).includes('m5'), 5_000, 'm5 archived');
  });

  it('marks as junk and copies', async () => {
    const c = await me.caller();
    const j = await c.messages.junk({ accountId, messageIds: [await idOf('m6')] });
    expect(j.toFolderId).toBe(folderIds.Junk);
    await until(async () => (await serverSubjects('Junk')).includes('m6'), 5_000, 'm6 in Junk');
    const m7 = await idOf('m7');
    expect(await c.messages.copy({ accountId, messageIds: [m7], toFolderId: folderIds.Projects! })).toEqual({
      queued: 1
    });
    // the copy reaches the server and then, through a sync of the target, the database
    await until(async () => (await dbSubjects(folderIds.Projects!)).includes('m7'), 8_000, 'the copy of m7');
    expect(await serverSubjects('INBOX')).toContain('m7');
    expect((await db.message.findMany({ where: { accountId, subject: 'm7' } })).length).toBe(2);
  });

  it('undoes a move the server refuses and tells the user why', async () => {
    // a folder that exists here but was deleted on the server behind our back
    const c = await me.caller();
    const gone = await c.folders.create({ accountId, name: 'Vanishing' });
    const other = await imap();
    await other.mailboxDelete('Vanishing');
    await other.logout();
    const id = await idOf('m8');
    const before = events.length;
    await c.messages.move({ accountId, messageIds: [id], toFolderId: gone.id });
    expect((await db.message.findUniqueOrThrow({ where: { id } })).folderId).toBe(gone.id);
    const failed = await until(
      async () => events.slice(before).find((e) => e.type === 'ActionFailed'),
      10_000,
      'an ActionFailed event'
    );
    expect(failed).toMatchObject({ action: 'move', accountId });
    expect((failed as { message: string }).message).toMatch(/did not accept the move/);
    const row = await db.message.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ folderId: folderIds.INBOX, srcFolderId: null });
    expect(row.uid).toBeGreaterThan(0n);
    expect(await serverSubjects('INBOX')).toContain('m8');
  });

  it('creates, renames and deletes folders; the mail in a renamed folder keeps its ids', async () => {
    const c = await me.caller();
    const parent = await c.folders.create({ accountId, name: 'Clients' });
    const child = await c.folders.create({ accountId, name: 'Acme', parentId: parent.id });
    expect(child.path).toBe('Clients/Acme');
    await append('Clients/Acme', 'invoice');
    await c.messages.list({ accountId, folderId: child.id }); // opening it syncs it
    await until(async () => (await dbSubjects(child.id)).includes('invoice'), 5_000, 'invoice synced');
    const invoice = await idOf('invoice');
    const renamed = await c.folders.rename({ accountId, folderId: parent.id, name: 'Customers' });
    expect(renamed).toMatchObject({ id: parent.id, path: 'Customers', name: 'Customers' });
    const list = await c.folders.list({ accountId });
    expect(list.map((f) => f.path)).toEqual(expect.arrayContaining(['Customers', 'Customers/Acme']));
    expect(list.map((f) => f.path)).not.toContain('Clients');
    expect((await db.message.findUniqueOrThrow({ where: { id: invoice } })).folderId).toBe(child.id);
    const probe = await imap();
    const paths = (await probe.list()).map((f) => f.path);
    await probe.logout();
    expect(paths).toEqual(expect.arrayContaining(['Customers', 'Customers/Acme']));

    await c.folders.delete({ accountId, folderId: parent.id });
    expect((await c.folders.list({ accountId })).map((f) => f.path)).not.toContain('Customers/Acme');
    expect(await db.message.findUnique({ where: { id: invoice } })).toBeNull();

    expect(
      await errorOf(c.folders.rename({ accountId, folderId: folderIds.INBOX!, name: 'X' }))
    ).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/special folder/)
    });
    expect(await errorOf(c.folders.create({ accountId, name: 'a/b' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/cannot contain "\/"/)
    });
    expect(await errorOf(c.folders.create({ accountId, name: 'Projects' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/already exists/i)
    });
  });

  it('opening a folder other than INBOX brings in mail that arrived there', async () => {
    await append('Projects', 'late arrival');
    await (await me.caller()).messages.list({ accountId, folderId: folderIds.Projects! });
    await until(
      async () => (await dbSubjects(folderIds.Projects!)).includes('late arrival'),
      5_000,
      'synced'
    );
  });

  it('a sync while a flag change is on its way does not put the old flags back', async () => {
    const target = await db.message.findFirstOrThrow({
      where: { folderId: folderIds.INBOX, seen: false, deleting: false },
      orderBy: { uid: 'asc' }
    });
    const marker = await db.message.findFirstOrThrow({
      where: { folderId: folderIds.INBOX, flagged: false, id: { not: target.id } },
      orderBy: { uid: 'desc' }
    });
    // the user marks it read; its job has not reached the server yet (none is enqueued here)
    await flagsInDb(target.id, { add: ['\\Seen'], remove: [] });
    // meanwhile another client touches that message and another one: the INBOX syncs and the
    // server still says "unread" for the target
    const other = await imap();
    const lock = await other.getMailboxLock('INBOX');
    await other.messageFlagsAdd(String(target.uid), ['$Touched'], { uid: true });
    await other.messageFlagsAdd(String(marker.uid), ['\\Flagged'], { uid: true });
    lock.release();
    await other.logout();
    await until(
      async () => (await db.message.findUniqueOrThrow({ where: { id: marker.id } })).flagged,
      5_000,
      'the sync to mirror the other change'
    );
    const row = await db.message.findUniqueOrThrow({ where: { id: target.id } });
    expect(row.seen).toBe(true);
    expect(row.flags).toContain('\\Seen');
  });

  it('flag jobs that run out of order still leave the server as the user left it', async () => {
    const target = await db.message.findFirstOrThrow({
      where: { folderId: folderIds.INBOX, seen: false, deleting: false, srcFolderId: null },
      orderBy: { uid: 'desc' }
    });
    // read, then unread again at once; the job of the first change runs after the second
    // change (here: only that stale job runs; the second change's job has nothing left to do)
    await flagsInDb(target.id, { add: ['\\Seen'], remove: [] });
    await flagsInDb(target.id, { add: [], remove: ['\\Seen'] });
    await onlyFlagJob(target.id, { add: ['\\Seen'], remove: [] });
    await new Promise((r) => setTimeout(r, 300));
    expect(await serverFlags(target.uid)).not.toContain('\\Seen');
    expect((await db.message.findUniqueOrThrow({ where: { id: target.id } })).seen).toBe(false);
  });

  it("read, then starred, with the star's job first: the server gets both, and a sync keeps both", async () => {
    const target = await db.message.findFirstOrThrow({
      where: { folderId: folderIds.INBOX, seen: false, flagged: false, deleting: false, srcFolderId: null },
      orderBy: { uid: 'asc' }
    });
    // the user opens it (read) and stars it; only the star's job runs here (the read's comes
    // later, or was lost): it clears the pending mark, so it has to carry the read too
    await flagsInDb(target.id, { add: ['\\Seen'], remove: [] });
    await flagsInDb(target.id, { add: ['\\Flagged'], remove: [] });
    await onlyFlagJob(target.id, { add: ['\\Flagged'], remove: [] });
    expect(await serverFlags(target.uid)).toEqual(expect.arrayContaining(['\\Seen', '\\Flagged']));
    // a change elsewhere makes the INBOX sync: the row must keep what the user did
    const c = await imap();
    const lock = await c.getMailboxLock('INBOX');
    await c.messageFlagsAdd(String(target.uid), ['$Touched'], { uid: true });
    lock.release();
    await c.logout();
    await until(
      async () =>
        (await db.message.findUniqueOrThrow({ where: { id: target.id } })).keywords.includes('$Touched'),
      5_000,
      'the sync to mirror the other change'
    );
    const row = await db.message.findUniqueOrThrow({ where: { id: target.id } });
    expect(row).toMatchObject({ seen: true, flagged: true });
  });

  it('another tenant cannot move, copy, delete, archive or change folders of this account', async () => {
    const c = await stranger.caller();
    const id = (
      await db.message.findFirstOrThrow({
        where: { folderId: folderIds.INBOX, subject: 'm7' },
        select: { id: true }
      })
    ).id;
    const tries = [
      () => c.messages.move({ accountId, messageIds: [id], toFolderId: folderIds.Projects! }),
      () => c.messages.copy({ accountId, messageIds: [id], toFolderId: folderIds.Projects! }),
      () => c.messages.delete({ accountId, messageIds: [id] }),
      () => c.messages.archive({ accountId, messageIds: [id] }),
      () => c.messages.junk({ accountId, messageIds: [id] }),
      () => c.folders.create({ accountId, name: 'Mine now' }),
      () => c.folders.rename({ accountId, folderId: folderIds.Projects!, name: 'Mine' }),
      () => c.folders.delete({ accountId, folderId: folderIds.Projects! })
    ];
    for (const t of tries) {
      const err = await errorOf(t());
      expect(err).toBeInstanceOf(TRPCError);
      expect(err).toMatchObject({ code: 'NOT_FOUND' });
    }
    expect((await db.message.findUniqueOrThrow({ where: { id } })).folderId).toBe(folderIds.INBOX);
    expect(await db.folder.findUnique({ where: { id: folderIds.Projects! } })).not.toBeNull();
  });
});
