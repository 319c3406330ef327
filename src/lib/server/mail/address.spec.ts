import { describe, it, expect } from 'vitest';
import type { AddressObject } from 'mailparser';
import {
  firstAddress,
  formatAddress,
  formatAddressList,
  normalizeAddress,
  normalizeAddressList
} from './address.js';

describe('normalizeAddress', () => {
  it('lower-cases the domain only and strips brackets and mailto:', () => {
    expect(normalizeAddress(' Jane.Doe@Example.COM ')).toBe('Jane.Doe@example.com');
    expect(normalizeAddress('<bob@X.org>')).toBe('bob@x.org');
    expect(normalizeAddress('mailto:bob@x.org')).toBe('bob@x.org');
    expect(normalizeAddress('"john doe"@x.org')).toBe('"john doe"@x.org');
  });

  it('rejects what is not local@domain', () => {
    for (const bad of [
      '',
      'not-an-address',
      '@x.org',
      'a@',
      'a b@x.org',
      'a@x org',
      'a@b@c',
      null,
      undefined
    ]) {
      expect(normalizeAddress(bad), String(bad)).toBeNull();
    }
  });
});

describe('normalizeAddressList', () => {
  it('takes imapflow envelope addresses and drops group markers', () => {
    // what imapflow's parseEnvelope yields for `Jane <...>, undisclosed-recipients:;, bob@x.org`
    const envelope = [
      { name: 'Jane Doe', address: 'Jane.Doe@Example.COM' },
      { name: 'undisclosed-recipients', address: '' },
      { name: '', address: 'bob@x.org' }
    ];
    expect(normalizeAddressList(envelope)).toEqual([
      { name: 'Jane Doe', address: 'Jane.Doe@example.com' },
      { name: null, address: 'bob@x.org' }
    ]);
  });

  it('takes mailparser AddressObjects (single or array) and flattens groups', () => {
    const to: AddressObject = {
      value: [
        {
          name: 'Team',
          group: [
            { name: 'Ann', address: 'ann@X.org' },
            { name: '', address: 'ben@x.org' }
          ]
        },
        { name: 'Cy', address: 'cy@y.org' },
        { name: 'No address', address: '' }
      ],
      html: '',
      text: ''
    };
    const cc: AddressObject = { value: [{ name: '', address: 'dee@z.org' }], html: '', text: '' };
    expect(normalizeAddressList(to)).toEqual([
      { name: 'Ann', address: 'ann@x.org' },
      { name: null, address: 'ben@x.org' },
      { name: 'Cy', address: 'cy@y.org' }
    ]);
    expect(normalizeAddressList([to, cc]).map((a) => a.address)).toEqual([
      'ann@x.org',
      'ben@x.org',
      'cy@y.org',
      'dee@z.org'
    ]);
  });

  it('decodes and cleans display names', () => {
    expect(
      normalizeAddressList([
        { name: '=?utf-8?Q?J=C3=BCrgen_M=C3=BCller?=', address: 'j@x.de' },
        { name: '"Doe, Jane"', address: 'jane@x.org' },
        { name: "'John Smith'", address: 'john@x.org' },
        { name: '"Say \\"hi\\""', address: 'hi@x.org' },
        { name: '  Ann \n  Lee ', address: 'ann@x.org' },
        { name: 'Bob@X.org', address: 'bob@x.org' }
      ])
    ).toEqual([
      { name: 'Jürgen Müller', address: 'j@x.de' },
      { name: 'Doe, Jane', address: 'jane@x.org' },
      { name: 'John Smith', address: 'john@x.org' },
      { name: 'Say "hi"', address: 'hi@x.org' },
      { name: 'Ann Lee', address: 'ann@x.org' },
      { name: null, address: 'bob@x.org' }
    ]);
  });

  it('parses a raw header string, groups included', () => {
    expect(
      normalizeAddressList(
        '"Doe, Jane" <Jane@Example.COM>, team: a@x.org, =?utf-8?Q?J=C3=BCrgen?= <j@x.de>;, undisclosed-recipients:;, junk'
      )
    ).toEqual([
      { name: 'Doe, Jane', address: 'Jane@example.com' },
      { name: null, address: 'a@x.org' },
      { name: 'Jürgen', address: 'j@x.de' }
    ]);
  });

  it('returns nothing for nothing', () => {
    expect(normalizeAddressList(undefined)).toEqual([]);
    expect(normalizeAddressList(null)).toEqual([]);
    expect(normalizeAddressList([])).toEqual([]);
    expect(firstAddress(undefined)).toBeNull();
    expect(firstAddress([{ name: 'A', address: 'a@X.org' }, { address: 'b@x.org' }])).toEqual({
      name: 'A',
      address: 'a@x.org'
    });
  });
});

describe('formatAddress', () => {
  it('formats for display, quoting names with specials', () => {
    expect(formatAddress({ name: null, address: 'a@x.org' })).toBe('a@x.org');
    expect(formatAddress({ name: '  ', address: 'a@x.org' })).toBe('a@x.org');
    expect(formatAddress({ name: 'Jane Doe', address: 'jane@x.org' })).toBe('Jane Doe <jane@x.org>');
    expect(formatAddress({ name: 'Jürgen Müller', address: 'j@x.de' })).toBe('Jürgen Müller <j@x.de>');
    expect(formatAddress({ name: 'Doe, Jane', address: 'jane@x.org' })).toBe('"Doe, Jane" <jane@x.org>');
    expect(formatAddress({ name: 'J. R. "Bob" Dobbs', address: 'bob@x.org' })).toBe(
      '"J. R. \\"Bob\\" Dobbs" <bob@x.org>'
    );
    expect(formatAddress({ name: 'a\\b', address: 'ab@x.org' })).toBe('"a\\\\b" <ab@x.org>');
  });

  it('joins a list', () => {
    expect(
      formatAddressList([
        { name: 'Doe, Jane', address: 'jane@x.org' },
        { name: null, address: 'bob@x.org' }
      ])
    ).toBe('"Doe, Jane" <jane@x.org>, bob@x.org');
  });

  it('round-trips through the raw-string parser', () => {
    const list = [
      { name: 'Doe, Jane', address: 'jane@x.org' },
      { name: 'J. R. "Bob" Dobbs', address: 'bob@x.org' },
      { name: null, address: 'c@x.org' }
    ];
    expect(normalizeAddressList(formatAddressList(list))).toEqual(list);
  });
});
