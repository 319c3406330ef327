import { describe, it, expect } from 'vitest';
import type { ImapAttributeList, MessageStructureObject } from 'imapflow';
import { parser } from 'imapflow/lib/handler/imap-handler.js';
import { parseBodystructure } from 'imapflow/lib/tools.js';
import { attachmentsOf, decodeParameter, hasAttachments, textPartsOf } from './bodystructure.js';

// Hand-built in the shape imapflow's parseBodystructure returns (checked against the real parser below).
const plainOnly: MessageStructureObject = {
  type: 'text/plain',
  parameters: { charset: 'utf-8' },
  encoding: '7bit',
  size: 42,
  lineCount: 3
};

const alternative = (prefix: string): MessageStructureObject[] => [
  {
    part: `${prefix}1`,
    type: 'text/plain',
    parameters: { charset: 'utf-8' },
    encoding: 'quoted-printable',
    size: 120
  },
  {
    part: `${prefix}2`,
    type: 'text/html',
    parameters: { charset: 'utf-8' },
    encoding: 'quoted-printable',
    size: 400
  }
];

const mixedWithPdf: MessageStructureObject = {
  type: 'multipart/mixed',
  parameters: { boundary: 'b1' },
  childNodes: [
    {
      part: '1',
      type: 'multipart/alternative',
      parameters: { boundary: 'b2' },
      childNodes: alternative('1.')
    },
    {
      part: '2',
      type: 'application/pdf',
      parameters: { name: 'äöü.pdf' },
      encoding: 'base64',
      size: 7800,
      disposition: 'attachment',
      dispositionParameters: { filename: 'äöü.pdf' }
    }
  ]
};

const newsletter: MessageStructureObject = {
  type: 'multipart/alternative',
  childNodes: [
    { part: '1', type: 'text/plain', parameters: { charset: 'utf-8' }, size: 300 },
    {
      part: '2',
      type: 'multipart/related',
      childNodes: [
        { part: '2.1', type: 'text/html', parameters: { charset: 'utf-8' }, size: 900 },
        {
          part: '2.2',
          type: 'image/png',
          parameters: { name: 'logo.png' },
          id: '<Logo.1@Example.com>',
          encoding: 'base64',
          size: 780,
          disposition: 'inline',
          dispositionParameters: { filename: 'logo.png' }
        }
      ]
    }
  ]
};

describe('textPartsOf', () => {
  it('calls the body of a single-part message "1"', () => {
    expect(textPartsOf(plainOnly)).toEqual({ plain: '1', html: null });
    expect(textPartsOf({ type: 'text/html', parameters: { charset: 'utf-8' }, size: 10 })).toEqual({
      plain: null,
      html: '1'
    });
  });

  it('takes both versions from a multipart/alternative', () => {
    expect(textPartsOf(mixedWithPdf)).toEqual({ plain: '1.1', html: '1.2' });
    expect(textPartsOf(newsletter)).toEqual({ plain: '1', html: '2.1' });
    expect(
      textPartsOf({ type: 'multipart/alternative', childNodes: [...alternative('')].reverse() })
    ).toEqual({ plain: '1', html: '2' });
  });

  it('does not pair the body with an unrelated later text part', () => {
    const apple: MessageStructureObject = {
      type: 'multipart/mixed',
      childNodes: [
        { part: '1', type: 'text/html', size: 10 },
        {
          part: '2',
          type: 'image/jpeg',
          disposition: 'inline',
          dispositionParameters: { filename: 'IMG_1.jpg' }
        },
        { part: '3', type: 'text/plain', size: 10 }
      ]
    };
    expect(textPartsOf(apple)).toEqual({ plain: null, html: '1' });
  });

  it('skips attachments and the insides of forwarded messages', () => {
    const s: MessageStructureObject = {
      type: 'multipart/mixed',
      childNodes: [
        {
          part: '1',
          type: 'text/plain',
          disposition: 'attachment',
          dispositionParameters: { filename: 'a.txt' }
        },
        { part: '2', type: 'message/rfc822', childNodes: [{ part: '2', type: 'text/plain', size: 20 }] },
        { part: '3', type: 'text/plain', parameters: { name: 'notes.txt' } },
        { part: '4', type: 'text/plain', size: 5 }
      ]
    };
    expect(textPartsOf(s)).toEqual({ plain: '4', html: null });
  });

  it('finds nothing in an encrypted message or an empty structure', () => {
    expect(
      textPartsOf({
        type: 'multipart/encrypted',
        childNodes: [
          { part: '1', type: 'application/pgp-encrypted' },
          { part: '2', type: 'application/octet-stream', parameters: { name: 'encrypted.asc' } }
        ]
      })
    ).toEqual({ plain: null, html: null });
    expect(textPartsOf(null)).toEqual({ plain: null, html: null });
  });
});

