import { JSDOM, VirtualConsole } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { escapeHtml, linkify, renderText } from './render-text';

/** The fragment as a browser would build it. */
function dom(html: string) {
  const doc = new JSDOM(`<!doctype html><body>${html}</body>`, { virtualConsole: new VirtualConsole() })
    .window.document;
  return doc.body.firstElementChild as HTMLElement;
}

describe('renderText', () => {
  it('escapes everything: markup in a mail is text', () => {
    const root = dom(renderText('<script>alert(1)</script> & <img src=x onerror=alert(1)> "\'"'));
    expect(root.querySelectorAll('script, img')).toHaveLength(0);
    expect(root.textContent).toBe('<script>alert(1)</script> & <img src=x onerror=alert(1)> "\'"');
    for (const el of root.querySelectorAll('*'))
      for (const a of el.attributes) expect(a.name.startsWith('on')).toBe(false);
  });

  it('links web and mail addresses, opening in a new tab, and nothing else', () => {
    const root = dom(
      renderText(
        'See https://example.com/a?b=1&c=2, www.example.org and write to ann@example.com.\n' +
          'javascript:alert(1) data:text/html,<b>x</b> ftp://files.example.com/x'
      )
    );
    const links = [...root.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual([
      'https://example.com/a?b=1&c=2',
      'http://www.example.org',
      'mailto:ann@example.com'
    ]);
    expect(links[0]!.textContent).toBe('https://example.com/a?b=1&c=2');
    for (const a of links) {
      expect(a.getAttribute('target')).toBe('_blank');
      expect(a.getAttribute('rel')).toBe('noopener noreferrer');
    }
    expect(root.textContent).toContain('javascript:alert(1) data:text/html,<b>x</b>');
  });

  it('keeps a quote inside a link target from breaking out of the attribute', () => {
    const root = dom(linkify('https://example.com/"onmouseover="alert(1)'));
    const a = root.tagName === 'A' ? root : root.querySelector('a');
    expect(a?.getAttributeNames().sort()).toEqual(['href', 'rel', 'target']);
  });

  it('folds a quoted reply with its "On ... wrote:" line into <details>', () => {
    const root = dom(
      renderText(
        'Sounds good, see you then.\n\nOn Mon, 3 Nov 2026 at 10:00, Bob <bob@example.com> wrote:\n' +
          '> Shall we meet at ten?\n>\n> > Earlier: what about Monday?\n> Bob\n'
      )
    );
    expect(root.firstElementChild?.textContent).toBe('Sounds good, see you then.');
    const details = root.querySelector('details')!;
    expect(details.hasAttribute('open')).toBe(false);
    expect(details.querySelector('summary')?.textContent).toBe(
      'On Mon, 3 Nov 2026 at 10:00, Bob <bob@example.com> wrote:'
    );
    const quote = details.querySelector('blockquote')!;
    expect(quote.textContent).toContain('Shall we meet at ten?');
    expect(quote.textContent).not.toContain('>'); // one level of ">" is taken off per blockquote
    expect(quote.querySelector('blockquote')?.textContent).toBe('Earlier: what about Monday?');
    expect(root.querySelectorAll('details')).toHaveLength(1); // only the outer quote folds
  });

  it('recognises an attribution that wraps onto two lines, and quotes without one', () => {
    const two = dom(
      renderText('Yes.\n\nOn Mon, 3 Nov 2026 at 10:00, Robert Example\n<robert@example.com> wrote:\n> Lunch?')
    );
    expect(two.querySelector('summary')?.textContent).toBe(
      'On Mon, 3 Nov 2026 at 10:00, Robert Example <robert@example.com> wrote:'
    );
    const bare = dom(renderText('> just a quote\nand my answer'));
    expect(bare.querySelector('summary')?.textContent).toBe('Quoted text');
    expect(bare.lastElementChild?.textContent).toBe('and my answer');
  });

  it('folds an Outlook "Original Message" tail', () => {
    const root = dom(
      renderText('Done.\n\n-----Original Message-----\nFrom: Ann\nSubject: Task\n\nPlease do it.')
    );
    expect(root.querySelector('summary')?.textContent).toBe('-----Original Message-----');
    expect(root.querySelector('details blockquote')?.textContent).toContain('Please do it.');
  });

  it('dims the signature after "-- "', () => {
    const root = dom(renderText('Cheers\n\n-- \nAnn Example\nhttps://ann.example.com\n'));
    const sig = root.querySelector('.mail-signature') as HTMLElement;
    expect(sig.textContent).toBe('-- \nAnn Example\nhttps://ann.example.com');
    expect(sig.getAttribute('style')).toContain('opacity');
    expect(sig.querySelector('a')?.getAttribute('href')).toBe('https://ann.example.com');
    expect(root.firstElementChild?.textContent).toBe('Cheers');
  });

  it('keeps line breaks and blank lines inside a paragraph run', () => {
    const root = dom(renderText('one\r\ntwo\r\n\r\nthree'));
    expect(root.getAttribute('style')).toContain('white-space:pre-wrap');
    expect(root.textContent).toBe('one\ntwo\n\nthree');
  });

  it('escapes the five characters that matter', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;'
    );
  });
});
