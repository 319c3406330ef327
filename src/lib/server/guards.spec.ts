import { describe, expect, it } from 'vitest';
import { safeNext } from './guards';

describe('safeNext', () => {
  it('keeps same-site paths', () => {
    expect(safeNext('/settings')).toBe('/settings');
    expect(safeNext('/mail?x=1')).toBe('/mail?x=1');
  });
  it('refuses other sites and falls back to the mail page', () => {
    for (const bad of ['https://evil.test', '//evil.test', '/\\evil.test', 'mail', null, ''])
      expect(safeNext(bad)).toBe('/mail');
  });
});
