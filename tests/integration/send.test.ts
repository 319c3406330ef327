// Sending, end to end against the real Postfix (submission port, SASL), Dovecot, PostgreSQL,
// Redis and worker: the message arrives once in the recipient's INBOX and once in the
// sender's Sent; undo and scheduled send are held on the server; a refused recipient fails at
// once with the server's words; an SMTP outage is retried; and a worker SIGKILLed before the
// final dot, right after the server accepted, or after the result was recorded, never loses
// the message and never sends it twice.
//
// The account's SMTP server is reached through a TCP relay in this test, so "Postfix is down"
// is the relay refusing connections while the real Postfix keeps serving the other tests.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { TRPCError } from '@trpc/server';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password';
import { publishToUser, type LiveEvent } from '../../src/lib/server/realtime/events';
import { UNCERTAIN_REASON } from '../../worker/smtp/outbox-rows';
import { client, makeServices, uniqueEmail } from '../helpers/context';
import { freePort, startWorker, type Running } from '../helpers/process';
import { mailServers } from '../helpers/servers';
import { upload } from '../helpers/uploads';
import { errorOf, until } from '../helpers/wait';

const mail = mailServers();
const prefix = `snd${randomUUID().slice(0, 6)}`;
const PASSWORD = 'correct horse battery staple';
const LEASE = 3;
const appEnv = {
  QUEUE_PREFIX: prefix,
  ALLOW_SIGNUP: 'true',
  SEND_RETRY_SECONDS: '1',
  SEND_MAX_ATTEMPTS: '10',
  SEND_LEASE_SECONDS: String(LEASE)
};
const workerEnv = {
  QUEUE_PREFIX: prefix,
  SEND_RETRY_SECONDS: '1',
  SEND_LEASE_SECONDS: String(LEASE),
  // the account syncs too: a sent message shows up in its Sent folder in the app
  ENABLE_IMAP_SYNC: 'true',
  LOG_LEVEL: 'info'
};

