// Replies, forwards, drafts and contacts end to end against the real worker (IMAP sync and
// send), Dovecot, Postfix, PostgreSQL and Redis: the template of a reply, reply-all and forward;
// a reply arrives with its threading headers and flags the original \Answered (here and on the
// server); a forward carries the original attachment byte for byte; autosaved drafts keep
// exactly one copy in the Drafts folder, reopen from there, and go when sent; contacts are
// collected and suggested; and nobody else (other user, other organisation) reaches any of it.
import { randomBytes, randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password';
import { client, makeServices, uniqueEmail } from '../helpers/context';
import { accountInput, newMailbox, withImap, type Mailbox } from '../helpers/mailbox';
import { startWorker, type Running } from '../helpers/process';
import { mailServers } from '../helpers/servers';
import { upload } from '../helpers/uploads';
import { errorOf, until } from '../helpers/wait';

const prefix = `cmp${randomUUID().slice(0, 6)}`;
const PASSWORD = 'correct horse battery staple';
const mail = mailServers();

/** Sources of the messages in a folder whose Message-ID header contains `needle`. */
async function copies(box: Mailbox, folder: string, needle: string): Promise<Buffer[]> {
  return withImap(box, async (c) => {
    const lock = await c.getMailboxLock(folder);
    try {
      const uids = await c.search({ header: { 'message-id': needle } }, { uid: true });
      if (!uids || !uids.length) return [];
      const out: Buffer[] = [];
      for await (const m of c.fetch(uids.join(','), { source: true }, { uid: true })) out.push(m.source!);
      return out;
    } finally {
      lock.release();
    }
  });
}

async function flagsOf(box: Mailbox, folder: string, messageId: string): Promise<Set<string>> {
  return withImap(box, async (c) => {
    const lock = await c.getMailboxLock(folder);
    try {
      const uids = await c.search({ header: { 'message-id': messageId } }, { uid: true });
      if (!uids || !uids.length) return new Set<string>();
      for await (const m of c.fetch(uids.join(','), { flags: true }, { uid: true }))
        return m.flags ?? new Set();
      return new Set<string>();
    } finally {
      lock.release();
    }
  });
}

describe('replies, forwards, drafts and contacts', () => {
  const services = makeServices({ QUEUE_PREFIX: prefix, ALLOW_SIGNUP: 'true' });
  const { db } = services;
  const box = newMailbox('cmp');
  const ann = newMailbox('ann');
  const carol = `carol-${randomUUID().slice(0, 6)}@${mail.domain}`;
  const alias = `alias-${randomUUID().slice(0, 6)}@${mail.domain}`;
  const origId = `orig-${randomUUID()}@example.test`;
  const file = randomBytes(40_000);
  let worker: Running;
  let me: ReturnType<typeof client>;
  let sibling: ReturnType<typeof client>;
  let stranger: ReturnType<typeof client>;
  let accountId: string;
  let origRow: string;

  const caller = () => me.caller();

  beforeAll(async () => {
    // the original: from Ann to me and Dave, Cc Carol and my alias, with an attachment
    const raw = [
      `From: Ann Example <${ann.email}>`,
      `To: ${box.email}, Dave <dave@${mail.domain}>`,
      `Cc: ${carol}, ${alias}`,
      'Subject: Re: Fwd: Plan',
      `Message-ID: <${origId}>`,
      'References: <root@example.test> <mid@example.test>',
      'In-Reply-To: <mid@example.test>',
      'Date: Sun, 01 Nov 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Here is the plan.',
      '--b1',
      'Content-Type: application/octet-stream; name="plan.bin"',
      'Content-Disposition: attachment; filename="plan.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      file.toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--b1--',
      ''
    ].join('\r\n');
    await withImap(box, async (c) => {
      await c.append('INBOX', raw);
      // for the contacts: a sender of received mail, a recipient of sent mail
      await c.append(
        'INBOX',
        `From: Zed Zebra <zed@zoo.test>\r\nTo: ${box.email}\r\nSubject: hi\r\n\r\nhi\r\n`
      );
      await c.append(
        'Sent',
        `From: ${box.email}\r\nTo: Yolanda Young <yolanda@yard.test>\r\nSubject: yo\r\n\r\nyo\r\n`
      );
    });

    const tenant = await db.tenant.create({ data: { slug: `cmp-${randomUUID().slice(0, 8)}`, name: 'Cmp' } });
    const other = await db.tenant.create({
      data: { slug: `cmp-${randomUUID().slice(0, 8)}`, name: 'Other' }
    });
    const users = [
      { tenantId: tenant.id, email: uniqueEmail('writer'), displayName: 'Wendy Writer' },
      { tenantId: tenant.id, email: uniqueEmail('sibling'), displayName: null },
      { tenantId: other.id, email: uniqueEmail('stranger'), displayName: null }
    ];
    for (const u of users)
      await db.user.create({ data: { ...u, passwordHash: await hashPassword(PASSWORD) } });
    worker = startWorker({ QUEUE_PREFIX: prefix, IMAP_SYNC_TENANTS: tenant.id, SEND_RETRY_SECONDS: '1' });
    await worker.waitForLine((l) => l.includes('"worker ready"'), 30_000);
    me = client(services);
    sibling = client(services);
    stranger = client(services);
    for (const [i, c] of [me, sibling, stranger].entries())
      await (await c.caller()).auth.login({ email: users[i]!.email, password: PASSWORD });
    accountId = (await (await caller()).accounts.add(accountInput(box))).id;
    await db.mailAccount.update({ where: { id: accountId }, data: { aliases: [alias] } });
    origRow = (
      await until(
        () => db.message.findFirst({ where: { accountId, messageId: origId }, select: { id: true } }),
        15_000,
        'the original to sync'
      )
    ).id;
  });

  afterAll(async () => {
    if (process.env.DEBUG_WORKER) console.log(worker?.lines.join('\n'));
    await worker?.stop();
    await services.close();
  });

  it('templates a reply, a reply-all and a forward', async () => {
    const c = await caller();
    const reply = await c.compose.template({ accountId, messageId: origRow, mode: 'reply' });
    expect(reply.subject).toBe('Re: Plan');
    expect(reply.to).toEqual([{ name: 'Ann Example', address: ann.email }]);
    expect(reply.cc).toEqual([]);
    expect(reply.inReplyTo).toBe(`<${origId}>`);
    expect(reply.references).toEqual(['<root@example.test>', '<mid@example.test>', `<${origId}>`]);
    expect(reply.answers).toBe(origRow);
    expect(reply.quoteText).toMatch(/Ann Example <.*> wrote:\n> Here is the plan\./);
    expect(reply.forward).toEqual([]);

    const all = await c.compose.template({ accountId, messageId: origRow, mode: 'replyAll' });
    // never my own address or alias
    expect(all.to.map((a) => a.address)).toEqual([ann.email, `dave@${mail.domain}`]);
    expect(all.cc.map((a) => a.address)).toEqual([carol]);

    const fwd = await c.compose.template({ accountId, messageId: origRow, mode: 'forward' });
    expect(fwd.subject).toBe('Fwd: Plan');
    expect(fwd.to).toEqual([]);
    expect(fwd.inReplyTo).toBeNull();
    expect(fwd.quoteText).toContain('---------- Forwarded message ----------');
    expect(fwd.forward).toEqual([expect.objectContaining({ filename: 'plan.bin', messageId: origRow })]);
  });

  it('a reply arrives threaded, flags the original \\Answered and counts the contact', async () => {
    const c = await caller();
    const t = await c.compose.template({ accountId, messageId: origRow, mode: 'reply' });
    const res = await c.compose.send({
      accountId,
      to: t.to,
      subject: t.subject,
      text: `Sounds good.\n\n${t.quoteText}`,
      inReplyTo: t.inReplyTo,
      references: t.references,
      answers: t.answers,
      undoSeconds: 0
    });
    await until(
      async () => (await copies(ann, 'INBOX', res.messageId)).length > 0,
      15_000,
      'the reply delivered'
    );
    const [got] = await copies(ann, 'INBOX', res.messageId);
    const parsed = await simpleParser(got!);
    expect(parsed.subject).toBe('Re: Plan');
    expect(parsed.inReplyTo).toBe(`<${origId}>`);
    expect(parsed.references).toEqual(['<root@example.test>', '<mid@example.test>', `<${origId}>`]);
    expect(parsed.from?.value[0]).toEqual({ name: 'Wendy Writer', address: box.email });
    // \Answered: in PostgreSQL, then on the server
    await until(
      async () =>
        (await db.message.findUniqueOrThrow({ where: { id: origRow } })).flags.includes('\\Answered'),
      10_000,
      '\\Answered in the database'
    );
    await until(
      async () => (await flagsOf(box, 'INBOX', origId)).has('\\Answered'),
      10_000,
      '\\Answered on IMAP'
    );
    const userId = (await db.mailAccount.findUniqueOrThrow({ where: { id: accountId } })).userId;
    const contact = await db.contact.findFirst({ where: { userId, address: ann.email.toLowerCase() } });
    expect(contact?.count).toBeGreaterThanOrEqual(1);
  });

  it('a forward carries the original attachment byte for byte', async () => {
    const c = await caller();
    const t = await c.compose.template({ accountId, messageId: origRow, mode: 'forward' });
    const res = await c.compose.send({
      accountId,
      to: [ann.email],
      subject: t.subject,
      text: `FYI\n\n${t.quoteText}`,
      forward: t.forward.map((f) => ({ messageId: f.messageId, attachmentId: f.attachmentId })),
      undoSeconds: 0
    });
    await until(
      async () => (await copies(ann, 'INBOX', res.messageId)).length > 0,
      20_000,
      'the forward delivered'
    );
    const parsed = await simpleParser((await copies(ann, 'INBOX', res.messageId))[0]!);
    expect(parsed.subject).toBe('Fwd: Plan');
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['plan.bin']);
    expect(Buffer.compare(parsed.attachments[0]!.content, file)).toBe(0);
    // a forward is not a reply: the original's flags are untouched by it
    expect((await db.outboxMessage.findUniqueOrThrow({ where: { id: res.outboxId } })).draft).toMatchObject({
      answers: null
    });
  });

  it('drafts: one copy in Drafts per save, reopened from there, gone when sent', async () => {
    const c = await caller();
    const img = randomBytes(2_000);
    const imgId = await upload(services, me, img, 'pic.png', 'image/png');
    const v1 = await c.compose.saveDraft({
      accountId,
      to: ['not-yet-an-addr', `Ann <${ann.email}>`],
      subject: 'Draft subject',
      text: 'first words',
      html: '<div>first words</div>'
    });
    const dId = v1.draftId;
    await until(async () => (await copies(box, 'Drafts', dId)).length === 1, 10_000, 'draft v1 on IMAP');
    const v2 = await c.compose.saveDraft({
      accountId,
      draftId: dId,
      to: ['not-yet-an-addr', `Ann <${ann.email}>`],
      subject: 'Draft subject, edited',
      text: '',
      html: '<div>second words <img src="cid:pic@inline"></div>',
      attachments: [{ uploadId: imgId, cid: 'pic@inline' }]
    });
    expect(v2.version).toBe(2);
    await until(
      async () => {
        const cs = await copies(box, 'Drafts', dId);
        return cs.length === 1 && cs[0]!.toString().includes('Draft subject, edited') ? cs : null;
      },
      10_000,
      'exactly one copy, the new one'
    );
    // a save that leaves the files out keeps them
    await c.compose.saveDraft({
      accountId,
      draftId: dId,
      to: [`Ann <${ann.email}>`],
      subject: 'Draft subject, edited',
      html: '<div>third words <img src="cid:pic@inline"></div>'
    });
    const copy = await until(
      async () => {
        const cs = await copies(box, 'Drafts', dId);
        return cs.length === 1 && cs[0]!.toString().includes('third words') ? cs[0]! : null;
      },
      10_000,
      'version 3 on IMAP'
    );
    const parsedCopy = await simpleParser(copy);
    expect(parsedCopy.attachments.map((a) => a.cid)).toEqual(['pic@inline']);
    // the copy shows up in the Drafts folder of the app, and opens as this draft
    const row = await until(
      () =>
        db.message.findFirst({
          where: { accountId, messageId: { startsWith: `${dId}.3@` }, folder: { specialUse: '\\Drafts' } },
          select: { id: true }
        }),
      15_000,
      'the draft copy synced'
    );
    const opened = await c.compose.openDraft({ accountId, messageId: row.id });
    expect(opened).toMatchObject({
      draftId: dId,
      version: 3,
      subject: 'Draft subject, edited',
      to: [`Ann <${ann.email}>`]
    });
    // the file comes back as a fresh upload of this user, byte for byte, to send by id
    expect(opened.attachments).toEqual([
      expect.objectContaining({
        filename: 'pic.png',
        contentType: 'image/png',
        cid: 'pic@inline',
        size: 2_000
      })
    ]);
    const reopened = await db.upload.findFirstOrThrow({
      where: { id: opened.attachments[0]!.uploadId },
      include: { chunks: { orderBy: { seq: 'asc' } } }
    });
    expect(reopened).toMatchObject({ complete: true, draftId: dId, filename: 'pic.png' });
    expect(Buffer.compare(Buffer.concat(reopened.chunks.map((c) => Buffer.from(c.data))), img)).toBe(0);
    // sending it removes it from Drafts
    const sent = await c.compose.send({
      accountId,
      to: [ann.email],
      subject: 'Draft subject, edited',
      html: '<div>third words</div>',
      draftId: dId,
      undoSeconds: 0
    });
    await until(
      async () => (await copies(box, 'Drafts', dId)).length === 0,
      10_000,
      'the draft removed on IMAP'
    );
    await until(
      async () => !(await db.draft.findUnique({ where: { id: dId } })),
      10_000,
      'the draft row removed'
    );
    expect(await errorOf(c.compose.getDraft({ accountId, draftId: dId }))).toMatchObject({
      code: 'NOT_FOUND'
    });
    await until(
      async () => (await copies(ann, 'INBOX', sent.messageId)).length === 1,
      15_000,
      'the draft sent'
    );
  });

  it('a draft written by another program is adopted: the first save replaces it', async () => {
    const foreign = `foreign-${randomUUID()}@other.test`;
    await withImap(box, (c) =>
      c
        .append(
          'Drafts',
          `From: ${box.email}\r\nTo: ${carol}\r\nSubject: From Thunderbird\r\nMessage-ID: <${foreign}>\r\n\r\nhalf a thought\r\n`,
          ['\\Draft']
        )
        .then(() => undefined)
    );
    const drafts = await db.folder.findFirstOrThrow({ where: { accountId, specialUse: '\\Drafts' } });
    const c = await caller();
    await c.messages.list({ accountId, folderId: drafts.id }); // asks the worker to resync it
    const row = await until(
      () => db.message.findFirst({ where: { accountId, messageId: foreign }, select: { id: true } }),
      15_000,
      'the foreign draft synced'
    );
    const opened = await c.compose.openDraft({ accountId, messageId: row.id });
    expect(opened).toMatchObject({ draftId: null, adopts: row.id, subject: 'From Thunderbird', to: [carol] });
    expect(opened.text).toContain('half a thought');
    const saved = await c.compose.saveDraft({
      accountId,
      adopts: opened.adopts,
      to: opened.to,
      subject: opened.subject,
      text: `${opened.text}and the rest`
    });
    await until(
      async () =>
        (await copies(box, 'Drafts', foreign)).length === 0 &&
        (await copies(box, 'Drafts', saved.draftId)).length === 1,
      10_000,
      'the foreign draft replaced'
    );
    await c.compose.discardDraft({ accountId, draftId: saved.draftId });
    await until(
      async () => (await copies(box, 'Drafts', saved.draftId)).length === 0,
      10_000,
      'discarded on IMAP'
    );
  });

  it('suggests contacts from synced and sent mail, by prefix of address or name', async () => {
    const c = await caller();
    const sent = await db.folder.findFirstOrThrow({ where: { accountId, specialUse: '\\Sent' } });
    await c.messages.list({ accountId, folderId: sent.id }); // the Sent folder synced
    await until(() => db.message.findFirst({ where: { accountId, subject: 'yo' } }), 10_000, 'Sent synced');
    await until(() => db.message.findFirst({ where: { accountId, subject: 'hi' } }), 10_000, 'INBOX synced');
    await c.compose.suggest({ query: 'ann' }); // also asks for the rebuild (once per few hours)
    const zed = await until(
      async () => {
        const r = await c.compose.suggest({ query: 'zeb' });
        return r.length ? r : null;
      },
      10_000,
      'the sender of received mail'
    );
    expect(zed).toEqual([expect.objectContaining({ address: 'zed@zoo.test', name: 'Zed Zebra', count: 1 })]);
    expect((await c.compose.suggest({ query: 'yolanda@' })).map((s) => s.name)).toEqual(['Yolanda Young']);
    // only recipients of sent mail and senders of received mail: a Cc of received mail is not
    expect(await c.compose.suggest({ query: 'carol' })).toEqual([]);
    const byName = await c.compose.suggest({ query: 'Exam' }); // "Ann Example"
    expect(byName.map((s) => s.address)).toContain(ann.email.toLowerCase());
    // my own addresses are no contacts
    const mine = await c.compose.suggest({ query: box.email.slice(0, 6) });
    expect(mine.map((s) => s.address)).not.toContain(box.email.toLowerCase());
    // the one I mail most comes first
    const top = await c.compose.suggest({ query: '' });
    expect(top[0]!.address).toBe(ann.email.toLowerCase());
    // a wildcard in the query is just a character
    expect(await c.compose.suggest({ query: '%' })).toEqual([]);
  });

  it('sets the identity: name, Reply-To and signature; a bad Reply-To is refused', async () => {
    const c = await caller();
    await c.compose.setIdentity({ accountId, name: 'W. Writer', replyTo: carol, signature: 'Wendy\nCEO' });
    expect(await c.compose.identity({ accountId })).toMatchObject({
      name: 'W. Writer',
      replyTo: carol,
      signature: 'Wendy\nCEO'
    });
    const err = await errorOf(c.compose.setIdentity({ accountId, replyTo: 'nobody' }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/Reply-To: "nobody" is not a valid email address/);
    const res = await c.compose.send({
      accountId,
      to: [ann.email],
      subject: 'with reply-to',
      text: 'x',
      undoSeconds: 0
    });
    await until(async () => (await copies(ann, 'INBOX', res.messageId)).length === 1, 15_000, 'delivered');
    const parsed = await simpleParser((await copies(ann, 'INBOX', res.messageId))[0]!);
    expect(parsed.replyTo?.value[0]?.address).toBe(carol);
    expect(parsed.from?.value[0]?.name).toBe('W. Writer');
    await c.compose.setIdentity({ accountId, replyTo: null, signature: null });
  });

  it('another user or organisation reaches none of it', async () => {
    const draft = await (await caller()).compose.saveDraft({ accountId, subject: 'private', text: 'secret' });
    const outbox = await (
      await caller()
    ).compose.send({
      accountId,
      to: [ann.email],
      subject: 'held',
      text: 'x',
      undoSeconds: 300
    });
    for (const who of [sibling, stranger]) {
      const c = await who.caller();
      const calls: (() => Promise<unknown>)[] = [
        () => c.compose.template({ accountId, messageId: origRow, mode: 'reply' }),
        () => c.compose.saveDraft({ accountId, draftId: draft.draftId, subject: 'mine now' }),
        () => c.compose.getDraft({ accountId, draftId: draft.draftId }),
        () => c.compose.openDraft({ accountId, messageId: origRow }),
        () => c.compose.discardDraft({ accountId, draftId: draft.draftId }),
        () => c.compose.identity({ accountId }),
        () => c.compose.setIdentity({ accountId, signature: 'pwned' }),
        () => c.compose.outboxGet({ outboxId: outbox.outboxId })
      ];
      for (const call of calls) expect((await errorOf(call())).code).toBe('NOT_FOUND');
      expect(await c.compose.suggest({ query: '' })).toEqual([]);
    }
    // their own account cannot point at my messages either
    const theirs = newMailbox('theirs');
    const sib = await sibling.caller();
    const theirAccount = (await sib.accounts.add(accountInput(theirs))).id;
    expect(
      (await errorOf(sib.compose.template({ accountId: theirAccount, messageId: origRow, mode: 'forward' })))
        .code
    ).toBe('NOT_FOUND');
    expect(
      (await errorOf(sib.compose.getDraft({ accountId: theirAccount, draftId: draft.draftId }))).code
    ).toBe('NOT_FOUND');
    const att = await db.attachment.findFirstOrThrow({ where: { messageId: origRow } });
    expect(
      (
        await errorOf(
          sib.compose.send({
            accountId: theirAccount,
            to: [ann.email],
            subject: 'steal',
            text: 'x',
            forward: [{ messageId: origRow, attachmentId: att.id }],
            undoSeconds: 0
          })
        )
      ).code
    ).toBe('NOT_FOUND');
    // nothing of mine changed
    expect((await db.draft.findUniqueOrThrow({ where: { id: draft.draftId } })).deletedAt).toBeNull();
    expect((await db.mailAccount.findUniqueOrThrow({ where: { id: accountId } })).signature).toBeNull();
    await (await caller()).compose.cancel({ outboxId: outbox.outboxId });
  });
});
