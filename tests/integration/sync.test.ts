// The sync worker against the real Dovecot and Postfix: a real worker process mirrors a
// mailbox into PostgreSQL, follows new mail through IDLE, mirrors changes made by another
// client, and lets go of a removed account.
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password';
import type { LiveEvent } from '../../src/lib/server/realtime/events';
import { client, makeServices } from '../helpers/context';
import { startWorker } from '../helpers/process';
import { imapClient, newMailbox } from '../helpers/mailbox';
import { mailServers } from '../helpers/servers';
import { until } from '../helpers/wait';

const mail = mailServers();
const prefix = `sync${randomUUID().slice(0, 6)}`;

const THREAD_ROOT = `root-${randomUUID()}@example.test`;

function raw(i: number, to: string) {
  const messageId = i === 5 ? THREAD_ROOT : `m${i}.${randomUUID()}@example.test`;
  const head = [
    `From: Sender ${i} <sender${i}@example.test>`,
    `To: ${to}`,
    `Subject: ${i === 31 ? 'Re: Message number 5' : `Message number ${i}`}`,
    `Message-ID: <${messageId}>`,
    ...(i === 31 ? [`In-Reply-To: <${THREAD_ROOT}>`, `References: <${THREAD_ROOT}>`] : []),
    `Date: ${new Date(Date.now() - (100 - i) * 60_000).toUTCString()}`,
    'MIME-Version: 1.0'
  ];
  if (i === 6)
    return [
      ...head,
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'See the attached plan.',
      '--b1',
      'Content-Type: application/pdf; name="plan.pdf"',
      'Content-Disposition: attachment; filename="plan.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 tiny').toString('base64'),
      '--b1--',
      ''
    ].join('\r\n');
  return [...head, 'Content-Type: text/plain; charset=utf-8', '', `Body of message ${i}.`, ''].join('\r\n');
}

