/**
 * HTML mail made safe to show: DOMPurify (on one reused jsdom window) does the cleaning; the hooks
 * here only add what a mail reader needs on top of it: remote content blocked unless allowed,
 * `cid:` images rewritten to our own URLs, links forced to open in a new tab, and CSS (style
 * attributes and <style> elements, which newsletters need) stripped of anything that loads.
 * The result is a complete document for `<iframe sandbox srcdoc>`, with a CSP that forbids
 * script and every load we did not mean to allow, as a second wall behind the sanitiser.
 */
import * as csstree from 'css-tree';
import createDOMPurify, { type Config, type DOMPurify, type WindowLike } from 'dompurify';
import { JSDOM, VirtualConsole } from 'jsdom';
import { THEMED_MEDIA } from '../../mail-theme.js';

/**
 * Bodies are rendered once, by the worker, and stored: change what this file outputs (a rule, a
 * fix) and bump RENDER_VERSION (defined in render-store.ts, which the app loads without jsdom),
 * or stored renders made by the old rules keep being served.
 */
export { RENDER_VERSION } from './render-store.js';

export interface SanitizeOptions {
  /** Load http(s) images (the user asked to, or trusts the sender). Script is never allowed. */
  allowRemote?: boolean;
  /** Maps a `cid:` reference (without `cid:` and angle brackets) to a URL of ours, or null to drop it. */
  resolveCid?: (cid: string) => string | null;
  /** The app's origin (e.g. https://mail.example.com): URLs from resolveCid must be on it. */
  origin?: string;
}

export interface SanitizedHtml {
  /** A complete HTML document for an iframe's srcdoc. */
  html: string;
  /** Something remote was left out that allowRemote would have shown. */
  remoteContentBlocked: boolean;
}

/** Elements DOMPurify's HTML profile would keep that a mail reader must not: forms, media, templating. */
const FORBID_TAGS = [
  'form',
  'input',
  'button',
  'select',
  'option',
  'optgroup',
  'textarea',
  'datalist',
  'output',
  'audio',
  'video',
  'source',
  'track',
  'picture',
  'template',
  'slot',
  'shadow',
  'content',
  'element',
  'decorator',
  'dialog',
  'menuitem',
  // not in DOMPurify's HTML profile anyway; listed so a config change cannot bring them back
  'script',
  'base',
  'meta',
  'link',
  'object',
  'embed',
  'iframe',
  'frame',
  'frameset',
  'portal'
];

/** Attributes that submit, load or pop things up with no use in a mail. */
const FORBID_ATTR = [
  'action',
  'method',
  'enctype',
  'formaction',
  'ping',
  'poster',
  'autoplay',
  'nonce',
  'integrity',
  'crossorigin',
  'popover',
  'popovertarget',
  'popovertargetaction',
  'command',
  'commandfor',
  'srcdoc'
];

const CONFIG: Config = {
  WHOLE_DOCUMENT: true,
  RETURN_DOM: true,
  USE_PROFILES: { html: true }, // no SVG or MathML at all: both have their own ways to load and run things
  FORBID_TAGS,
  FORBID_ATTR
  // DOMPurify's default URI check stays (it also passes non-URL values such as bgcolor="#fff");
  // the hooks below narrow href, src, background and srcset further.
};

