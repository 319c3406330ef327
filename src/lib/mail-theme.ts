// How a rendered HTML mail follows the reader's theme. The renderer (server) puts its dark rules
// for mail without colours of its own under THEMED_MEDIA; a sandboxed frame only sees the
// system's preference, so when the reader has chosen a theme in the app, the page rewrites that
// one media query before the document goes into the frame (forcedTheme).
export const THEMED_MEDIA = '/*theme*/@media (prefers-color-scheme:dark)';

/** doc with the dark rules always on (dark), never on (light), or left to the system. */
export function forcedTheme(doc: string, choice: 'system' | 'light' | 'dark'): string {
  if (choice === 'system') return doc;
  return doc.replace(THEMED_MEDIA, `/*theme*/@media ${choice === 'dark' ? 'all' : 'not all'}`);
}
