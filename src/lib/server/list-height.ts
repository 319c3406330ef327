// The list height a request says ($lib/list-height), checked: zod here, on the server, keeps
// zod out of the mail page's JavaScript (it is ~15 KB gzip).
import { z } from 'zod';
import { DEFAULT_LIST_HEIGHT } from '../list-height';

/** a list of one row up to a 4K portrait screen; anything else is not from this app */
const height = z.coerce.number().int().min(76).max(4320);

/** The list height a request's cookie gives, or the default when it has none or a bad one. */
export function listHeightOf(cookie: string | undefined): number {
  if (cookie === undefined) return DEFAULT_LIST_HEIGHT;
  const parsed = height.safeParse(cookie);
  return parsed.success ? parsed.data : DEFAULT_LIST_HEIGHT;
}