/** At-rules that cannot load anything; every other one (@import, @font-face, @namespace, ...) goes. */
const AT_RULES_KEPT = new Set([
  'media',
  'supports',
  'keyframes',
  '-webkit-keyframes',
  '-moz-keyframes',
  'layer',
  'container'
]);
/** CSS functions that load their string arguments as URLs, or run code in old browsers. */
const LOADING_FUNCTIONS = new Set([
  'image-set',
  '-webkit-image-set',
  'image',
  'cross-fade',
  '-webkit-cross-fade',
  'element',
  '-moz-element',
  'src',
  'paint',
  'expression'
]);
/** A value css-tree could not parse that might hide a load: escapes (u\72l), url(, image-set( ... */
const SUSPICIOUS_RAW = /\\|url\s*\(|image|src\s*\(|expression|@import/i;
const REMOTE_HINT = /https?:|\/\//i;

const BASE_CSS = [
  'html{color-scheme:light}',
  'body{margin:0;padding:16px;background:#fff;color:#1f2328;' +
    'font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;overflow-wrap:break-word}',
  'img{max-width:100%;height:auto}',
  'pre{white-space:pre-wrap}',
  'a{color:#0969da}',
  'blockquote{margin:0 0 0 .8em;padding-left:.8em;border-left:3px solid #d0d7de}'
].join('');
/**
 * A mail that sets no colours of its own (most personal mail) follows the reader's dark theme:
 * the system's preference reaches the frame as prefers-color-scheme, and the app's own toggle
 * through forcedTheme (src/lib/mail-theme.ts), applied by the page. Mail with colours of its own
 * (newsletters) stays as designed, on white: inverting it would break its design.
 */
const DARK_CSS =
  `${THEMED_MEDIA}{html{color-scheme:dark}` +
  'body{background:#1a1f2a;color:#e6e9f0}a{color:#7aa2ff}blockquote{border-left-color:#3b4558}}';
/** a colour or a background in a style attribute */
const COLOR_DECL = /(?:^|[;\s])(?:color|background(?:-color|-image)?)\s*:/i;

type UrlKind = 'data-image' | 'cid' | 'remote' | 'other';

/** Browsers drop ASCII whitespace and controls from URLs ("ht\ttp:"), so the check must too. */
function kindOf(url: string): { kind: UrlKind; clean: string } {
  // eslint-disable-next-line no-control-regex
  const clean = url.replace(/[\u0000-\u0020]/g, '');
  const lower = clean.toLowerCase();
  if (lower.startsWith('data:image/')) return { kind: 'data-image', clean };
  if (lower.startsWith('cid:')) return { kind: 'cid', clean };
  if (lower.startsWith('http:') || lower.startsWith('https:') || lower.startsWith('//'))
    return { kind: 'remote', clean };
  return { kind: 'other', clean };
}

/** State of the one sanitize() call running now (DOMPurify is synchronous; hooks are per instance). */
interface Run {
  allowRemote: boolean;
  resolveCid: (cid: string) => string | null;
  origin: string | null;
  blocked: boolean;
  cidUsed: boolean;
  /** the mail sets colours of its own (see DARK_CSS) */
  colors: boolean;
}

/**
 * What to put in place of an image URL: the URL itself, our URL for a cid, or null to leave it out.
 * Counts a remote URL left out.
 */
function imageUrl(run: Run, url: string): string | null {
  const { kind, clean } = kindOf(url);
  switch (kind) {
    case 'data-image':
      return clean;
    case 'remote':
      if (run.allowRemote && !clean.startsWith('//')) return clean;
      run.blocked ||= !run.allowRemote;
      return null;
    case 'cid':
      return cidUrl(run, clean.slice(4));
    default:
      return null;
  }
}

function cidUrl(run: Run, ref: string): string | null {
  if (!run.origin) return null;
  let cid = ref;
  try {
    cid = decodeURIComponent(ref);
  } catch {
    // keep it as written
  }
  const resolved = run.resolveCid(cid.replace(/^<|>$/g, ''));
  if (!resolved) return null;
  try {
    const u = new URL(resolved, run.origin);
    if (u.origin !== run.origin) return null; // only our own signed URLs are let through
    run.cidUsed = true;
    return u.href;
  } catch {
    return null;
  }
}

/** Cleans one declaration's value in place; false when the declaration must go. */
function declarationAllowed(run: Run, decl: csstree.Declaration): boolean {
  if (decl.property.includes('\\')) return false;
  let ok = true;
  csstree.walk(decl.value, (node) => {
    if (!ok) return;
    if (node.type === 'Url') {
      const url = imageUrl(run, node.value);
      if (url === null) ok = false;
      else node.value = url;
    } else if (node.type === 'Function' || node.type === 'Identifier') {
      const name = node.name.toLowerCase();
      if (name.includes('\\') || (node.type === 'Function' && name === 'expression')) ok = false;
      else if (node.type === 'Function' && LOADING_FUNCTIONS.has(name))
        csstree.walk(node, (inner) => {
          if (inner.type === 'String' && imageUrl(run, inner.value) === null) ok = false;
        });
    } else if (node.type === 'Raw' && SUSPICIOUS_RAW.test(node.value)) {
      if (REMOTE_HINT.test(node.value)) run.blocked ||= !run.allowRemote;
      ok = false;
    }
  });
  return ok;
}

function cleanCssAst(run: Run, ast: csstree.CssNode): void {
  csstree.walk(ast, {
    enter(
      node: csstree.CssNode,
      item: csstree.ListItem<csstree.CssNode>,
      list: csstree.List<csstree.CssNode>
    ) {
      if (node.type === 'Atrule' && !AT_RULES_KEPT.has(node.name.toLowerCase())) {
        // @import and @font-face load; count them when they name something remote
        if (REMOTE_HINT.test(csstree.generate(node))) run.blocked ||= !run.allowRemote;
        list?.remove(item);
        return csstree.walk.skip;
      }
      if (node.type === 'Declaration') {
        if (!declarationAllowed(run, node)) list?.remove(item);
        return csstree.walk.skip;
      }
      if (node.type === 'Rule' && node.prelude.type === 'Raw' && SUSPICIOUS_RAW.test(node.prelude.value)) {
        list?.remove(item);
        return csstree.walk.skip;
      }
      if (node.type === 'CDO' || node.type === 'CDC') {
        list?.remove(item); // "<!--" and "-->" around old stylesheets
        return undefined;
      }
      if (node.type === 'Raw' && SUSPICIOUS_RAW.test(node.value)) {
        if (REMOTE_HINT.test(node.value)) run.blocked ||= !run.allowRemote;
        list?.remove(item);
      }
      return undefined;
    }
  });
}

/** Without "(", "@", "\\" or "<" a piece of CSS can neither load anything nor break out of <style>. */
const CSS_NEEDS_CLEANING = /[(@\\<]/;

function cleanCss(run: Run, css: string, context: 'stylesheet' | 'declarationList'): string {
  if (!CSS_NEEDS_CLEANING.test(css)) return css;
  const ast = csstree.parse(css, { context, parseCustomProperty: true, onParseError: () => {} });
  cleanCssAst(run, ast);
  // "</style" (or any "<tag") inside a CSS string would end the element when the document is parsed
  // again, and DOMPurify drops a <style> whose text looks like markup: a space after "<" defuses both.
  return csstree.generate(ast).replace(/<(?=[/\w!])/g, '< ');
}

function cleanLink(el: Element): void {
  const href = el.getAttribute('href');
  if (href !== null) {
    const { kind, clean } = kindOf(href);
    if (kind === 'remote' && !clean.startsWith('//')) el.setAttribute('href', clean);
    else if (/^mailto:/i.test(clean)) el.setAttribute('href', clean);
    else el.removeAttribute('href');
  }
  el.setAttribute('target', '_blank');
  el.setAttribute('rel', 'noopener noreferrer');
}

function cleanSrcset(run: Run, el: Element): void {
  const srcset = el.getAttribute('srcset');
  if (srcset === null) return;
  // A srcset is kept only when every candidate is a plain http(s) URL we may load; the src is the fallback.
  const urls = srcset
    .split(',')
    .map((c) => c.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
  const remote = urls.filter((u) => kindOf(u).kind === 'remote');
  if (remote.length && !run.allowRemote) run.blocked = true;
  if (!run.allowRemote || remote.length !== urls.length || urls.some((u) => u.startsWith('//')))
    el.removeAttribute('srcset');
}

function cleanElement(run: Run, el: Element): void {
  const tag = el.nodeName.toLowerCase();
  if (tag === 'a' || tag === 'area') cleanLink(el);
  for (const attr of ['src', 'background']) {
    const value = el.getAttribute(attr);
    if (value === null) continue;
    const url = imageUrl(run, value);
    if (url === null) el.removeAttribute(attr);
    else el.setAttribute(attr, url);
  }
  cleanSrcset(run, el);
  const style = el.getAttribute('style');
  if (style !== null) {
    const css = cleanCss(run, style, 'declarationList');
    if (!css.trim()) el.removeAttribute('style');
    // jsdom re-parses a style attribute on every write: write only what changed
    else if (css !== style) el.setAttribute('style', css);
    if (COLOR_DECL.test(css)) run.colors = true;
  }
  if (
    el.hasAttribute('bgcolor') ||
    el.hasAttribute('background') ||
    (tag === 'font' && el.hasAttribute('color'))
  )
    run.colors = true;
}

let current: Run | null = null;
let purifier: DOMPurify | null = null;

function purify(): DOMPurify {
  if (purifier) return purifier;
  // One window for the process; a VirtualConsole with no listeners keeps jsdom's CSS
  // parse complaints about hostile mail out of our logs.
  const { window } = new JSDOM('', { virtualConsole: new VirtualConsole() });
  const p = createDOMPurify(window as unknown as WindowLike);
  p.addHook('afterSanitizeAttributes', (node) => {
    if (current && node.nodeType === 1) cleanElement(current, node);
  });
  // before DOMPurify's own checks, which would drop a stylesheet wrapped in <!-- --> as markup
  p.addHook('uponSanitizeElement', (node, data) => {
    if (current && data.tagName === 'style') {
      const css = node.textContent ?? '';
      const clean = cleanCss(current, css, 'stylesheet');
      if (clean !== css) node.textContent = clean;
    }
  });
  purifier = p;
  return p;
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The CSP of the rendered mail: no script-src at all, so script is forbidden by default-src. */
export function mailCsp(opts: { allowRemote: boolean; cidOrigin: string | null }): string {
  const img = [
    'data:',
    ...(opts.cidOrigin ? [opts.cidOrigin] : []),
    ...(opts.allowRemote ? ['https:', 'http:'] : [])
  ];
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `img-src ${img.join(' ')}`,
    'font-src data:',
    "form-action 'none'",
    "base-uri 'none'"
  ].join('; ');
}

/** Sanitises an HTML mail body into a complete document for `<iframe sandbox srcdoc>`. */
export function sanitizeHtml(dirty: string, opts: SanitizeOptions = {}): SanitizedHtml {
  const p = purify();
  const run: Run = {
    allowRemote: opts.allowRemote ?? false,
    resolveCid: opts.resolveCid ?? (() => null),
    origin: opts.origin ? new URL(opts.origin).origin : null,
    blocked: false,
    cidUsed: false,
    colors: false
  };
  current = run;
  let root: HTMLElement;
  try {
    root = p.sanitize(dirty, CONFIG) as unknown as HTMLElement;
  } finally {
    current = null;
  }
  // <style> may sit in head or body; all of it goes to our head, after the base sheet so the mail wins
  const styles = [...root.querySelectorAll('style')].map((s) => {
    s.remove();
    return s.outerHTML;
  });
  const body = root.querySelector('body');
  const bodyAttrs = body
    ? [...body.attributes].map((a) => ` ${a.name}="${escapeAttr(a.value)}"`).join('')
    : '';
  const csp = mailCsp({ allowRemote: run.allowRemote, cidOrigin: run.cidUsed ? run.origin : null });
  const html =
    '<!doctype html><html><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">` +
    '<meta name="referrer" content="no-referrer">' +
    '<meta http-equiv="x-dns-prefetch-control" content="off">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<style>${BASE_CSS}${run.colors || styles.length ? '' : DARK_CSS}</style>${styles.join('')}</head>` +
    `<body${bodyAttrs}>${body?.innerHTML ?? ''}</body></html>`;
  return { html, remoteContentBlocked: run.blocked };
}