describe('attachmentsOf / hasAttachments', () => {
  it('lists a disposition attachment with its decoded size', () => {
    expect(attachmentsOf(mixedWithPdf)).toEqual([
      {
        part: '2',
        filename: 'äöü.pdf',
        contentType: 'application/pdf',
        size: 5700,
        contentId: null,
        inline: false
      }
    ]);
    expect(hasAttachments(mixedWithPdf)).toBe(true);
    expect(attachmentsOf(plainOnly)).toEqual([]);
    expect(hasAttachments(plainOnly)).toBe(false);
  });

  it('marks cid images in multipart/related inline and ignores them for hasAttachments', () => {
    expect(attachmentsOf(newsletter)).toEqual([
      {
        part: '2.2',
        filename: 'logo.png',
        contentType: 'image/png',
        size: 570,
        contentId: 'Logo.1@Example.com',
        inline: true
      }
    ]);
    expect(hasAttachments(newsletter)).toBe(false);
  });

  it('checks cid references against the HTML when it is given', () => {
    expect(attachmentsOf(newsletter, '<img src="cid:logo.1@example.com">')[0]?.inline).toBe(true);
    expect(attachmentsOf(newsletter, '<img src="cid:Logo.1%40Example.com">')[0]?.inline).toBe(true);
    expect(attachmentsOf(newsletter, '<p>no images</p>')[0]?.inline).toBe(false);
    expect(hasAttachments(newsletter, '<p>no images</p>')).toBe(true);
  });

  it('lists named and unnamed non-text leaves, named text parts and forwarded messages', () => {
    const s: MessageStructureObject = {
      type: 'multipart/mixed',
      childNodes: [
        { part: '1', type: 'text/plain', size: 10 },
        {
          part: '2',
          type: 'image/jpeg',
          disposition: 'inline',
          dispositionParameters: { filename: 'IMG_1.jpg' },
          size: 100
        },
        { part: '3', type: 'application/octet-stream', size: 64 },
        { part: '4', type: 'text/plain', parameters: { name: 'notes.txt' }, size: 30 },
        { part: '5', type: 'text/csv', disposition: 'attachment', size: 12 },
        {
          part: '6',
          type: 'message/rfc822',
          size: 500,
          envelope: { subject: 'Re: Q3/Q4 plan' },
          childNodes: [
            {
              part: '6',
              type: 'multipart/mixed',
              childNodes: [
                { part: '6.1', type: 'text/plain' },
                {
                  part: '6.2',
                  type: 'application/zip',
                  disposition: 'attachment',
                  dispositionParameters: { filename: 'inner.zip' }
                }
              ]
            }
          ]
        },
        { part: '7', type: '/', size: 1 }
      ]
    };
    expect(attachmentsOf(s).map((a) => [a.part, a.filename, a.contentType, a.inline])).toEqual([
      ['2', 'IMG_1.jpg', 'image/jpeg', false],
      ['3', null, 'application/octet-stream', false],
      ['4', 'notes.txt', 'text/plain', false],
      ['5', null, 'text/csv', false],
      ['6', 'Re_ Q3_Q4 plan.eml', 'message/rfc822', false],
      ['7', null, 'application/octet-stream', false]
    ]);
  });

  it('does not count a text/calendar beside the body or signature parts', () => {
    const invite: MessageStructureObject = {
      type: 'multipart/alternative',
      childNodes: [
        ...alternative(''),
        { part: '3', type: 'text/calendar', parameters: { method: 'REQUEST' } }
      ]
    };
    expect(attachmentsOf(invite)).toEqual([]);
    const signed: MessageStructureObject = {
      type: 'multipart/signed',
      parameters: { protocol: 'application/pgp-signature' },
      childNodes: [
        { part: '1', type: 'multipart/alternative', childNodes: alternative('1.') },
        { part: '2', type: 'application/pgp-signature', parameters: { name: 'signature.asc' } }
      ]
    };
    expect(attachmentsOf(signed)).toEqual([]);
    expect(hasAttachments(signed)).toBe(false);
    expect(textPartsOf(signed)).toEqual({ plain: '1.1', html: '1.2' });
  });

  it('decodes RFC 2047 and RFC 2231 file names imapflow left encoded and strips paths', () => {
    const leaf = (extra: Partial<MessageStructureObject>): MessageStructureObject => ({
      type: 'multipart/mixed',
      childNodes: [
        { part: '1', type: 'text/plain' },
        { part: '2', type: 'application/pdf', ...extra }
      ]
    });
    const nameOf = (extra: Partial<MessageStructureObject>) => attachmentsOf(leaf(extra))[0]?.filename;
    expect(nameOf({ dispositionParameters: { filename: '=?utf-8?B?w6TDtsO8LnBkZg==?=' } })).toBe('äöü.pdf');
    expect(nameOf({ parameters: { name: '=?iso-8859-1?Q?Gr=FC=DFe.pdf?=' } })).toBe('Grüße.pdf');
    expect(nameOf({ dispositionParameters: { 'filename*': "utf-8''%E2%82%AC%20rates.pdf" } })).toBe(
      '€ rates.pdf'
    );
    expect(nameOf({ dispositionParameters: { filename: "utf-8''%E2%82%AC.pdf" } })).toBe('€.pdf');
    expect(
      nameOf({ dispositionParameters: { 'filename*0*': "iso-8859-1''Gr%FC", 'filename*1': 'sse 100%.pdf' } })
    ).toBe('Grüsse 100%.pdf');
    expect(nameOf({ dispositionParameters: { filename: 'C:\\fakepath\\report.pdf' } })).toBe('report.pdf');
    expect(nameOf({ dispositionParameters: { filename: '../../etc/passwd' } })).toBe('passwd');
    expect(nameOf({ dispositionParameters: { filename: 'Grüße.pdf' } })).toBe('Grüße.pdf');
    expect(nameOf({ dispositionParameters: { filename: '' }, parameters: { name: 'fallback.pdf' } })).toBe(
      'fallback.pdf'
    );
  });

  it('handles a missing structure', () => {
    expect(attachmentsOf(undefined)).toEqual([]);
    expect(hasAttachments(null)).toBe(false);
  });
});

