import { describe, expect, it } from 'vitest';
import {
  asciiFilename,
  contentDisposition,
  emlFilename,
  inlineAllowed,
  safeFilename,
  servedContentType
} from './download-headers';

describe('safeFilename', () => {
  it('keeps an ordinary name, unicode included', () => {
    expect(safeFilename('Quarterly report.pdf')).toBe('Quarterly report.pdf');
    expect(safeFilename('Überweisung März €.xlsx')).toBe('Überweisung März €.xlsx');
    expect(safeFilename('写真.jpg')).toBe('写真.jpg');
  });

  it('drops directories, so the name cannot point anywhere', () => {
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('C:\\Windows\\system32\\evil.dll')).toBe('evil.dll');
    expect(safeFilename('/')).toBe('attachment');
  });

  it('removes control characters, quotes and invisible direction overrides', () => {
    expect(safeFilename('a\r\nX-Evil: 1.txt')).toBe('aX-Evil_ 1.txt');
    expect(safeFilename('say "hi".txt')).toBe('say hi.txt');
    // U+202E would show "invoice_fdp.exe" as "invoice_exe.pdf"
    expect(safeFilename('invoice_\u202Efdp.exe')).toBe('invoice_fdp.exe');
    expect(safeFilename('zero\u200Bwidth\uFEFF.txt')).toBe('zerowidth.txt');
    expect(safeFilename('tab\there.txt')).toBe('tabhere.txt');
  });

  it('replaces characters Windows refuses and avoids hidden and device names', () => {
    expect(safeFilename('what? <really>|*.txt')).toBe('what_ _really___.txt');
    expect(safeFilename('...hidden')).toBe('hidden');
    expect(safeFilename('name. . ')).toBe('name');
    expect(safeFilename('CON.txt')).toBe('_CON.txt');
    expect(safeFilename('nul')).toBe('_nul');
  });

  it('falls back when nothing is left', () => {
    expect(safeFilename(null)).toBe('attachment');
    expect(safeFilename('  "" ')).toBe('attachment');
    expect(safeFilename('', 'message')).toBe('message');
  });

  it('shortens long names but keeps the extension and whole characters', () => {
    const long = '😀'.repeat(300) + '.tar.gz';
    const out = safeFilename(long);
    expect(Array.from(out).length).toBeLessThanOrEqual(150);
    expect(out.endsWith('.gz')).toBe(true);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no broken surrogate pair
  });
});

describe('asciiFilename', () => {
  it('strips accents and replaces what is not printable ASCII', () => {
    expect(asciiFilename('Überweisung März.pdf')).toBe('Uberweisung Marz.pdf');
    expect(asciiFilename('100% €.txt')).toBe('100_ _.txt');
  });
  it('gives a generic name, extension kept, when no letter survives', () => {
    expect(asciiFilename('写真.jpg')).toBe('attachment.jpg');
    expect(asciiFilename('写真')).toBe('attachment');
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII filename and the UTF-8 filename* (RFC 6266 / 5987)', () => {
    expect(contentDisposition('attachment', 'Résumé (final) it\'s "v2".pdf')).toBe(
      `attachment; filename="Resume (final) it's v2.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%28final%29%20it%27s%20v2.pdf`
    );
  });
  it('is one header line whatever the name holds', () => {
    const h = contentDisposition('inline', 'x\r\nSet-Cookie: a=b;\\"evil.png');
    expect(h).not.toMatch(/[\r\n]/);
    expect(h.startsWith('inline; filename="')).toBe(true);
    const quoted = /filename="([^"]*)"/.exec(h)![1]!;
    expect(quoted).not.toMatch(/["\\]/);
  });
});

describe('content types', () => {
  it('never serves a type a browser would run', () => {
    for (const t of [
      'text/html',
      'TEXT/HTML; charset=utf-8',
      'application/xhtml+xml',
      'image/svg+xml',
      'text/xml',
      'application/xml',
      'application/javascript',
      'text/javascript',
      'multipart/x-mixed-replace',
      'application/x-shockwave-flash',
      'not a type',
      ''
    ])
      expect(servedContentType(t), t).toBe('application/octet-stream');
  });
  it('keeps harmless types', () => {
    expect(servedContentType('image/PNG')).toBe('image/png');
    expect(servedContentType('application/pdf; name=x.pdf')).toBe('application/pdf');
    expect(servedContentType('application/zip')).toBe('application/zip');
  });
  it('shows only images and PDF inline', () => {
    expect(
      ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'].every(inlineAllowed)
    ).toBe(true);
    expect(inlineAllowed('image/svg+xml')).toBe(false);
    expect(inlineAllowed('text/html')).toBe(false);
    expect(inlineAllowed('text/plain')).toBe(false);
    expect(inlineAllowed('image/bmp')).toBe(false);
  });
});

describe('emlFilename', () => {
  it('names a message after its subject', () => {
    expect(emlFilename('Re: lunch / dinner?')).toBe('Re_ lunch _ dinner_.eml');
    expect(emlFilename('Re: lunch')).toBe('Re_ lunch.eml');
    expect(emlFilename('')).toBe('message.eml');
    expect(emlFilename(null)).toBe('message.eml');
  });
});