/** A TCP relay in front of Postfix's submission port that can be switched off and on. */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: number
  ) {}
  async up(): Promise<void> {
    const server = createServer((inbound) => {
      const outbound = connect(this.target, mail.host);
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }
  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

describe('sending', () => {
  const services = makeServices(appEnv);
  const { db } = services;
  const sender = `snd-${randomUUID().slice(0, 8)}@${mail.domain}`;
  const recipient = `rcv-${randomUUID().slice(0, 8)}@${mail.domain}`;
  const boxPassword = `pw-${randomUUID()}`;
  let relay: Relay;
  let worker: Running;
  let me: ReturnType<typeof client>;
  let accountId: string;
  let tenantId: string;
  let login: string;

  const imap = (user: string) => {
    const c = new ImapFlow({
      host: mail.host,
      port: mail.imapPort,
      secure: false,
      auth: { user, pass: boxPassword },
      logger: false
    });
    c.on('error', () => {});
    return c;
  };
  /** The sources of the messages with this Message-ID in a folder of a mailbox. */
  const copies = async (user: string, folder: string, messageId: string): Promise<Buffer[]> => {
    const c = imap(user);
    await c.connect();
    try {
      const lock = await c.getMailboxLock(folder);
      try {
        const uids = await c.search({ header: { 'message-id': messageId } }, { uid: true });
        if (!uids || !uids.length) return [];
        const out: Buffer[] = [];
        for await (const m of c.fetch(uids.join(','), { source: true }, { uid: true })) out.push(m.source!);
        return out;
      } finally {
        lock.release();
      }
    } finally {
      await c.logout().catch(() => c.close());
    }
  };
  /** Waits for the message in the recipient's INBOX, then a little longer, and returns every copy. */
  const delivered = async (messageId: string, user = recipient, settleMs = 1500) => {
    await until(
      async () => (await copies(user, 'INBOX', messageId)).length > 0,
      15_000,
      `${messageId} delivered`
    );
    await new Promise((r) => setTimeout(r, settleMs)); // a second copy would arrive by now
    return copies(user, 'INBOX', messageId);
  };
  const row = (id: string) => db.outboxMessage.findUniqueOrThrow({ where: { id } });
  const stateOf = async (id: string, state: string, ms = 15_000) =>
    until(async () => ((await row(id)).state === state ? row(id) : null), ms, `outbox row ${state}`);
  const send = async (fields: Record<string, unknown> = {}) =>
    (await me.caller()).compose.send({
      accountId,
      to: [recipient],
      subject: `test ${randomUUID().slice(0, 8)}`,
      text: 'Hello from the send test.',
      undoSeconds: 0,
      ...fields
    });
  const startTestWorker = async (extra: Record<string, string> = {}) => {
    // limited to this file's organisation: its outbox sweeper leaves other rows alone
    const w = startWorker({ ...workerEnv, IMAP_SYNC_TENANTS: tenantId, ...extra });
    await w.waitForLine((l) => l.includes('"worker ready"'), 30_000);
    return w;
  };

  beforeAll(async () => {
    for (const u of [sender, recipient])
      execFileSync('bash', ['scripts/servers.sh', 'add-user', process.env.SERVERS_DIR!, u, boxPassword]);
    relay = new Relay(await freePort(), mail.submissionPort);
    await relay.up();
    const tenant = await db.tenant.create({
      data: { slug: `snd-${randomUUID().slice(0, 8)}`, name: 'Send' }
    });
    tenantId = tenant.id;
    login = uniqueEmail('sender');
    await db.user.create({
      data: {
        tenantId,
        email: login,
        displayName: 'Sally Sender',
        passwordHash: await hashPassword(PASSWORD)
      }
    });
    me = client(services);
    await (await me.caller()).auth.login({ email: login, password: PASSWORD });
    const acct = await (
      await me.caller()
    ).accounts.add({
      email: sender,
      password: boxPassword,
      imap: { host: mail.host, port: mail.imapPort, tls: 'none' },
      smtp: { host: mail.host, port: relay.port, tls: 'none' }
    });
    accountId = acct.id;
    worker = await startTestWorker();
  });

  afterAll(async () => {
    if (process.env.DEBUG_WORKER) console.log(worker?.lines.join('\n'));
    await worker?.stop();
    await relay?.down();
    await services.close();
  });

  it('sends: once in the recipient INBOX, once in Sent, attachment byte-identical, status live', async () => {
    const stream = (await (await me.caller()).live.events()) as AsyncIterable<unknown>;
    const it = stream[Symbol.asyncIterator]();
    const events: LiveEvent[] = [];
    let ended = false;
    void (async () => {
      for (;;) {
        const n = await it.next();
        if (n.done) break;
        events.push((Array.isArray(n.value) ? n.value[1] : n.value) as LiveEvent);
      }
      ended = true;
    })();
    // the subscription is live once it delivers an event published now
    const userId = (await db.user.findFirstOrThrow({ where: { email: login } })).id;
    await publishToUser(services.redis, userId, { type: 'Resync' }, prefix);
    await until(async () => events.length > 0 || ended, 5_000, 'the live subscription');
    const file = randomBytes(60_000);
    const res = await send({
      subject: 'Quarterly numbers — Grüße',
      text: 'Numbers attached.',
      html: '<p>Numbers <b>attached</b>.</p>',
      cc: [{ name: 'Carol', address: `carol@${mail.domain}` }],
      bcc: [`dave@${mail.domain}`],
      inReplyTo: '<orig-1@example.test>',
      references: ['<root-1@example.test>', '<orig-1@example.test>'],
      attachments: [{ uploadId: await upload(services, me, file, 'numbers.bin') }]
    });
    expect(res.messageId).toMatch(new RegExp(`^<[0-9a-f-]{36}@${mail.domain.replace('.', '\\.')}>$`));
    const got = await delivered(res.messageId);
    expect(got).toHaveLength(1);
    const parsed = await simpleParser(got[0]!);
    expect(parsed.subject).toBe('Quarterly numbers — Grüße');
    expect(parsed.from?.value[0]).toEqual({ name: 'Sally Sender', address: sender });
    expect(parsed.inReplyTo).toBe('<orig-1@example.test>');
    expect(parsed.references).toEqual(['<root-1@example.test>', '<orig-1@example.test>']);
    expect(parsed.bcc).toBeUndefined(); // recipients never see the Bcc
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]!.filename).toBe('numbers.bin');
    expect(Buffer.compare(parsed.attachments[0]!.content, file)).toBe(0);
    const done = await stateOf(res.outboxId, 'sent');
    expect(done.attempts).toBe(1);
    expect(done.smtpResponse).toMatch(/^250 /);
    // the Sent copy: once, with the Bcc the sender chose
    await until(async () => (await row(res.outboxId)).appendedAt, 10_000, 'the Sent copy');
    const sentCopies = await copies(sender, 'Sent', res.messageId);
    expect(sentCopies).toHaveLength(1);
    expect(sentCopies[0]!.toString()).toMatch(
      new RegExp(`^Bcc: dave@${mail.domain.replace('.', '\\.')}\\r$`, 'm')
    );
    // and it reaches the sender's Sent folder in the app without waiting for a periodic resync
    const inSent = await until(
      () =>
        db.message.findFirst({
          where: {
            accountId,
            messageId: res.messageId.replace(/^<|>$/g, ''),
            folder: { specialUse: '\\Sent' }
          }
        }),
      5_000,
      'the Sent copy in the database'
    );
    expect(inSent.subject).toBe('Quarterly numbers — Grüße');
    // a second append job finds it there and does not add another
    await db.outboxMessage.update({ where: { id: res.outboxId }, data: { appendedAt: null } });
    await services.producer.queue('send').add('send.appendSent', { outboxId: res.outboxId });
    await until(async () => (await row(res.outboxId)).appendedAt, 10_000, 'the second append job');
    expect(await copies(sender, 'Sent', res.messageId)).toHaveLength(1);
    const states = () =>
      events.flatMap((e) => (e.type === 'SendStatusChanged' && e.outboxId === res.outboxId ? [e.state] : []));
    await until(async () => states().includes('sent'), 5_000, 'the sent event');
    // return() waits for the pending next(): one more event lets the subscription end
    const closed = it.return?.();
    await publishToUser(services.redis, userId, { type: 'Resync' }, prefix);
    await closed;
    expect(states()).toEqual(['queued', 'sending', 'sent']);
    const list = await (await me.caller()).compose.list({ state: 'sent' });
    expect(list.find((m) => m.id === res.outboxId)).toMatchObject({ subject: 'Quarterly numbers — Grüße' });
  });

  it('undo within the delay: never delivered, and the draft comes back', async () => {
    const res = await send({
      undoSeconds: 2,
      subject: 'Oops, undo',
      bcc: [{ name: 'B', address: `dave@${mail.domain}` }]
    });
    const undone = await (await me.caller()).compose.cancel({ outboxId: res.outboxId });
    expect(undone.draft).toMatchObject({
      subject: 'Oops, undo',
      to: [{ name: null, address: recipient }],
      bcc: [{ name: 'B', address: `dave@${mail.domain}` }],
      text: 'Hello from the send test.'
    });
    // a double click on Undo is fine
    await (await me.caller()).compose.cancel({ outboxId: res.outboxId });
    await new Promise((r) => setTimeout(r, 3500));
    expect(await copies(recipient, 'INBOX', res.messageId)).toHaveLength(0);
    expect((await row(res.outboxId)).state).toBe('cancelled');
    expect((await row(res.outboxId)).attempts).toBe(0);
  });

  it('a scheduled message goes out at its time, after a worker restart in between', async () => {
    const at = new Date(Date.now() + 2500);
    const res = await send({ sendAt: at, subject: 'Scheduled' });
    expect(res.scheduled).toBe(true);
    const listed = await (await me.caller()).compose.list({ state: 'scheduled' });
    expect(listed.map((m) => m.id)).toContain(res.outboxId);
    await worker.stop(); // graceful stop; the delayed job waits in Redis
    await new Promise((r) => setTimeout(r, 3000));
    expect(await copies(recipient, 'INBOX', res.messageId)).toHaveLength(0);
    worker = await startTestWorker();
    const got = await delivered(res.messageId);
    expect(got).toHaveLength(1);
    const done = await stateOf(res.outboxId, 'sent');
    expect(done.sentAt!.getTime()).toBeGreaterThanOrEqual(at.getTime());
    const parsed = await simpleParser(got[0]!);
    expect(Math.abs(parsed.date!.getTime() - at.getTime())).toBeLessThan(1000); // dated when it went out
  }, 60_000);

  it('a recipient the server refuses fails at once, named, and nobody gets it', async () => {
    const refused = `nobody@refused.${mail.domain}`;
    const res = await send({ to: [recipient, refused], subject: 'Has a bad address' });
    const failed = await stateOf(res.outboxId, 'failed', 10_000);
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toContain(refused);
    expect(failed.lastError).toMatch(/550 5\.1\.1/);
    // all or nothing: the good recipient did not get it either
    await new Promise((r) => setTimeout(r, 1000));
    expect(await copies(recipient, 'INBOX', res.messageId)).toHaveLength(0);
    const inList = (await (await me.caller()).compose.list({ state: 'failed' })).find(
      (m) => m.id === res.outboxId
    );
    expect(inList?.lastError).toContain(refused);
    // Edit: the failed message is replaced by a corrected one, in one step
    const edited = await (
      await me.caller()
    ).compose.edit({
      accountId,
      outboxId: res.outboxId,
      to: [recipient],
      subject: 'Fixed address',
      undoSeconds: 0
    });
    expect(await delivered(edited.messageId)).toHaveLength(1);
    expect((await row(res.outboxId)).state).toBe('cancelled');
    // Retry of a failed message (it fails again, for the same reason)
    const again = await send({ to: [refused], subject: 'Still bad' });
    await stateOf(again.outboxId, 'failed', 10_000);
    await (await me.caller()).compose.retry({ outboxId: again.outboxId });
    await until(async () => (await row(again.outboxId)).attempts === 2, 10_000, 'the retry');
    expect((await stateOf(again.outboxId, 'failed', 10_000)).lastError).toContain(refused);
    const e = await errorOf((await me.caller()).compose.retry({ outboxId: edited.outboxId }));
    expect(e.code).toBe('CONFLICT');
  });

  it('SMTP down, then up: retried with backoff and delivered once', async () => {
    await relay.down();
    let res: Awaited<ReturnType<typeof send>>;
    try {
      res = await send({ subject: 'Through an outage' });
      const id = res.outboxId;
      const waiting = await until(
        async () => {
          const r = await row(id);
          return r.attempts >= 2 && r.state === 'queued' ? r : null;
        },
        15_000,
        'two failed attempts'
      );
      expect(waiting.lastError).toMatch(/could not be reached.*Trying again in about/);
      expect(await copies(recipient, 'INBOX', res.messageId)).toHaveLength(0);
    } finally {
      await relay.up();
    }
    expect(await delivered(res.messageId)).toHaveLength(1);
    expect((await stateOf(res.outboxId, 'sent')).lastError).toBeNull();
  });

  const killAt = async (point: string) => {
    await worker.stop();
    const paused = await startTestWorker({ SEND_TEST_PAUSE: point });
    try {
      const res = await send({ subject: `Killed at ${point}` });
      await paused.waitForLine((l) => l.includes('"send test pause"') && l.includes(res.outboxId), 15_000);
      return res;
    } finally {
      paused.proc.kill('SIGKILL');
      await paused.exited;
      worker = await startTestWorker();
    }
  };

  it('worker SIGKILLed right before the final dot: sent again, delivered exactly once', async () => {
    const res = await killAt('before-dot');
    const got = await delivered(res.messageId, recipient, 2500);
    expect(got).toHaveLength(1);
    const done = await stateOf(res.outboxId, 'sent');
    expect(done.attempts).toBe(2);
  }, 60_000);

  it('worker SIGKILLed after its last lease check, with all but the final dot written: sent again, delivered exactly once', async () => {
    const res = await killAt('at-dot');
    // the server cannot have taken a message without its end: nothing was committed
    expect((await row(res.outboxId)).committingAt).toBeNull();
    const got = await delivered(res.messageId, recipient, 2500);
    expect(got).toHaveLength(1);
    const done = await stateOf(res.outboxId, 'sent');
    expect(done.attempts).toBe(2);
    expect(done.lastError).toBeNull();
  }, 60_000);

  it('worker SIGKILLed right after the server accepted: delivered exactly once, never resent', async () => {
    const res = await killAt('after-accept');
    // the server has it: the recipient gets it, once
    expect(await delivered(res.messageId)).toHaveLength(1);
    // we could not record the answer: the user is told it may have gone out, nothing is resent
    const failed = await stateOf(res.outboxId, 'failed', 15_000);
    expect(failed.lastError).toBe(UNCERTAIN_REASON);
    expect(failed.attempts).toBe(1);
    await new Promise((r) => setTimeout(r, (LEASE + 1) * 1000));
    expect(await copies(recipient, 'INBOX', res.messageId)).toHaveLength(1);
  }, 60_000);

  it('worker SIGKILLed after recording the send: delivered once, and the Sent copy still made', async () => {
    const res = await killAt('after-sent');
    expect(await delivered(res.messageId, recipient, 2500)).toHaveLength(1);
    expect((await row(res.outboxId)).state).toBe('sent');
    await until(async () => (await row(res.outboxId)).appendedAt, 20_000, 'the Sent copy after the crash');
    expect(await copies(sender, 'Sent', res.messageId)).toHaveLength(1);
  }, 60_000);

  it('refuses bad input and oversize messages with a message the user can act on', async () => {
    const c = await me.caller();
    const bad = await errorOf(c.compose.send({ accountId, to: ['bob@'], text: 'x' }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toContain('is not a valid email address (the part after @ is missing)');
    const none = await errorOf(c.compose.send({ accountId, to: [], text: 'x' }));
    expect(none.message).toBe('Add at least one recipient (To, Cc or Bcc).');
    const past = await errorOf(
      c.compose.send({ accountId, to: [recipient], sendAt: new Date(Date.now() - 3_600_000) })
    );
    expect(past.message).toMatch(/in the past/);
    const alias = await errorOf(c.compose.send({ accountId, to: [recipient], from: `ceo@${mail.domain}` }));
    expect(alias.message).toMatch(/is not an address of this account/);

    const small = makeServices({ ...appEnv, MAX_MESSAGE_BYTES: '4096' });
    try {
      const s = client(small);
      await (await s.caller()).auth.login({ email: login, password: PASSWORD });
      const big = await errorOf(
        (await s.caller()).compose.send({
          accountId,
          to: [recipient],
          // uploaded where the limit is the default; sent where a message may be 4 KB
          attachments: [{ uploadId: await upload(services, me, randomBytes(6000), 'big.bin') }]
        })
      );
      expect(big.code).toBe('BAD_REQUEST');
      expect(big.message).toMatch(/This message is [\d.]+ KB .*the most you can send is 4 KB/);
    } finally {
      await small.close();
    }
  });

  it('limits sends per user and hour, with when to try again; undo gives the send back', async () => {
    const limited = makeServices({ ...appEnv, SEND_RATE_PER_HOUR: '2' });
    try {
      const limitedLogin = uniqueEmail('limited');
      await db.user.create({
        data: { tenantId, email: limitedLogin, passwordHash: await hashPassword(PASSWORD) }
      });
      const u = client(limited);
      await (await u.caller()).auth.login({ email: limitedLogin, password: PASSWORD });
      const acct = await (
        await u.caller()
      ).accounts.add({
        email: sender,
        password: boxPassword,
        imap: { host: mail.host, port: mail.imapPort, tls: 'none' },
        smtp: { host: mail.host, port: relay.port, tls: 'none' }
      });
      const later = {
        accountId: acct.id,
        to: [recipient],
        text: 'x',
        sendAt: new Date(Date.now() + 3_600_000)
      };
      const c = await u.caller();
      const first = await c.compose.send(later);
      await c.compose.send(later);
      const e = await errorOf(c.compose.send(later));
      expect(e.code).toBe('TOO_MANY_REQUESTS');
      expect(e.message).toMatch(/You have sent 2 messages in the last hour.*You can send again in \d+ min/);
      await c.compose.cancel({ outboxId: first.outboxId });
      const third = await c.compose.send(later);
      for (const m of await c.compose.list()) await c.compose.cancel({ outboxId: m.id });
      expect((await row(third.outboxId)).state).toBe('cancelled');
    } finally {
      await limited.close();
    }
  });

  it('keeps another tenant and another user of the same tenant out of the outbox', async () => {
    const res = await send({ sendAt: new Date(Date.now() + 3_600_000), subject: 'Private' });
    const stranger = client(services);
    await (await stranger.caller()).auth.signup({ email: uniqueEmail('stranger'), password: PASSWORD });
    const colleagueLogin = uniqueEmail('colleague');
    await db.user.create({
      data: { tenantId, email: colleagueLogin, passwordHash: await hashPassword(PASSWORD) }
    });
    const colleague = client(services);
    await (await colleague.caller()).auth.login({ email: colleagueLogin, password: PASSWORD });
    for (const other of [stranger, colleague]) {
      const c = await other.caller();
      for (const call of [
        () => c.compose.cancel({ outboxId: res.outboxId }),
        () => c.compose.cancel({ outboxId: res.outboxId, accountId }),
        () => c.compose.retry({ outboxId: res.outboxId }),
        () => c.compose.edit({ accountId, outboxId: res.outboxId, to: [recipient] }),
        () => c.compose.send({ accountId, to: [recipient] })
      ]) {
        const e = await errorOf(call());
        expect(e).toBeInstanceOf(TRPCError);
        expect(e.code).toBe('NOT_FOUND');
      }
      expect((await c.compose.list()).map((m) => m.id)).not.toContain(res.outboxId);
      expect(await c.compose.list({ state: 'scheduled' })).toEqual([]);
    }
    expect((await row(res.outboxId)).state).toBe('queued');
    await (await me.caller()).compose.cancel({ outboxId: res.outboxId });
  });
});
