// renderBody as a render thread runs it at fetch time: both variants, the text, and cid images at the
// placeholders of a fresh nonce that the app swaps on open.
import { describe, expect, it } from 'vitest';
import { parseHtml } from '../../tests/helpers/mail-html';
import { fillPlaceholders, placeholderOrigin, RENDER_VERSION } from '../../src/lib/server/mail/render-store';
import { renderBody } from './render-body';

const LOGO = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const attachments = [
  { id: LOGO, contentId: 'Logo@Garden.Example' },
  { id: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d', contentId: null }
];

describe('renderBody', () => {
  it('stores both variants when something remote was blocked, cid images at placeholders', () => {
    const r = renderBody(
      {
        htmlBody:
          '<img id="logo" src="cid:logo@garden.example"><img id="hero" src="https://cdn.example/h.jpg">',
        textBody: 'Hello\n> quoted'
      },
      attachments
    );
    expect(r.renderVersion).toBe(RENDER_VERSION);
    expect(r.remoteContent).toBe(true);
    const blocked = parseHtml(r.htmlSafe!);
    expect(blocked.getElementById('logo')?.getAttribute('src')).toBe(
      `${placeholderOrigin(r.renderNonce)}/${LOGO}`
    );
    expect(blocked.getElementById('hero')?.hasAttribute('src')).toBe(false);
    const remote = parseHtml(r.htmlSafeRemote!);
    expect(remote.getElementById('hero')?.getAttribute('src')).toBe('https://cdn.example/h.jpg');
    expect(r.textSafe).toContain('mail-quote');
    // and the app's swap leaves no trace of the placeholder
    const filled = fillPlaceholders(r.htmlSafeRemote!, r.renderNonce, {
      origin: 'https://mail.example.test',
      partUrl: (id) => `/api/messages/m/attachments/${id}?inline=1`
    });
    expect(filled).not.toContain('.invalid');
  });

  it('stores one variant when nothing was blocked, and a new nonce every time', () => {
    const body = { htmlBody: '<p style="color:red">Hi</p>', textBody: null };
    const a = renderBody(body, []);
    const b = renderBody(body, []);
    expect(a).toMatchObject({ htmlSafeRemote: null, remoteContent: false, textSafe: null });
    expect(a.htmlSafe).toContain('<p style="color:red">Hi</p>');
    expect(a.renderNonce).not.toBe(b.renderNonce);
    expect(renderBody({ htmlBody: null, textBody: 'just text' }, [])).toMatchObject({
      htmlSafe: null,
      htmlSafeRemote: null,
      remoteContent: false
    });
  });
});
