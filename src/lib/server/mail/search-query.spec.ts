import { describe, expect, it } from 'vitest';
import { likePattern, parseSearchQuery, SearchQueryError } from './search-query';

describe('parseSearchQuery', () => {
  it('takes every word as a term that must match anywhere', () => {
    expect(parseSearchQuery('  Budget  report ')).toEqual({
      terms: [
        { field: 'any', value: 'Budget', negate: false },
        { field: 'any', value: 'report', negate: false }
      ]
    });
  });

  it('keeps quoted phrases together, also after an operator', () => {
    expect(parseSearchQuery('"quarterly  plan" from:"Anna Berg" subject:“Q3 numbers”').terms).toEqual([
      { field: 'any', value: 'quarterly plan', negate: false },
      { field: 'from', value: 'Anna Berg', negate: false },
      { field: 'subject', value: 'Q3 numbers', negate: false }
    ]);
  });

  it('understands from:, to:, cc:, subject:, has: and is: (any case), and - to exclude', () => {
    expect(
      parseSearchQuery(
        'FROM:anna to:bob cc:carl Subject:plan has:attachment is:unread is:starred -spam -from:eve'
      )
    ).toEqual({
      terms: [
        { field: 'from', value: 'anna', negate: false },
        { field: 'to', value: 'bob', negate: false },
        { field: 'to', value: 'carl', negate: false },
        { field: 'subject', value: 'plan', negate: false },
        { field: 'any', value: 'spam', negate: true },
        { field: 'from', value: 'eve', negate: true }
      ],
      hasAttachment: true,
      seen: false,
      flagged: true
    });
    expect(parseSearchQuery('is:read -has:attachment is:unstarred')).toEqual({
      terms: [],
      seen: true,
      hasAttachment: false,
      flagged: false
    });
  });

  it('leaves other words with a colon (times, links) as plain words', () => {
    expect(parseSearchQuery('10:30 https://example.test').terms.map((t) => t.value)).toEqual([
      '10:30',
      'https://example.test'
    ]);
  });

  it('explains what is wrong with a query it cannot run', () => {
    expect(() => parseSearchQuery('has:pony')).toThrow(/try has:attachment/);
    expect(() => parseSearchQuery('is:important')).toThrow(/try is:unread/);
    expect(() => parseSearchQuery('from:')).toThrow(/after “from:”/);
    expect(() => parseSearchQuery('   ')).toThrow(SearchQueryError);
    expect(() => parseSearchQuery('-only -exclusions')).toThrow(/Type a word/);
  });
});

describe('likePattern', () => {
  it('matches anywhere and takes %, _ and \\ literally', () => {
    expect(likePattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
