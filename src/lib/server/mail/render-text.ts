/**
 * Plain-text mail as safe HTML: every character escaped, web and mail addresses linked
 * (linkifyjs finds them; only http(s) and mailto become links), quoted parts ("> ..." with the
 * "On ... wrote:" line before them, or an Outlook "Original Message" tail) folded into
 * <details>, and the signature after "-- " dimmed. Styles are inline so the fragment reads
 * well wherever it is put (the page or the sandboxed iframe); the classes let the UI restyle it.
 */
import { find } from 'linkifyjs';

type Block =
  | { kind: 'text'; lines: string[] }
  | { kind: 'quote'; summary: string | null; lines: string[]; stripped: boolean };

/** "On Mon, 3 Nov 2026, Ann <ann@example.com> wrote:" and its cousins in a few languages. */
const ATTRIBUTION =
  /^\s*(?:On|Am|Le|El|Il|Op|Em)\s.*(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu)\s*:\s*$/i;
const ATTRIBUTION_START = /^\s*(?:On|Am|Le|El|Il|Op|Em)\s/i;
const ATTRIBUTION_END = /(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu)\s*:\s*$/i;
const ORIGINAL_MESSAGE = /^\s*-{3,}\s*Original Message\s*-{3,}\s*$/i;
const SIGNATURE = /^-- ?$/;
const QUOTED = /^\s{0,3}>/;

const STYLE = {
  root: 'white-space:pre-wrap;overflow-wrap:anywhere',
  details: 'margin:.5em 0',
  summary: 'cursor:pointer;opacity:.7',
  quote: 'margin:.25em 0 0 .25em;padding-left:.75em;border-left:3px solid currentColor;opacity:.8',
  signature: 'opacity:.6'
};

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Escapes text and turns the web and mail addresses in it into links that open in a new tab. */
export function linkify(text: string): string {
  let out = '';
  let at = 0;
  for (const m of find(text)) {
    if (!(m.type === 'url' || m.type === 'email') || !/^(?:https?:\/\/|mailto:)/i.test(m.href)) continue;
    out += escapeHtml(text.slice(at, m.start));
    out +=
      `<a href="${escapeHtml(m.href)}" target="_blank" rel="noopener noreferrer">` +
      `${escapeHtml(text.slice(m.start, m.end))}</a>`;
    at = m.end;
  }
  return out + escapeHtml(text.slice(at));
}

/** Splits lines into plain runs and quoted runs (with the attribution line that introduces them). */
function blocksOf(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let text: string[] = [];
  const flush = () => {
    if (text.length) blocks.push({ kind: 'text', lines: text });
    text = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (ORIGINAL_MESSAGE.test(line)) {
      flush();
      blocks.push({ kind: 'quote', summary: line.trim(), lines: lines.slice(i + 1), stripped: false });
      break;
    }
    if (!QUOTED.test(line)) {
      text.push(line);
      i++;
      continue;
    }
    // a run of "> " lines; blank lines inside it belong to it when more quoted lines follow
    let end = i;
    let j = i;
    while (j < lines.length && (QUOTED.test(lines[j]!) || !lines[j]!.trim())) {
      if (QUOTED.test(lines[j]!)) end = j;
      j++;
    }
    const summary = takeAttribution(text);
    flush();
    blocks.push({ kind: 'quote', summary, lines: lines.slice(i, end + 1), stripped: true });
    i = end + 1;
  }
  flush();
  return blocks;
}

/** Removes the "On ... wrote:" line(s) at the end of `text` (a blank line may follow it) and returns them. */
function takeAttribution(text: string[]): string | null {
  let k = text.length - 1;
  if (k >= 0 && !text[k]!.trim()) k--;
  if (k < 0) return null;
  let from = -1;
  if (ATTRIBUTION.test(text[k]!)) from = k;
  // long attributions wrap: "On Mon, 3 Nov 2026 at 10:00, Ann Example" / "<ann@example.com> wrote:"
  else if (k >= 1 && ATTRIBUTION_END.test(text[k]!) && ATTRIBUTION_START.test(text[k - 1]!)) from = k - 1;
  if (from < 0) return null;
  const summary = text
    .slice(from, k + 1)
    .map((l) => l.trim())
    .join(' ');
  text.splice(from);
  return summary;
}

function trimBlank(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && !lines[a]!.trim()) a++;
  while (b > a && !lines[b - 1]!.trim()) b--;
  return lines.slice(a, b);
}

function renderLines(lines: string[], top: boolean): string {
  let out = '';
  for (const block of blocksOf(lines)) {
    if (block.kind === 'text') {
      const body = trimBlank(block.lines);
      if (!body.length) continue;
      const sig = top ? body.findIndex((l) => SIGNATURE.test(l)) : -1;
      if (sig < 0) out += `<div>${linkify(body.join('\n'))}</div>`;
      else {
        const before = trimBlank(body.slice(0, sig));
        if (before.length) out += `<div>${linkify(before.join('\n'))}</div>`;
        out += `<div class="mail-signature" style="${STYLE.signature}">${linkify(body.slice(sig).join('\n'))}</div>`;
      }
      continue;
    }
    const inner = block.stripped ? block.lines.map((l) => l.replace(/^\s{0,3}> ?/, '')) : block.lines;
    const quoted = `<blockquote class="mail-quote" style="${STYLE.quote}">${renderLines(inner, false)}</blockquote>`;
    if (!top) {
      if (block.summary) out += `<div>${linkify(block.summary)}</div>`;
      out += quoted;
      continue;
    }
    // only the outermost quote folds; quotes inside it show as they are once it is open
    out +=
      `<details class="mail-quoted" style="${STYLE.details}">` +
      `<summary style="${STYLE.summary}">${escapeHtml(block.summary ?? 'Quoted text')}</summary>` +
      `${quoted}</details>`;
  }
  return out;
}

/** Plain-text mail as a safe HTML fragment. */
export function renderText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  return `<div class="mail-text" style="${STYLE.root}">${renderLines(lines, true)}</div>`;
}
