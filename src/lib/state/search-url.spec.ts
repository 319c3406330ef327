import { describe, expect, it } from 'vitest';
import { sameSearch, searchOf, withSearch } from './search-url';

const u = (s: string) => new URL(s, 'https://mail.example.test');

describe('search in the address', () => {
  it('reads q and in=all, trimmed, and nothing from a blank q', () => {
    expect(searchOf(u('/mail/a/b?q=%20from%3Aalice%20invoice%20'))).toEqual({
      query: 'from:alice invoice',
      allFolders: false
    });
    expect(searchOf(u('/mail/a/b?q=x&in=all'))).toEqual({ query: 'x', allFolders: true });
    expect(searchOf(u('/mail/a/b?q=%20%20'))).toBeNull();
    expect(searchOf(u('/mail/a/b'))).toBeNull();
    expect(searchOf(u(`/mail/a/b?q=${'y'.repeat(500)}`))?.query).toHaveLength(200);
  });

  it('puts a search on a path, keeping its other parameters, and takes it off again', () => {
    const s = { query: 'subject:"Q3 report" & more', allFolders: true };
    const href = withSearch('/mail/all/inbox/m1?account=acc', s);
    expect(href.startsWith('/mail/all/inbox/m1?')).toBe(true);
    const back = u(href);
    expect(back.searchParams.get('account')).toBe('acc');
    expect(searchOf(back)).toEqual(s);
    expect(withSearch(href, null)).toBe('/mail/all/inbox/m1?account=acc');
    expect(withSearch('/mail/a/b', null)).toBe('/mail/a/b');
  });

  it('compares searches by query and scope', () => {
    expect(sameSearch(null, null)).toBe(true);
    expect(sameSearch({ query: 'a', allFolders: false }, { query: 'a', allFolders: false })).toBe(true);
    expect(sameSearch({ query: 'a', allFolders: false }, { query: 'a', allFolders: true })).toBe(false);
    expect(sameSearch({ query: 'a', allFolders: false }, null)).toBe(false);
  });
});
