import { describe, expect, it } from 'vitest';
import { DEFAULT_LIST_HEIGHT, LIST_HEIGHT_COOKIE, listHeightCookie } from '../list-height';
import { listHeightOf } from './list-height';

describe('list height cookie', () => {
  it('reads the height the browser wrote', () => {
    expect(listHeightOf('692')).toBe(692);
    expect(listHeightOf(String(76))).toBe(76);
    expect(listHeightOf('4320')).toBe(4320);
  });

  it('falls back to the default for no cookie or one the app did not write', () => {
    for (const bad of [undefined, '', 'abc', '12.5', '-300', '0', '75', '4321', '1e9', '692px'])
      expect(listHeightOf(bad), String(bad)).toBe(DEFAULT_LIST_HEIGHT);
  });

  it('writes a whole number of pixels the server reads back', () => {
    const cookie = listHeightCookie(691.6, false);
    expect(cookie.startsWith(`${LIST_HEIGHT_COOKIE}=692;`)).toBe(true);
    expect(cookie).toContain('path=/');
    expect(cookie).toContain('samesite=lax');
    expect(cookie).not.toContain('secure');
    expect(listHeightCookie(692, true)).toMatch(/; secure$/);
    expect(listHeightOf(cookie.split(';')[0]!.split('=')[1])).toBe(692);
  });
});
