import type { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { openSecret } from '../../src/lib/server/crypto/envelope.js';
import { masterKeys } from '../../src/lib/server/crypto/keys.js';
import type { Db } from '../../src/lib/server/db.js';
import { snippetFromText, textFromHtml } from '../../src/lib/server/mail/snippet.js';
import { openImap } from '../imap/connection.js';
import type { JobContext, JobHandler } from '../registry.js';

/** Above this, only the text parts are worth keeping; the whole source is not parsed here. */
export const MAX_PARSE_BYTES = 25 * 1024 * 1024;

/** What fetching a body needs to know about its message row. */
export const bodyRowSelect = {
  id: true,
  accountId: true,
  uid: true,
  uidValidity: true,
  size: true,
  bodyFetchedAt: true,
  folder: { select: { path: true } },
  attachments: { select: { id: true, contentId: true } }
} as const;

export type BodyRow = NonNullable<Awaited<ReturnType<typeof findBodyRows>>>[number];

export function findBodyRows(db: Db, accountId: string, messageIds: string[]) {
  return db.message.findMany({ where: { id: { in: messageIds }, accountId }, select: bodyRowSelect });
}

/** Logs in to the account's IMAP server (through the per-host gate). */
export async function openAccountImap(ctx: JobContext, accountId: string): Promise<ImapFlow | null> {
  const a = await ctx.db.mailAccount.findUnique({ where: { id: accountId } });
  if (!a) return null;
  return openImap(
    {
      host: a.imapHost,
      port: a.imapPort,
      tls: a.imapTls,
      username: a.username,
      password: openSecret(masterKeys(ctx.env), a.id, a)
    },
    ctx.env.IMAP_TIMEOUT,
    ctx.gate
  );
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * A claim on fetching one message's body, in Redis: the open of a message (imap.fetchBody) and
 * the prefetch (imap.fetchBodies) must not both fetch and render it (a big one renders for
 * seconds, and one render thread would do it twice). Held while its source is fetched and while
 * it is parsed, rendered and stored; it lapses on its own should the worker die meanwhile.
 */
export const bodyClaim = {
  key: (ctx: JobContext, messageId: string) => `${ctx.env.QUEUE_PREFIX}:body-claim:${messageId}`,
  /** Long enough for a fetch and the two renders (HTML, then text) that may each hit the timeout. */
  ttlMs: (ctx: JobContext) => (ctx.env.IMAP_TIMEOUT + 2 * ctx.env.RENDER_TIMEOUT_SECONDS + 30) * 1000,
  async take(ctx: JobContext, messageId: string): Promise<boolean> {
    const key = bodyClaim.key(ctx, messageId);
    return (await ctx.redis.set(key, ctx.jobId, 'PX', bodyClaim.ttlMs(ctx), 'NX')) === 'OK';
  },
  async release(ctx: JobContext, messageId: string): Promise<void> {
    await ctx.redis.eval(RELEASE, 1, bodyClaim.key(ctx, messageId), ctx.jobId);
  }
};

/** Waits while another job holds the claim; true when that job stored the body. */
async function waitForOther(ctx: JobContext, messageId: string): Promise<boolean> {
  const end = Date.now() + bodyClaim.ttlMs(ctx);
  while (Date.now() < end) {
    const row = await ctx.db.message.findUnique({
      where: { id: messageId },
      select: { bodyFetchedAt: true }
    });
    if (!row || row.bodyFetchedAt) return true;
    if (!(await ctx.redis.exists(bodyClaim.key(ctx, messageId)))) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/**
 * Parses a fetched source (mailparser) and stores its text and HTML as the sender wrote them
 * (for search, and to render again after a sanitiser change), a snippet, and the body rendered
 * for reading on a render thread. Called with the IMAP connection already closed: parsing and
 * rendering can take seconds. Stores nothing when the body was stored meanwhile (the open and
 * the prefetch of one message can race).
 */
export async function storeSource(ctx: JobContext, msg: BodyRow, source: Buffer) {
  const parsed = await simpleParser(source, {
    skipImageLinks: true,
    skipTextToHtml: true,
    maxHtmlLengthToParse: 5_000_000
  });
  const text = parsed.text ?? null;
  const html = typeof parsed.html === 'string' ? parsed.html : null;
  const { rendered, ms } = await ctx.renderer.render(
    { body: { htmlBody: html, textBody: text }, attachments: msg.attachments },
    { messageId: msg.id, log: ctx.log }
  );
  const { count } = await ctx.db.message.updateMany({
    where: { id: msg.id, bodyFetchedAt: null },
    data: {
      textBody: text,
      htmlBody: html,
      snippet: snippetFromText(text?.trim() ? text : html ? textFromHtml(html) : ''),
      bodyFetchedAt: new Date(),
      ...rendered
    }
  });
  return { stored: count === 1, bytes: source.length, renderMs: ms, renderError: rendered.renderError };
}

/**
 * Fetches one message's source and stores it with its render (storeSource): opening the message
 * is then a read, and the seconds a big HTML mail takes to sanitise are spent here, on a render
 * thread, not in the app. Does nothing if the body is already there or the row is gone. The
 * prefetch of recent mail goes through imap.fetchBodies (one login for many).
 */
export const fetchBodyJob: JobHandler<'imap.fetchBody'> = async (p, ctx) => {
  const [msg] = await findBodyRows(ctx.db, p.accountId, [p.messageId]);
  if (!msg) return { skipped: 'message gone' };
  if (msg.bodyFetchedAt) return { skipped: 'already fetched' };
  if (msg.size > MAX_PARSE_BYTES) return { skipped: 'too large to parse here' };
  // the prefetch has it in hand: wait for it rather than fetch and render it a second time
  if (!(await bodyClaim.take(ctx, msg.id))) {
    if (await waitForOther(ctx, msg.id)) return { skipped: 'stored by another job' };
    await bodyClaim.take(ctx, msg.id);
  }
  try {
    return await fetchAndStore(ctx, msg);
  } finally {
    await bodyClaim.release(ctx, msg.id);
  }
};

async function fetchAndStore(ctx: JobContext, msg: BodyRow) {
  const client = await openAccountImap(ctx, msg.accountId);
  if (!client) return { skipped: 'account gone' };
  let source: Buffer | undefined;
  try {
    const lock = await client.getMailboxLock(msg.folder.path, { readOnly: true });
    try {
      if (!client.mailbox || client.mailbox.uidValidity !== msg.uidValidity)
        return { skipped: 'folder changed' };
      // BODY.PEEK: reading the body here must not mark the message as read
      const fetched = await client.fetchOne(msg.uid.toString(), { source: true }, { uid: true });
      source = fetched ? fetched.source : undefined;
    } finally {
      lock.release();
    }
  } finally {
    // parsing and rendering can take seconds: not while holding a connection to the server
    await client.logout().catch(() => client.close());
  }
  if (!source) return { skipped: 'message gone from the server' };
  return storeSource(ctx, msg, source);
}
