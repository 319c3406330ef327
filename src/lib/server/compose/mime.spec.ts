import { simpleParser } from 'mailparser';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  cleanSubject,
  composeMessage,
  formatBytes,
  newMessageId,
  normalizeMessageId,
  withBccHeader
} from './mime';

const base = {
  from: { name: 'Alice Ä', address: 'alice@example.test' },
  to: [{ name: 'Bob', address: 'bob@bücher.de' }],
  cc: [{ name: null, address: 'carol@example.test' }],
  bcc: [{ name: 'Secret Sam', address: 'sam@example.test' }],
  subject: 'Grüße\r\nBcc: eve@evil.test',
  text: 'Hello\nworld',
  messageId: '<fixed-1@example.test>',
  date: new Date('2026-11-29T10:00:00Z')
};

describe('composeMessage', () => {
  it('builds the complete message with the fixed Message-ID, Date and no Bcc header', async () => {
    const m = await composeMessage(base);
    const s = m.raw.toString();
    expect(s).toMatch(/^Message-ID: <fixed-1@example\.test>\r$/m);
    expect(s).toMatch(/^Date: Sun, 29 Nov 2026 10:00:00 \+0000\r$/m);
    expect(s).not.toMatch(/^Bcc:/im);
    expect(s).not.toMatch(/\r\nBcc: eve/);
    // CRLF everywhere: no bare LF
    expect(/[^\r]\n/.test(s)).toBe(false);
    expect(m.envelope).toEqual({
      from: 'alice@example.test',
      to: ['bob@xn--bcher-kva.de', 'carol@example.test', 'sam@example.test']
    });
    const parsed = await simpleParser(m.raw);
    expect(parsed.subject).toBe('Grüße Bcc: eve@evil.test');
    expect(parsed.from?.value[0]).toMatchObject({ name: 'Alice Ä', address: 'alice@example.test' });
    expect(parsed.text?.trim()).toBe('Hello\nworld');
    expect(parsed.bcc).toBeUndefined();
  });

  it('keeps attachments byte for byte, with text and HTML alternatives and threading headers', async () => {
    const file = randomBytes(40_000);
    const m = await composeMessage({
      ...base,
      html: '<p>Hello <b>world</b></p>',
      inReplyTo: '<orig@example.test>',
      references: ['<root@example.test>', '<orig@example.test>'],
      attachments: [{ filename: 'data.bin', contentType: 'application/octet-stream', content: file }]
    });
    const parsed = await simpleParser(m.raw);
    expect(parsed.inReplyTo).toBe('<orig@example.test>');
    expect(parsed.references).toEqual(['<root@example.test>', '<orig@example.test>']);
    expect(parsed.html).toContain('<b>world</b>');
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]!.filename).toBe('data.bin');
    expect(Buffer.compare(parsed.attachments[0]!.content, file)).toBe(0);
  });

  it('adds the Bcc header for the Sent copy only', async () => {
    const m = await composeMessage(base);
    const copy = withBccHeader(m.raw, base.bcc);
    expect(copy.subarray(copy.length - m.raw.length).equals(m.raw)).toBe(true);
    const parsed = await simpleParser(copy);
    expect(parsed.bcc && !Array.isArray(parsed.bcc) ? parsed.bcc.value : []).toEqual([
      { name: 'Secret Sam', address: 'sam@example.test' }
    ]);
    expect(withBccHeader(m.raw, [])).toBe(m.raw);
  });
});

describe('helpers', () => {
  it('makes message ids on the sender domain, in ASCII', () => {
    expect(newMessageId('a@bücher.de')).toMatch(/^<[0-9a-f-]{36}@xn--bcher-kva\.de>$/);
    expect(normalizeMessageId('abc@x.test')).toBe('<abc@x.test>');
    expect(normalizeMessageId('<abc@x.test>')).toBe('<abc@x.test>');
    expect(normalizeMessageId('no id')).toBeNull();
    expect(normalizeMessageId('<a@b> <c@d>')).toBeNull();
  });
  it('cleans subjects and formats sizes', () => {
    expect(cleanSubject(' a\r\nb\tc ')).toBe('a b c');
    expect(formatBytes(26214400)).toBe('25 MB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(12)).toBe('12 bytes');
  });
});
