// compose.template: a reply, reply-all or forward of a stored message, prefilled. The quote is
// made from the worker's safe render (sanitised HTML, remote content blocked) and the text body,
// never from the raw HTML; the parts a forward carries are asked for at once, so they are
// usually cached by the time the user presses Send.
import type { Db } from '../db.js';
import { AppError } from '../errors.js';
import { cidPlaceholder, RENDER_VERSION } from '../mail/render-store.js';
import { textFromHtml } from '../mail/snippet.js';
import type { Producer } from '../queue/producer.js';
import type { Env } from '../env.js';
import { prefetchParts, type ForwardedPart } from './forward-parts.js';
import {
  quotableHtml,
  quote,
  replyRecipients,
  replyReferences,
  templateSubject,
  type Addr,
  type TemplateMode
} from './reply.js';

export interface TemplateDeps {
  db: Db;
  env: Env;
  producer: Producer;
}

export interface TemplateAccount {
  id: string;
  tenantId: string;
  email: string;
  aliases: string[];
}

export interface Template {
  mode: TemplateMode;
  to: Addr[];
  cc: Addr[];
  subject: string;
  inReplyTo: string | null;
  references: string[];
  /** the Message row replied to: flagged \Answered once the reply has gone out */
  answers: string | null;
  quoteText: string;
  quoteHtml: string;
  forward: ForwardedPart[];
}

const BODY_WAIT_MS = 30_000;

function addr(v: unknown): Addr | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as { name?: unknown; address?: unknown };
  if (typeof o.address !== 'string' || !o.address.includes('@')) return null;
  return { name: typeof o.name === 'string' && o.name ? o.name : null, address: o.address };
}
const addrs = (v: unknown): Addr[] =>
  Array.isArray(v) ? v.map(addr).filter((a): a is Addr => a !== null) : [];

const notFound = () =>
  new AppError('NOT_FOUND', 'That message does not exist any more (it may have been moved or deleted).');

/** The body of a message, fetched and rendered by the worker first when it is not yet. */
export async function loadBody(deps: TemplateDeps, account: TemplateAccount, messageId: string) {
  const where = { id: messageId, tenantId: account.tenantId, accountId: account.id, deleting: false };
  const first = await deps.db.message.findFirst({
    where,
    select: { id: true, bodyFetchedAt: true, renderVersion: true }
  });
  if (!first) throw notFound();
  const job = { accountId: account.id, messageId: first.id };
  try {
    if (!first.bodyFetchedAt)
      await deps.producer.run('imap.fetchBody', job, `body-${first.id}`, BODY_WAIT_MS);
    else if (first.renderVersion < RENDER_VERSION)
      await deps.producer.run('mail.render', job, `render-${first.id}`, BODY_WAIT_MS);
  } catch {
    throw new AppError(
      'PRECONDITION_FAILED',
      'The original message could not be fetched from the mail server in time. Try again in a moment.'
    );
  }
  const m = await deps.db.message.findFirst({
    where,
    select: {
      id: true,
      messageId: true,
      inReplyTo: true,
      references: true,
      subject: true,
      fromAddress: true,
      toAddresses: true,
      ccAddresses: true,
      replyTo: true,
      date: true,
      internalDate: true,
      textBody: true,
      htmlSafe: true,
      renderNonce: true,
      attachments: {
        select: {
          id: true,
          part: true,
          filename: true,
          contentType: true,
          size: true,
          contentId: true,
          inline: true
        },
        orderBy: { part: 'asc' }
      }
    }
  });
  if (!m) throw notFound();
  return m;
}

export type LoadedBody = Awaited<ReturnType<typeof loadBody>>;

/** The body as HTML to quote (null: a plain-text message) and as text, inline images kept or not. */
export function bodyForQuote(m: LoadedBody, keepImages: boolean): { html: string | null; text: string } {
  const placeholders = m.renderNonce
    ? m.attachments.map((a) => ({
        url: cidPlaceholder(m.renderNonce!, a.id),
        cid: a.contentId ? a.contentId.replace(/^<|>$/g, '') : null
      }))
    : [];
  const html = m.htmlSafe ? quotableHtml(m.htmlSafe, placeholders, keepImages) : null;
  const text = m.textBody?.trim() ? m.textBody : html ? textFromHtml(html) : '';
  return { html, text };
}

/** Attachments a forward carries: every file, and the inline images its HTML shows. */
export function forwardParts(m: LoadedBody, html: string | null): ForwardedPart[] {
  return m.attachments
    .filter((a) => {
      const cid = a.contentId?.replace(/^<|>$/g, '');
      if (!a.inline || a.filename) return true;
      return !!cid && !!html?.includes(`cid:${cid}`);
    })
    .map((a) => ({
      messageId: m.id,
      attachmentId: a.id,
      filename: a.filename || 'attachment',
      contentType: a.contentType || 'application/octet-stream',
      size: a.size,
      cid: a.contentId ? a.contentId.replace(/^<|>$/g, '') : null,
      inline: a.inline && !!a.contentId && !!html?.includes(`cid:${a.contentId.replace(/^<|>$/g, '')}`)
    }));
}

export async function buildTemplate(
  deps: TemplateDeps,
  account: TemplateAccount,
  messageId: string,
  mode: TemplateMode
): Promise<Template> {
  const m = await loadBody(deps, account, messageId);
  const { html, text } = bodyForQuote(m, mode === 'forward');
  const from = addr(m.fromAddress);
  const src = {
    from,
    to: addrs(m.toAddresses),
    cc: addrs(m.ccAddresses),
    date: m.date ?? m.internalDate,
    subject: m.subject,
    text,
    html
  };
  const q = quote(mode, src);
  const subject = templateSubject(m.subject, mode);
  if (mode === 'forward') {
    const forward = forwardParts(m, html);
    await prefetchParts(
      deps,
      { tenantId: account.tenantId, accountId: account.id },
      forward.map((f) => ({
        messageId: m.id,
        part: m.attachments.find((a) => a.id === f.attachmentId)!.part
      }))
    );
    return {
      mode,
      to: [],
      cc: [],
      subject,
      inReplyTo: null,
      references: [],
      answers: null,
      quoteText: q.text,
      quoteHtml: q.html,
      forward
    };
  }
  const rcpt = replyRecipients({ from, replyTo: addrs(m.replyTo), to: src.to, cc: src.cc }, mode, [
    account.email,
    ...account.aliases
  ]);
  const threading = replyReferences({
    messageId: m.messageId,
    inReplyTo: m.inReplyTo,
    references: m.references
  });
  return {
    mode,
    ...rcpt,
    subject,
    ...threading,
    answers: m.id,
    quoteText: q.text,
    quoteHtml: q.html,
    forward: []
  };
}
