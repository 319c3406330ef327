// The outbox row's state machine as seen by the worker, each step one atomic UPDATE:
//
//   queued ──claim──▶ sending ──(commit point)──▶ sending+committingAt ──accepted──▶ sent
//     ▲                 │  │                                  │
//     └──── transient ──┘  └── permanent / last attempt ──▶ failed ◀── no answer to the final dot,
//                                                                     or its worker died after the
//                                                                     commit point ("uncertain")
//
// An attempt owns the row while state = 'sending' and attempts = the number its claim
// returned; it renews claimedAt (its lease) while it runs, and checks it once more right
// before the message's final dot. The commit point is recorded once that dot has been handed
// to the operating system. A lease that lapses before the commit point means the server cannot
// have the message (it takes none without its final dot), with one exception SMTP itself cannot
// rule out: the attempt died in the moment between the dot going out and recording it. Such a
// row is claimed again and sent; the recipient may then get it twice. After the commit point
// the server may have the message: the row is never sent again automatically. (Recording the
// commit point before the dot instead turned that moment into a message that was lost:
// marked "uncertain", never resent, never delivered; the chaos bench met it.)
import type { Db } from '../../src/lib/server/db.js';

export interface ClaimedRow {
  id: string;
  tenantId: string;
  userId: string;
  accountId: string;
  messageId: string;
  envelopeFrom: string;
  recipients: string[];
  raw: Uint8Array;
  attempts: number;
}

export const UNCERTAIN_REASON =
  'This message may or may not have gone out: the connection to the mail server was lost ' +
  'just as the server was taking it, so delivery could not be confirmed. It was not sent again ' +
  'automatically, so that nobody gets it twice. Check with a recipient whether it arrived; if it ' +
  'did not, press Retry.';

/** queued and due, or sending under a lapsed lease that never reached the commit point. */
export async function claim(db: Db, id: string, leaseSeconds: number): Promise<ClaimedRow | null> {
  const rows = await db.$queryRaw<ClaimedRow[]>`
    UPDATE "OutboxMessage"
       SET state = 'sending', attempts = attempts + 1, "claimedAt" = now(), "committingAt" = NULL,
           "updatedAt" = now()
     WHERE id = ${id}::uuid
       AND ((state = 'queued' AND "sendAfter" <= now())
         OR (state = 'sending' AND "committingAt" IS NULL
             AND "claimedAt" < now() - make_interval(secs => ${leaseSeconds}::float8)))
 RETURNING id, "tenantId", "userId", "accountId", "messageId", "envelopeFrom", recipients, raw, attempts`;
  return rows[0] ?? null;
}

/** Renews the lease; false when the attempt no longer owns the row. */
export async function heartbeat(db: Db, id: string, attempt: number): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE "OutboxMessage" SET "claimedAt" = now()
     WHERE id = ${id}::uuid AND state = 'sending' AND attempts = ${attempt}`;
  return n > 0;
}

/** The commit point, recorded once the final dot went out; false: the attempt lost the row. */
export async function markCommitting(db: Db, id: string, attempt: number): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE "OutboxMessage" SET "committingAt" = now(), "claimedAt" = now(), "updatedAt" = now()
     WHERE id = ${id}::uuid AND state = 'sending' AND attempts = ${attempt}`;
  return n > 0;
}

/**
 * The server accepted the message. Also corrects a row the sweeper marked "uncertain" while
 * this attempt was still waiting for the answer: we know better now.
 */
export async function markSent(db: Db, id: string, attempt: number, response: string): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE "OutboxMessage"
       SET state = 'sent', "sentAt" = now(), "smtpResponse" = ${response.slice(0, 1000)},
           "lastError" = NULL, "claimedAt" = NULL, "updatedAt" = now()
     WHERE id = ${id}::uuid AND attempts = ${attempt} AND state IN ('sending', 'failed')`;
  return n > 0;
}

/** A transient failure before anything was committed: back to the queue for the next try. */
export async function requeue(db: Db, id: string, attempt: number, reason: string): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE "OutboxMessage"
       SET state = 'queued', "lastError" = ${reason}, "claimedAt" = NULL, "committingAt" = NULL,
           "updatedAt" = now()
     WHERE id = ${id}::uuid AND state = 'sending' AND attempts = ${attempt}`;
  return n > 0;
}

export async function markFailed(db: Db, id: string, attempt: number, reason: string): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE "OutboxMessage"
       SET state = 'failed', "lastError" = ${reason}, "claimedAt" = NULL, "updatedAt" = now()
     WHERE id = ${id}::uuid AND state = 'sending' AND attempts = ${attempt}`;
  return n > 0;
}

/**
 * Rows whose attempt died after the commit point (lease lapsed with committingAt set): the
 * server may have the message, so they fail with the "uncertain" reason instead of a resend.
 */
export async function failUncertain(
  db: Db,
  leaseSeconds: number,
  only: { id?: string; tenantIds?: string[] | null } = {}
): Promise<{ id: string; userId: string }[]> {
  const tenants = only.tenantIds ?? null;
  return db.$queryRaw<{ id: string; userId: string }[]>`
    UPDATE "OutboxMessage"
       SET state = 'failed', "lastError" = ${UNCERTAIN_REASON}, "claimedAt" = NULL, "updatedAt" = now()
     WHERE state = 'sending' AND "committingAt" IS NOT NULL
       AND "claimedAt" < now() - make_interval(secs => ${leaseSeconds}::float8)
       AND (${only.id ?? null}::uuid IS NULL OR id = ${only.id ?? null}::uuid)
       AND (${tenants === null} OR "tenantId"::text = ANY(${tenants ?? []}::text[]))
 RETURNING id, "userId"`;
}
