/**
 * Message list snippets: the first words a sender actually wrote, without quoted text, reply
 * attributions ("On ... wrote:", "Am ... schrieb ...:", "Le ... a écrit :") or signatures.
 * `textFromHtml` turns an HTML-only body into plain text first (blockquotes become "> " lines so
 * the snippet drops them too). Pure: no I/O.
 */
import { decodeHTML } from 'entities';
import { decode as decodeCharset } from 'libmime/lib/charset.js';

// Invisible characters (zero-width spaces and joiners, BOM, soft hyphen, fillers); the combining
// ones stand alone in the alternation, since inside a class they would combine with their neighbour.
const ZERO_WIDTH =
  /[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2060-\u2064\u206a-\u206f\ufeff]|\u034f|\u17b4|\u17b5/g;

// "... wrote:", "... schrieb Max <max@example.de>:", "... a écrit :" (Spanish, Italian, Dutch too)
const ATTRIBUTION_END =
  /(?:\bwrote\b|\bschrieb\b|\ba écrit|\bescribió|\bha scritto\b|\bschreef\b)[^:]{0,160}:\s*$/i;
const ATTRIBUTION_START = /^(?:on|am|le|el|il|op)\s/i;
const FORWARD_OR_ORIGINAL =
  /^-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine)\s*-{2,}\s*$/i;
const OUTLOOK_SEPARATOR = /^_{20,}$/;

function isQuoted(line: string): boolean {
  return /^\s*>/.test(line);
}

/** Index of the first line of an attribution ending at line i, or -1. Handles one wrapped line. */
function attributionStart(lines: string[], i: number): number {
  const line = lines[i]!.trim();
  if (!ATTRIBUTION_END.test(line)) return -1;
  if (ATTRIBUTION_START.test(line)) return i;
  const prev = i > 0 ? lines[i - 1]!.trim() : '';
  if (prev && ATTRIBUTION_START.test(prev) && prev.length + line.length < 300) return i - 1;
  // "Jane Doe <jane@example.com> wrote:" counts when quoted text follows
  const next = lines.slice(i + 1).find((l) => l.trim() !== '');
  return line.length < 200 && next !== undefined && isQuoted(next) ? i : -1;
}

function collapse(text: string): string {
  return text.replace(ZERO_WIDTH, '').replace(/\s+/g, ' ').trim();
}

/** Cuts at a word boundary to at most `max` characters including the trailing "…". */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  let cut = max - 1;
  if (/[\ud800-\udbff]/.test(text[cut - 1] ?? '')) cut--; // do not split a surrogate pair
  const space = text.lastIndexOf(' ', cut);
  if (space >= max * 0.6) cut = space;
  return `${text
    .slice(0, cut)
    .replace(/[\s,;:.\-–—]+$/u, '')
    .trimEnd()}…`;
}

/** Snippet of a plain-text body: own words only, whitespace collapsed, at most `max` characters. */
export function snippetFromText(text: string, max = 200): string {
  const lines = (text ?? '').replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  const quoted: string[] = [];
  let keptLength = 0;
  for (let i = 0; i < lines.length && keptLength <= 4 * max + 200; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (/^--\s*$/.test(line)) break; // signature delimiter ("-- ", often trimmed to "--")
    if (FORWARD_OR_ORIGINAL.test(trimmed) || OUTLOOK_SEPARATOR.test(trimmed)) break;
    if (isQuoted(line)) {
      quoted.push(line.replace(/^(\s*>)+/, ''));
      continue;
    }
    const start = attributionStart(lines, i);
    if (start >= 0) {
      if (start < i) kept.pop(); // the first half of a wrapped attribution
      continue;
    }
    kept.push(line);
    keptLength += trimmed.length;
  }
  // A message that is nothing but a quote still deserves a snippet.
  const own = collapse(kept.join('\n'));
  return truncate(own || collapse(quoted.join('\n')), max);
}

