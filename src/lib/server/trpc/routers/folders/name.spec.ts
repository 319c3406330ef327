import { describe, expect, it } from 'vitest';
import { delimiterCheck, folderNameSchema } from './name.js';

describe('folder names', () => {
  it('accepts ordinary names, trimmed, unicode included', () => {
    expect(folderNameSchema.parse('  Projects 2027 ')).toBe('Projects 2027');
    expect(folderNameSchema.parse('Rechnungen – Köln')).toBe('Rechnungen – Köln');
  });
  it('refuses empty, overlong, wildcard and control characters with a readable reason', () => {
    expect(folderNameSchema.safeParse('   ').error?.issues[0]?.message).toBe('Give the folder a name.');
    expect(folderNameSchema.safeParse('x'.repeat(201)).success).toBe(false);
    for (const bad of ['a*b', '50%', 'tab\there', 'nul\u0000'])
      expect(folderNameSchema.safeParse(bad).error?.issues[0]?.message).toMatch(/cannot contain/);
  });
  it("refuses the account's hierarchy delimiter", () => {
    expect(delimiterCheck('a/b', '/')).toMatch(/cannot contain "\/"/);
    expect(delimiterCheck('a.b', '.')).toMatch(/cannot contain "\."/);
    expect(delimiterCheck('a.b', '/')).toBeNull();
    expect(delimiterCheck('a/b', null)).toMatch(/cannot contain/);
  });
});
