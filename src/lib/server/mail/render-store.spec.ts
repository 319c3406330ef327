// The placeholder swap: what a stored render turns into for one reader. The renders here come
// from the real sanitiser (as the worker makes them), and the results are parsed again the way
// a browser reads them: attributes, style attributes and <style> text each decode their own way.
import { describe, expect, it } from 'vitest';
import { parseHtml } from '../../../../tests/helpers/mail-html';
import {
  cidPlaceholder,
  fillPlaceholders,
  INERT_URL,
  newRenderNonce,
  placeholderOrigin,
  RENDER_VERSION,
  storedBody
} from './render-store';
import { RENDER_VERSION as FROM_SANITIZE, sanitizeHtml } from './sanitize';

const ORIGIN = 'https://mail.example.test';
const LOGO = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const OTHER = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
const signed = (id: string) =>
  `/api/messages/m1/attachments/${id}?inline=1&exp=1800000000&sig=s-_ig${id.slice(0, 4)}`;

/** A render as the worker makes it: cid images at this nonce's placeholders. */
function render(html: string, nonce: string, allowRemote = false) {
  return sanitizeHtml(html, {
    allowRemote,
    origin: placeholderOrigin(nonce),
    resolveCid: (cid) => (cid === 'logo@x' ? cidPlaceholder(nonce, LOGO) : null)
  });
}

function csp(html: string): string {
  return (
    parseHtml(html).querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? ''
  );
}

describe('placeholders', () => {
  it('are made of a fresh 128-bit nonce under .invalid, and refuse anything else as a nonce', () => {
    const a = newRenderNonce();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newRenderNonce()).not.toBe(a);
    expect(placeholderOrigin(a)).toBe(`https://cid-${a}.invalid`);
    expect(cidPlaceholder(a, LOGO.toUpperCase())).toBe(`https://cid-${a}.invalid/${LOGO}`);
    for (const bad of ['', 'abc', `${a}.evil.example`, a.toUpperCase(), `${a}/x`])
      expect(() => placeholderOrigin(bad)).toThrow(/nonce/);
  });

  it('RENDER_VERSION is the same number from sanitize.ts', () => {
    expect(FROM_SANITIZE).toBe(RENDER_VERSION);
    expect(Number.isInteger(RENDER_VERSION) && RENDER_VERSION >= 1).toBe(true);
  });
});