describe('decodeParameter', () => {
  it('reassembles continuations in numeric order', () => {
    expect(decodeParameter({ 'name*10': 'k', 'name*2': 'c', 'name*0': 'a', 'name*1': 'b' }, 'name')).toBe(
      'abck'
    );
    expect(decodeParameter({ other: 'x' }, 'name')).toBeNull();
    expect(decodeParameter(undefined, 'name')).toBeNull();
  });
});

describe('against imapflow’s own BODYSTRUCTURE parser', () => {
  async function parse(bodystructure: string): Promise<MessageStructureObject> {
    const response = await parser(`* 1 FETCH (BODYSTRUCTURE ${bodystructure})`);
    const list = response.attributes?.[1] as ImapAttributeList;
    return parseBodystructure(list[1] as ImapAttributeList);
  }

  it('numbers a single-part message like the hand-built input', async () => {
    const s = await parse('("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 42 3 NIL NIL NIL NIL)');
    expect(s.part).toBeUndefined();
    expect(s).toMatchObject(plainOnly);
    expect(textPartsOf(s)).toEqual({ plain: '1', html: null });
  });

  it('reads a mixed message with an RFC 2231 attachment name', async () => {
    const s = await parse(
      `((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 120 4 NIL NIL NIL NIL)` +
        `("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 400 10 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "b2") NIL NIL NIL)` +
        `("APPLICATION" "PDF" ("NAME" "=?utf-8?B?w6TDtsO8LnBkZg==?=") NIL NIL "BASE64" 7800 NIL ` +
        `("ATTACHMENT" ("FILENAME*" "utf-8''%C3%A4%C3%B6%C3%BC.pdf")) NIL NIL) "MIXED" ("BOUNDARY" "b1") NIL NIL NIL)`
    );
    expect(textPartsOf(s)).toEqual({ plain: '1.1', html: '1.2' });
    expect(attachmentsOf(s)).toEqual(attachmentsOf(mixedWithPdf));
  });

  it('reads a forwarded message as one attachment', async () => {
    const s = await parse(
      `(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)` +
        `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 500 ("Mon, 1 Jan 2024 10:00:00 +0000" "Inner subject" NIL NIL NIL NIL NIL NIL NIL "<inner@x>") ` +
        `("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 20 2 NIL NIL NIL NIL) 20 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "b1") NIL NIL NIL)`
    );
    expect(textPartsOf(s)).toEqual({ plain: '1', html: null });
    expect(attachmentsOf(s)).toEqual([
      {
        part: '2',
        filename: 'Inner subject.eml',
        contentType: 'message/rfc822',
        size: 500,
        contentId: null,
        inline: false
      }
    ]);
  });
});
