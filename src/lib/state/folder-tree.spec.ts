import { describe, expect, it } from 'vitest';
import { folderTree } from './folder-tree';

const f = (path: string, specialUse: string | null = null) => ({
  id: path,
  path,
  delimiter: '/',
  specialUse
});

describe('folderTree', () => {
  it('keeps special folders first and nests custom ones by path', () => {
    const rows = folderTree([
      f('INBOX', '\\Inbox'),
      f('Sent', '\\Sent'),
      f('Receipts'),
      f('Projects/Website'),
      f('Projects'),
      f('Projects/Website/Old')
    ]);
    expect(rows.map((r) => [r.folder.path, r.depth, r.hasChildren])).toEqual([
      ['INBOX', 0, false],
      ['Sent', 0, false],
      ['Projects', 0, true],
      ['Projects/Website', 1, true],
      ['Projects/Website/Old', 2, false],
      ['Receipts', 0, false]
    ]);
    expect(rows[4]!.ancestors).toEqual(['Projects', 'Projects/Website']);
  });
  it('shows a folder whose parent does not exist at the top level', () => {
    const rows = folderTree([f('Lists/rust')]);
    expect(rows[0]).toMatchObject({ depth: 0, ancestors: [] });
  });
});
