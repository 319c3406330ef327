// Inspects a rendered mail document the way a browser would see it: parsed by jsdom, element by
// element, attribute by attribute, and its CSS through jsdom's CSSOM and token by token (css-tree's
// tokenizer). Returns every way it could run script or load something it should not.
import * as csstree from 'css-tree';
import { JSDOM, VirtualConsole } from 'jsdom';

export function parseHtml(html: string) {
  return new JSDOM(html, { virtualConsole: new VirtualConsole() }).window.document;
}

const URL_ATTRS = [
  'src',
  'srcset',
  'background',
  'poster',
  'lowsrc',
  'dynsrc',
  'data',
  'action',
  'formaction'
];
const FORBIDDEN_ELEMENTS = [
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'form',
  'input',
  'button',
  'select',
  'textarea',
  'isindex',
  'base',
  'link',
  'svg',
  'math',
  'video',
  'audio',
  'source',
  'portal',
  'template'
];
const LOADING_FUNCTIONS = /^(?:url|image-set|-webkit-image-set|image|cross-fade|element|src|expression)\($/i;

/** May this URL be loaded by the rendered mail? data: images always, our origin, and remote when allowed. */
function loadable(url: string, origin: string, allowRemote: boolean): boolean {
  const u = url.trim();
  if (/^data:image\//i.test(u)) return true;
  if (u.startsWith(`${origin}/`)) return true;
  return allowRemote && /^https?:\/\//i.test(u);
}

/** Every way the document could run script or load something it should not, as readable lines. */
export function htmlDangers(html: string, opts: { origin: string; allowRemote?: boolean }): string[] {
  const allowRemote = opts.allowRemote ?? false;
  const ok = (u: string) => loadable(u, opts.origin, allowRemote);
  const doc = parseHtml(html);
  const found: string[] = [];
  for (const tag of FORBIDDEN_ELEMENTS)
    for (const el of doc.getElementsByTagName(tag)) found.push(`<${tag}> ${el.outerHTML.slice(0, 80)}`);
  // our own four metas in head and nothing else
  const metas = [...doc.querySelectorAll('meta')].map(
    (m) => m.getAttribute('http-equiv') ?? m.getAttribute('name') ?? 'charset'
  );
  if (metas.join() !== 'charset,Content-Security-Policy,referrer,x-dns-prefetch-control,viewport')
    found.push(`metas: ${metas.join()}`);
  for (const el of doc.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const { name, value } of el.attributes) {
      const where = `<${tag} ${name}="${value.slice(0, 60)}">`;
      if (name.startsWith('on')) found.push(`handler ${where}`);
      if (['ping', 'srcdoc', 'xlink:href', 'formaction', 'action', 'http-equiv'].includes(name)) {
        if (!(tag === 'meta' && name === 'http-equiv')) found.push(`attribute ${where}`);
      }
      // eslint-disable-next-line no-control-regex -- browsers drop these from URLs, so must we
      if (/^\s*(?:javascript|vbscript|data:text)/i.test(value.replace(/[\u0000-\u0020]/g, '')))
        found.push(`script URL ${where}`);
      if (name === 'href') {
        if (tag !== 'a' && tag !== 'area') found.push(`href on ${where}`);
        else if (!/^(?:https?:\/\/|mailto:)/i.test(value)) found.push(`link target ${where}`);
        else if (el.getAttribute('target') !== '_blank' || el.getAttribute('rel') !== 'noopener noreferrer')
          found.push(`link opens in place ${where}`);
      }
      if (URL_ATTRS.includes(name)) {
        const urls = name === 'srcset' ? value.split(',').map((c) => c.trim().split(/\s+/)[0]!) : [value];
        for (const u of urls) if (!ok(u)) found.push(`load ${where}`);
      }
    }
  }
  // CSS, once through jsdom's CSSOM and once token by token
  const sheets = [...doc.querySelectorAll('style')].map((s) => s.textContent ?? '');
  const inline = [...doc.querySelectorAll('[style]')].map((e) => e.getAttribute('style')!);
  for (const sheet of doc.styleSheets) {
    const rules = [...sheet.cssRules];
    while (rules.length) {
      const r = rules.shift()!;
      const kind = r.constructor.name;
      if (kind === 'CSSImportRule' || kind === 'CSSFontFaceRule') found.push(`css ${kind}`);
      if ('cssRules' in r) rules.push(...(r as CSSGroupingRule).cssRules);
    }
  }
  for (const css of [...sheets, ...inline])
    csstree.tokenize(css, (type, start, end) => {
      const text = css.slice(start, end);
      if (type === csstree.tokenTypes.AtKeyword && !/^@(?:media|supports|keyframes)$/i.test(text))
        found.push(`css at-rule ${text}`);
      if (type === csstree.tokenTypes.BadUrl) found.push(`css bad url ${text}`);
      if (type === csstree.tokenTypes.Url) {
        const u = text.replace(/^url\(\s*|\s*\)$/gi, '').replace(/^["']|["']$/g, '');
        if (!ok(u)) found.push(`css ${text}`);
      }
      if (type === csstree.tokenTypes.Function && LOADING_FUNCTIONS.test(text)) {
        const rest = css.slice(end);
        const arg = /^\s*["']([^"']*)["']/.exec(rest)?.[1];
        if (arg === undefined || !ok(arg)) found.push(`css ${text}${rest.slice(0, 40)}`);
      }
      if (text.includes('\\')) found.push(`css escape ${text}`);
    });
  return found;
}
