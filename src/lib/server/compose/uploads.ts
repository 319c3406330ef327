// Files the composer uploads before sending (POST /api/uploads). The request body is the raw
// file; it is streamed into UploadChunk rows 256 KiB at a time (never held whole), and refused
// with 413 as soon as it passes the limit (at once when Content-Length already says so). The
// row is `complete` only once every byte is in; a refused or broken-off upload is deleted, and
// an incomplete row is never read (the prune job removes one left by a crash).
//
// compose.send / edit / saveDraft name uploads by id; loadUploads reads them back, scoped to
// the tenant and user. A draft opened again (resumed, undone, edited) gets fresh uploads made
// from the parts of its stored message, so the composer never carries file bytes in JSON.
//
// Chunks go through node-postgres (a Buffer parameter is sent as binary), not Prisma: see
// src/lib/server/attachments/chunk-store.ts for why.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { SessionUser } from '../auth/session.js';
import { contentDisposition, inlineAllowed, servedContentType } from '../attachments/download-headers.js';
import { pgPool, type Db } from '../db.js';
import type { Env } from '../env.js';
import { AppError } from '../errors.js';
import type { AttachmentInput } from './draft.js';
import { formatBytes, type ComposeAttachment } from './mime.js';

export const UPLOAD_CHUNK_BYTES = 256 * 1024;
/** uploads a user may start in an hour (a composer uploads each file once) */
export const UPLOADS_PER_HOUR = 300;
/** bytes of uploads a user may keep on the server at once, in messages' worth */
export const UPLOAD_QUOTA_MESSAGES = 20;
/** an upload nothing used for this long is deleted (unless a live draft uses it) */
export const UPLOAD_KEEP_HOURS = 24;
/** an upload still incomplete after this long was cut off by a crash */
const INCOMPLETE_KEEP_HOURS = 6;
const HOUR = 3600 * 1000;

export interface UploadScope {
  tenantId: string;
  userId: string;
}

/** What the composer gets back for a file on the server, and sends by id. */
export interface UploadRef {
  uploadId: string;
  filename: string;
  contentType: string;
  size: number;
  cid: string | null;
}

export interface UploadDeps {
  db: Db;
  env: Pick<Env, 'MAX_MESSAGE_BYTES' | 'DATABASE_URL'>;
  log: Logger;
}

/**
 * The biggest file that can still be sent: a message is at most MAX_MESSAGE_BYTES as sent,
 * and an attachment grows by a third when encoded (base64).
 */
export function uploadLimit(env: Pick<Env, 'MAX_MESSAGE_BYTES'>): number {
  return Math.floor((env.MAX_MESSAGE_BYTES * 3) / 4);
}

export function tooBigMessage(env: Pick<Env, 'MAX_MESSAGE_BYTES'>, filename: string): string {
  return `"${filename}" is too big: a file can be at most ${formatBytes(uploadLimit(env))} (a message can be at most ${formatBytes(env.MAX_MESSAGE_BYTES)}, and attachments grow by a third when sent).`;
}

export const cleanFilename = (s: string) =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\x00-\x1f\x7f/\\]+/g, '_');

/** The file's name (query `filename`) and type (the Content-Type header). */
export const uploadMetaSchema = z.object({
  filename: z
    .string({ error: 'Give the file name as ?filename=…' })
    .trim()
    .min(1, 'An upload needs a file name (?filename=…).')
    .max(255, 'A file name is too long (255 characters at most).')
    .transform(cleanFilename),
  contentType: z
    .string()
    .transform((s) => s.split(';')[0]!.trim().toLowerCase() || 'application/octet-stream')
    .pipe(z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'Not a content type (like image/png).'))
});

// ---------------------------------------------------------------------------------------------
// chunk storage

export class UploadStore {
  constructor(private readonly pool: pg.Pool) {}

  async write(uploadId: string, seq: number, data: Buffer): Promise<void> {
    await this.pool.query(`INSERT INTO "UploadChunk" ("uploadId", "seq", "data") VALUES ($1, $2, $3)`, [
      uploadId,
      seq,
      data
    ]);
  }

