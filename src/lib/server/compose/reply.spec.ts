import { describe, expect, it } from 'vitest';
import { baseSubject, quotableHtml, quote, replyRecipients, replyReferences, templateSubject } from './reply';

describe('subjects', () => {
  it('does not pile up prefixes', () => {
    expect(templateSubject('Lunch', 'reply')).toBe('Re: Lunch');
    expect(templateSubject('Re: Lunch', 'reply')).toBe('Re: Lunch');
    expect(templateSubject('RE: Fwd: re:Lunch', 'replyAll')).toBe('Re: Lunch');
    expect(templateSubject('Re: Lunch', 'forward')).toBe('Fwd: Lunch');
    expect(templateSubject('AW: WG: Re[2]: Angebot', 'reply')).toBe('Re: Angebot');
    expect(templateSubject('[team] Re: Plan', 'reply')).toBe('Re: Plan');
    expect(templateSubject('', 'reply')).toBe('Re:');
  });
  it('leaves words that only look like prefixes', () => {
    expect(baseSubject('Report: Q3')).toBe('Report: Q3');
    expect(baseSubject('Retro notes')).toBe('Retro notes');
  });
});

describe('threading headers', () => {
  it('appends the message id to the references', () => {
    expect(replyReferences({ messageId: 'c@x', inReplyTo: 'b@x', references: ['a@x', 'b@x'] })).toEqual({
      inReplyTo: '<c@x>',
      references: ['<a@x>', '<b@x>', '<c@x>']
    });
  });
  it('uses In-Reply-To when there are no references, and keeps the root of a long chain', () => {
    expect(replyReferences({ messageId: 'c@x', inReplyTo: 'b@x', references: [] }).references).toEqual([
      '<b@x>',
      '<c@x>'
    ]);
    const long = Array.from({ length: 30 }, (_, i) => `m${i}@x`);
    const r = replyReferences({ messageId: 'last@x', inReplyTo: null, references: long }).references;
    expect(r).toHaveLength(20);
    expect(r[0]).toBe('<m0@x>');
    expect(r.at(-1)).toBe('<last@x>');
  });
  it('has nothing to refer to without a Message-ID', () => {
    expect(replyReferences({ messageId: null, inReplyTo: null, references: [] })).toEqual({
      inReplyTo: null,
      references: []
    });
  });
});

describe('recipients', () => {
  const me = { name: 'Me', address: 'me@example.com' };
  const ann = { name: 'Ann', address: 'ann@example.com' };
  const bob = { name: null, address: 'bob@example.com' };
  const list = { name: 'List', address: 'list@example.com' };
  it('replies to Reply-To, else From', () => {
    expect(replyRecipients({ from: ann, replyTo: [list], to: [me], cc: [] }, 'reply', [me.address])).toEqual({
      to: [list],
      cc: []
    });
    expect(replyRecipients({ from: ann, replyTo: [], to: [me], cc: [] }, 'reply', [me.address]).to).toEqual([
      ann
    ]);
  });
  it('reply-all leaves out my own addresses and aliases, and duplicates', () => {
    const r = replyRecipients(
      {
        from: ann,
        replyTo: [],
        to: [me, bob, { name: null, address: 'ANN@example.com' }],
        cc: [{ name: null, address: 'alias@example.com' }, bob]
      },
      'replyAll',
      [me.address, 'Alias@Example.com']
    );
    expect(r).toEqual({ to: [ann, bob], cc: [] });
  });
  it('a reply to my own sent message goes to its recipients', () => {
    expect(
      replyRecipients({ from: me, replyTo: [], to: [ann], cc: [bob] }, 'replyAll', [me.address])
    ).toEqual({
      to: [ann],
      cc: [bob]
    });
    expect(replyRecipients({ from: me, replyTo: [], to: [ann], cc: [] }, 'reply', [me.address]).to).toEqual([
      ann
    ]);
  });
});

describe('quotes', () => {
  const src = {
    from: { name: 'Ann', address: 'ann@example.com' },
    to: [{ name: null, address: 'me@example.com' }],
    cc: [],
    date: new Date('2026-11-01T10:00:00Z'),
    subject: 'Plan <b>',
    text: 'Line one\n> earlier\n',
    html: null
  };
  it('quotes text with > and an attribution line', () => {
    const q = quote('reply', src);
    expect(q.text).toBe(
      'On Sun, 01 Nov 2026 10:00:00 UTC, Ann <ann@example.com> wrote:\n> Line one\n>> earlier\n'
    );
    expect(q.html).toContain('<blockquote type="cite"');
    expect(q.html).toContain('Ann &lt;ann@example.com&gt;');
  });
  it('forwards with the original headers, escaped in HTML', () => {
    const q = quote('forward', src);
    expect(q.text).toContain('---------- Forwarded message ----------\nFrom: Ann <ann@example.com>');
    expect(q.html).toContain('Subject: Plan &lt;b&gt;');
    expect(q.html).not.toContain('<b>');
  });
  it('takes the body of a safe render, swapping image placeholders', () => {
    const doc =
      '<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="x"><style>p{color:red}</style></head>' +
      '<body><p>Hi <img src="https://cid-1.invalid/a1"></p></body></html>';
    const ph = [{ url: 'https://cid-1.invalid/a1', cid: 'logo@x' }];
    expect(quotableHtml(doc, ph, true)).toBe('<style>p{color:red}</style><p>Hi <img src="cid:logo@x"></p>');
    expect(quotableHtml(doc, ph, false)).toBe('<style>p{color:red}</style><p>Hi </p>');
  });
});
