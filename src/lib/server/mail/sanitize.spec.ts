// The hostile fixtures go through what the app does to a real message (mailparser, then the
// sanitiser), and the output is parsed again and inspected element by element, attribute by
// attribute and CSS token by CSS token: nothing that runs, nothing that loads from elsewhere.
import { readdirSync, readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { htmlDangers, parseHtml } from '../../../../tests/helpers/mail-html';
import { THEMED_MEDIA } from '../../mail-theme';
import { sanitizeHtml, type SanitizeOptions } from './sanitize';

const FIXTURES = new URL('../../../../tests/fixtures/mail/', import.meta.url);
const ORIGIN = 'https://mail.example.test';
const HOSTILE = readdirSync(FIXTURES).filter((f) => f.startsWith('hostile-'));

async function htmlOf(file: string) {
  // the options the worker's fetch-body job parses with
  const parsed = await simpleParser(readFileSync(new URL(file, FIXTURES)), {
    skipImageLinks: true,
    skipTextToHtml: true,
    maxHtmlLengthToParse: 5_000_000
  });
  if (typeof parsed.html !== 'string') throw new Error(`${file} has no HTML part`);
  return { html: parsed.html, parsed };
}

const parse = parseHtml;
const dangers = (html: string, allowRemote = false) => htmlDangers(html, { origin: ORIGIN, allowRemote });

function csp(html: string): string {
  const meta = parse(html).querySelector('meta[http-equiv="Content-Security-Policy"]');
  return meta?.getAttribute('content') ?? '';
}

function textOf(html: string, id: string): string | undefined {
  return parse(html).getElementById(id)?.textContent ?? undefined;
}

describe('sanitizeHtml on hostile mail', () => {
  it('has the fixtures', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of HOSTILE)
    it(`${file}: nothing runs, nothing remote loads, the text stays`, async () => {
      const { html } = await htmlOf(file);
      // the fixture itself is dangerous, or the test proves nothing
      expect(dangers(html).length).toBeGreaterThan(0);
      for (const allowRemote of [false, true]) {
        const out = sanitizeHtml(html, { allowRemote, origin: ORIGIN, resolveCid: () => null });
        expect(dangers(out.html, allowRemote)).toEqual([]);
        expect(out.html.startsWith('<!doctype html>')).toBe(true);
        const policy = csp(out.html);
        expect(policy).toMatch(/^default-src 'none'; /);
        expect(policy).not.toMatch(/script-src/);
        expect(policy).toContain("form-action 'none'");
        // a fixture's readable text (every fixture has one) survives
        const doc = parse(out.html);
        expect(doc.body.textContent?.trim().length).toBeGreaterThan(0);
      }
    });

  it('removes script but keeps the text around it', async () => {
    const out = sanitizeHtml((await htmlOf('hostile-script.eml')).html);
    expect(textOf(out.html, 'hello')).toBe('Hello from the script fixture');
    expect(textOf(out.html, 'bye')).toBe('Bye');
    expect(parse(out.html).body.textContent).not.toContain('pwned = 1');
  });

  it('drops handlers but keeps the elements and data: images', async () => {
    const doc = parse(sanitizeHtml((await htmlOf('hostile-onerror.eml')).html).html);
    expect(doc.getElementById('keep')?.textContent).toContain('this text should stay');
    expect(doc.querySelector('img[alt="dot"]')?.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(doc.querySelector('a')?.getAttribute('href')).toBe('https://ok.example/');
  });

  it('keeps http(s) and mailto links only, opening in a new tab without referrer or opener', async () => {
    const doc = parse(sanitizeHtml((await htmlOf('hostile-javascript-link.eml')).html).html);
    for (const id of ['js', 'jsmixed', 'jstab', 'jsentity', 'jsspace', 'vb', 'data', 'rel', 'area'])
      expect(doc.getElementById(id)?.hasAttribute('href'), id).toBe(false);
    const ok = doc.getElementById('ok')!;
    expect(ok.getAttribute('href')).toBe('https://ok.example/path?q=1');
    expect(ok.getAttribute('target')).toBe('_blank');
    expect(ok.getAttribute('rel')).toBe('noopener noreferrer');
    expect(doc.getElementById('mail')?.getAttribute('href')).toBe('mailto:someone@ok.example');
  });

  it('blocks tracking pixels and remote backgrounds by default, and says so', async () => {
    const { html } = await htmlOf('hostile-tracking-pixel.eml');
    const out = sanitizeHtml(html, { origin: ORIGIN });
    expect(out.remoteContentBlocked).toBe(true);
    const doc = parse(out.html);
    expect(doc.getElementById('pixel')?.hasAttribute('src')).toBe(false);
    expect(doc.getElementById('picimg')?.hasAttribute('src')).toBe(false); // the <img> of a <picture> stays
    expect(doc.body.hasAttribute('background')).toBe(false);
    expect(csp(out.html)).toContain('img-src data:;');
  });

  it('shows http(s) images when remote content is allowed, still without script', async () => {
    const { html } = await htmlOf('hostile-tracking-pixel.eml');
    const out = sanitizeHtml(html, { allowRemote: true, origin: ORIGIN });
    expect(out.remoteContentBlocked).toBe(false);
    const doc = parse(out.html);
    expect(doc.getElementById('pixel')?.getAttribute('src')).toBe('https://track.example/open.gif?u=8f3a');
    expect(doc.getElementById('http')?.getAttribute('src')).toBe('http://track.example/plain-http.gif');
    expect(doc.getElementById('srcset')?.getAttribute('srcset')).toContain('https://track.example/a2.jpg 2x');
    // protocol-relative and app-relative URLs are never loaded
    expect(doc.getElementById('protorel')?.hasAttribute('src')).toBe(false);
    expect(doc.getElementById('relative')?.hasAttribute('src')).toBe(false);
    expect(doc.querySelector('td')?.getAttribute('background')).toBe('https://track.example/td.png');
    expect(csp(out.html)).toMatch(/img-src data: https: http:;/);
  });

  it('strips CSS that loads (url, @import, @font-face, image-set, escapes, variables) and keeps the rest', async () => {
    const { html } = await htmlOf('hostile-css-tracking.eml');
    const out = sanitizeHtml(html);
    expect(out.remoteContentBlocked).toBe(true);
    const doc = parse(out.html);
    const sheet = [...doc.querySelectorAll('style')].map((s) => s.textContent).join('\n');
    expect(sheet).toContain('.keep{color:#c00;font-weight:bold}');
    expect(sheet).toContain('@media (max-width:600px){.keep{font-size:18px}}');
    expect(sheet).toContain('@supports (display:grid){.grid{display:grid}}');
    expect(doc.querySelector('div')?.getAttribute('style')).toBe('color:#123456');
    // with remote content allowed, http(s) CSS images come back; fonts and imports never do
    const remote = sanitizeHtml(html, { allowRemote: true });
    const sheet2 = [...parse(remote.html).querySelectorAll('style')].map((s) => s.textContent).join('\n');
    expect(sheet2).toContain('url(https://evil.example/body-bg.png)');
    expect(sheet2).not.toMatch(/@import|@font-face|escaped\.png|\/\/evil\.example\/media/);
  });

  it('never lets a CSS string close the <style> element', () => {
    const out = sanitizeHtml(
      '<style>.a::after{content:"\\3c/style><img src=x onerror=alert(1)>"}</style><p>x</p>'
    );
    expect(dangers(out.html)).toEqual([]);
    expect(parse(out.html).querySelectorAll('img')).toHaveLength(0);
  });

  it('rewrites cid: images to our URLs, drops the ones it cannot resolve and those off our origin', () => {
    const asked: string[] = [];
    const opts: SanitizeOptions = {
      origin: ORIGIN,
      resolveCid: (cid) => {
        asked.push(cid);
        if (cid === 'logo@x') return '/api/messages/m/attachments/a?inline=1&sig=s';
        if (cid === 'evil@x') return 'https://evil.example/logo.png';
        return null;
      }
    };
    const out = sanitizeHtml(
      '<img id="a" src="cid:logo@x"><img id="b" src="cid:missing@x"><img id="c" src="CID:evil@x">' +
        '<div id="d" style="background:url(cid:logo@x)">x</div>',
      opts
    );
    const doc = parse(out.html);
    expect(doc.getElementById('a')?.getAttribute('src')).toBe(
      `${ORIGIN}/api/messages/m/attachments/a?inline=1&sig=s`
    );
    expect(doc.getElementById('b')?.hasAttribute('src')).toBe(false);
    expect(doc.getElementById('c')?.hasAttribute('src')).toBe(false);
    expect(doc.getElementById('d')?.getAttribute('style')).toContain(
      `url(${ORIGIN}/api/messages/m/attachments/a`
    );
    expect(asked).toContain('missing@x');
    expect(out.remoteContentBlocked).toBe(false);
    expect(csp(out.html)).toContain(`img-src data: ${ORIGIN};`);
    // without an origin there is nowhere safe to point a cid at
    expect(
      parse(sanitizeHtml('<img id="a" src="cid:logo@x">', { ...opts, origin: undefined }).html)
        .getElementById('a')
        ?.hasAttribute('src')
    ).toBe(false);
  });

  it('reports nothing blocked for a mail without remote content', () => {
    const out = sanitizeHtml('<p style="color:red">Hi <b>there</b></p>');
    expect(out.remoteContentBlocked).toBe(false);
    expect(parse(out.html).querySelector('p')?.outerHTML).toBe('<p style="color:red">Hi <b>there</b></p>');
  });
});

describe('sanitizeHtml on a real newsletter', () => {
  const resolveCid = (cid: string) =>
    cid === 'logo@garden.example' ? '/api/messages/m1/attachments/a1?inline=1&sig=abc' : null;

  it('keeps tables, inline styles, the stylesheet, links and the cid logo; blocks the remote images', async () => {
    const { html, parsed } = await htmlOf('newsletter.eml');
    expect(parsed.attachments.map((a) => a.contentId)).toEqual(['<logo@garden.example>']);
    const out = sanitizeHtml(html, { origin: ORIGIN, resolveCid });
    expect(dangers(out.html)).toEqual([]);
    expect(out.remoteContentBlocked).toBe(true);
    const doc = parse(out.html);
    expect(doc.querySelectorAll('table')).toHaveLength(2);
    expect(doc.querySelectorAll('tr')).toHaveLength(7);
    expect(doc.body.getAttribute('bgcolor')).toBe('#f4f1ea');
    expect(doc.querySelector('td.hero')?.getAttribute('bgcolor')).toBe('#dfe8d5');
    const cell = doc.getElementById('intro')?.parentElement as HTMLElement;
    expect([cell.style.color, cell.style.fontSize, cell.style.padding]).toEqual([
      'rgb(51, 51, 51)',
      '16px',
      '24px'
    ]);
    const style = [...doc.querySelectorAll('style')].map((s) => s.textContent).join('\n');
    expect(style).toContain('@media only screen and (max-width:480px)');
    expect(style).toContain('.btn a{background-color:#2f5d2f');
    expect(style).not.toContain('leaves.png');
    expect(doc.getElementById('readmore')?.getAttribute('href')).toBe(
      'https://click.garden.example/r?u=abc&l=tomatoes'
    );
    expect(doc.getElementById('logo')?.getAttribute('src')).toBe(
      `${ORIGIN}/api/messages/m1/attachments/a1?inline=1&sig=abc`
    );
    expect(doc.getElementById('hero')?.hasAttribute('src')).toBe(false);
    expect(doc.getElementById('hero')?.getAttribute('alt')).toBe('Ripe tomatoes on the vine');
    expect(doc.querySelector('font')?.textContent).toContain('You get this because');
  });

  it('shows its images when allowed', async () => {
    const { html } = await htmlOf('newsletter.eml');
    const out = sanitizeHtml(html, { origin: ORIGIN, resolveCid, allowRemote: true });
    expect(dangers(out.html, true)).toEqual([]);
    const doc = parse(out.html);
    expect(doc.getElementById('hero')?.getAttribute('src')).toBe('https://cdn.garden.example/tomatoes.jpg');
    expect(csp(out.html)).toContain(`img-src data: ${ORIGIN} https: http:;`);
  });

  it('takes a few milliseconds per message once warm', async () => {
    const { html } = await htmlOf('newsletter.eml');
    sanitizeHtml(html); // the first call builds the jsdom window
    const runs = 50;
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) sanitizeHtml(html, { origin: ORIGIN, resolveCid });
    const each = (performance.now() - t0) / runs;
    // generous: a 2-core machine shared with other work; typically a few ms
    expect(each, `${each.toFixed(2)} ms per newsletter`).toBeLessThan(100);
  });
});

describe('sanitizeHtml and the dark theme', () => {
  const darkRule = (html: string) => html.includes(THEMED_MEDIA);

  it('lets a mail without colours of its own follow the dark theme', () => {
    expect(
      darkRule(
        sanitizeHtml('<div dir="ltr">Hi Bob,<br><b>see you</b> <a href="https://x.test">there</a></div>').html
      )
    ).toBe(true);
    // a font-size or a margin is not a colour
    expect(darkRule(sanitizeHtml('<p style="font-size:14px;margin:0">Plain</p>').html)).toBe(true);
  });

  it('keeps a mail that sets colours as designed', () => {
    for (const mail of [
      '<p style="color:#333">Grey text</p>',
      '<div style="font-size:12px; background-color: #fafafa">Boxed</div>',
      '<table bgcolor="#ffeecc"><tr><td>Cell</td></tr></table>',
      '<body bgcolor="#f4f4f4"><p>Old style</p></body>',
      '<font color="red">Red</font>',
      '<style>p { color: navy }</style><p>Styled</p>'
    ])
      expect(darkRule(sanitizeHtml(mail).html), mail).toBe(false);
  });
});