  /** Every chunk of these uploads, concatenated per upload (ids must be complete uploads). */
  async readAll(uploadIds: string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer[]>();
    if (uploadIds.length) {
      const r = await this.pool.query<{ uploadId: string; data: Buffer }>(
        `SELECT "uploadId", "data" FROM "UploadChunk" WHERE "uploadId" = ANY($1::uuid[]) ORDER BY "uploadId", "seq"`,
        [uploadIds]
      );
      for (const row of r.rows) {
        const list = out.get(row.uploadId) ?? [];
        list.push(row.data);
        out.set(row.uploadId, list);
      }
    }
    return new Map(uploadIds.map((id) => [id, Buffer.concat(out.get(id) ?? [])]));
  }

  async read(uploadId: string, seq: number): Promise<Buffer | null> {
    const r = await this.pool.query<{ data: Buffer }>(
      `SELECT "data" FROM "UploadChunk" WHERE "uploadId" = $1 AND "seq" = $2`,
      [uploadId, seq]
    );
    return r.rows[0]?.data ?? null;
  }
}

const stores = new WeakMap<Db, UploadStore>();

/** The upload store over the client's own connection pool (see pgPool). */
export function uploadStore(db: Db): UploadStore {
  let s = stores.get(db);
  if (!s) stores.set(db, (s = new UploadStore(pgPool(db))));
  return s;
}

// ---------------------------------------------------------------------------------------------
// HTTP

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }
  });
}

const problem = (status: number, message: string, headers: Record<string, string> = {}) =>
  json(status, { error: { message } }, headers);

const needLogin = () => problem(401, 'Log in to upload files.');
const notFound = () =>
  problem(404, 'Not found: this upload does not exist (it may have been removed or expired).');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads and throws away the rest of a refused body in the background, so the answer (already
 * sent) reaches a browser that is still sending; gives up (closing the connection) past `max`.
 */
function drain(body: ReadableStream<Uint8Array> | null, max: number): void {
  if (!body || body.locked) return;
  const reader = body.getReader();
  let seen = 0;
  const next = (): void => {
    reader.read().then(
      ({ done, value }) => {
        if (done) return;
        seen += value.length;
        if (seen > max) void reader.cancel().catch(() => {});
        else next();
      },
      () => {}
    );
  };
  next();
}

/** Thrown inside the streaming loop when the body passes the limit. */
class TooBig extends Error {}

/**
 * POST /api/uploads?filename=…: the raw file as the body, its type as Content-Type. Answers
 * 201 `{ id, filename, contentType, size }`; 413 as soon as it is too big; 401 without a
 * session; 429 past the user's hourly count or stored bytes.
 */