const SKIP_CONTENT = new Set([
  'head',
  'style',
  'script',
  'title',
  'template',
  'noscript',
  'svg',
  'math',
  'iframe',
  'object',
  'xml'
]);
const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'center',
  'dd',
  'div',
  'dl',
  'dt',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'tr',
  'ul',
  'body',
  'html'
]);
const CELL = new Set(['td', 'th']);
const TAG_RE = /^<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)(?:[^>"']|"[^"]*"|'[^']*')*>/;

/**
 * Plain text of an HTML body, for snippets and search: drops head, style, script and comments,
 * decodes entities, keeps block structure as newlines and renders blockquotes as "> " lines.
 */
export function textFromHtml(html: string): string {
  const src = html ?? '';
  const out: string[] = [];
  let line = '';
  let depth = 0; // blockquote nesting
  let pre = 0;
  const newline = () => {
    out.push(depth > 0 && line.trim() ? `${'> '.repeat(depth)}${line.trim()}` : line.trim());
    line = '';
  };
  const text = (s: string) => {
    const decoded = decodeHTML(s);
    if (pre === 0) {
      line += decoded.replace(/[ \t\r\n\f]+/g, ' ');
      return;
    }
    const [first, ...more] = decoded.replace(/\r\n?/g, '\n').split('\n');
    line += first;
    for (const piece of more) {
      newline();
      line = piece;
    }
  };
  let i = 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    if (lt < 0) {
      text(src.slice(i));
      break;
    }
    if (lt > i) text(src.slice(i, lt));
    i = lt;
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4);
      i = end < 0 ? src.length : end + 3;
      continue;
    }
    if (src.startsWith('<!', i) || src.startsWith('<?', i)) {
      const end = src.indexOf('>', i);
      i = end < 0 ? src.length : end + 1;
      continue;
    }
    const m = TAG_RE.exec(src.slice(i, i + 4096));
    if (!m) {
      text('<');
      i++;
      continue;
    }
    i += m[0].length;
    const closing = m[1] === '/';
    const name = (m[2] ?? '').toLowerCase();
    if (!closing && SKIP_CONTENT.has(name) && !m[0].endsWith('/>')) {
      const close = new RegExp(`</${name}\\s*>`, 'i');
      const rest = src.slice(i);
      const found = close.exec(rest);
      if (found) i += found.index + found[0].length;
      else if (name === 'head') {
        const body = /<body\b/i.exec(rest); // an unclosed head ends where the body starts
        if (body) i += body.index;
      } else i = src.length;
      continue;
    }
    if (name === 'blockquote') {
      newline();
      depth = Math.max(0, depth + (closing ? -1 : 1));
      continue;
    }
    if (name === 'pre') pre = Math.max(0, pre + (closing ? -1 : 1));
    if (BLOCK.has(name)) newline();
    else if (CELL.has(name) && !closing) line += ' ';
  }
  newline();
  return out
    .map((l) =>
      l
        .replace(ZERO_WIDTH, '')
        .replace(/[ \t\u00a0]+/g, ' ')
        .trimEnd()
    )
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * A snippet from the first bytes of a body part (a partial FETCH), still in its transfer
 * encoding unless the server decoded it (FETCH BINARY). Cut-off ends are tolerated: an
 * incomplete base64 quad, a dangling quoted-printable escape, a half UTF-8 character.
 */
export function snippetFromPartialPart(
  raw: Buffer,
  part: { html: boolean; encoding: string; charset: string },
  decodedByServer: boolean
): string {
  let bytes = raw;
  if (!decodedByServer) {
    if (part.encoding === 'base64') {
      const b64 = raw.toString('latin1').replace(/[^A-Za-z0-9+/]/g, '');
      bytes = Buffer.from(b64.slice(0, b64.length - (b64.length % 4)), 'base64');
    } else if (part.encoding === 'quoted-printable') {
      const qp = raw
        .toString('latin1')
        .replace(/=[0-9A-Fa-f]?$/, '')
        .replace(/=\r?\n/g, '');
      bytes = Buffer.from(
        qp.replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1'
      );
    }
  }
  let text = decodeCharset(bytes, part.charset).replace(/\uFFFD+$/, '');
  if (part.html) text = textFromHtml(text.replace(/<[^>]*$/, ''));
  return snippetFromText(text);
}
