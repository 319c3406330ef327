// A server search lives in the page's address (?q=…, &in=all for every folder), as in Gmail:
// a reload, a bookmark, a shared link and the browser's Back and Forward keep it.

export interface SearchInUrl {
  query: string;
  allFolders: boolean;
}

/** The search an address asks for, or null (no q, or only blanks). */
export function searchOf(url: URL): SearchInUrl | null {
  const query = (url.searchParams.get('q') ?? '').trim().slice(0, 200);
  return query ? { query, allFolders: url.searchParams.get('in') === 'all' } : null;
}

/** href (a path, with or without a query string of its own) carrying search, or none. */
export function withSearch(href: string, search: SearchInUrl | null): string {
  const url = new URL(href, 'http://x');
  url.searchParams.delete('q');
  url.searchParams.delete('in');
  if (search) {
    url.searchParams.set('q', search.query);
    if (search.allFolders) url.searchParams.set('in', 'all');
  }
  return url.pathname + url.search;
}

export const sameSearch = (a: SearchInUrl | null, b: SearchInUrl | null): boolean =>
  a === b || (!!a && !!b && a.query === b.query && a.allFolders === b.allFolders);
