import { simpleParser } from 'mailparser';
import { openSecret } from '../../src/lib/server/crypto/envelope.js';
import { masterKeys } from '../../src/lib/server/crypto/keys.js';
import { snippetFromText, textFromHtml } from '../../src/lib/server/mail/snippet.js';
import { openImap } from '../imap/connection.js';
import type { JobHandler } from '../registry.js';

/** Above this, only the text parts are worth keeping; the whole source is not parsed here. */
const MAX_PARSE_BYTES = 25 * 1024 * 1024;

/**
 * Fetches one message's source, parses it (mailparser) and stores its text and HTML for
 * reading and search, and a snippet. The HTML is stored as the sender wrote it: it is
 * sanitised where it is shown. Does nothing if the body is already there or the row is gone.
 */
export const fetchBodyJob: JobHandler<'imap.fetchBody'> = async (p, ctx) => {
  const { db } = ctx;
  const msg = await db.message.findFirst({
    where: { id: p.messageId, accountId: p.accountId },
    select: {
      id: true,
      uid: true,
      uidValidity: true,
      size: true,
      bodyFetchedAt: true,
      folder: { select: { path: true } },
      account: true
    }
  });
  if (!msg) return { skipped: 'message gone' };
  if (msg.bodyFetchedAt) return { skipped: 'already fetched' };
  if (msg.size > MAX_PARSE_BYTES) return { skipped: 'too large to parse here' };
  const a = msg.account;
  const client = await openImap(
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
  try {
    const lock = await client.getMailboxLock(msg.folder.path, { readOnly: true });
    let source: Buffer | undefined;
    try {
      if (!client.mailbox || client.mailbox.uidValidity !== msg.uidValidity)
        return { skipped: 'folder changed' };
      // BODY.PEEK: reading the body here must not mark the message as read
      const fetched = await client.fetchOne(msg.uid.toString(), { source: true }, { uid: true });
      source = fetched ? fetched.source : undefined;
    } finally {
      lock.release();
    }
    if (!source) return { skipped: 'message gone from the server' };
    const parsed = await simpleParser(source, {
      skipImageLinks: true,
      skipTextToHtml: true,
      maxHtmlLengthToParse: 5_000_000
    });
    const text = parsed.text ?? null;
    const html = typeof parsed.html === 'string' ? parsed.html : null;
    await db.message.update({
      where: { id: msg.id },
      data: {
        textBody: text,
        htmlBody: html,
        snippet: snippetFromText(text?.trim() ? text : html ? textFromHtml(html) : ''),
        bodyFetchedAt: new Date()
      }
    });
    return { stored: true, bytes: source.length };
  } finally {
    await client.logout().catch(() => client.close());
  }
};