export async function receiveUpload(
  deps: UploadDeps,
  user: SessionUser | null,
  request: Request,
  url: URL
): Promise<Response> {
  const { db, env } = deps;
  const limit = uploadLimit(env);
  const refuse = (res: Response) => {
    drain(request.body, limit * 2 + 1024 * 1024);
    return res;
  };
  if (!user) return refuse(needLogin());
  const meta = uploadMetaSchema.safeParse({
    filename: url.searchParams.get('filename') ?? undefined,
    contentType: request.headers.get('content-type') ?? 'application/octet-stream'
  });
  if (!meta.success) return refuse(problem(400, meta.error.issues[0]!.message));
  const { filename, contentType } = meta.data;
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit)
    return refuse(problem(413, tooBigMessage(env, filename)));

  const scope = { tenantId: user.tenantId, userId: user.id };
  const recent = await db.upload.count({
    where: { ...scope, createdAt: { gt: new Date(Date.now() - HOUR) } }
  });
  if (recent >= UPLOADS_PER_HOUR)
    return refuse(
      problem(
        429,
        `You have uploaded ${recent} files in the last hour; wait a while before uploading more.`,
        {
          'retry-after': '600'
        }
      )
    );
  const kept = await db.upload.aggregate({ where: scope, _sum: { size: true } });
  const quota = UPLOAD_QUOTA_MESSAGES * env.MAX_MESSAGE_BYTES;
  if ((kept._sum.size ?? 0) + (Number.isFinite(declared) ? declared : 0) > quota)
    return refuse(
      problem(
        429,
        `Your uploaded files take ${formatBytes(kept._sum.size ?? 0)} on the server, the most is ${formatBytes(quota)}. Send or discard some drafts with attachments, or try again tomorrow.`
      )
    );

  const id = randomUUID();
  await db.upload.create({ data: { id, ...scope, filename, contentType } });
  const store = uploadStore(db);
  const reader = request.body?.getReader();
  let size = 0;
  let seq = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (all: boolean) => {
    while (pendingBytes >= UPLOAD_CHUNK_BYTES || (all && pendingBytes > 0)) {
      const joined = Buffer.concat(pending);
      const chunk = joined.subarray(0, UPLOAD_CHUNK_BYTES);
      const rest = joined.subarray(chunk.length);
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
      await store.write(id, seq++, Buffer.from(chunk));
    }
  };
  try {
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > limit) throw new TooBig();
        pending.push(Buffer.from(value.buffer, value.byteOffset, value.length));
        pendingBytes += value.length;
        if (pendingBytes >= UPLOAD_CHUNK_BYTES) await flush(false);
      }
    }
    await flush(true);
    await db.upload.updateMany({
      where: { id, ...scope },
      data: { complete: true, size, usedAt: new Date() }
    });
  } catch (err) {
    pending = [];
    await db.upload.deleteMany({ where: { id } }).catch((e: unknown) => {
      deps.log.warn({ err: e, uploadId: id }, 'could not delete a refused upload (the prune job will)');
    });
    if (err instanceof TooBig) {
      if (reader) {
        reader.releaseLock();
        drain(request.body, limit * 2 + 1024 * 1024);
      }
      deps.log.info({ uploadId: id, limit }, 'upload refused: too big');
      return problem(413, tooBigMessage(env, filename));
    }
    if (
      request.signal.aborted ||
      (err instanceof Error && /abort|terminated|ECONNRESET|closed/i.test(err.message))
    ) {
      deps.log.info({ uploadId: id, bytes: size }, 'upload broke off');
      return problem(400, 'The upload broke off before the whole file arrived. Attach the file again.');
    }
    throw err;
  }
  deps.log.info({ uploadId: id, bytes: size }, 'file uploaded');
  return json(201, { id, filename, contentType, size });
}

/** DELETE /api/uploads/{id}: drops one of the user's uploads (a file removed from the composer). */
export async function deleteUploadRequest(
  deps: Pick<UploadDeps, 'db'>,
  user: SessionUser | null,
  uploadId: string
): Promise<Response> {
  if (!user) return needLogin();
  if (!UUID.test(uploadId)) return notFound();
  const done = await deps.db.upload.deleteMany({
    where: { id: uploadId, tenantId: user.tenantId, userId: user.id }
  });
  return done.count ? json(200, { id: uploadId }) : notFound();
}

/**
 * GET /api/uploads/{id}: the uploaded file, for the composer to show an inline image it
 * uploaded. Only to its owner; only images (and PDF) inline, everything else as a download;
 * sandboxed like an attachment download.
 */
export async function serveUpload(
  deps: Pick<UploadDeps, 'db' | 'env'>,
  user: SessionUser | null,
  uploadId: string
): Promise<Response> {
  if (!user) return problem(401, 'Log in to see uploaded files.');
  if (!UUID.test(uploadId)) return notFound();
  const row = await deps.db.upload.findFirst({
    where: { id: uploadId, tenantId: user.tenantId, userId: user.id, complete: true },
    select: { id: true, filename: true, contentType: true, size: true }
  });
  if (!row) return notFound();
  const store = uploadStore(deps.db);
  const type = servedContentType(row.contentType);
  const inline = inlineAllowed(type);
  const chunks = Math.ceil(row.size / UPLOAD_CHUNK_BYTES);
  let seq = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (seq >= chunks) return controller.close();
      const data = await store.read(row.id, seq++);
      if (!data) return controller.error(new Error('upload chunk missing'));
      controller.enqueue(new Uint8Array(data));
    }
  });
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': type,
      'content-length': String(row.size),
      'content-disposition': contentDisposition(inline ? 'inline' : 'attachment', row.filename),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "sandbox; default-src 'none'; frame-ancestors 'none'",
      'cache-control': 'private, max-age=3600',
      'referrer-policy': 'no-referrer'
    }
  });
}

// ---------------------------------------------------------------------------------------------
// used by compose

/**
 * The files named by id, read for building a message: only complete uploads of this tenant and
 * user (anything else is NOT_FOUND). Marks them used (and, for a draft, as the draft's, so
 * they stay while the draft lives). Refuses before reading the bytes when they cannot fit.
 */
