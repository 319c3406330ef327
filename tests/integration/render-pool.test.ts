// Bodies are rendered on the worker's render threads, not on the thread that keeps IMAP, the
// jobs and the account leases going: while a multi-second render runs, the worker keeps its
// lease and new mail still reaches PostgreSQL at once; a render past RENDER_TIMEOUT_SECONDS is
// stopped and the message offered for download instead; and the prefetch of recent mail logs
// in once per batch. Real worker, Dovecot, Postfix, PostgreSQL and Redis.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password';
import { masterKeys } from '../../src/lib/server/crypto/keys';
import { RENDER_VERSION } from '../../src/lib/server/mail/render-store';
import { RENDER_NOTICE } from '../../src/lib/server/trpc/routers/messages/get';
import { client, makeServices, uniqueEmail } from '../helpers/context';
import { parseHtml } from '../helpers/mail-html';
import { startWorker } from '../helpers/process';
import { addAccountRow, newMailbox } from '../helpers/mailbox';
import { mailServers } from '../helpers/servers';
import { until } from '../helpers/wait';

const mail = mailServers();
const PASSWORD = 'correct horse battery staple';
const DOVECOT_LOG = `${process.env.SERVERS_DIR}/dovecot/dovecot.log`;

/**
 * About `chars` of HTML that takes the sanitiser seconds (2 MB: 5-20 s on a busy 2-core
 * machine): tables nested six deep, every cell styled, so every element has attributes to check
 * and CSS to parse.
 */
function heavyHtml(chars: number, marker: string): string {
  const cell = (depth: number): string =>
    depth === 0
      ? 'x'
      : `<table style="border:1px solid #ccc;padding:2px"><tr><td style="color:#333;font-size:12px">` +
        `${cell(depth - 1)}</td><td style="background:#eee">y</td></tr></table>`;
  const unit = cell(6);
  return `<html><body>${unit.repeat(Math.ceil(chars / unit.length))}<p id="end">${marker}</p></body></html>`;
}