describe('fillPlaceholders', () => {
  it('puts the signed URL in an img src, a style attribute and a <style> element, each read back exactly', () => {
    const nonce = newRenderNonce();
    const { html } = render(
      '<style>.hero{background:url(cid:logo@x)}</style>' +
        '<img id="a" src="cid:logo@x"><div id="b" style="background-image:url(cid:logo@x)">x</div>',
      nonce
    );
    expect(html).toContain(`${placeholderOrigin(nonce)}/${LOGO}`);
    const out = fillPlaceholders(html, nonce, { origin: ORIGIN, partUrl: signed });
    expect(out).not.toContain(nonce);
    const url = ORIGIN + signed(LOGO);
    const doc = parseHtml(out);
    expect(doc.getElementById('a')?.getAttribute('src')).toBe(url);
    expect((doc.getElementById('b') as HTMLElement).style.backgroundImage).toBe(`url("${url}")`);
    const sheet = [...doc.querySelectorAll('style')].map((s) => s.textContent).join('\n');
    expect(sheet).toContain(`url(${url})`);
    // the CSP lets the app's origin (and only it) serve images besides data:
    expect(csp(out)).toContain(`img-src data: ${ORIGIN};`);
  });

  it('keeps the CSP placeholder-free in the remote variant too', () => {
    const nonce = newRenderNonce();
    const { html } = render('<img src="cid:logo@x"><img src="https://cdn.example/x.png">', nonce, true);
    const out = fillPlaceholders(html, nonce, { origin: `${ORIGIN}/`, partUrl: signed });
    expect(csp(out)).toContain(`img-src data: ${ORIGIN} https: http:;`);
  });

  it('leaves placeholders of any other render alone, wherever the mail puts them', () => {
    // mail written to look like a placeholder (say, copied from an earlier render of it):
    // in text, a link, a remote image, CSS; with remote content allowed so the image stays
    const old = newRenderNonce();
    const fake = `${placeholderOrigin(old)}/${OTHER}`;
    const nonce = newRenderNonce();
    const { html } = render(
      `<p id="t">${fake}</p><a id="l" href="${fake}">x</a><img id="i" src="${fake}">` +
        `<div id="d" style="background:url(${fake})">y</div><img id="logo" src="cid:logo@x">`,
      nonce,
      true
    );
    const asked: string[] = [];
    const out = fillPlaceholders(html, nonce, {
      origin: ORIGIN,
      partUrl: (id) => (asked.push(id), signed(id))
    });
    expect(asked).toEqual([LOGO]); // signed once, for the real inline image only
    const doc = parseHtml(out);
    expect(doc.getElementById('t')?.textContent).toBe(fake);
    expect(doc.getElementById('l')?.getAttribute('href')).toBe(fake);
    expect(doc.getElementById('i')?.getAttribute('src')).toBe(fake);
    expect(doc.getElementById('d')?.getAttribute('style')).toContain(fake);
    expect(doc.getElementById('logo')?.getAttribute('src')).toBe(ORIGIN + signed(LOGO));
    expect(out.match(/sig=/g)).toHaveLength(1);
  });

  it('gives an empty image for an attachment that is not the message’s, and for an unsafe URL', () => {
    const nonce = newRenderNonce();
    const html = `<img id="a" src="${cidPlaceholder(nonce, OTHER)}"><img id="b" src="${cidPlaceholder(nonce, LOGO)}">`;
    const out = fillPlaceholders(html, nonce, {
      origin: ORIGIN,
      partUrl: (id) => (id === LOGO ? '/x?a=")onerror=alert(1)' : null)
    });
    const doc = parseHtml(out);
    expect(doc.getElementById('a')?.getAttribute('src')).toBe(INERT_URL);
    expect(doc.getElementById('b')?.getAttribute('src')).toBe(INERT_URL);
    // a URL of somewhere else is never swapped in either
    const away = fillPlaceholders(html, nonce, { origin: ORIGIN, partUrl: () => '//evil.example/x' });
    expect(away).not.toContain('evil');
  });

  it('refuses a malformed nonce instead of swapping with a broken pattern', () => {
    expect(() => fillPlaceholders('<p>x</p>', '.*', { origin: ORIGIN, partUrl: signed })).toThrow(/nonce/);
  });
});

describe('storedBody', () => {
  const nonce = newRenderNonce();
  const row = {
    htmlSafe: `<img src="${cidPlaceholder(nonce, LOGO)}">blocked`,
    htmlSafeRemote: `<img src="${cidPlaceholder(nonce, LOGO)}">remote`,
    textSafe: '<div class="mail-text">hi</div>',
    remoteContent: true,
    renderNonce: nonce
  };
  const opts = { origin: ORIGIN, partUrl: signed, senderTrusted: false };

  it('serves the blocked variant unless remote content is allowed', () => {
    const blocked = storedBody(row, { ...opts, allowRemote: false });
    expect(blocked).toEqual({
      html: `<img src="${ORIGIN}${signed(LOGO)}">blocked`,
      text: row.textSafe,
      remoteContentBlocked: true,
      senderTrusted: false
    });
    const shown = storedBody(row, { ...opts, allowRemote: true, senderTrusted: true });
    expect(shown).toMatchObject({
      html: `<img src="${ORIGIN}${signed(LOGO)}">remote`,
      remoteContentBlocked: false
    });
  });

  it('serves htmlSafe for both when nothing was blocked, and nothing for a plain-text mail', () => {
    const same = { ...row, htmlSafeRemote: null, remoteContent: false };
    expect(storedBody(same, { ...opts, allowRemote: true }).html).toContain('blocked');
    expect(storedBody(same, { ...opts, allowRemote: false }).remoteContentBlocked).toBe(false);
    const plain = { ...same, htmlSafe: null };
    expect(storedBody(plain, { ...opts, allowRemote: false })).toMatchObject({
      html: null,
      text: row.textSafe
    });
  });
});
