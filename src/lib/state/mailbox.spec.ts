// The list logic of MailboxView (grouping, what an action covers, where the cursor goes, live
// events) without a server: only the parts that never call the API.
import { describe, expect, it } from 'vitest';
import type { Row } from './mail-api';
import { MailStore } from './mail.svelte';
import { MailboxView } from './mailbox.svelte';
import { Selection } from './selection.svelte';

const row = (id: string, t: number, extra: Partial<Row> = {}): Row => ({
  id,
  accountId: 'a1',
  folderId: 'inbox',
  threadId: null,
  subject: `s${id}`,
  from: { name: `From ${id}`, address: `${id}@example.test` },
  to: [],
  t,
  date: t,
  seen: true,
  flagged: false,
  hasAttachments: false,
  snippet: '',
  ...extra
});

const store = () =>
  new MailStore([
    {
      id: 'a1',
      name: 'Work',
      email: 'w@example.test',
      syncState: 'idle',
      lastError: null,
      folders: [
        {
          id: 'inbox',
          name: 'INBOX',
          path: 'INBOX',
          delimiter: '/',
          specialUse: '\\Inbox',
          total: 5,
          unread: 1
        },
        {
          id: 'arch',
          name: 'Archive',
          path: 'Archive',
          delimiter: '/',
          specialUse: '\\Archive',
          total: 0,
          unread: 0
        }
      ]
    }
  ]);

function view(conversations = true) {
  const rows = [
    row('5', 500, { threadId: 'T' }),
    row('4', 400),
    row('3', 300, { threadId: 'T', seen: false, hasAttachments: true }),
    row('2', 200),
    row('1', 100)
  ];
  return new MailboxView(
    'a1',
    'inbox',
    store(),
    { rows, nextCursor: null, threadCounts: { T: 3 } },
    conversations
  );
}

describe('MailboxView', () => {
  it('groups a conversation under its newest message, with what any of its messages has', () => {
    const v = view();
    expect(v.entries.map((e) => e.row.id)).toEqual(['5', '4', '2', '1']);
    expect(v.entries[0]).toMatchObject({ unread: true, attachments: true, count: 3 });
    v.conversations = false;
    expect(v.entries.map((e) => e.row.id)).toEqual(['5', '4', '3', '2', '1']);
  });

  it('keeps the lines that did not change as the same objects, and makes new ones for those that did', () => {
    const v = view(false);
    const before = v.entries;
    const [first, second] = before;
    v.rows = v.rows.map((r) => (r.id === '4' ? { ...r, flagged: true } : r));
    const after = v.entries;
    expect(after[0]).toBe(first); // '5': the same row, the same place
    expect(after[1]).not.toBe(second); // '4': flagged now
    expect(after[1]).toMatchObject({ flagged: true, index: 1 });
    // a line that moves (one above it is gone) is a new line with its new place
    v.rows = v.rows.filter((r) => r.id !== '5');
    expect(v.entries[0]).toMatchObject({ index: 0 });
    expect(v.entries[0]).not.toBe(after[1]);
  });

  it('gives each line its place in the list, in both modes and under a filter', () => {
    const v = view();
    expect(v.entries.map((e) => e.index)).toEqual([0, 1, 2, 3]);
    v.conversations = false;
    expect(v.entries.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    v.filter = 'from 2';
    expect(v.entries.map((e) => [e.row.id, e.index])).toEqual([['2', 0]]);
    v.conversations = true;
    expect(v.entries.map((e) => [e.row.id, e.index])).toEqual([['2', 0]]);
  });

  it('acts on whole conversations, and knows the next line once some are gone', () => {
    const v = view();
    expect(v.expand(['5']).map((r) => r.id)).toEqual(['5', '3']);
    expect(v.nextAfter(['5'])).toBe('4');
    expect(v.nextAfter(['1'])).toBe('2');
    v.selection.set(['4', '2']);
    expect(v.targetIds('1')).toEqual(['4', '2']);
  });

  it('filters the loaded lines by sender, subject or snippet', () => {
    const v = view(false);
    v.filter = 'from 2';
    expect(v.entries.map((e) => e.row.id)).toEqual(['2']);
  });

  it('moves the cursor within the list', () => {
    const v = view();
    expect(v.cursorId).toBe('5');
    v.moveCursor(1);
    v.moveCursor(1);
    expect(v.cursorId).toBe('2');
    v.moveCursor(10);
    expect(v.cursorId).toBe('1');
  });

  it('applies live events: flags, messages moved away or deleted', () => {
    const v = view(false);
    v.apply({
      type: 'FlagsChanged',
      accountId: 'a1',
      changes: [{ messageId: '4', flags: ['\\Flagged'], keywords: [] }]
    });
    expect(v.row('4')).toMatchObject({ seen: false, flagged: true });
    v.cursorId = '4';
    v.apply({
      type: 'MessageMoved',
      accountId: 'a1',
      messageIds: ['4'],
      fromFolderId: 'inbox',
      toFolderId: 'arch'
    });
    expect(v.row('4')).toBeUndefined();
    expect(v.cursorId).toBe('3');
    v.apply({ type: 'MessagesDeleted', accountId: 'a1', folderId: 'other', messageIds: ['3'] });
    expect(v.row('3')).toBeDefined();
  });
});

describe('Selection', () => {
  it('selects a range from the anchor, either way', () => {
    const s = new Selection();
    const order = ['a', 'b', 'c', 'd', 'e'];
    s.toggle('d');
    s.range('b', order);
    expect([...s.ids].sort()).toEqual(['b', 'c', 'd']);
    s.clear();
    s.range('c', order); // no anchor: just that one
    expect([...s.ids]).toEqual(['c']);
  });
});

describe('MailStore', () => {
  it('follows folder counts and account state', () => {
    const st = store();
    st.apply({
      type: 'FolderCountsChanged',
      accountId: 'a1',
      folders: [{ folderId: 'inbox', total: 6, unread: 2 }]
    });
    expect(st.folder('inbox')).toMatchObject({ total: 6, unread: 2 });
    expect(st.allUnread).toBe(2);
    st.apply({ type: 'AccountStateChanged', accountId: 'a1', state: 'error', error: 'Wrong password.' });
    expect(st.account('a1')).toMatchObject({ syncState: 'error', lastError: 'Wrong password.' });
  });
});
