// Composer uploads (POST /api/uploads) against the real PostgreSQL, Redis, worker, Postfix and
// Dovecot: a file streams into 256 KiB chunks and arrives byte-identical in the recipient's
// INBOX; an oversize upload is refused with 413 while the client is still sending (and at once
// when Content-Length says so), leaving no rows; another user's or organisation's upload id is
// NOT_FOUND in send and saveDraft and 404 on GET and DELETE; an undone message comes back with
// fresh uploads; the prune job removes unused uploads but keeps a live draft's; over real HTTP,
// no session is 401 and a cross-site POST is refused.
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password';
import type { SessionUser } from '../../src/lib/server/auth/session';
import {
  deleteUploadRequest,
  pruneUploads,
  receiveUpload,
  serveUpload,
  UPLOAD_CHUNK_BYTES
} from '../../src/lib/server/compose/uploads';
import { client, makeServices, silentLog, uniqueEmail } from '../helpers/context';
import { accountInput, newMailbox, withImap } from '../helpers/mailbox';
import { startApp, startWorker, type Running } from '../helpers/process';
import { upload, uploadRequest, userOf } from '../helpers/uploads';
import { errorOf, until } from '../helpers/wait';

const prefix = `upl${randomUUID().slice(0, 6)}`;
const PASSWORD = 'correct horse battery staple';
const HOUR = 3600 * 1000;

/** A body that hands out `total` bytes in `piece`-sized parts, a little at a time; counts what was read. */
function slowBody(total: number, piece: number, delayMs = 2) {
  const bytes = randomBytes(total);
  const state = { pulled: 0, bytes };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (state.pulled >= total) return controller.close();
      await new Promise((r) => setTimeout(r, delayMs));
      const part = bytes.subarray(state.pulled, Math.min(total, state.pulled + piece));
      state.pulled += part.length;
      controller.enqueue(new Uint8Array(part));
    }
  });
  return { stream, state };
}

