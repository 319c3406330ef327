/**
 * Renders a message body for reading. This module loads the sanitiser, and with it jsdom (~100
 * MB, seconds to load): only the render threads (thread.ts) import it, never the worker's main
 * thread, whose event loop keeps the IMAP connections, the BullMQ jobs and the account leases
 * alive and must not stop for seconds on a big HTML mail. The main thread goes through the
 * pool (pool.ts).
 */
import {
  cidPlaceholder,
  newRenderNonce,
  placeholderOrigin,
  RENDER_VERSION
} from '../../src/lib/server/mail/render-store.js';
import { renderText } from '../../src/lib/server/mail/render-text.js';
import { sanitizeHtml } from '../../src/lib/server/mail/sanitize.js';
import type { RenderedBody, RenderInput } from './types.js';

/**
 * Renders a body for reading: the HTML sanitised with remote content blocked, and again with it
 * allowed when that blocked anything; the text as safe HTML. `cid:` images point at placeholders
 * of a fresh nonce (see render-store.ts), which the app swaps for the reader's signed URLs.
 */
export function renderBody(body: RenderInput['body'], attachments: RenderInput['attachments']): RenderedBody {
  const nonce = newRenderNonce();
  const byCid = new Map<string, string>();
  for (const a of attachments) if (a.contentId) byCid.set(a.contentId.toLowerCase(), a.id);
  const opts = {
    origin: placeholderOrigin(nonce),
    resolveCid: (cid: string) => {
      const id = byCid.get(cid.toLowerCase());
      return id ? cidPlaceholder(nonce, id) : null;
    }
  };
  const blocked = body.htmlBody ? sanitizeHtml(body.htmlBody, { ...opts, allowRemote: false }) : null;
  // nothing blocked: the document with remote content allowed would load nothing more
  const remote =
    body.htmlBody && blocked?.remoteContentBlocked
      ? sanitizeHtml(body.htmlBody, { ...opts, allowRemote: true })
      : null;
  return {
    htmlSafe: blocked?.html ?? null,
    htmlSafeRemote: remote?.html ?? null,
    textSafe: body.textBody ? renderText(body.textBody) : null,
    remoteContent: blocked?.remoteContentBlocked ?? false,
    renderVersion: RENDER_VERSION,
    renderNonce: nonce,
    renderError: null
  };
}

/** Builds the sanitiser's jsdom window now, so a thread's first render does not pay for it. */
export function warmUp(): void {
  sanitizeHtml('<p style="color:red">warm-up</p>');
}
