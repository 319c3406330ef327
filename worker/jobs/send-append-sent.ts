import type { ImapFlow, ListResponse } from 'imapflow';
import { readDraft } from '../../src/lib/server/compose/draft.js';
import { withBccHeader } from '../../src/lib/server/compose/mime.js';
import { openSecret } from '../../src/lib/server/crypto/envelope.js';
import { masterKeys } from '../../src/lib/server/crypto/keys.js';
import { openImap } from '../imap/connection.js';
import type { JobHandler } from '../registry.js';
import { publishSendStatus } from './send-message.js';
import { publishControl } from '../../src/lib/server/realtime/events.js';

/** Servers that file a copy of every message sent through them in Sent themselves. */
const SAVES_SENT_ITSELF =
  /(^|\.)(gmail\.com|googlemail\.com|office365\.com|outlook\.com|hotmail\.com|live\.com)$/i;

const SENT_NAMES = /^(sent|sent items|sent messages|sent mail|gesendet|envoyés|enviados|inviata)$/i;

function sentFolder(list: ListResponse[]): string | null {
  const usable = list.filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'));
  return (
    usable.find((f) => f.specialUse === '\\Sent')?.path ??
    usable.find((f) => SENT_NAMES.test(f.name))?.path ??
    null
  );
}

/**
 * Puts the copy of a sent message in the account's Sent folder, unless a message with its
 * Message-ID is there already (this job ran before, or the server files sent mail itself).
 * A separate job from the send, so that a failing append can never cause a resend.
 */
export const appendSentJob: JobHandler<'send.appendSent'> = async (p, ctx) => {
  const { db, env, log } = ctx;
  const row = await db.outboxMessage.findUnique({
    where: { id: p.outboxId },
    include: { account: true }
  });
  if (!row || row.state !== 'sent') return { skipped: row ? row.state : 'gone' };
  if (row.appendedAt) return { skipped: 'already in Sent' };
  const account = row.account;
  if (SAVES_SENT_ITSELF.test(account.smtpHost)) {
    await db.outboxMessage.update({ where: { id: row.id }, data: { appendedAt: new Date() } });
    return { skipped: 'the server files sent mail itself' };
  }
  let client: ImapFlow | undefined;
  try {
    client = await openImap(
      {
        host: account.imapHost,
        port: account.imapPort,
        tls: account.imapTls,
        username: account.username,
        password: openSecret(masterKeys(env), account.id, account)
      },
      env.IMAP_TIMEOUT,
      ctx.gate
    );
    let path = sentFolder(await client.list());
    if (!path) {
      path = 'Sent';
      await client.mailboxCreate(path).catch(() => {}); // may exist unflagged: the append tells
    }
    const lock = await client.getMailboxLock(path);
    let found = false;
    try {
      const uids = await client.search({ header: { 'message-id': row.messageId } }, { uid: true });
      found = Array.isArray(uids) && uids.length > 0;
      if (!found) {
        const copy = withBccHeader(Buffer.from(row.raw), readDraft(row.draft).bcc);
        await client.append(path, copy, ['\\Seen'], row.sentAt ?? new Date());
      }
    } finally {
      lock.release();
    }
    await client.logout();
    await db.outboxMessage.update({
      where: { id: row.id },
      data: { appendedAt: new Date(), appendError: null }
    });
    // the account's runner brings the copy in now, so it shows in Sent without waiting for
    // the periodic resync
    const sent = await db.folder.findFirst({
      where: { tenantId: account.tenantId, accountId: account.id, path },
      select: { id: true }
    });
    if (sent)
      await publishControl(ctx.redis, env.QUEUE_PREFIX, {
        type: 'SyncFolder',
        accountId: account.id,
        folderId: sent.id
      });
    return { appended: !found, folder: path };
  } catch (err) {
    client?.close();
    if (ctx.attempt < ctx.maxAttempts) throw err;
    const reason = `Sent, but the copy could not be saved in your Sent folder: ${(err as Error).message}`;
    log.warn({ outboxId: row.id, err: { message: (err as Error).message } }, 'could not save to Sent');
    await db.outboxMessage.update({ where: { id: row.id }, data: { appendError: reason.slice(0, 1000) } });
    await publishSendStatus(ctx, row.userId, row.id, 'sent', reason);
    return { failed: true };
  }
};
