// The "/" search box's query language, Gmail-like: words (all must match), "quoted phrases",
// from:x, to:x (To or Cc), subject:x, has:attachment, is:unread / is:read / is:starred /
// is:unstarred, and -word / -from:x to exclude. Pure: the router turns the result into
// parameterised SQL.

export type SearchField = 'any' | 'from' | 'to' | 'subject';

export interface SearchTerm {
  field: SearchField;
  /** what to look for, as typed (case is ignored when matching) */
  value: string;
  /** -word: rows containing it are left out */
  negate: boolean;
}

export interface SearchQuery {
  terms: SearchTerm[];
  hasAttachment?: boolean;
  seen?: boolean;
  flagged?: boolean;
}

export class SearchQueryError extends Error {}

const FIELDS: Record<string, SearchField> = {
  from: 'from',
  to: 'to',
  cc: 'to',
  subject: 'subject'
};

/** Splits on white space, keeping "quoted parts" (also after op:) together. */
function tokens(input: string): string[] {
  const out: string[] = [];
  const re = /(?:[^\s"“”]+|["“][^"“”]*["”]?)+/g;
  for (const m of input.matchAll(re)) out.push(m[0]);
  return out;
}

const unquote = (s: string) => s.replace(/["“”]/g, '').replace(/\s+/g, ' ').trim();

export function parseSearchQuery(input: string): SearchQuery {
  const q: SearchQuery = { terms: [] };
  for (const raw of tokens(input)) {
    let token = raw;
    let negate = false;
    if (token.length > 1 && token.startsWith('-')) {
      negate = true;
      token = token.slice(1);
    }
    const colon = token.indexOf(':');
    const op = colon > 0 ? token.slice(0, colon).toLowerCase() : '';
    const arg = colon > 0 ? unquote(token.slice(colon + 1)) : '';
    if (op === 'has' || op === 'is') {
      const v = arg.toLowerCase();
      if (op === 'has' && (v === 'attachment' || v === 'attachments')) q.hasAttachment = !negate;
      else if (op === 'is' && (v === 'unread' || v === 'read')) q.seen = (v === 'read') !== negate;
      else if (op === 'is' && (v === 'starred' || v === 'flagged' || v === 'unstarred'))
        q.flagged = (v !== 'unstarred') !== negate;
      else
        throw new SearchQueryError(
          op === 'has'
            ? `“${raw}” is not something to search for: try has:attachment.`
            : `“${raw}” is not something to search for: try is:unread, is:read or is:starred.`
        );
      continue;
    }
    const field = FIELDS[op];
    if (field) {
      if (!arg) throw new SearchQueryError(`Say what to look for after “${op}:”, e.g. ${op}:anna.`);
      q.terms.push({ field, value: arg, negate });
      continue;
    }
    const value = unquote(token);
    if (value) q.terms.push({ field: 'any', value, negate });
  }
  if (
    !q.terms.some((t) => !t.negate) &&
    q.hasAttachment === undefined &&
    q.seen === undefined &&
    q.flagged === undefined
  )
    throw new SearchQueryError('Type a word to search for.');
  return q;
}

/** A LIKE pattern that matches the value anywhere, with LIKE's own characters taken literally. */
export const likePattern = (value: string) => `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
