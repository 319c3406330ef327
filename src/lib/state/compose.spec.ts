import { describe, expect, it } from 'vitest';
import { tooBigMessage, uploadLimit } from '$lib/server/compose/uploads';
import {
  addressPart,
  addressProblem,
  fileLimit,
  formatAddr,
  splitAddresses,
  tooBigText
} from './compose.svelte';

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

describe('the composer file limit', () => {
  it('is the server upload limit, said in the same words as its 413', () => {
    for (const max of [25 * 1024 * 1024, 400 * 1024, 10_000_000, 4096]) {
      expect(fileLimit(max)).toBe(uploadLimit({ MAX_MESSAGE_BYTES: max }));
      expect(tooBigText('a.bin', max)).toBe(tooBigMessage({ MAX_MESSAGE_BYTES: max }, 'a.bin'));
    }
    expect(tooBigText('big.iso', 25 * 1024 * 1024)).toBe(
      '"big.iso" is too big: a file can be at most 18.8 MB (a message can be at most 25 MB, and attachments grow by a third when sent).'
    );
  });
});
