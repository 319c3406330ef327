// Reading hostile mail end to end: the fixtures are delivered through Postfix into a Dovecot
// mailbox, synced and fetched by the real worker, and opened with messages.get. What comes back
// is parsed again and inspected: nothing runs, nothing remote loads until the user asks for it
// once (remoteContent) or for good (trustSender), and only for the user who asked.
// Bodies are rendered by the worker when it fetches them; opening one is a read of the stored
// render with the reader's inline-image URLs swapped in, and an outdated render is redone by
// the worker, never by the app.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPartUrl } from '../../src/lib/server/attachments/signed-url';
import { placeholderOrigin, RENDER_VERSION } from '../../src/lib/server/mail/render-store';
import { hashPassword } from '../../src/lib/server/auth/password';
import { client, makeServices, uniqueEmail } from '../helpers/context';
import { htmlDangers, parseHtml } from '../helpers/mail-html';
import { startWorker } from '../helpers/process';
import { mailServers } from '../helpers/servers';
import { errorOf, until } from '../helpers/wait';

const mail = mailServers();
const prefix = `rnd${randomUUID().slice(0, 6)}`;
const PASSWORD = 'correct horse battery staple';
const FIXTURES = new URL('../fixtures/mail/', import.meta.url);
const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.eml'));
const NEWSLETTER_FROM = 'hello@news.garden.example';

