// The HTTP side of attachment and .eml downloads (the +server.ts routes are thin wrappers):
// authorise, make sure the worker is fetching the part, stream it with headers that keep the
// browser from running anything in it.
import type { Logger } from 'pino';
import type { SessionUser } from '../auth/session.js';
import type { Db } from '../db.js';
import type { Env } from '../env.js';
import type { Producer } from '../queue/producer.js';
import { contentDisposition, emlFilename, inlineAllowed, servedContentType } from './download-headers.js';
import { chunkStore } from './chunk-store.js';
import { openPart, PartUnavailable, RAW_PART, requestPart } from './part-cache.js';
import { verifyPartUrl } from './signed-url.js';

export interface ServeDeps {
  db: Db;
  producer: Producer;
  env: Pick<Env, 'ENCRYPTION_KEY' | 'DATABASE_URL'>;
  log: Logger;
}

export interface ServeRequest {
  user: SessionUser | null;
  url: URL;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function text(status: number, message: string): Response {
  return new Response(message + '\n', {
    status,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff'
    }
  });
}

const notFound = () =>
  text(404, 'Not found: this attachment does not exist, or it is not in one of your mail accounts.');
const needLogin = () => text(401, 'Log in to download attachments.');

/** Headers every part response carries: nothing in it may run, frame or load anything. */
function partHeaders(type: string, disposition: string, size: number | null, inline: boolean): Headers {
  const h = new Headers({
    'content-type': type,
    'content-disposition': disposition,
    'x-content-type-options': 'nosniff',
    'content-security-policy': `sandbox; default-src 'none'; frame-ancestors ${inline ? "'self'" : "'none'"}`,
    // the content under one message id and part never changes; private: never in a shared cache
    'cache-control': 'private, max-age=3600',
    'referrer-policy': 'no-referrer'
  });
  // a preview (image, PDF) may be shown in a frame of the app itself, never of another site
  if (inline) h.set('x-frame-options', 'SAMEORIGIN');
  if (size !== null) h.set('content-length', String(size));
  return h;
}

async function streamPart(
  deps: ServeDeps,
  req: ServeRequest,
  target: { tenantId: string; accountId: string; messageId: string; part: string },
  headers: (size: number | null) => Headers
): Promise<Response> {
  try {
    const row = await requestPart(deps, target);
    const { size, body } = await openPart(deps.db, chunkStore(deps.db), row.id, {
      onError: (err) =>
        deps.log.warn({ err, messageId: target.messageId, part: target.part }, 'download broke off')
    });
    return new Response(body, { status: 200, headers: headers(size) });
  } catch (err) {
    if (err instanceof PartUnavailable) {
      deps.log.info(
        { messageId: target.messageId, part: target.part, status: err.status, reason: err.message },
        'part not available'
      );
      return text(err.status, err.message);
    }
    throw err;
  }
}

/**
 * GET /api/messages/{messageId}/attachments/{attachmentId}: the session's user must own the
 * message (through its mail account, in their tenant), or the URL carries a valid unexpired
 * signature for that owner, message and attachment (inline images of the sandboxed message
 * frame, which sends no cookies). `?inline=1` shows images and PDF in the browser; every
 * other type is always a download.
 */
export async function serveAttachment(
  deps: ServeDeps,
  req: ServeRequest,
  params: { messageId: string; attachmentId: string }
): Promise<Response> {
  const sig = req.url.searchParams.get('sig');
  if (!req.user && !sig) return needLogin();
  if (!UUID.test(params.messageId) || !UUID.test(params.attachmentId)) return notFound();
  const att = await deps.db.attachment.findFirst({
    where: { id: params.attachmentId, messageId: params.messageId },
    select: {
      tenantId: true,
      part: true,
      filename: true,
      contentType: true,
      message: {
        select: { id: true, tenantId: true, accountId: true, account: { select: { userId: true } } }
      }
    }
  });
  if (!att || att.tenantId !== att.message.tenantId) return notFound();
  const owner = att.message.account.userId;
  const tenantId = att.message.tenantId;
  let allowed = !!req.user && req.user.id === owner && req.user.tenantId === tenantId;
  if (!allowed && sig) {
    const check = verifyPartUrl(deps.env.ENCRYPTION_KEY, {
      userId: owner,
      messageId: params.messageId,
      attachmentId: params.attachmentId,
      exp: req.url.searchParams.get('exp'),
      sig
    });
    if (check === 'expired')
      return text(403, 'This link has expired. Open the message again to get a fresh one.');
    allowed = check === 'ok';
  }
  if (!allowed) return notFound();

  const type = servedContentType(att.contentType);
  const inline = req.url.searchParams.get('inline') === '1' && inlineAllowed(type);
  const disposition = contentDisposition(inline ? 'inline' : 'attachment', att.filename);
  return streamPart(
    deps,
    req,
    { tenantId, accountId: att.message.accountId, messageId: att.message.id, part: att.part },
    (size) => partHeaders(type, disposition, size, inline)
  );
}

/**
 * GET /api/messages/{messageId}/raw: the message as the server has it, as "<subject>.eml";
 * `?view=1` shows it as plain text (view source). Session only: no signed URLs here.
 */
export async function serveRaw(
  deps: ServeDeps,
  req: ServeRequest,
  params: { messageId: string }
): Promise<Response> {
  const user = req.user;
  if (!user) return needLogin();
  if (!UUID.test(params.messageId)) return notFound();
  const msg = await deps.db.message.findFirst({
    where: { id: params.messageId, tenantId: user.tenantId, account: { userId: user.id } },
    select: { id: true, tenantId: true, accountId: true, subject: true }
  });
  if (!msg) return notFound();
  const view = req.url.searchParams.get('view') === '1';
  const name = emlFilename(msg.subject);
  return streamPart(
    deps,
    req,
    { tenantId: msg.tenantId, accountId: msg.accountId, messageId: msg.id, part: RAW_PART },
    (size) =>
      partHeaders(
        view ? 'text/plain; charset=utf-8' : 'message/rfc822',
        contentDisposition(view ? 'inline' : 'attachment', name),
        size,
        view
      )
  );
}
