import { describe, expect, it } from 'vitest';
import { forcedTheme, THEMED_MEDIA } from './mail-theme';

describe('the theme of a rendered mail', () => {
  const doc = `<style>body{background:#fff}${THEMED_MEDIA}{body{background:#1a1f2a}}</style><p>Hi</p>`;
  it('is left to the system, or forced on or off by the reader’s choice', () => {
    expect(forcedTheme(doc, 'system')).toBe(doc);
    expect(forcedTheme(doc, 'dark')).toContain('/*theme*/@media all{body{background:#1a1f2a}}');
    expect(forcedTheme(doc, 'light')).toContain('/*theme*/@media not all{body{background:#1a1f2a}}');
  });
  it('leaves a mail with colours of its own (no themed rules) as it is', () => {
    const designed = '<style>body{background:#fff}</style><table bgcolor="#fe9"></table>';
    expect(forcedTheme(designed, 'dark')).toBe(designed);
  });
});