export async function loadUploads(
  deps: Pick<UploadDeps, 'db' | 'env'>,
  scope: UploadScope,
  refs: AttachmentInput[],
  opts: { draftId?: string | null; otherBytes?: number } = {}
): Promise<(ComposeAttachment & { size: number })[]> {
  if (!refs.length) return [];
  const ids = [...new Set(refs.map((r) => r.uploadId))];
  const rows = await deps.db.upload.findMany({
    where: { id: { in: ids }, tenantId: scope.tenantId, userId: scope.userId, complete: true },
    select: { id: true, filename: true, contentType: true, size: true }
  });
  if (rows.length !== ids.length)
    throw new AppError(
      'NOT_FOUND',
      'An attached file is not on the server any more (it may have been removed or expired). Remove it and attach it again.'
    );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const total = refs.reduce((n, r) => n + byId.get(r.uploadId)!.size, 0) + (opts.otherBytes ?? 0);
  const estimate = Math.ceil((total * 4) / 3);
  if (estimate > deps.env.MAX_MESSAGE_BYTES)
    throw new AppError(
      'BAD_REQUEST',
      `This message is ${formatBytes(estimate)} as sent (attachments grow by a third when encoded); the most you can send is ${formatBytes(deps.env.MAX_MESSAGE_BYTES)}. Remove or shrink some attachments.`
    );
  const bytes = await uploadStore(deps.db).readAll(ids);
  await deps.db.upload.updateMany({
    where: { id: { in: ids }, tenantId: scope.tenantId, userId: scope.userId },
    data: { usedAt: new Date(), ...(opts.draftId && { draftId: opts.draftId }) }
  });
  return refs.map((r) => {
    const row = byId.get(r.uploadId)!;
    return {
      filename: row.filename,
      contentType: row.contentType,
      content: bytes.get(row.id)!,
      size: row.size,
      cid: r.cid ?? null
    };
  });
}

/** Makes uploads of files the server already has (a draft opened again): their refs. */
export async function uploadsFromFiles(
  deps: Pick<UploadDeps, 'db' | 'env'>,
  scope: UploadScope,
  files: ComposeAttachment[],
  draftId: string | null = null
): Promise<UploadRef[]> {
  const store = uploadStore(deps.db);
  const out: UploadRef[] = [];
  for (const f of files) {
    const id = randomUUID();
    const filename = cleanFilename(f.filename).slice(0, 255) || 'attachment';
    await deps.db.upload.create({
      data: {
        id,
        tenantId: scope.tenantId,
        userId: scope.userId,
        filename,
        contentType: f.contentType,
        draftId
      }
    });
    try {
      for (let seq = 0; seq * UPLOAD_CHUNK_BYTES < f.content.length; seq++)
        await store.write(
          id,
          seq,
          f.content.subarray(seq * UPLOAD_CHUNK_BYTES, (seq + 1) * UPLOAD_CHUNK_BYTES)
        );
      await deps.db.upload.update({ where: { id }, data: { complete: true, size: f.content.length } });
    } catch (e) {
      await deps.db.upload.deleteMany({ where: { id } }).catch(() => {});
      throw e;
    }
    out.push({
      uploadId: id,
      filename,
      contentType: f.contentType,
      size: f.content.length,
      cid: f.cid ?? null
    });
  }
  return out;
}

/**
 * Deletes uploads nothing needs any more: complete ones unused for UPLOAD_KEEP_HOURS whose
 * draft (if any) has been sent or discarded, and incomplete ones a crash left behind.
 */
export async function pruneUploads(db: Db, now = new Date()): Promise<number> {
  const unused = new Date(now.getTime() - UPLOAD_KEEP_HOURS * HOUR);
  const broken = new Date(now.getTime() - INCOMPLETE_KEEP_HOURS * HOUR);
  return db.$executeRaw`
    DELETE FROM "Upload" u
    WHERE (NOT u."complete" AND u."createdAt" < ${broken})
       OR (u."complete" AND u."usedAt" < ${unused}
           AND (u."draftId" IS NULL OR NOT EXISTS (
             SELECT 1 FROM "Draft" d WHERE d."id" = u."draftId" AND d."deletedAt" IS NULL)))`;
}
