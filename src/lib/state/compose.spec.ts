import { describe, expect, it } from 'vitest';
import { addressPart, addressProblem, formatAddr, splitAddresses } from './compose.svelte';

describe('the composer address checks', () => {
  it('accepts plain and named addresses, internationalised ones too', () => {
    for (const a of ['ann@example.com', 'Ann <ann@example.com>', 'jörg@bücher.de', '"Doe, J" <j@x.org>'])
      expect(addressProblem(a)).toBeNull();
  });
  it('names what is wrong', () => {
    expect(addressProblem('ann')).toBe('"ann" has no @.');
    expect(addressProblem('ann@')).toBe('"ann@" has nothing after the @.');
    expect(addressProblem('@x.org')).toBe('"@x.org" has nothing before the @.');
    expect(addressProblem('ann@localhost')).toBe('"localhost" is not a full domain name (like example.com).');
    expect(addressProblem('an n@x.org')).toBe('"an n@x.org" contains a space.');
  });
  it('splits pasted lists, keeping commas inside quotes and brackets', () => {
    expect(splitAddresses('a@x.org, "Doe, J" <j@x.org>; c@y.org\nd@z.org,')).toEqual([
      'a@x.org',
      '"Doe, J" <j@x.org>',
      'c@y.org',
      'd@z.org'
    ]);
  });
  it('formats and takes apart', () => {
    expect(formatAddr({ name: 'Doe, J', address: 'j@x.org' })).toBe('"Doe, J" <j@x.org>');
    expect(formatAddr({ name: null, address: 'j@x.org' })).toBe('j@x.org');
    expect(addressPart('Ann <mailto:ann@x.org>')).toBe('ann@x.org');
  });
});
