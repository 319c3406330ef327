import { describe, expect, it } from 'vitest';
import { byFolderOrder } from './folder-order.js';

describe('byFolderOrder', () => {
  it('puts special folders first in client order, then the rest by path, case-insensitive', () => {
    const f = (path: string, specialUse: string | null = null) => ({ path, specialUse });
    const sorted = [
      f('zeta'),
      f('Trash', '\\Trash'),
      f('Alpha'),
      f('INBOX', '\\Inbox'),
      f('beta'),
      f('Sent', '\\Sent')
    ].sort(byFolderOrder);
    expect(sorted.map((x) => x.path)).toEqual(['INBOX', 'Sent', 'Trash', 'Alpha', 'beta', 'zeta']);
  });
});