describe('rendering on the render threads', () => {
  const services = makeServices({ QUEUE_PREFIX: `rp${randomUUID().slice(0, 6)}` });
  const { db } = services;
  const keys = masterKeys(services.env);
  const redis = new Redis(services.env.REDIS_URL);
  let worker: ReturnType<typeof startWorker> | undefined;
  const tenants: string[] = [];

  /** A tenant, its user (logged in), a Dovecot mailbox and the account on it; not yet synced. */
  async function setup() {
    const tenant = await db.tenant.create({ data: { slug: `rp-${randomUUID().slice(0, 8)}`, name: 'Rp' } });
    tenants.push(tenant.id);
    const userEmail = uniqueEmail('rp');
    const user = await db.user.create({
      data: { tenantId: tenant.id, email: userEmail, passwordHash: await hashPassword(PASSWORD) }
    });
    const reader = client(services);
    await (await reader.caller()).auth.login({ email: userEmail, password: PASSWORD });
    const { email, password } = newMailbox('rp');
    const accountId = await addAccountRow(
      db,
      keys,
      { tenantId: tenant.id, userId: user.id },
      { email, password }
    );
    const get = async (messageId: string) => (await reader.caller()).messages.get({ accountId, messageId });
    return { tenantId: tenant.id, email, password, accountId, get };
  }

  /** Delivered as any mail arrives: SMTP to Postfix, LMTP to Dovecot. */
  async function deliver(to: string, m: { subject: string; html: string; text?: string }) {
    const transport = nodemailer.createTransport({
      host: mail.host,
      port: mail.smtpPort,
      secure: false,
      ignoreTLS: true
    });
    try {
      await transport.sendMail({ from: 'sender@elsewhere.example', to, ...m });
    } finally {
      transport.close();
    }
  }

  /** A worker of its own (own queue prefix, so own lease keys) for the tenant's accounts. */
  function start(tenantId: string, env: Record<string, string> = {}) {
    const prefix = `rp${randomUUID().slice(0, 6)}`;
    worker = startWorker({ QUEUE_PREFIX: prefix, LOG_LEVEL: 'info', IMAP_SYNC_TENANTS: tenantId, ...env });
    return { w: worker, prefix };
  }

  const idle = (accountId: string) =>
    until(
      async () => (await db.mailAccount.findUnique({ where: { id: accountId } }))?.syncState === 'idle',
      20_000,
      'the account to be in sync'
    );
  const arrived = (accountId: string, subject: string) =>
    db.message.findFirst({ where: { accountId, subject }, select: { id: true } });
  const logged = (w: ReturnType<typeof startWorker>, msg: string, messageId: string) =>
    w.records().find((r) => r.msg === msg && r.messageId === messageId);

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  afterAll(async () => {
    await db.mailAccount.deleteMany({ where: { tenantId: { in: tenants } } });
    redis.disconnect();
    await services.close();
  });

  it('keeps the account lease and takes new mail at once while a big HTML mail renders', async () => {
    const box = await setup();
    const { w, prefix } = start(box.tenantId, { IMAP_LEASE_SECONDS: '3' });
    await w.waitForLine((l) => l.includes('"worker ready"'), 60_000);
    await idle(box.accountId);

    const bigSubject = `Heavy ${randomUUID().slice(0, 8)}`;
    await deliver(box.email, { subject: bigSubject, html: heavyHtml(2_000_000, 'The end') });
    const big = await until(() => arrived(box.accountId, bigSubject), 20_000, 'the big mail to sync');
    // the prefetch renders it
    await until(
      async () => logged(w, 'rendering a large HTML body', big.id),
      60_000,
      'the render of the big mail to start'
    );
    const renderStart = Date.now();

    // the lease, sampled every 200 ms over the whole render
    const key = `${prefix}:lease:account:${box.accountId}`; // see worker/supervisor/leases.ts
    const samples: { at: number; owner: string | null; pttl: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [[, owner], [, pttl]] = (await redis.multi().get(key).pttl(key).exec()) as [
          [null, string | null],
          [null, number]
        ];
        samples.push({ at: Date.now() - renderStart, owner, pttl });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    // new mail meanwhile: through Postfix and IDLE into PostgreSQL within 3 s
    const pingSubject = `Ping ${randomUUID().slice(0, 8)}`;
    const sent = Date.now();
    await deliver(box.email, { subject: pingSubject, html: '<p>ping</p>' });
    await until(() => arrived(box.accountId, pingSubject), 10_000, 'the new mail to sync', 50);
    const pingMs = Date.now() - sent;
    const pingAt = Date.now();

    await until(
      async () => logged(w, 'large HTML body rendered', big.id),
      120_000,
      'the render of the big mail to end'
    );
    const renderedAt = Date.now();
    sampling = false;
    await sampler;
    const renderMs = logged(w, 'large HTML body rendered', big.id)!.ms as number;
    const minPttl = Math.min(...samples.map((s) => s.pttl));
    console.log(
      `big mail (${(logged(w, 'large HTML body rendered', big.id)!.chars as number) / 1e6} M chars) ` +
        `rendered in ${renderMs} ms on the render thread; new mail in PostgreSQL after ${pingMs} ms; ` +
        `lease (3 s, renewed every 1 s) sampled ${samples.length} times, lowest TTL ${minPttl} ms`
    );

    // the render was long enough that a stalled main thread would have lost the lease (3 s),
    // and it was still running when the new mail arrived
    expect(renderMs).toBeGreaterThan(3_000);
    expect(pingAt).toBeLessThan(renderedAt);
    expect(pingMs).toBeLessThanOrEqual(3_000);
    const owner = samples[0]!.owner;
    expect(owner).toContain(`:${w.proc.pid}:`);
    expect(samples.length).toBeGreaterThan(10);
    for (const s of samples) {
      expect(s.owner, `owner at ${s.at} ms`).toBe(owner);
      // renewed every second: a heartbeat late by more than a second would show here
      expect(s.pttl, `lease TTL at ${s.at} ms`).toBeGreaterThan(1_000);
    }
    expect(
      w.records().filter((r) => r.msg === 'account released' || r.msg === 'lease renewal failed')
    ).toEqual([]);

    // the log line comes from the render thread's pool; the job stores the body right after it
    const row = await until(
      async () => {
        const r = await db.message.findUniqueOrThrow({ where: { id: big.id } });
        return r.renderVersion === RENDER_VERSION || r.renderError !== null ? r : null;
      },
      10_000,
      'the rendered body to be stored'
    );
    expect(row).toMatchObject({ renderVersion: RENDER_VERSION, renderError: null });
    const msg = await box.get(big.id);
    expect(parseHtml(msg.body.html!).getElementById('end')?.textContent).toBe('The end');
    expect(msg.body.notice).toBeUndefined();
  }, 180_000);

  it('stops a render past RENDER_TIMEOUT_SECONDS, offers the download, and goes on rendering', async () => {
    const box = await setup();
    const { w } = start(box.tenantId, { RENDER_TIMEOUT_SECONDS: '1' });
    await w.waitForLine((l) => l.includes('"worker ready"'), 60_000);
    await idle(box.accountId);

    const bigSubject = `Too heavy ${randomUUID().slice(0, 8)}`;
    await deliver(box.email, {
      subject: bigSubject,
      html: heavyHtml(2_000_000, 'never shown'),
      text: 'The short version, in plain text.'
    });
    const big = await until(() => arrived(box.accountId, bigSubject), 20_000, 'the big mail to sync');
    const row = await until(
      async () => {
        const r = await db.message.findUnique({ where: { id: big.id } });
        return r?.bodyFetchedAt ? r : null;
      },
      60_000,
      'the big mail to be fetched'
    );
    expect(row).toMatchObject({ htmlSafe: null, htmlSafeRemote: null, renderVersion: RENDER_VERSION });
    expect(row.renderError).toBe('rendering took longer than 1 s and was stopped');
    // stopped after about the timeout, not when it would have finished
    const failure = logged(w, 'message body could not be rendered', big.id)!;
    expect(failure.ms).toBeGreaterThanOrEqual(1_000);
    expect(failure.ms).toBeLessThan(3_000);

    const opened = await box.get(big.id);
    expect(opened.body).toMatchObject({ html: null, notice: RENDER_NOTICE });
    expect(opened.body.text).toContain('The short version, in plain text.');
    expect(opened).not.toHaveProperty('renderError');

    // the worker goes on: the next mail renders as usual, on the thread that replaced the stopped one
    const nextSubject = `Normal ${randomUUID().slice(0, 8)}`;
    await deliver(box.email, { subject: nextSubject, html: '<p id="hello" style="color:green">Hello</p>' });
    const next = await until(() => arrived(box.accountId, nextSubject), 20_000, 'the next mail to sync');
    // rendered by the worker's prefetch of new mail: this test's reader enqueues on a queue prefix
    // no worker serves (the worker has its own), so opening it before the prefetch stored the
    // body would wait for a job nobody runs (seen once: 30 s, then "not prepared in time")
    await until(
      async () => (await db.message.findUnique({ where: { id: next.id } }))?.bodyFetchedAt,
      30_000,
      'the next mail to be fetched and rendered'
    );
    const msg = await box.get(next.id);
    expect(parseHtml(msg.body.html!).getElementById('hello')?.textContent).toBe('Hello');
    expect(msg.body.notice).toBeUndefined();
    expect(w.proc.exitCode).toBeNull();
  }, 120_000);

  it('prefetches the recent mail of an account with one IMAP login per batch', async () => {
    const box = await setup();
    const N = 30;
    const c = new ImapFlow({
      host: mail.host,
      port: mail.imapPort,
      secure: false,
      auth: { user: box.email, pass: box.password },
      logger: false
    });
    c.on('error', () => {});
    await c.connect();
    for (let i = 0; i < N; i++)
      await c.append(
        'INBOX',
        `From: a@elsewhere.example\r\nTo: ${box.email}\r\nSubject: recent ${i}\r\n` +
          `Message-ID: <${randomUUID()}@x>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n` +
          `<p id="n">message ${i}</p>\r\n`
      );
    await c.logout();
    const logins = () =>
      readFileSync(DOVECOT_LOG, 'utf8')
        .split('\n')
        .filter((l) => l.includes('imap-login: Info: Login: ') && l.includes(`user=<${box.email}>`)).length;
    const before = logins();

    const { w } = start(box.tenantId);
    await w.waitForLine((l) => l.includes('"worker ready"'), 60_000);
    await until(
      async () =>
        (await db.message.count({ where: { accountId: box.accountId, bodyFetchedAt: { not: null } } })) === N,
      30_000,
      `all ${N} bodies to be stored`
    );
    const batch = await until(
      async () => w.records().find((r) => r.msg === 'bodies prefetched' && r.accountId === box.accountId),
      10_000,
      'the batch to report'
    );
    expect(batch).toMatchObject({ asked: N, fetched: N, stored: N, renderFailed: 0, deferred: 0 });
    const rows = await db.message.findMany({ where: { accountId: box.accountId } });
    expect(rows).toHaveLength(N);
    for (const r of rows) {
      expect(r.renderVersion).toBe(RENDER_VERSION);
      expect(r.htmlSafe).toContain(`message ${r.subject.split(' ')[1]}`);
    }
    // logins since the worker started: its sync connection, its IDLE connection, and one for
    // the whole batch (one per message before batching: N + 2)
    expect(logins() - before).toBe(3);
  }, 90_000);
});