describe('composer uploads', () => {
  const services = makeServices({ QUEUE_PREFIX: prefix });
  const { db } = services;
  const deps = { db, env: services.env, log: silentLog };
  const box = newMailbox('upl');
  let worker: Running;
  let me: ReturnType<typeof client>;
  let sibling: ReturnType<typeof client>;
  let stranger: ReturnType<typeof client>;
  let meUser: SessionUser;
  let accountId: string;
  let tenantId: string;

  beforeAll(async () => {
    const tenant = await db.tenant.create({ data: { slug: `upl-${randomUUID().slice(0, 8)}`, name: 'Upl' } });
    const other = await db.tenant.create({
      data: { slug: `upl-${randomUUID().slice(0, 8)}`, name: 'Other' }
    });
    tenantId = tenant.id;
    const users = [
      { tenantId: tenant.id, email: uniqueEmail('uploader'), displayName: 'Ulla Uploader' },
      { tenantId: tenant.id, email: uniqueEmail('sibling'), displayName: null },
      { tenantId: other.id, email: uniqueEmail('stranger'), displayName: null }
    ];
    for (const u of users)
      await db.user.create({ data: { ...u, passwordHash: await hashPassword(PASSWORD) } });
    worker = startWorker({ QUEUE_PREFIX: prefix, IMAP_SYNC_TENANTS: randomUUID(), SEND_RETRY_SECONDS: '1' });
    await worker.waitForLine((l) => l.includes('"worker ready"'), 30_000);
    me = client(services);
    sibling = client(services);
    stranger = client(services);
    for (const [i, c] of [me, sibling, stranger].entries())
      await (await c.caller()).auth.login({ email: users[i]!.email, password: PASSWORD });
    meUser = await userOf(services, me);
    accountId = (await (await me.caller()).accounts.add(accountInput(box))).id;
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await services.close();
  });

  it('streams a file into 256 KiB chunks and sends it byte-identical through Postfix and Dovecot', async () => {
    const size = 700_000;
    const { stream, state } = slowBody(size, 10_000, 0);
    const { request, url } = uploadRequest(stream, 'report — März.pdf', 'application/pdf; charset=binary');
    const res = await receiveUpload(deps, meUser, request, url);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      filename: 'report — März.pdf',
      contentType: 'application/pdf',
      size
    });
    const row = await db.upload.findUniqueOrThrow({
      where: { id: body.id },
      include: { chunks: { orderBy: { seq: 'asc' } } }
    });
    expect(row).toMatchObject({ tenantId, userId: meUser.id, complete: true, size });
    expect(row.chunks.map((c) => c.data.length)).toEqual([
      UPLOAD_CHUNK_BYTES,
      UPLOAD_CHUNK_BYTES,
      size - 2 * UPLOAD_CHUNK_BYTES
    ]);
    expect(Buffer.compare(Buffer.concat(row.chunks.map((c) => Buffer.from(c.data))), state.bytes)).toBe(0);
    // the owner can read it back (the composer shows inline images from there)
    const got = await serveUpload(deps, meUser, body.id);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-security-policy')).toMatch(/^sandbox/);
    expect(Buffer.compare(Buffer.from(await got.arrayBuffer()), state.bytes)).toBe(0);

    const img = randomBytes(3_000);
    const imgId = await upload(services, me, img, 'dot.png', 'image/png');
    const subject = `upload ${randomUUID().slice(0, 8)}`;
    const sent = await (
      await me.caller()
    ).compose.send({
      accountId,
      to: [box.email],
      subject,
      html: '<p>Report attached <img src="cid:dot@inline"></p>',
      attachments: [{ uploadId: body.id }, { uploadId: imgId, cid: 'dot@inline' }],
      undoSeconds: 0
    });
    const raw = await until(
      () =>
        withImap(box, async (c) => {
          const lock = await c.getMailboxLock('INBOX');
          try {
            const uids = await c.search({ subject }, { uid: true });
            if (!uids || !uids.length) return null;
            const m = await c.fetchOne(String(uids[0]), { source: true }, { uid: true });
            return m ? m.source : null;
          } finally {
            lock.release();
          }
        }),
      20_000,
      'the message in the INBOX'
    );
    const parsed = await simpleParser(raw!);
    expect(parsed.messageId).toBe(sent.messageId);
    // (the inline image sits with the HTML, in multipart/related, before the attachment)
    const pdf = parsed.attachments.find((a) => a.contentType === 'application/pdf');
    const dot = parsed.attachments.find((a) => a.contentType === 'image/png');
    expect(parsed.attachments).toHaveLength(2);
    expect(pdf).toMatchObject({ filename: 'report — März.pdf', contentType: 'application/pdf' });
    expect(Buffer.compare(pdf!.content, state.bytes)).toBe(0);
    expect(dot).toMatchObject({ contentType: 'image/png', cid: 'dot@inline', contentDisposition: 'inline' });
    expect(Buffer.compare(dot!.content, img)).toBe(0);
    // the outbox row remembers the files by name and size
    const outbox = await db.outboxMessage.findUniqueOrThrow({ where: { id: sent.outboxId } });
    expect((outbox.draft as { attachments: unknown[] }).attachments).toEqual([
      { filename: 'report — März.pdf', contentType: 'application/pdf', size, cid: null },
      { filename: 'dot.png', contentType: 'image/png', size: 3_000, cid: 'dot@inline' }
    ]);
  }, 60_000);

  it('refuses an upload past the limit with 413 while the body is still coming, and keeps no rows', async () => {
    const small = makeServices({ QUEUE_PREFIX: prefix, MAX_MESSAGE_BYTES: String(400 * 1024) });
    try {
      const before = await db.upload.count({ where: { userId: meUser.id } });
      const total = 4 * 1024 * 1024;
      const { stream, state } = slowBody(total, 32 * 1024);
      const { request, url } = uploadRequest(stream, 'huge.bin');
      const res = await receiveUpload({ db, env: small.env, log: silentLog }, meUser, request, url);
      const pulledAtAnswer = state.pulled;
      expect(res.status).toBe(413);
      expect((await res.json()).error.message).toBe(
        '"huge.bin" is too big: a file can be at most 300 KB (a message can be at most 400 KB, and attachments grow by a third when sent).'
      );
      // answered just past the limit, long before the 4 MB were sent
      expect(pulledAtAnswer).toBeGreaterThan(300 * 1024);
      expect(pulledAtAnswer).toBeLessThan(400 * 1024);
      expect(await db.upload.count({ where: { userId: meUser.id } })).toBe(before);
      const orphans = await db.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM "UploadChunk" c WHERE NOT EXISTS (SELECT 1 FROM "Upload" u WHERE u.id = c."uploadId")`;
      expect(Number(orphans[0]!.n)).toBe(0);

      // a name is required, and a content type must look like one
      const nameless = await receiveUpload(
        deps,
        meUser,
        new Request('http://localhost/api/uploads', {
          method: 'POST',
          body: 'x',
          headers: { 'content-type': 'text/plain' }
        }),
        new URL('http://localhost/api/uploads')
      );
      expect(nameless.status).toBe(400);
      expect((await nameless.json()).error.message).toBe('Give the file name as ?filename=…');
      const badType = uploadRequest(new Uint8Array(3), 'a.bin', 'not a type');
      const bad = await receiveUpload(deps, meUser, badType.request, badType.url);
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toBe('Not a content type (like image/png).');
      // no session
      const anon = uploadRequest(new Uint8Array(3), 'a.bin');
      expect((await receiveUpload(deps, null, anon.request, anon.url)).status).toBe(401);
    } finally {
      await small.close();
    }
  });

  it("another user's or organisation's upload id is NOT_FOUND in send and saveDraft, 404 on GET and DELETE", async () => {
    const secret = randomBytes(5_000);
    const mine = await upload(services, me, secret, 'secret.bin');
    for (const who of [sibling, stranger]) {
      const theirBox = newMailbox('their');
      const c = await who.caller();
      const theirAccount = (await c.accounts.add(accountInput(theirBox))).id;
      const send = await errorOf(
        c.compose.send({
          accountId: theirAccount,
          to: [theirBox.email],
          text: 'x',
          attachments: [{ uploadId: mine }],
          undoSeconds: 0
        })
      );
      expect(send.code).toBe('NOT_FOUND');
      expect(send.message).toBe(
        'An attached file is not on the server any more (it may have been removed or expired). Remove it and attach it again.'
      );
      const draft = await errorOf(
        c.compose.saveDraft({ accountId: theirAccount, text: 'x', attachments: [{ uploadId: mine }] })
      );
      expect(draft.code).toBe('NOT_FOUND');
      const user = await userOf(services, who);
      expect((await serveUpload(deps, user, mine)).status).toBe(404);
      const del = await deleteUploadRequest(deps, user, mine);
      expect(del.status).toBe(404);
      expect((await del.json()).error.message).toMatch(/^Not found: this upload does not exist/);
    }
    expect(await db.upload.count({ where: { id: mine } })).toBe(1);
    // a made-up id and an unknown one: the same answer
    expect((await deleteUploadRequest(deps, meUser, 'nope')).status).toBe(404);
    expect((await deleteUploadRequest(deps, meUser, randomUUID())).status).toBe(404);
    expect((await deleteUploadRequest(deps, null, mine)).status).toBe(401);
    // the owner removes it
    expect((await deleteUploadRequest(deps, meUser, mine)).status).toBe(200);
    expect(await db.upload.count({ where: { id: mine } })).toBe(0);
    const gone = await errorOf(
      (await me.caller()).compose.send({
        accountId,
        to: [box.email],
        attachments: [{ uploadId: mine }],
        undoSeconds: 0
      })
    );
    expect(gone.code).toBe('NOT_FOUND');
  });

  it('an undone message comes back with fresh uploads of the same bytes, which send again', async () => {
    const file = randomBytes(90_000);
    const c = await me.caller();
    const held = await c.compose.send({
      accountId,
      to: [box.email],
      subject: 'held back',
      text: 'see attached',
      attachments: [{ uploadId: await upload(services, me, file, 'held.bin') }],
      undoSeconds: 300
    });
    const undone = await c.compose.cancel({ outboxId: held.outboxId });
    expect(undone.draft.uploads).toEqual([
      {
        uploadId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        filename: 'held.bin',
        contentType: 'application/octet-stream',
        size: 90_000,
        cid: null
      }
    ]);
    const again = await c.compose.send({
      accountId,
      to: [box.email],
      subject: 'held back',
      text: 'see attached',
      attachments: [{ uploadId: undone.draft.uploads[0]!.uploadId }],
      undoSeconds: 300
    });
    const row = await db.outboxMessage.findUniqueOrThrow({ where: { id: again.outboxId } });
    const parsed = await simpleParser(Buffer.from(row.raw));
    expect(Buffer.compare(parsed.attachments[0]!.content, file)).toBe(0);
    await c.compose.cancel({ outboxId: again.outboxId });
  });

  it("the prune job removes unused and broken-off uploads, and keeps a live draft's", async () => {
    const c = await me.caller();
    const unused = await upload(services, me, randomBytes(10), 'unused.bin');
    const forDraft = await upload(services, me, randomBytes(10), 'draft.bin');
    const fresh = await upload(services, me, randomBytes(10), 'fresh.bin');
    const draft = await c.compose.saveDraft({
      accountId,
      text: 'keep',
      attachments: [{ uploadId: forDraft }]
    });
    expect((await db.upload.findUniqueOrThrow({ where: { id: forDraft } })).draftId).toBe(draft.draftId);
    const broken = randomUUID();
    await db.upload.create({
      data: {
        id: broken,
        tenantId,
        userId: meUser.id,
        filename: 'cut.bin',
        contentType: 'a/b',
        createdAt: new Date(Date.now() - 7 * HOUR)
      }
    });
    const old = new Date(Date.now() - 25 * HOUR);
    await db.upload.updateMany({ where: { id: { in: [unused, forDraft] } }, data: { usedAt: old } });
    // through the worker, as the hourly schedule runs it
    await services.producer.enqueue('maintenance.pruneUploads', {});
    await until(
      async () => (await db.upload.count({ where: { id: { in: [unused, broken] } } })) === 0,
      15_000,
      'the prune job'
    );
    expect(await db.upload.count({ where: { id: { in: [forDraft, fresh] } } })).toBe(2);
    // once the draft is gone, its upload goes too
    await c.compose.discardDraft({ accountId, draftId: draft.draftId });
    await pruneUploads(db);
    expect(await db.upload.count({ where: { id: forDraft } })).toBe(0);
    expect(await db.upload.count({ where: { id: fresh } })).toBe(1);
  });
});

describe('uploads over HTTP', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  const services = makeServices({ QUEUE_PREFIX: prefix });
  let cookie: string;
  let userId: string;

  beforeAll(async () => {
    app = await startApp({
      ALLOW_SIGNUP: 'true',
      QUEUE_PREFIX: prefix,
      MAX_MESSAGE_BYTES: String(400 * 1024)
    });
    const email = uniqueEmail('http-upl');
    const res = await fetch(`${app.origin}/api/trpc/auth.signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.origin },
      body: JSON.stringify({ email, password: PASSWORD })
    });
    expect(res.status).toBe(200);
    cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    userId = (await services.db.user.findFirstOrThrow({ where: { email } })).id;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await services.close();
  });

  const post = (body: BodyInit, headers: Record<string, string>, name = 'a.bin') =>
    fetch(`${app.origin}/api/uploads?filename=${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', ...headers },
      body
    });

  it('401 without a session, 403 across sites, 201 then DELETE for the owner', async () => {
    const anon = await post(new Uint8Array(10), { origin: app.origin });
    expect(anon.status).toBe(401);
    expect((await anon.json()).error.message).toBe('Log in to upload files.');
    const evil = await post(new Uint8Array(10), { origin: 'https://evil.test', cookie });
    expect(evil.status).toBe(403);
    expect((await evil.json()).error.message).toBe('Cross-site request refused.');
    const ok = await post(randomBytes(1000), { origin: app.origin, cookie }, 'ok.bin');
    expect(ok.status).toBe(201);
    const { id } = await ok.json();
    const evilDelete = await fetch(`${app.origin}/api/uploads/${id}`, {
      method: 'DELETE',
      headers: { origin: 'https://evil.test', cookie }
    });
    expect(evilDelete.status).toBe(403);
    const del = await fetch(`${app.origin}/api/uploads/${id}`, {
      method: 'DELETE',
      headers: { origin: app.origin, cookie }
    });
    expect(del.status).toBe(200);
    const again = await fetch(`${app.origin}/api/uploads/${id}`, {
      method: 'DELETE',
      headers: { origin: app.origin, cookie }
    });
    expect(again.status).toBe(404);
  });

  /** Sends `total` bytes in 32 KB writes (chunked, or with Content-Length); resolves with the answer and bytes written by then. */
  function slowPost(total: number, declare: boolean) {
    return new Promise<{ status: number; body: string; writtenAtAnswer: number }>((resolve, reject) => {
      const u = new URL(`${app.origin}/api/uploads?filename=slow.bin`);
      let written = 0;
      let stop = false;
      const req = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname + u.search,
          method: 'POST',
          headers: {
            'content-type': 'application/octet-stream',
            origin: app.origin,
            cookie,
            ...(declare && { 'content-length': String(total) })
          }
        },
        (res) => {
          const writtenAtAnswer = written;
          stop = true;
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (body += d));
          res.on('end', () => {
            resolve({ status: res.statusCode!, body, writtenAtAnswer });
            req.destroy();
          });
        }
      );
      req.on('error', (e) => (stop ? undefined : reject(e)));
      const piece = randomBytes(32 * 1024);
      const tick = () => {
        if (stop || written >= total) return;
        written += piece.length;
        req.write(piece, () => setTimeout(tick, 5));
      };
      if (declare) req.flushHeaders();
      else tick();
      if (declare) setTimeout(tick, 300); // headers first: the answer must not wait for the body
    });
  }

  it('413 while a too-big body is still being sent, at once when Content-Length says so; no rows left', async () => {
    const total = 8 * 1024 * 1024;
    const chunked = await slowPost(total, false);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).error.message).toMatch(
      /^"slow\.bin" is too big: a file can be at most 300 KB/
    );
    expect(chunked.writtenAtAnswer).toBeLessThan(total / 2);
    const declared = await slowPost(total, true);
    expect(declared.status).toBe(413);
    expect(declared.writtenAtAnswer).toBe(0);
    expect(await services.db.upload.count({ where: { userId } })).toBe(0);
  }, 60_000);
});
