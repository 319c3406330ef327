/**
 * Stored renders of a message body, and how they are handed to a reader.
 *
 * The worker renders a body once, when it fetches it (worker/jobs/render.ts): sanitising a big
 * HTML mail takes seconds of CPU and must not block the app. A render cannot hold the reader's
 * signed URLs for `cid:` images (they name the user and expire), so it points each one at a
 * placeholder, `https://cid-<nonce>.invalid/<attachmentId>`, and the CSP's img-src at the
 * placeholder origin; on open the app swaps them for the reader's signed URLs and the app's
 * origin with a plain string replace (fillPlaceholders).
 *
 * The nonce (128 random bits, new for every render, kept in Message.renderNonce) is what makes
 * the swap safe: the mail was written before the nonce existed, so nothing in it (text, a link,
 * a remote image) can spell a placeholder that gets swapped for a signed URL. And the swap only
 * ever signs attachments of the message being opened.
 *
 * This module must stay light: the app imports it, and sanitize.ts (jsdom) is ~100 MB and
 * seconds to load.
 */
import { randomBytes } from 'node:crypto';

/**
 * The version of the rendering rules. Bump it whenever sanitize.ts or render-text.ts change what
 * they output (a new rule, a fix): every stored render older than this is rendered again by the
 * worker before it is shown. Defined here rather than in sanitize.ts so the app can read it
 * without loading jsdom; sanitize.ts re-exports it.
 */
export const RENDER_VERSION = 2;

const NONCE = /^[0-9a-f]{32}$/;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/**
 * What a swapped-in URL may contain: nothing that could end an attribute (quotes, space, `>`),
 * an unquoted CSS url() (parentheses, quotes, space, backslash) or a <style> element (`<`). `&`
 * is fine everywhere: in an attribute, `&exp=` is not a character reference (HTML reads "&"
 * followed by letters and "=" literally), and in a <style> element there are no references.
 */
const SAFE_URL = /^https?:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9\-._~/?&=%]*$/;
/** What a placeholder for an attachment the message does not have turns into: an empty image. */
export const INERT_URL = 'data:,';

export function newRenderNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The stand-in origin of one render: a host under .invalid (RFC 2606: never resolves), so a
 * placeholder left anywhere loads nothing.
 */
export function placeholderOrigin(nonce: string): string {
  if (!NONCE.test(nonce)) throw new Error('a render nonce is 32 lower-case hex digits');
  return `https://cid-${nonce}.invalid`;
}

/** The placeholder a render puts where the reader's signed URL of an inline image goes. */
export function cidPlaceholder(nonce: string, attachmentId: string): string {
  return `${placeholderOrigin(nonce)}/${attachmentId.toLowerCase()}`;
}

export interface FillOptions {
  /** The app's origin, e.g. https://mail.example.com */
  origin: string;
  /** The reader's signed, origin-relative URL of one of this message's attachments, or null. */
  partUrl: (attachmentId: string) => string | null;
}

/**
 * Swaps the placeholders of the render with nonce `nonce` in `html`: each
 * `<placeholder origin>/<attachmentId>` for the reader's URL of that attachment (or an empty
 * image if it is not this message's), and the bare placeholder origin (the CSP's img-src) for
 * the app's origin. Placeholders of any other nonce stay as they are, text like any other.
 */
export function fillPlaceholders(html: string, nonce: string, opts: FillOptions): string {
  const base = placeholderOrigin(nonce);
  const origin = new URL(opts.origin).origin;
  const urls = new Map<string, string>();
  const urlOf = (attachmentId: string) => {
    let url = urls.get(attachmentId);
    if (url === undefined) {
      const path = opts.partUrl(attachmentId);
      url = path && /^\/(?!\/)/.test(path) && SAFE_URL.test(origin + path) ? origin + path : INERT_URL;
      urls.set(attachmentId, url);
    }
    return url;
  };
  // base is "https://cid-<hex>.invalid": only its dots need escaping
  const re = new RegExp(`${base.replace(/\./g, '\\.')}(?:/(${UUID}))?`, 'g');
  return html.replace(re, (_match, id: string | undefined) => (id ? urlOf(id) : origin));
}

/** A message body as the reader gets it (the result of messages.get). */
export interface MessageBody {
  /** A complete, sanitised HTML document for `<iframe sandbox srcdoc>`, or null for plain-text mail. */
  html: string | null;
  /** The plain text as safe HTML (escaped, linked, quotes folded), or null when there is none. */
  text: string | null;
  remoteContentBlocked: boolean;
  senderTrusted: boolean;
}

/** The stored render columns of a Message. */
export interface StoredRender {
  htmlSafe: string | null;
  htmlSafeRemote: string | null;
  textSafe: string | null;
  remoteContent: boolean;
  renderNonce: string | null;
}

/**
 * The body for one reader: the variant with remote content blocked unless it is allowed (and
 * differs), placeholders swapped for this reader's URLs. No sanitising here: that was done when
 * the body was rendered.
 */
export function storedBody(
  row: StoredRender,
  opts: FillOptions & { allowRemote: boolean; senderTrusted: boolean }
): MessageBody {
  const doc = opts.allowRemote && row.htmlSafeRemote !== null ? row.htmlSafeRemote : row.htmlSafe;
  return {
    html: doc !== null && row.renderNonce ? fillPlaceholders(doc, row.renderNonce, opts) : doc,
    text: row.textSafe,
    // with remote content allowed nothing is left out (the sanitiser reports the same)
    remoteContentBlocked: !opts.allowRemote && row.remoteContent,
    senderTrusted: opts.senderTrusted
  };
}
