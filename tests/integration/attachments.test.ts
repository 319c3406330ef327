// Attachment and .eml downloads through the real app over HTTP, fetched by the real worker
// from Dovecot into PostgreSQL chunk by chunk and streamed on as the chunks land.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkStore } from '../../src/lib/server/attachments/chunk-store';
import { PartReader, PartUnavailable } from '../../src/lib/server/attachments/part-cache';
import { signPartUrl } from '../../src/lib/server/attachments/signed-url';
import { hashPassword } from '../../src/lib/server/auth/password';
import { client, makeServices, uniqueEmail } from '../helpers/context';
import { startApp, startWorker } from '../helpers/process';
import { mailServers } from '../helpers/servers';
import { until } from '../helpers/wait';

const mail = mailServers();
const prefix = `att${randomUUID().slice(0, 6)}`;
const PASSWORD = 'correct horse battery staple';
const MB = 1024 * 1024;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Reads a response body as a stream, hashing it, optionally calling back per chunk. */
async function hashBody(res: Response, onChunk?: (received: number) => void) {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    h.update(chunk);
    bytes += chunk.length;
    onChunk?.(bytes);
  }
  return { sha: h.digest('hex'), bytes };
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

describe('attachment downloads', () => {
  const services = makeServices({ QUEUE_PREFIX: prefix });
  const { db } = services;
  const email = `att-${randomUUID().slice(0, 8)}@${mail.domain}`;
  const boxPassword = `pw-${randomUUID()}`;
  const big = randomBytes(5 * MB);
  const huge = randomBytes(20 * MB);
  const png = randomBytes(3000); // the bytes do not need to be a valid picture
  const evilName = '../Bericht "März" 2026\u202E.bin';
  let worker: ReturnType<typeof startWorker>;
  let app: Awaited<ReturnType<typeof startApp>>;
  let accountId: string;
  let ownerId: string;
  let cookie: string; // the owner's session
  let sameTenantCookie: string;
  let otherTenantCookie: string;
  let msgId: string; // the message with the 5 MB attachment and the inline image
  let hugeMsgId: string;
  let goneMsgId: string;
  const att: Record<'big' | 'png' | 'html' | 'huge' | 'gone', { id: string; part: string }> = {} as never;

  const imap = () => {
    const c = new ImapFlow({
      host: mail.host,
      port: mail.imapPort,
      secure: false,
      auth: { user: email, pass: boxPassword },
      logger: false
    });
    c.on('error', () => {});
    return c;
  };

  async function user(tenantId: string) {
    const e = uniqueEmail('att');
    const u = await db.user.create({
      data: { tenantId, email: e, passwordHash: await hashPassword(PASSWORD) }
    });
    return { ...u, email: e };
  }
  async function httpLogin(e: string): Promise<string> {
    const res = await fetch(`${app.origin}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.origin },
      body: JSON.stringify({ email: e, password: PASSWORD })
    });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  }
  const get = (path: string, c?: string) =>
    fetch(`${app.origin}${path}`, { headers: c ? { cookie: c } : {} });
  const attUrl = (messageId: string, a: { id: string }, q = '') =>
    `/api/messages/${messageId}/attachments/${a.id}${q}`;

  beforeAll(async () => {
    execFileSync('bash', ['scripts/servers.sh', 'add-user', process.env.SERVERS_DIR!, email, boxPassword]);
    type Mail = ConstructorParameters<typeof MailComposer>[0];
    const c = imap();
    await c.connect();
    const append = async (day: number, m: Mail) =>
      c.append(
        'INBOX',
        await new MailComposer({ from: 'sender@example.test', to: email, ...m }).compile().build(),
        [],
        new Date(Date.UTC(2026, 10, day))
      );
    const file = (filename: string, content: Buffer | string, contentType = 'application/octet-stream') => ({
      filename,
      content,
      contentType
    });
    await append(1, {
      subject: 'Figures: Q1/Q2 "final"',
      text: 'see attached',
      html: '<p>logo: <img src="cid:logo@example.test"></p>',
      attachments: [
        { ...file('logo.png', png, 'image/png'), cid: 'logo@example.test' },
        file(evilName, big),
        file('page.html', '<script>alert(1)</script>', 'text/html')
      ]
    });
    await append(2, { subject: 'huge', text: 'big file', attachments: [file('huge.bin', huge)] });
    await append(3, { subject: 'gone', text: 'x', attachments: [file('gone.txt', 'x')] });
    await c.logout();

    const newTenant = (name: string) =>
      db.tenant.create({ data: { slug: `att-${randomUUID().slice(0, 8)}`, name } });
    const tenant = await newTenant('Att');
    const other = await newTenant('Other');
    const owner = await user(tenant.id);
    const colleague = await user(tenant.id);
    const stranger = await user(other.id);
    ownerId = owner.id;
    // this worker syncs only this tenant; no periodic resync during the test (see "gone")
    worker = startWorker({ QUEUE_PREFIX: prefix, IMAP_SYNC_TENANTS: tenant.id, IMAP_RESYNC_SECONDS: '3600' });
    app = await startApp({ QUEUE_PREFIX: prefix });
    await worker.waitForLine((l) => l.includes('"worker ready"'));
    const me = client(services);
    await (await me.caller()).auth.login({ email: owner.email, password: PASSWORD });
    accountId = (
      await (
        await me.caller()
      ).accounts.add({
        email,
        password: boxPassword,
        imap: { host: mail.host, port: mail.imapPort, tls: 'none' },
        smtp: { host: mail.host, port: mail.submissionPort, tls: 'none' }
      })
    ).id;
    const msgs = await until(
      async () => {
        const rows = await db.message.findMany({
          where: { accountId },
          select: {
            id: true,
            subject: true,
            attachments: { select: { id: true, part: true, contentType: true, inline: true } }
          }
        });
        return rows.length === 3 && rows.every((r) => r.attachments.length) ? rows : null;
      },
      15_000,
      'the three messages and their attachments to sync'
    );
    const bySubject = (s: string) => msgs.find((m) => m.subject === s)!;
    const m1 = bySubject('Figures: Q1/Q2 "final"');
    msgId = m1.id;
    const pick = (m: (typeof msgs)[number], f: (a: (typeof m.attachments)[number]) => boolean) => {
      const a = m.attachments.find(f)!;
      return { id: a.id, part: a.part };
    };
    att.png = pick(m1, (a) => a.contentType === 'image/png');
    att.big = pick(m1, (a) => a.contentType === 'application/octet-stream');
    att.html = pick(m1, (a) => a.contentType === 'text/html');
    hugeMsgId = bySubject('huge').id;
    att.huge = pick(bySubject('huge'), () => true);
    goneMsgId = bySubject('gone').id;
    att.gone = pick(bySubject('gone'), () => true);
    expect(m1.attachments.find((a) => a.contentType === 'image/png')!.inline).toBe(true);

    cookie = await httpLogin(owner.email);
    sameTenantCookie = await httpLogin(colleague.email);
    otherTenantCookie = await httpLogin(stranger.email);
  }, 90_000);

  afterAll(async () => {
    if (process.env.DEBUG_WORKER) {
      console.log(worker.lines.filter((l) => /part|warn|error/.test(l)).join('\n'));
      console.log(app.lines.filter((l) => /part|warn|error|broke/.test(l)).join('\n'));
    }
    await app?.stop();
    await worker?.stop();
    await services.close();
  });

  it('streams a 5 MB attachment byte for byte, with a safe name and headers', async () => {
    const res = await get(attUrl(msgId, att.big), cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Bericht Marz 2026.bin"; filename*=UTF-8''Bericht%20M%C3%A4rz%202026.bin`
    );
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'/);
    expect(res.headers.get('cache-control')).toMatch(/^private/);
    const body = await hashBody(res);
    expect(body.bytes).toBe(big.length);
    expect(body.sha).toBe(sha256(big));
    const row = await db.partCache.findUniqueOrThrow({
      where: { messageId_part: { messageId: msgId, part: att.big.part } }
    });
    expect(row).toMatchObject({ complete: true, size: big.length, error: null });
    expect(await db.partChunk.count({ where: { partId: row.id } })).toBe(
      Math.ceil(big.length / (256 * 1024))
    );

    // cached now: served from PostgreSQL, with its length
    const again = await get(attUrl(msgId, att.big), cookie);
    expect(again.headers.get('content-length')).toBe(String(big.length));
    expect((await hashBody(again)).sha).toBe(sha256(big));

    // downloading did not mark the message as read on the server (BODY.PEEK)
    const c = imap();
    await c.connect();
    const lock = await c.getMailboxLock('INBOX');
    const m = await c.fetchOne('1', { flags: true });
    lock.release();
    await c.logout();
    expect(m && [...m.flags!]).not.toContain('\\Seen');
  });

  it('two concurrent downloads share one fetch from the server', async () => {
    await db.partCache.deleteMany({ where: { messageId: msgId, part: att.big.part } });
    const fetchedBefore = worker.lines.filter(
      (l) => l.includes('"part cached"') && l.includes(msgId) && l.includes(`"part":"${att.big.part}"`)
    ).length;
    const [a, b] = await Promise.all([
      get(attUrl(msgId, att.big), cookie),
      get(attUrl(msgId, att.big), cookie)
    ]);
    const [ha, hb] = await Promise.all([hashBody(a), hashBody(b)]);
    expect(ha.sha).toBe(sha256(big));
    expect(hb.sha).toBe(sha256(big));
    // the worker logs a fetch once its last chunk is stored, which can be after both bodies
    // were read: wait for the first line, then a moment for a second one that should not come
    const fetched = () =>
      worker.lines.filter(
        (l) => l.includes('"part cached"') && l.includes(msgId) && l.includes(`"part":"${att.big.part}"`)
      ).length - fetchedBefore;
    await until(async () => fetched() >= 1, 10_000, "the worker's 'part cached' line");
    await new Promise((r) => setTimeout(r, 500));
    expect(fetched()).toBe(1);
  });

  it('shows a picture inline on request, but never an HTML attachment', async () => {
    const pic = await get(attUrl(msgId, att.png, '?inline=1'), cookie);
    expect(pic.status).toBe(200);
    expect(pic.headers.get('content-type')).toBe('image/png');
    expect(pic.headers.get('content-disposition')).toMatch(/^inline; filename="logo.png"/);
    expect(pic.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(sha256(new Uint8Array(await pic.arrayBuffer()))).toBe(sha256(png));

    const html = await get(attUrl(msgId, att.html, '?inline=1'), cookie);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('application/octet-stream');
    expect(html.headers.get('content-disposition')).toMatch(/^attachment; filename="page.html"/);
    expect(html.headers.get('x-frame-options')).toBe('DENY');
    expect(await html.text()).toBe('<script>alert(1)</script>');
  });

  it('downloads the message as the server has it (.eml), and shows it as source', async () => {
    const c = imap();
    await c.connect();
    const lock = await c.getMailboxLock('INBOX');
    const msgRow = await db.message.findUniqueOrThrow({ where: { id: msgId }, select: { uid: true } });
    const src = await c.fetchOne(msgRow.uid.toString(), { source: true }, { uid: true });
    lock.release();
    await c.logout();
    expect(src && src.source).toBeTruthy();

    const res = await get(`/api/messages/${msgId}/raw`, cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('message/rfc822');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Figures_ Q1_Q2 final.eml"; filename*=UTF-8''Figures_%20Q1_Q2%20final.eml`
    );
    expect((await hashBody(res)).sha).toBe(sha256(src ? src.source! : new Uint8Array()));

    const view = await get(`/api/messages/${msgId}/raw?view=1`, cookie);
    expect(view.status).toBe(200);
    expect(view.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(view.headers.get('content-disposition')).toMatch(/^inline; /);
    expect(view.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'/);
    const source = await view.text();
    expect(source).toBe(Buffer.from(src ? src.source! : []).toString('utf8'));
    expect(source).toMatch(/^Subject: /m);
  });

  it('is not found for another user or another tenant, and needs a login', async () => {
    for (const c of [sameTenantCookie, otherTenantCookie]) {
      expect((await get(attUrl(msgId, att.png), c)).status).toBe(404);
      expect((await get(`/api/messages/${msgId}/raw`, c)).status).toBe(404);
    }
    expect((await get(attUrl(msgId, att.png))).status).toBe(401);
    expect((await get(`/api/messages/${msgId}/raw`)).status).toBe(401);
    // an attachment id paired with another message of the owner, or not an id at all
    expect((await get(attUrl(hugeMsgId, att.png), cookie)).status).toBe(404);
    expect((await get(`/api/messages/${msgId}/attachments/not-an-id`, cookie)).status).toBe(404);
  });

  it('serves inline images on a signed URL without a session; refuses an expired or tampered one', async () => {
    const key = services.env.ENCRYPTION_KEY;
    const sign = (expiresAt: Date, attachmentId = att.png.id, userId = ownerId) =>
      signPartUrl(key, { userId, messageId: msgId, attachmentId, expiresAt });
    const url = sign(new Date(Date.now() + 600_000));
    const ok = await get(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(sha256(new Uint8Array(await ok.arrayBuffer()))).toBe(sha256(png));

    const expired = await get(sign(new Date(Date.now() - 1000)));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/expired/);
    const sig = new URL(url, app.origin).searchParams.get('sig')!;
    const tampered = url.replace(sig, (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    expect((await get(tampered)).status).toBe(404);
    // a signature for the picture does not open the 5 MB file, nor one made out for someone else
    expect((await get(url.replace(att.png.id, att.big.id))).status).toBe(404);
    expect((await get(sign(new Date(Date.now() + 600_000), att.png.id, randomUUID()))).status).toBe(404);
    // a later expiry written into a genuine URL breaks its signature
    const exp = new URL(url, app.origin).searchParams.get('exp')!;
    expect((await get(url.replace(`exp=${exp}`, `exp=${Number(exp) + 86400}`))).status).toBe(404);
  });

  it('streams a 20 MB attachment while it is still arriving, without holding it in memory', async () => {
    // warm: both processes have served a large part already (test 1), so code is loaded; and
    // the worker is idle (a prefetch render on its thread pool meanwhile would be counted too)
    await until(
      async () => {
        for (const q of ['sync', 'maintenance'] as const) {
          const c = await services.producer.queue(q).getJobCounts('active', 'waiting', 'prioritized');
          if (Object.values(c).some((n) => n > 0)) return false;
        }
        return true;
      },
      30_000,
      'the worker to be idle'
    );
    // The worker's idle collection (worker/memory.ts) runs a few seconds after a busy spell and
    // also shrinks the young generation, which then grows back by tens of MB with any work: a
    // baseline taken just after it would count that regrowth (seen once: 48 MB). So the worker
    // streams the 5 MB part again first and the baseline is taken at once after it: the young
    // generation is at its working size, and no quiet interval has passed for a collection to
    // start between the two (one during the download only lowers the peak).
    await db.partCache.deleteMany({ where: { messageId: msgId, part: att.big.part } });
    const warmUp = await hashBody(await get(attUrl(msgId, att.big), cookie));
    expect(warmUp.sha).toBe(sha256(big));
    const samples = { app: [] as number[], worker: [] as number[] };
    const base = { app: rssKb(app.proc.pid!), worker: rssKb(worker.proc.pid!) };
    const timer = setInterval(() => {
      samples.app.push(rssKb(app.proc.pid!));
      samples.worker.push(rssKb(worker.proc.pid!));
    }, 20);
    let firstByteComplete: boolean | null = null;
    let checked = false;
    const res = await get(attUrl(hugeMsgId, att.huge), cookie).catch((e: unknown) => {
      clearInterval(timer);
      throw e;
    });
    const body = await hashBody(res, () => {
      if (checked) return;
      checked = true;
      void db.partCache
        .findUnique({ where: { messageId_part: { messageId: hugeMsgId, part: att.huge.part } } })
        .then((r) => (firstByteComplete = r?.complete ?? null));
    }).finally(() => clearInterval(timer));
    expect(res.status).toBe(200);
    expect(body.bytes).toBe(huge.length);
    expect(body.sha).toBe(sha256(huge));
    // streamed as it arrived: no length known up front, and the first bytes came before the end
    expect(res.headers.get('content-length')).toBeNull();
    await until(async () => firstByteComplete !== null, 2_000, 'the state at the first byte');
    expect(firstByteComplete).toBe(false);

    const growthMb = {
      app: (Math.max(...samples.app) - base.app) / 1024,
      worker: (Math.max(...samples.worker) - base.worker) / 1024
    };
    console.log(
      `20 MB attachment: peak RSS growth app ${growthMb.app.toFixed(1)} MB, worker ${growthMb.worker.toFixed(1)} MB ` +
        `(base app ${(base.app / 1024).toFixed(0)} MB, worker ${(base.worker / 1024).toFixed(0)} MB; ${samples.app.length} samples)`
    );
    // Holding the file would cost at least its 20 MB (the worker: 27 MB of base64 too). RSS also
    // holds garbage not yet collected: measured here with a 20 MB file, the app grew 3-10 MB and
    // the worker 16-18 MB (40-60 MB while chunks still went through Prisma), so the worker's
    // bound leaves room for that garbage while still catching a whole file held at once.
    expect(growthMb.app).toBeLessThan(20);
    expect(growthMb.worker).toBeLessThan(32);
  });

  it('tells the user when the message is gone from the server', async () => {
    // the server never had this uid; with no resync running, only the download finds out
    await db.message.update({ where: { id: goneMsgId }, data: { uid: 999_999 }, select: { id: true } });
    const res = await get(attUrl(goneMsgId, att.gone), cookie);
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(/no longer on the mail server/);
    const row = await db.partCache.findUniqueOrThrow({
      where: { messageId_part: { messageId: goneMsgId, part: att.gone.part } }
    });
    expect(row.complete).toBe(false);
    expect(row.error).toMatch(/no longer on the mail server/);
  });

  it('a fetch that runs again starts over cleanly', async () => {
    const where = { messageId_part: { messageId: msgId, part: att.big.part } };
    const row = await db.partCache.findUniqueOrThrow({ where });
    expect(row.complete).toBe(true);
    // as if a run had crashed half-way: incomplete, a chunk missing, a stray one beyond the end
    await db.partCache.update({ where, data: { complete: false, size: null } });
    await db.partChunk.deleteMany({ where: { partId: row.id, seq: { gte: 10 } } });
    await db.partChunk.create({ data: { partId: row.id, seq: 999, data: new Uint8Array([1, 2, 3]) } });
    await services.producer.enqueue(
      'imap.fetchPart',
      { accountId, messageId: msgId, part: att.big.part },
      { jobId: `rerun-${randomUUID()}` }
    );
    await until(
      async () => (await db.partCache.findUnique({ where }))?.complete,
      15_000,
      'the part to be fetched again'
    );
    expect(await db.partChunk.count({ where: { partId: row.id, seq: 999 } })).toBe(0);
    const res = await get(attUrl(msgId, att.big), cookie);
    expect((await hashBody(res)).sha).toBe(sha256(big));
  });

  it('waits for a part no worker is fetching only so long, then says so', async () => {
    const row = await db.partCache.create({
      data: {
        tenantId: (await db.message.findUniqueOrThrow({ where: { id: msgId }, select: { tenantId: true } }))
          .tenantId,
        messageId: msgId,
        part: '99'
      }
    });
    const reader = new PartReader(db, chunkStore(services.db), row.id, {
      idleTimeoutMs: 500,
      pollMs: 50
    });
    const started = Date.now();
    const err = await reader.next().then(
      () => null,
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(PartUnavailable);
    expect((err as PartUnavailable).status).toBe(504);
    expect((err as PartUnavailable).message).toMatch(/did not send this attachment within/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    await db.partCache.delete({ where: { id: row.id } });
  });

  it('prunes cached parts not read for PART_CACHE_DAYS', async () => {
    const stale = await db.partCache.findUniqueOrThrow({
      where: { messageId_part: { messageId: msgId, part: att.png.part } }
    });
    await db.partCache.update({
      where: { id: stale.id },
      data: { lastReadAt: new Date(Date.now() - 8 * 24 * 3600_000) }
    });
    await services.producer.enqueue('maintenance.prunePartCache', {});
    await until(
      async () => !(await db.partCache.findUnique({ where: { id: stale.id } })),
      10_000,
      'the stale part to be pruned'
    );
    expect(await db.partChunk.count({ where: { partId: stale.id } })).toBe(0);
    // the big part was read a moment ago: kept
    expect(
      await db.partCache.count({ where: { messageId: msgId, part: att.big.part, complete: true } })
    ).toBe(1);
    // and the pruned one is fetched again on the next download
    const res = await get(attUrl(msgId, att.png), cookie);
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(png));
  });
});
