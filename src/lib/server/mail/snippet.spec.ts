import { describe, it, expect } from 'vitest';
import { snippetFromPartialPart, snippetFromText, textFromHtml } from './snippet.js';

describe('snippetFromText', () => {
  it('collapses whitespace and line breaks', () => {
    expect(snippetFromText('Hi Bob,\r\n\r\n  See you\tat 5.\u00a0Bring\u200b the slides.\n')).toBe(
      'Hi Bob, See you at 5. Bring the slides.'
    );
  });

  it('drops quoted lines and an English attribution', () => {
    const text = [
      'Sounds good, Thursday works.',
      '',
      'On Mon, Jan 6, 2025 at 10:00 AM Jane Doe <jane@example.com> wrote:',
      '> Can we meet on Thursday?',
      '>> Earlier text',
      ''
    ].join('\n');
    expect(snippetFromText(text)).toBe('Sounds good, Thursday works.');
  });

  it('drops an attribution Gmail wrapped over two lines', () => {
    const text = [
      'Yes.',
      'On Mon, Jan 6, 2025 at 10:00 AM Jane Doe <',
      'jane@example.com> wrote:',
      '> Question?'
    ].join('\n');
    expect(snippetFromText(text)).toBe('Yes.');
  });

  it('drops German and French attributions', () => {
    expect(
      snippetFromText('Danke!\n\nAm 06.01.2025 um 10:00 schrieb Max Mustermann <max@example.de>:\n> Hallo')
    ).toBe('Danke!');
    expect(
      snippetFromText(
        'Merci.\n\nLe lun. 6 janv. 2025 à 10:00, Jean Dupont <jean@example.fr> a écrit :\n> Bonjour'
      )
    ).toBe('Merci.');
    expect(
      snippetFromText('Vale.\nEl lun, 6 ene 2025 a las 10:00, Ana (<ana@example.es>) escribió:\n> Hola')
    ).toBe('Vale.');
  });

  it('drops a bare "Name wrote:" line only when a quote follows', () => {
    expect(snippetFromText('Ok.\nJane Doe <jane@example.com> wrote:\n\n> hi')).toBe('Ok.');
    expect(snippetFromText('This is what the reviewer wrote:\nIt needs work.')).toBe(
      'This is what the reviewer wrote: It needs work.'
    );
  });

  it('stops at the signature delimiter and at Outlook separators', () => {
    expect(snippetFromText('Thanks\n-- \nJohn Smith\nACME Corp')).toBe('Thanks');
    expect(snippetFromText('Thanks\n--\nJohn Smith')).toBe('Thanks');
    expect(snippetFromText('Approved.\n\n-----Original Message-----\nFrom: Bob\nPlease approve')).toBe(
      'Approved.'
    );
    expect(snippetFromText('Approved.\n________________________________\nFrom: Bob')).toBe('Approved.');
    // a dash line that is not a delimiter is text
    expect(snippetFromText('a\n---\nb')).toBe('a --- b');
  });

  it('falls back to the quoted text when there is nothing else', () => {
    expect(snippetFromText('> only a quote\n> second line')).toBe('only a quote second line');
    expect(snippetFromText('')).toBe('');
  });

  it('cuts at a word boundary with an ellipsis', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(10);
    const s = snippetFromText(text, 50);
    expect(s).toBe('The quick brown fox jumps over the lazy dog. The…');
    expect(s.length).toBeLessThanOrEqual(50);
    expect(snippetFromText('short text', 50)).toBe('short text');
    // no space to cut at: hard cut
    expect(snippetFromText('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
    // trailing punctuation before the cut is dropped
    expect(snippetFromText('Hello, world, and everyone else here', 20)).toBe('Hello, world, and…');
  });

  it('defaults to 200 characters', () => {
    const s = snippetFromText('word '.repeat(100));
    expect(s.length).toBeLessThanOrEqual(200);
    expect(s.endsWith('word…')).toBe(true);
  });

  it('does not split a surrogate pair', () => {
    const s = snippetFromText(`${'a'.repeat(8)}😀😀😀`, 10);
    expect(s).toBe(`${'a'.repeat(8)}…`);
  });
});

describe('textFromHtml', () => {
  it('drops head, style, script and comments and decodes entities', () => {
    const html = `<!DOCTYPE html><html><head><title>Newsletter</title><style>p{color:red}</style></head>
      <body><!-- tracking --><script>alert(1)</script>
      <p>Caf&eacute; &amp; bar&nbsp;&mdash; it&#8217;s &lt;b&gt;open&lt;/b&gt;</p></body></html>`;
    expect(textFromHtml(html)).toBe('Café & bar — it’s <b>open</b>');
  });

  it('keeps block structure as lines and joins inline text', () => {
    const html =
      '<div>Hello <b>Bob</b>,</div><p>Line one<br>Line two</p><table><tr><td>A</td><td>B</td></tr></table>';
    expect(textFromHtml(html)).toBe('Hello Bob,\n\nLine one\nLine two\n\nA B');
  });

  it('renders blockquotes as quoted lines, so snippets skip Gmail quotes', () => {
    const html = `<div dir="ltr">Sounds good!</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Jan 6, 2025 at 10:00 AM Jane &lt;<a href="mailto:jane@example.com">jane@example.com</a>&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0 0 0 .8ex">Can we <i>meet</i>?<blockquote>Older</blockquote></blockquote></div>`;
    const text = textFromHtml(html);
    expect(text).toContain('> Can we meet?');
    expect(text).toContain('> > Older');
    expect(snippetFromText(text)).toBe('Sounds good!');
  });

  it('copes with > inside attributes, stray < and unclosed style', () => {
    expect(textFromHtml('<a title="a > b" href=\'x>y\'>link</a> 1 < 2')).toBe('link 1 < 2');
    expect(textFromHtml('<p>before</p><style>p { color: red }')).toBe('before');
    expect(textFromHtml('<html><head><meta charset="utf-8"><body><p>Body text</p>')).toBe('Body text');
  });

  it('keeps line breaks inside <pre>', () => {
    expect(textFromHtml('<pre>line 1\n  line 2</pre><p>after</p>')).toBe('line 1\nline 2\n\nafter');
  });

  it('removes Outlook conditional comments', () => {
    expect(textFromHtml('<!--[if mso]><table><tr><td>MSO only</td></tr></table><![endif]--><p>Hi</p>')).toBe(
      'Hi'
    );
  });
});

describe('snippetFromPartialPart', () => {
  const plain = (encoding: string, charset = 'utf-8') => ({ html: false, encoding, charset });
  it('decodes a base64 part cut in the middle of a quad', () => {
    const b64 = Buffer.from('Grüße aus Köln, wir sehen uns morgen um 10 Uhr.').toString('base64');
    expect(snippetFromPartialPart(Buffer.from(b64.slice(0, 30)), plain('base64'), false)).toBe(
      'Grüße aus Köln, wi'
    );
  });
  it('decodes quoted-printable with soft breaks and a dangling escape', () => {
    expect(
      snippetFromPartialPart(
        Buffer.from('Hello =C3=A9t=C3=A9 and =\r\nmore =C3'),
        plain('quoted-printable'),
        false
      )
    ).toBe('Hello été and more');
  });
  it('reads legacy charsets', () => {
    expect(
      snippetFromPartialPart(Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65]), plain('8bit', 'iso-8859-1'), false)
    ).toBe('Grüße');
  });
  it('turns a cut-off HTML part into text without tag debris', () => {
    const html = Buffer.from('<html><body><p>Hi <b>there</b></p><p>second para</p><img src="x');
    expect(snippetFromPartialPart(html, { html: true, encoding: '7bit', charset: 'utf-8' }, false)).toBe(
      'Hi there second para'
    );
  });
  it('leaves a part the server already decoded alone', () => {
    expect(snippetFromPartialPart(Buffer.from('plain =41 text'), plain('quoted-printable'), true)).toBe(
      'plain =41 text'
    );
  });
});
