/**
 * Replies and forwards: the subject without piled-up prefixes, who a reply goes to, the
 * threading headers, and the quoted original (text and HTML). Pure: no I/O.
 */
import { escapeHtml } from '../mail/render-text.js';

export type TemplateMode = 'reply' | 'replyAll' | 'forward';

export interface Addr {
  name: string | null;
  address: string;
}

// Re:, RE :, Fwd:, FW:, Fw:, AW: (German), WG: (German forward), SV: (Nordic), VS:, Antw:,
// Réf:, TR: (French forward), RIF:, R:, also numbered ones (Re[2]:, Re^2:) and [list] tags
// in front of them.
const PREFIX =
  /^\s*(?:\[[^\]]{1,40}\]\s*)?(?:re|fwd?|aw|wg|sv|vs|antw|r[ée]f|tr|rif|r)\s*(?:\[\d+\]|\^\d+)?\s*:\s*/i;

/** The subject without any reply or forward prefixes (however many and however nested). */
export function baseSubject(subject: string): string {
  let s = subject.trim();
  for (let i = 0; i < 20; i++) {
    const next = s.replace(PREFIX, '');
    if (next === s) break;
    s = next;
  }
  return s.trim();
}

/** `Re: <subject>` or `Fwd: <subject>`, never `Re: Re: Fwd: ...`. */
export function templateSubject(subject: string, mode: TemplateMode): string {
  const base = baseSubject(subject);
  return `${mode === 'forward' ? 'Fwd' : 'Re'}: ${base}`.trimEnd();
}

const wrap = (id: string) => (id.startsWith('<') ? id : `<${id}>`);

/**
 * References of a reply: the original's References (or its In-Reply-To when it has none)
 * followed by its Message-ID (RFC 5322 3.6.4). Long chains keep the first id (the root) and
 * the most recent ones, as RFC 5322 suggests trimming from the middle.
 */
export function replyReferences(orig: {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
}): { inReplyTo: string | null; references: string[] } {
  if (!orig.messageId) return { inReplyTo: null, references: [] };
  const chain = orig.references.length ? orig.references : orig.inReplyTo ? [orig.inReplyTo] : [];
  const all = [...new Set([...chain, orig.messageId].map(wrap))];
  const refs = all.length > 20 ? [all[0]!, ...all.slice(-19)] : all;
  return { inReplyTo: wrap(orig.messageId), references: refs };
}

const key = (a: Addr) => a.address.trim().toLowerCase();

function uniqueExcept(list: Addr[], exclude: Set<string>): Addr[] {
  const out: Addr[] = [];
  for (const a of list) {
    const k = key(a);
    if (!k.includes('@') || exclude.has(k)) continue;
    exclude.add(k);
    out.push({ name: a.name || null, address: a.address.trim() });
  }
  return out;
}

/**
 * To and Cc of a reply. `own` are the user's addresses (account address and aliases): never a
 * recipient of a reply-all. A reply to a message the user sent (from Sent) goes to its
 * recipients, not back to the user.
 */
export function replyRecipients(
  orig: { from: Addr | null; replyTo: Addr[]; to: Addr[]; cc: Addr[] },
  mode: 'reply' | 'replyAll',
  own: string[]
): { to: Addr[]; cc: Addr[] } {
  const mine = new Set(own.map((a) => a.toLowerCase()));
  const fromMe = orig.from ? mine.has(key(orig.from)) : false;
  const primary = fromMe ? orig.to : orig.replyTo.length ? orig.replyTo : orig.from ? [orig.from] : [];
  if (mode === 'reply') {
    return { to: uniqueExcept(primary, new Set()), cc: [] };
  }
  const seen = new Set(mine);
  const to = uniqueExcept([...primary, ...(fromMe ? [] : orig.to)], seen);
  const cc = uniqueExcept(orig.cc, seen);
  if (!to.length && !cc.length && primary.length) return { to: primary.slice(0, 1), cc: [] };
  return { to, cc };
}

export interface QuoteSource {
  from: Addr | null;
  to: Addr[];
  cc: Addr[];
  date: Date | null;
  subject: string;
  text: string;
  /** the inside of <body> of the safe render, or null for a plain-text message */
  html: string | null;
}

const who = (a: Addr | null) => (a ? (a.name ? `${a.name} <${a.address}>` : a.address) : 'someone');
const list = (xs: Addr[]) => xs.map(who).join(', ');

function dateText(d: Date | null): string {
  if (!d) return '';
  // UTC and fixed: the server does not know the reader's time zone
  return d.toUTCString().replace(' GMT', ' UTC');
}

/** The quoted original, as text (`> ` lines) and as HTML (a cite blockquote). */
export function quote(mode: TemplateMode, src: QuoteSource): { text: string; html: string } {
  if (mode === 'forward') {
    const lines = [
      '---------- Forwarded message ----------',
      `From: ${who(src.from)}`,
      src.date ? `Date: ${dateText(src.date)}` : null,
      `Subject: ${src.subject}`,
      src.to.length ? `To: ${list(src.to)}` : null,
      src.cc.length ? `Cc: ${list(src.cc)}` : null
    ].filter((l): l is string => l !== null);
    const head = lines.map((l) => escapeHtml(l)).join('<br>');
    const body = src.html ?? `<div style="white-space:pre-wrap">${escapeHtml(src.text)}</div>`;
    return {
      text: `${lines.join('\n')}\n\n${src.text}`,
      html: `<div class="mb-forward">${head}<br><br>${body}</div>`
    };
  }
  const intro = `On ${dateText(src.date) || 'an earlier date'}, ${who(src.from)} wrote:`;
  const quoted = src.text
    .replace(/\r\n/g, '\n')
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => (l.startsWith('>') ? `>${l}` : `> ${l}`))
    .join('\n');
  const body = src.html ?? `<div style="white-space:pre-wrap">${escapeHtml(src.text)}</div>`;
  return {
    text: `${intro}\n${quoted}\n`,
    html:
      `<div class="mb-quote">${escapeHtml(intro)}<br>` +
      `<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:2px solid #ccc;padding-left:1ex">${body}</blockquote></div>`
  };
}

/**
 * The inside of <body> of a stored safe render (a complete document with a CSP), with the
 * <style> elements of its head kept, and inline images (placeholders of the render) either
 * pointed back at their `cid:` (forward, which sends the parts along) or dropped (reply).
 */
export function quotableHtml(
  doc: string,
  placeholders: { url: string; cid: string | null }[],
  keepImages: boolean
): string {
  const head = /<head[^>]*>([\s\S]*?)<\/head>/i.exec(doc)?.[1] ?? '';
  const styles = (head.match(/<style[^>]*>[\s\S]*?<\/style>/gi) ?? []).join('');
  let body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(doc)?.[1] ?? doc;
  for (const p of placeholders) {
    if (keepImages && p.cid) body = body.split(p.url).join(`cid:${p.cid}`);
    else body = body.replace(new RegExp(`<img\\b[^>]*${escapeRegExp(p.url)}[^>]*>`, 'gi'), '');
  }
  return styles + body;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
