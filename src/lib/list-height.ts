// The message list's height as the browser last saw it, kept in a cookie so the server renders
// the rows that fit it: a tall screen gets all its visible rows in the first paint, instead of
// the lower ones appearing when the page hydrates, and a short one gets no more than it shows.
// A layout preference like the theme, not a secret: readable by the page, sent with requests.
// The server reads it with listHeightOf ($lib/server/list-height).

export const LIST_HEIGHT_COOKIE = 'list_h';
/** what the server assumes before the browser has said: a laptop's 800 px window */
export const DEFAULT_LIST_HEIGHT = 800;

/**
 * The cookie (for document.cookie) that tells the server a list of `px` pixels; Secure over
 * https, as the app's other cookies are.
 */
export function listHeightCookie(px: number, secure: boolean): string {
  return `${LIST_HEIGHT_COOKIE}=${Math.round(px)}; path=/; max-age=31536000; samesite=lax${secure ? '; secure' : ''}`;
}