describe('sync worker', () => {
  const services = makeServices({ QUEUE_PREFIX: prefix });
  const { db } = services;
  const box = newMailbox('sync');
  let worker: ReturnType<typeof startWorker>;
  let me: ReturnType<typeof client>;
  let accountId: string;

  beforeAll(async () => {
    // 30 messages in INBOX, some read and flagged, and 5 in Sent, before the account exists here
    const c = imapClient(box);
    await c.connect();
    for (let i = 1; i <= 30; i++)
      await c.append('INBOX', raw(i, box.email), i % 3 === 0 ? ['\\Seen'] : i % 7 === 0 ? ['\\Flagged'] : []);
    for (let i = 31; i <= 35; i++) await c.append('Sent', raw(i, 'someone@example.test'), ['\\Seen']);
    await c.logout();

    const tenant = await db.tenant.create({
      data: { slug: `sync-${randomUUID().slice(0, 8)}`, name: 'Sync' }
    });
    const user = await db.user.create({
      data: {
        tenantId: tenant.id,
        email: `owner-${randomUUID().slice(0, 6)}@example.test`,
        passwordHash: await hashPassword(box.password)
      }
    });
    me = client(services);
    await (await me.caller()).auth.login({ email: user.email, password: box.password });
    worker = startWorker({
      QUEUE_PREFIX: prefix,
      IMAP_RESYNC_SECONDS: '5',
      LOG_LEVEL: 'info',
      IMAP_SYNC_TENANTS: tenant.id
    });
    await worker.waitForLine((l) => l.includes('"worker ready"'));
  });

  afterAll(async () => {
    if (process.env.DEBUG_WORKER) console.log(worker.lines.join('\n'));
    await worker?.stop();
    await services.close();
  });

  it('mirrors an existing mailbox exactly once the account is added', async () => {
    const t0 = Date.now();
    const account = await (
      await me.caller()
    ).accounts.add({
      email: box.email,
      password: box.password,
      imap: { host: mail.host, port: mail.imapPort, tls: 'none' },
      smtp: { host: mail.host, port: mail.submissionPort, tls: 'none' }
    });
    accountId = account.id;
    const inbox = await until(
      async () => {
        const f = await db.folder.findFirst({ where: { accountId, specialUse: '\\Inbox' } });
        return f && (await db.message.count({ where: { folderId: f.id } })) === 30 ? f : null;
      },
      10_000,
      'INBOX in PostgreSQL'
    );
    console.log(`INBOX of 30 mirrored ${Date.now() - t0} ms after the account was added`);

    // compare with the server, message by message
    const c = imapClient(box);
    await c.connect();
    const lock = await c.getMailboxLock('INBOX');
    const server: { uid: number; subject: string; flags: string[] }[] = [];
    for await (const m of c.fetch('1:*', { uid: true, envelope: true, flags: true }))
      server.push({
        uid: m.uid,
        subject: m.envelope!.subject!,
        flags: [...m.flags!].filter((f) => f !== '\\Recent').sort()
      });
    lock.release();
    await c.logout();
    const local = await db.message.findMany({ where: { folderId: inbox.id }, orderBy: { uid: 'asc' } });
    expect(
      local.map((m) => ({ uid: Number(m.uid), subject: m.subject, flags: [...m.flags].sort() }))
    ).toEqual(server);
    expect(local.filter((m) => m.seen).length).toBe(10);
    expect(local[0]!.fromAddress).toEqual({ name: 'Sender 1', address: 'sender1@example.test' });
    const folder = await db.folder.findUniqueOrThrow({ where: { id: inbox.id } });
    expect(folder).toMatchObject({ total: 30, unread: 20 });
    expect(folder.uidValidity).not.toBeNull();

    const sent = await until(
      async () => {
        const f = await db.folder.findFirst({ where: { accountId, specialUse: '\\Sent' } });
        return f && (await db.message.count({ where: { folderId: f.id } })) === 5 ? f : null;
      },
      10_000,
      'Sent in PostgreSQL'
    );
    expect(sent.name).toBe('Sent');
    // threads across folders: the reply in Sent joins the conversation of its parent in INBOX
    const parent = await db.message.findFirstOrThrow({ where: { accountId, messageId: THREAD_ROOT } });
    const reply = await db.message.findFirstOrThrow({
      where: { accountId, folderId: sent.id, inReplyTo: THREAD_ROOT }
    });
    expect(parent.threadId).toBeTruthy();
    expect(reply.threadId).toBe(parent.threadId);
    const others = await db.message.findMany({ where: { folderId: inbox.id, NOT: { id: parent.id } } });
    expect(others.every((m) => m.threadId && m.threadId !== parent.threadId)).toBe(true);
    // the attachment of message 6 is listed
    const six = local.find((m) => m.subject === 'Message number 6')!;
    expect(six.hasAttachments).toBe(true);
    expect(
      await db.attachment.findMany({
        where: { messageId: six.id },
        select: { filename: true, contentType: true }
      })
    ).toEqual([{ filename: 'plan.pdf', contentType: 'application/pdf' }]);
    expect(local.filter((m) => m.hasAttachments).length).toBe(1);
    const acct = await db.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(acct.syncState).toBe('idle');
    expect(acct.lastError).toBeNull();
  });

  it('shows mail delivered through Postfix within 2 s, in the database and on the live stream', async () => {
    const inbox = await db.folder.findFirstOrThrow({ where: { accountId, specialUse: '\\Inbox' } });
    const stream = (await (await me.caller()).live.events()) as AsyncIterable<unknown>;
    const it = stream[Symbol.asyncIterator]();
    const subject = `Fresh ${randomUUID()}`;
    const got = (async () => {
      for (;;) {
        const next = await it.next();
        if (next.done) throw new Error('stream ended');
        const v = next.value as unknown[];
        const event = (Array.isArray(v) ? v[1] : v) as LiveEvent;
        if (event.type === 'MessageCreated' && event.folderId === inbox.id) return event;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const transport = nodemailer.createTransport({
      host: mail.host,
      port: mail.smtpPort,
      secure: false,
      ignoreTLS: true
    });
    await transport.sendMail({ from: 'far@example.test', to: box.email, subject, text: 'hello' });
    transport.close();
    const event = await Promise.race([
      got,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no MessageCreated within 5 s')), 5000))
    ]);
    const elapsed = Date.now() - t0;
    console.log(`SMTP accept -> MessageCreated event: ${elapsed} ms`);
    await it.return?.();
    const row = await db.message.findFirstOrThrow({ where: { id: event.messageIds[0] } });
    expect(row.subject).toBe(subject);
    expect(elapsed).toBeLessThan(2000);
  });

  it('mirrors a flag change and an expunge made by another client', async () => {
    const c = imapClient(box);
    await c.connect();
    const lock = await c.getMailboxLock('INBOX');
    await c.messageFlagsAdd({ uid: '1' }, ['\\Flagged', '$Important'], { uid: true });
    await c.messageDelete({ uid: '2' }, { uid: true });
    lock.release();
    await c.logout();
    const inbox = await db.folder.findFirstOrThrow({ where: { accountId, specialUse: '\\Inbox' } });
    await until(
      async () => {
        const one = await db.message.findFirst({ where: { folderId: inbox.id, uid: 1n } });
        const two = await db.message.findFirst({ where: { folderId: inbox.id, uid: 2n } });
        return one?.flagged && one.keywords.includes('$Important') && !two;
      },
      5_000,
      'flag and expunge mirrored'
    );
  });

  it('lets go of a removed account within seconds', async () => {
    await (await me.caller()).accounts.remove({ accountId });
    await until(
      async () => !(await services.redis.exists(`${prefix}:lease:account:${accountId}`)),
      5_000,
      'the lease to be released'
    );
    await until(
      async () => worker.records().some((r) => r.msg === 'account released' && r.accountId === accountId),
      2_000,
      'the worker to log the release'
    );
    expect(worker.lines.join('\n')).not.toContain(box.password);
  });
});