describe('rendering mail bodies', () => {
  const services = makeServices({ QUEUE_PREFIX: prefix, ALLOW_SIGNUP: 'true' });
  const { db, env } = services;
  const email = `rnd-${randomUUID().slice(0, 8)}@${mail.domain}`;
  const boxPassword = `pw-${randomUUID()}`;
  let worker: ReturnType<typeof startWorker>;
  let me: ReturnType<typeof client>;
  let colleague: ReturnType<typeof client>; // same tenant, another user
  let accountId: string;
  let colleagueAccountId: string;
  let userId: string;
  /** subject -> message id, in the reader's account */
  const bySubject = new Map<string, string>();

  const subjectOf = (file: string) =>
    /^Subject: (.*)$/m.exec(readFileSync(new URL(file, FIXTURES), 'utf8'))![1]!.trim();
  const get = async (c: ReturnType<typeof client>, messageId: string, remoteContent?: boolean) =>
    (await c.caller()).messages.get({ accountId, messageId, remoteContent });

  async function addAccount(c: ReturnType<typeof client>) {
    const acct = await (
      await c.caller()
    ).accounts.add({
      email,
      password: boxPassword,
      imap: { host: mail.host, port: mail.imapPort, tls: 'none' },
      smtp: { host: mail.host, port: mail.submissionPort, tls: 'none' }
    });
    await until(
      async () => {
        const f = await db.folder.findFirst({ where: { accountId: acct.id, specialUse: '\\Inbox' } });
        return f && (await db.message.count({ where: { folderId: f.id } })) === files.length;
      },
      15_000,
      'the INBOX to sync every fixture'
    );
    return acct.id;
  }

  beforeAll(async () => {
    execFileSync('bash', ['scripts/servers.sh', 'add-user', process.env.SERVERS_DIR!, email, boxPassword]);
    // delivered as any sender's mail arrives: SMTP to Postfix, LMTP to Dovecot
    const transport = nodemailer.createTransport({
      host: mail.host,
      port: mail.smtpPort,
      secure: false,
      ignoreTLS: true
    });
    for (const file of files)
      await transport.sendMail({
        envelope: { from: 'sender@hostile.example', to: [email] },
        raw: readFileSync(new URL(file, FIXTURES))
      });
    transport.close();

    const tenant = await db.tenant.create({ data: { slug: `rnd-${randomUUID().slice(0, 8)}`, name: 'Rnd' } });
    const readerEmail = uniqueEmail('reader');
    const colleagueEmail = uniqueEmail('colleague');
    const passwordHash = await hashPassword(PASSWORD);
    userId = (await db.user.create({ data: { tenantId: tenant.id, email: readerEmail, passwordHash } })).id;
    await db.user.create({ data: { tenantId: tenant.id, email: colleagueEmail, passwordHash } });
    worker = startWorker({ QUEUE_PREFIX: prefix, LOG_LEVEL: 'info', IMAP_SYNC_TENANTS: tenant.id });
    await worker.waitForLine((l) => l.includes('"worker ready"'));
    me = client(services);
    await (await me.caller()).auth.login({ email: readerEmail, password: PASSWORD });
    colleague = client(services);
    await (await colleague.caller()).auth.login({ email: colleagueEmail, password: PASSWORD });
    accountId = await addAccount(me);
    colleagueAccountId = await addAccount(colleague);
    for (const m of await db.message.findMany({ where: { accountId }, select: { id: true, subject: true } }))
      bySubject.set(m.subject, m.id);
  });

  afterAll(async () => {
    await worker?.stop();
    await services.close();
  });

  it('opens every hostile fixture with nothing that runs or loads, through the worker', async () => {
    const hostile = files.filter((f) => f.startsWith('hostile-'));
    expect(hostile.length).toBeGreaterThanOrEqual(8);
    // forget a prefetched body so at least one open goes through the worker's fetch job
    const first = bySubject.get(subjectOf(hostile[0]!))!;
    await db.message.update({
      where: { id: first },
      data: {
        bodyFetchedAt: null,
        htmlBody: null,
        textBody: null,
        htmlSafe: null,
        htmlSafeRemote: null,
        textSafe: null,
        renderVersion: 0,
        renderNonce: null
      }
    });
    for (const file of hostile) {
      const id = bySubject.get(subjectOf(file));
      expect(id, file).toBeDefined();
      const msg = await get(me, id!);
      expect(msg, file).not.toHaveProperty('htmlBody');
      expect(msg, file).not.toHaveProperty('textBody');
      expect(msg.body.html, file).not.toBeNull();
      expect(htmlDangers(msg.body.html!, { origin: env.ORIGIN }), file).toEqual([]);
      expect(msg.body.senderTrusted).toBe(false);
      // asking for remote content once lets http(s) images in, and still nothing that runs
      const shown = await get(me, id!, true);
      expect(htmlDangers(shown.body.html!, { origin: env.ORIGIN, allowRemote: true }), file).toEqual([]);
      expect(shown.body.remoteContentBlocked).toBe(false);
    }
    // the worker's fetch stored the render with the body
    const fetched = await db.message.findUniqueOrThrow({ where: { id: first } });
    expect(fetched.renderVersion).toBe(RENDER_VERSION);
    expect(fetched.htmlSafe).toMatch(/^<!doctype html>/);
    const pixel = await get(me, bySubject.get('We saw you open this')!);
    expect(pixel.body.remoteContentBlocked).toBe(true);
    const doc = parseHtml(pixel.body.html!);
    expect(doc.getElementById('keep')?.textContent).toBe('Big sale!');
    expect(doc.getElementById('pixel')?.hasAttribute('src')).toBe(false);
  });

  it('renders the newsletter: layout kept, remote images blocked, the inline logo signed for this user', async () => {
    const id = bySubject.get(subjectOf('newsletter.eml'))!;
    const msg = await get(me, id);
    expect(msg.body).toMatchObject({ remoteContentBlocked: true, senderTrusted: false });
    const doc = parseHtml(msg.body.html!);
    expect(doc.querySelectorAll('table')).toHaveLength(2);
    expect(doc.getElementById('hero')?.hasAttribute('src')).toBe(false);
    expect(doc.getElementById('readmore')?.getAttribute('target')).toBe('_blank');
    const logo = new URL(doc.getElementById('logo')!.getAttribute('src')!);
    expect(logo.origin).toBe(env.ORIGIN);
    const [, , , messageId, , attachmentId] = logo.pathname.split('/');
    expect(messageId).toBe(id);
    const att = msg.attachments.find((a) => a.id === attachmentId);
    expect(att?.contentId).toBe('logo@garden.example');
    const check = (user: string) =>
      verifyPartUrl(env.ENCRYPTION_KEY, {
        userId: user,
        messageId: id,
        attachmentId: attachmentId!,
        exp: logo.searchParams.get('exp'),
        sig: logo.searchParams.get('sig')
      });
    expect(check(userId)).toBe('ok');
    expect(check(randomUUID())).toBe('invalid');
    // the plain-text part, rendered safe, for the plain-text view
    const text = parseHtml(`<body>${msg.body.text}</body>`).body;
    expect(text.querySelector('a[href="https://news.garden.example/tomatoes"]')).not.toBeNull();
    expect(text.querySelector('.mail-signature')?.textContent).toContain('Unsubscribe');
  });

  it('shows remote images for a trusted sender, for this user only, until untrusted', async () => {
    const id = bySubject.get(subjectOf('newsletter.eml'))!;
    const c = await me.caller();
    expect(await c.messages.trustSender({ accountId, address: 'Hello@News.Garden.Example' })).toEqual({
      address: NEWSLETTER_FROM,
      trusted: true
    });
    await c.messages.trustSender({ accountId, address: NEWSLETTER_FROM }); // twice is fine
    const trusted = await get(me, id);
    expect(trusted.body).toMatchObject({ remoteContentBlocked: false, senderTrusted: true });
    expect(parseHtml(trusted.body.html!).getElementById('hero')?.getAttribute('src')).toBe(
      'https://cdn.garden.example/tomatoes.jpg'
    );
    expect(await db.trustedSender.count({ where: { userId, address: NEWSLETTER_FROM } })).toBe(1);
    expect(await db.auditLog.count({ where: { userId, action: 'sender.trust' } })).toBe(2);

    // the colleague reads the same mailbox through an account of their own: not trusted there
    const theirs = await db.message.findFirstOrThrow({
      where: { accountId: colleagueAccountId, subject: trusted.subject }
    });
    const seen = await (
      await colleague.caller()
    ).messages.get({ accountId: colleagueAccountId, messageId: theirs.id });
    expect(seen.body).toMatchObject({ remoteContentBlocked: true, senderTrusted: false });

    await c.messages.untrustSender({ accountId, address: NEWSLETTER_FROM });
    const again = await get(me, id);
    expect(again.body).toMatchObject({ remoteContentBlocked: true, senderTrusted: false });
    expect(parseHtml(again.body.html!).getElementById('hero')?.hasAttribute('src')).toBe(false);
  });

  it('refuses an address that is not one, with a message', async () => {
    const e = await errorOf(
      (await me.caller()).messages.trustSender({ accountId, address: 'not an address' })
    );
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toMatch(/address/i);
  });

  it('keeps another user of the tenant and another tenant out', async () => {
    const id = bySubject.get(subjectOf('newsletter.eml'))!;
    const stranger = client(services);
    await (await stranger.caller()).auth.signup({ email: uniqueEmail('stranger'), password: PASSWORD });
    for (const outsider of [colleague, stranger]) {
      const c = await outsider.caller();
      const errors = [
        await errorOf(c.messages.get({ accountId, messageId: id })),
        await errorOf(c.messages.get({ accountId, messageId: id, remoteContent: true })),
        await errorOf(c.messages.trustSender({ accountId, address: NEWSLETTER_FROM })),
        await errorOf(c.messages.untrustSender({ accountId, address: NEWSLETTER_FROM }))
      ];
      for (const e of errors) expect(e.code).toBe('NOT_FOUND');
    }
    // and the colleague cannot reach this account's message through their own account either
    const viaOwn = await errorOf(
      (await colleague.caller()).messages.get({ accountId: colleagueAccountId, messageId: id })
    );
    expect(viaOwn.code).toBe('NOT_FOUND');
    expect(await db.trustedSender.count({ where: { address: NEWSLETTER_FROM } })).toBe(0);
  });

  /** The worker's log records with this message text about this message. */
  const workerLogs = (msg: string, messageId: string) =>
    worker.records().filter((r) => r.msg === msg && r.messageId === messageId);

  it('stores the render when the body is fetched, and serves it as stored: no sanitising on open', async () => {
    const id = bySubject.get(subjectOf('newsletter.eml'))!;
    await get(me, id);
    const row = await db.message.findUniqueOrThrow({ where: { id }, include: { attachments: true } });
    expect(row).toMatchObject({ renderVersion: RENDER_VERSION, remoteContent: true });
    expect(row.renderNonce).toMatch(/^[0-9a-f]{32}$/);
    const logo = row.attachments.find((a) => a.contentId === 'logo@garden.example')!;
    const placeholder = `${placeholderOrigin(row.renderNonce!)}/${logo.id}`;
    // both variants stored, the inline logo at a placeholder: no reader's signed URL in the row
    for (const doc of [row.htmlSafe!, row.htmlSafeRemote!]) {
      expect(doc).toMatch(/^<!doctype html>/);
      expect(doc).toContain(placeholder);
      expect(doc).not.toContain('sig=');
    }
    expect(row.htmlSafe).not.toContain('cdn.garden.example/tomatoes.jpg');
    expect(row.htmlSafeRemote).toContain('cdn.garden.example/tomatoes.jpg');
    expect(row.textSafe).toContain('mail-signature');

    // open it with the stored render replaced by one the sanitiser would never let through: what
    // comes back is that document with the placeholder swapped, so nothing was sanitised on open
    const stored = `<!doctype html><p id="marker" onclick="kept">stored</p><img id="logo" src="${placeholder}">`;
    await db.message.update({ where: { id }, data: { htmlSafe: stored, textSafe: '<b>stored text</b>' } });
    try {
      const served = await get(me, id);
      expect(served.body).toMatchObject({ text: '<b>stored text</b>', remoteContentBlocked: true });
      const doc = parseHtml(served.body.html!);
      expect(doc.getElementById('marker')?.getAttribute('onclick')).toBe('kept');
      const src = new URL(doc.getElementById('logo')!.getAttribute('src')!);
      expect(src.origin).toBe(env.ORIGIN);
      expect(
        verifyPartUrl(env.ENCRYPTION_KEY, {
          userId,
          messageId: id,
          attachmentId: logo.id,
          exp: src.searchParams.get('exp'),
          sig: src.searchParams.get('sig')
        })
      ).toBe('ok');
    } finally {
      await db.message.update({ where: { id }, data: { htmlSafe: row.htmlSafe, textSafe: row.textSafe } });
    }
  });

  it('renders a 1 MB HTML mail in the worker once, logging the time, and opens it from the store', async () => {
    const subject = `Big ${randomUUID().slice(0, 8)}`;
    const line =
      '<tr><td style="padding:8px;color:#333">Lorem ipsum <a href="https://example.com/x">dolor</a></td></tr>\n';
    const html = `<table>${line.repeat(Math.ceil(1_100_000 / line.length))}</table><p id="end">The end</p>`;
    const transport = nodemailer.createTransport({
      host: mail.host,
      port: mail.smtpPort,
      secure: false,
      ignoreTLS: true
    });
    await transport.sendMail({ from: 'big@hostile.example', to: email, subject, html });
    transport.close();
    const { id } = await until(
      () => db.message.findFirst({ where: { accountId, subject }, select: { id: true } }),
      30_000,
      'the big mail to sync'
    );
    const first = await get(me, id);
    expect(parseHtml(first.body.html!).getElementById('end')?.textContent).toBe('The end');
    const logged = workerLogs('large HTML body rendered', id);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.chars).toBeGreaterThan(1_000_000);
    expect(typeof logged[0]!.ms).toBe('number');
    const row = await db.message.findUniqueOrThrow({ where: { id } });
    expect(row.renderVersion).toBe(RENDER_VERSION);
    // opening it again renders nothing anywhere: the same stored render, no new log line
    const again = await get(me, id);
    expect(again.body.html).toBe(first.body.html);
    expect((await db.message.findUniqueOrThrow({ where: { id } })).renderNonce).toBe(row.renderNonce);
    expect(workerLogs('large HTML body rendered', id)).toHaveLength(1);
    expect(workerLogs('message body re-rendered', id)).toHaveLength(0);
  });

  it('has the worker render again a body rendered by older rules, for its owner only', async () => {
    const id = bySubject.get(subjectOf('newsletter.eml'))!;
    const before = await db.message.findUniqueOrThrow({ where: { id } });
    await db.message.update({
      where: { id },
      data: { renderVersion: RENDER_VERSION - 1, htmlSafe: '<p id="old">old rules</p>' }
    });
    // outsiders are turned away before the worker is asked for anything
    const stranger = client(services);
    await (await stranger.caller()).auth.signup({ email: uniqueEmail('stranger'), password: PASSWORD });
    for (const outsider of [colleague, stranger])
      expect((await errorOf(get(outsider, id))).code).toBe('NOT_FOUND');
    expect((await db.message.findUniqueOrThrow({ where: { id } })).renderVersion).toBe(RENDER_VERSION - 1);
    expect(workerLogs('message body re-rendered', id)).toHaveLength(0);

    const msg = await get(me, id);
    const doc = parseHtml(msg.body.html!);
    expect(doc.getElementById('old')).toBeNull();
    expect(doc.querySelectorAll('table')).toHaveLength(2);
    expect(htmlDangers(msg.body.html!, { origin: env.ORIGIN })).toEqual([]);
    const after = await db.message.findUniqueOrThrow({ where: { id } });
    expect(after.renderVersion).toBe(RENDER_VERSION);
    expect(after.renderNonce).not.toBe(before.renderNonce);
    expect(workerLogs('message body re-rendered', id)).toEqual([
      expect.objectContaining({ fromVersion: RENDER_VERSION - 1, toVersion: RENDER_VERSION, stored: true })
    ]);
  });

  it('never turns placeholder look-alikes in a mail into signed URLs', async () => {
    const id = bySubject.get(subjectOf('newsletter.eml'))!;
    const row = await db.message.findUniqueOrThrow({ where: { id }, include: { attachments: true } });
    const logo = row.attachments.find((a) => a.contentId === 'logo@garden.example')!;
    // the colleague's copy of the newsletter: another user's attachment
    const theirs = await db.attachment.findFirstOrThrow({
      where: { message: { accountId: colleagueAccountId }, contentId: 'logo@garden.example' }
    });
    // a mail spelling the very placeholders of the current render (say, copied from an earlier
    // render), for its own logo and for the other user's, in text, a link, an image and CSS
    const spoofs = [logo.id, theirs.id].map((a) => `${placeholderOrigin(row.renderNonce!)}/${a}`);
    const html =
      `<html><body><p id="text">${spoofs.join(' ')}</p>` +
      spoofs
        .map(
          (s, i) =>
            `<a id="a${i}" href="${s}">x</a><img id="i${i}" src="${s}">` +
            `<div id="d${i}" style="background:url(${s})">y</div>`
        )
        .join('') +
      '<img id="logo" src="cid:logo@garden.example"></body></html>';
    await db.message.update({ where: { id }, data: { htmlBody: html, renderVersion: 0 } });
    try {
      for (const remoteContent of [false, true]) {
        const msg = await get(me, id, remoteContent);
        const out = msg.body.html!;
        // one signed URL: the real inline image's
        expect(out.match(/sig=/g)).toHaveLength(1);
        const doc = parseHtml(out);
        expect(
          new URL(doc.getElementById('logo')!.getAttribute('src')!).searchParams.get('sig')
        ).toBeTruthy();
        expect(doc.getElementById('text')?.textContent).toBe(spoofs.join(' '));
        expect(doc.getElementById('a1')?.getAttribute('href')).toBe(spoofs[1]);
        // a remote image, so only there when remote content is allowed, and still pointing nowhere
        expect(doc.getElementById('i1')?.getAttribute('src') ?? null).toBe(remoteContent ? spoofs[1] : null);
      }
    } finally {
      // the real body back, rendered again on the next open
      await db.message.update({ where: { id }, data: { htmlBody: row.htmlBody, renderVersion: 0 } });
    }
  });
});
