import type { Readable } from 'node:stream';
import { classifyConnectError, failureMessage } from '../../src/lib/server/accounts/connect.js';
import { chunkStore, type ChunkStore } from '../../src/lib/server/attachments/chunk-store.js';
import { PART_CHUNK_BYTES, partRow, RAW_PART } from '../../src/lib/server/attachments/part-cache.js';
import { isRefusal, openAccount } from '../imap/connection.js';
import type { JobHandler } from '../registry.js';

/** A failure to tell the user about; `permanent` ones are not retried. */
class FetchFailure extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown }
  ) {
    super(message, options);
    this.name = 'FetchFailure';
  }
}

const GONE =
  'This message is no longer on the mail server (another mail program may have moved or deleted it).';

/**
 * Copies one MIME part (decoded, as the file it is) or the whole message source ("raw") from
 * IMAP into PartCache / PartChunk, one 256 KiB chunk per INSERT as the bytes arrive, so the app
 * can stream it to the browser while it is still coming in and nothing holds the whole file.
 * Starts over cleanly when run again (old chunks deleted first; chunk boundaries are fixed, so
 * a reader that is part-way through finds the same bytes under the same numbers); does
 * nothing when the part is already complete. A failure is written to the row for the user.
 */
export const fetchPartJob: JobHandler<'imap.fetchPart'> = async (p, ctx) => {
  const { db, log } = ctx;
  const msg = await db.message.findFirst({
    where: { id: p.messageId, accountId: p.accountId },
    select: {
      id: true,
      tenantId: true,
      uid: true,
      uidValidity: true,
      folder: { select: { path: true } },
      srcFolderId: true,
      srcUid: true,
      srcUidValidity: true,
      account: true
    }
  });
  if (!msg) return { skipped: 'message gone' }; // its cache rows went with it
  const row = await partRow(
    db,
    { tenantId: msg.tenantId, messageId: msg.id, part: p.part },
    { touch: false }
  );
  if (row.complete) return { skipped: 'already cached' };
  await db.$transaction([
    db.partChunk.deleteMany({ where: { partId: row.id } }),
    db.partCache.update({ where: { id: row.id }, data: { complete: false, size: null, error: null } })
  ]);

  // A move the user made that the server has not seen yet: the server still has it there.
  let where = { path: msg.folder.path, uid: msg.uid, uidValidity: msg.uidValidity };
  if (msg.srcFolderId && msg.srcUid !== null && msg.srcUidValidity !== null) {
    const src = await db.folder.findFirst({
      where: { id: msg.srcFolderId, accountId: p.accountId },
      select: { path: true }
    });
    if (src) where = { path: src.path, uid: msg.srcUid, uidValidity: msg.srcUidValidity };
  }

  try {
    const chunks = chunkStore(ctx.db);
    const bytes = await download(chunks, row.id, p.part, where, msg.account, ctx);
    await db.partCache.update({ where: { id: row.id }, data: { complete: true, size: bytes, error: null } });
    log.info({ messageId: msg.id, part: p.part, bytes }, 'part cached');
    return { stored: true, bytes };
  } catch (err) {
    const failure =
      err instanceof FetchFailure
        ? err
        : new FetchFailure(
            isRefusal(err)
              ? `The mail server refused to hand over this ${p.part === RAW_PART ? 'message' : 'attachment'}.`
              : 'The connection to the mail server broke off. Try again in a moment.',
            false,
            { cause: err }
          );
    const final = failure.permanent || ctx.attempt >= ctx.maxAttempts;
    log.warn({ err, messageId: msg.id, part: p.part, final }, 'fetching a part failed');
    // before the last attempt the row stays without error: a waiting download keeps waiting
    if (final) await db.partCache.updateMany({ where: { id: row.id }, data: { error: failure.message } });
    if (failure.permanent) return { failed: failure.message };
    throw failure;
  }
};

async function download(
  chunks: ChunkStore,
  partId: string,
  part: string,
  where: { path: string; uid: bigint; uidValidity: bigint },
  account: Parameters<typeof openAccount>[0],
  ctx: Parameters<typeof openAccount>[1]
): Promise<number> {
  let client;
  try {
    client = await openAccount(account, ctx);
  } catch (err) {
    const kind = classifyConnectError(err);
    const reason = failureMessage(
      'IMAP',
      { host: account.imapHost, port: account.imapPort },
      kind,
      ctx.env.IMAP_TIMEOUT
    );
    throw new FetchFailure(reason, kind === 'auth', { cause: err });
  }
  try {
    let lock;
    try {
      lock = await client.getMailboxLock(where.path, { readOnly: true });
    } catch (err) {
      if (isRefusal(err)) throw new FetchFailure(GONE, true, { cause: err }); // folder gone
      throw err;
    }
    try {
      if (!client.mailbox || client.mailbox.uidValidity !== where.uidValidity)
        throw new FetchFailure(GONE, true);
      // BODY.PEEK: downloading must not mark the message as read. decodeText off: a text
      // attachment is saved byte for byte, in its own charset.
      const dl = await client.download(where.uid.toString(), part === RAW_PART ? undefined : part, {
        uid: true,
        chunkSize: 2 * PART_CHUNK_BYTES,
        decodeText: false
      });
      if (!dl.content) throw new FetchFailure(GONE, true);
      try {
        return await writeChunks(chunks, partId, dl.content);
      } catch (err) {
        dl.content.destroy();
        if ((err as { code?: string }).code === 'DownloadIncomplete')
          throw new FetchFailure(GONE, true, { cause: err });
        throw err;
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * Cuts the stream into PART_CHUNK_BYTES chunks and writes each as soon as it is full, one
 * INSERT each (not one transaction for the file: the app reads them while more arrive).
 * Awaiting the write pauses the stream, so at most about one chunk is held here.
 */
async function writeChunks(chunks: ChunkStore, partId: string, content: Readable): Promise<number> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let seq = 0;
  let total = 0;
  for await (const piece of content as AsyncIterable<Buffer>) {
    pending.push(piece);
    pendingBytes += piece.length;
    total += piece.length;
    while (pendingBytes >= PART_CHUNK_BYTES) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      await chunks.write(partId, seq++, all.subarray(0, PART_CHUNK_BYTES));
      const rest = all.subarray(PART_CHUNK_BYTES);
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
    }
  }
  if (pendingBytes) await chunks.write(partId, seq, Buffer.concat(pending, pendingBytes));
  return total;
}
