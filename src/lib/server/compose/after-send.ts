// What follows once the SMTP server has accepted a message (the worker calls this right after
// recording the row as sent): the replied message gets \Answered, and the recipients count as
// contacts. Done on acceptance rather than when Send is pressed, so an undone, cancelled or
// failed message leaves neither a flag nor a contact behind. Best effort: the message has gone
// out whatever happens here, so a failure is logged, never retried as a send.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { setFlagsInDb } from '../actions/flags.js';
import type { Db } from '../db.js';
import { recordSent } from '../contacts/contacts.js';
import { readDraft } from './draft.js';

export interface AfterSendDeps {
  db: Db;
  redis: Redis;
  prefix: string;
  log: Logger;
  /** enqueue imap.setFlags (the worker has no Producer of its own for the sync queue) */
  enqueueSetFlags: (p: {
    accountId: string;
    messageIds: string[];
    add: string[];
    remove: string[];
  }) => Promise<unknown>;
}

export async function afterSend(deps: AfterSendDeps, outboxId: string): Promise<void> {
  try {
    const row = await deps.db.outboxMessage.findUnique({
      where: { id: outboxId },
      select: { tenantId: true, userId: true, accountId: true, state: true, draft: true, sentAt: true }
    });
    if (!row || row.state !== 'sent') return;
    const draft = readDraft(row.draft);
    const scope = { tenantId: row.tenantId, userId: row.userId };
    await recordSent(deps.db, scope, [...draft.to, ...draft.cc, ...draft.bcc], row.sentAt ?? new Date());
    if (draft.answers) {
      const change = { add: ['\\Answered'], remove: [] };
      const changed = await setFlagsInDb(
        { db: deps.db, redis: deps.redis, prefix: deps.prefix },
        { ...scope, accountId: row.accountId },
        [draft.answers],
        change
      );
      if (changed.length)
        await deps.enqueueSetFlags({ accountId: row.accountId, messageIds: changed, ...change });
    }
  } catch (err) {
    deps.log.warn({ err, outboxId }, 'after sending: could not flag the original or count the contacts');
  }
}
