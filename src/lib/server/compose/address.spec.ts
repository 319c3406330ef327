import { describe, expect, it } from 'vitest';
import { AddressError, asciiDomain, parseRecipient, recipientInput, uniqueRecipients } from './address';

describe('parseRecipient', () => {
  it('reads a bare address and a named one', () => {
    expect(parseRecipient('bob@Example.COM')).toEqual({ name: null, address: 'bob@example.com' });
    expect(parseRecipient('"Doe, Jane" <jane@example.com>')).toEqual({
      name: 'Doe, Jane',
      address: 'jane@example.com'
    });
    expect(parseRecipient({ name: ' Jane  Doe ', address: 'jane@example.com' })).toEqual({
      name: 'Jane Doe',
      address: 'jane@example.com'
    });
  });

  it('takes internationalised names, local parts and domains', () => {
    expect(parseRecipient('Jöhn Müller <john@bücher.de>')).toEqual({
      name: 'Jöhn Müller',
      address: 'john@bücher.de'
    });
    expect(parseRecipient('δοκιμή@παράδειγμα.δοκιμή').address).toBe('δοκιμή@παράδειγμα.δοκιμή');
    expect(asciiDomain('bücher.de')).toBe('xn--bcher-kva.de');
  });

  it('refuses what a server would not take, saying why', () => {
    const bad: [string, RegExp][] = [
      ['bob', /no @/],
      ['bob@', /not a valid email address/],
      ['bob@localhost', /not a full domain name/],
      ['a b@example.com', /not a valid email address/],
      ['bob@exa_mple.com', /no valid domain/],
      ['bob@example..com', /not a valid email address/],
      ['bob@1.2.3.4', /no valid domain/],
      [`${'x'.repeat(65)}@example.com`, /too long before the @/],
      ['bob@example.com\r\nBcc: eve@evil.test', /line break/],
      ['', /empty/]
    ];
    for (const [input, message] of bad) {
      expect(() => parseRecipient(input), input).toThrow(AddressError);
      expect(() => parseRecipient(input), input).toThrow(message);
    }
    expect(parseRecipient('bob@[192.0.2.1]').address).toBe('bob@[192.0.2.1]');
  });

  it('gives zod issues with the position of the bad address', () => {
    const r = recipientInput.array().safeParse(['ok@example.com', 'nope']);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual([1]);
    expect(r.error?.issues[0]?.message).toMatch(/"nope" is not a valid email address/);
  });

  it('keeps each address once across To, Cc and Bcc', () => {
    const a = { name: null, address: 'a@example.com' };
    const b = { name: null, address: 'b@example.com' };
    expect(uniqueRecipients([[a], [{ name: 'A', address: 'A@example.com' }, b], [b]])).toEqual([
      [a],
      [b],
      []
    ]);
  });
});
