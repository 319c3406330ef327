// One open folder (or "All inboxes") as the message list shows it: the rows loaded so far
// (keyset pages, newest first), grouped into conversations or not, the keyboard cursor, the
// selection, and the user's actions applied at once (optimistic) and rolled back with a message
// when the server refuses them. Live events keep it current.
/* eslint-disable svelte/prefer-svelte-reactivity -- the Sets and Maps here are scratch values
   and private bookkeeping, never rendered: reactive state is in the $state fields */
import { messageOf, trpc } from '$lib/trpc';
import { displayName } from './format';
import {
  ALL,
  byNewest,
  fetchPage,
  mailActions,
  toRow,
  wireCursor,
  type Cursor,
  type LiveEvent,
  type Page,
  type RemoveKind,
  type Row
} from './mail-api';
import type { MailStore } from './mail.svelte';
import { messageCache } from './message-cache.svelte';
import { Selection } from './selection.svelte';
import { toasts } from './toasts.svelte';

/** A line of the list: a message, or in conversation mode the newest message of a conversation. */
export interface Entry {
  row: Row;
  unread: boolean;
  flagged: boolean;
  attachments: boolean;
  /** messages in the conversation, all folders (1 when not threaded) */
  count: number;
  /** its place in the list: a row of the windowed list reads it, not the {#each} index, so
   *  rows that stay in the window are not revisited when it moves */
  index: number;
}

export type Action = RemoveKind | 'move';

/** A server search shown in place of the folder (messages.search). */
export interface Search {
  query: string;
  /** every folder (of the account, or of every account in All inboxes), not only this one */
  allFolders: boolean;
  loading: boolean;
  error: string | null;
  /** how many match (null while loading; SEARCH_COUNT_CAP + 1 means more than that) */
  total: number | null;
}

/** The server's cap on counting matches (SEARCH_COUNT_CAP of messages.search). */
export const SEARCH_CAP = 1000;

const PAGE = 50;

function groupByAccount(rows: Row[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const list = out.get(r.accountId);
    if (list) list.push(r.id);
    else out.set(r.accountId, [r.id]);
  }
  return out;
}

export class MailboxView {
  rows = $state.raw<Row[]>([]);
  threadCounts = $state.raw<Record<string, number>>({});
  nextCursor = $state.raw<Cursor | null>(null);
  loadingMore = $state(false);
  loadError = $state<string | null>(null);
  conversations = $state(true);
  filter = $state('');
  /** the server search the list shows instead of the folder, or null */
  search = $state.raw<Search | null>(null);
  /** the folder's lines while a search is shown, to go back to */
  private saved: { rows: Row[]; nextCursor: Cursor | null; threadCounts: Record<string, number> } | null =
    null;
  private searchSeq = 0;
  /** the row the keyboard cursor is on (the listbox's active descendant) */
  cursorId = $state<string | null>(null);
  readonly selection = new Selection();
  /** rows taken out optimistically whose mutation has not answered yet */
  private readonly pending = new Set<string>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;

  entries: Entry[] = $derived.by(() =>
    // search results already match on the server: the box's text is the query, not a filter
    this.group(this.rows, this.conversations, this.search ? '' : this.filter, this.threadCounts)
  );

  constructor(
    readonly accountId: string,
    readonly folderId: string,
    private readonly store: MailStore,
    first: Page,
    conversations: boolean
  ) {
    this.rows = first.rows;
    this.nextCursor = first.nextCursor;
    this.threadCounts = first.threadCounts;
    this.conversations = conversations;
    this.cursorId = first.rows[0]?.id ?? null;
  }

  /** the lines of the last grouping, by row id (see keep) */
  private previous = new Map<string, Entry>();

  /**
   * The lines of the last grouping that have not changed are kept as they were (the same
   * objects), so a page loaded or a flag changed does not make the list revisit every row on
   * screen, only the rows whose line is new or different.
   */
  private keep(out: Entry[]): Entry[] {
    const next = new Map<string, Entry>();
    for (let i = 0; i < out.length; i++) {
      const e = out[i]!;
      const p = this.previous.get(e.row.id);
      if (
        p &&
        p.row === e.row &&
        p.index === e.index &&
        p.unread === e.unread &&
        p.flagged === e.flagged &&
        p.attachments === e.attachments &&
        p.count === e.count
      )
        out[i] = p;
      next.set(e.row.id, out[i]!);
    }
    this.previous = next;
    return out;
  }

  private group(rows: Row[], threads: boolean, filter: string, counts: Record<string, number>): Entry[] {
    const q = filter.trim().toLowerCase();
    const hit = (r: Row) =>
      !q ||
      r.subject.toLowerCase().includes(q) ||
      displayName(r.from).toLowerCase().includes(q) ||
      (r.from?.address ?? '').toLowerCase().includes(q) ||
      r.snippet.toLowerCase().includes(q);
    const out: Entry[] = [];
    if (!threads) {
      for (const r of rows)
        if (hit(r))
          out.push({
            row: r,
            unread: !r.seen,
            flagged: r.flagged,
            attachments: r.hasAttachments,
            count: (r.threadId && counts[r.threadId]) || 1,
            index: out.length
          });
      return this.keep(out);
    }
    const byThread = new Map<string, Entry>();
    for (const r of rows) {
      const key = r.threadId ? `${r.accountId}:${r.threadId}` : r.id;
      const e = byThread.get(key);
      if (e) {
        e.unread ||= !r.seen;
        e.flagged ||= r.flagged;
        e.attachments ||= r.hasAttachments;
        continue;
      }
      const entry: Entry = {
        row: r,
        unread: !r.seen,
        flagged: r.flagged,
        attachments: r.hasAttachments,
        count: (r.threadId && counts[r.threadId]) || 1,
        index: -1
      };
      byThread.set(key, entry);
      if (hit(r)) {
        entry.index = out.length;
        out.push(entry);
      }
    }
    return this.keep(out);
  }

  get isAll(): boolean {
    return this.accountId === ALL;
  }

  row(id: string): Row | undefined {
    return this.rows.find((r) => r.id === id);
  }

  indexOf(id: string | null): number {
    return id ? this.entries.findIndex((e) => e.row.id === id) : -1;
  }

  /** The rows an action on these list lines means: whole conversations in conversation mode. */
  expand(ids: Iterable<string>): Row[] {
    const set = new Set(ids);
    if (!this.conversations) return this.rows.filter((r) => set.has(r.id));
    const threads = new Set(
      this.rows.filter((r) => set.has(r.id) && r.threadId).map((r) => `${r.accountId}:${r.threadId}`)
    );
    return this.rows.filter(
      (r) => set.has(r.id) || (r.threadId && threads.has(`${r.accountId}:${r.threadId}`))
    );
  }

  /** The line ids an action applies to: the selection, else the given (open or cursor) line. */
  targetIds(fallback: string | null): string[] {
    if (this.selection.size) return [...this.selection.ids];
    return fallback ? [fallback] : [];
  }

  /** The line that follows once these lines are gone (the next older, else the one above). */
  nextAfter(ids: string[]): string | null {
    const gone = new Set(this.expand(ids).map((r) => r.id));
    const list = this.entries;
    const last = Math.max(...ids.map((id) => this.indexOf(id)));
    for (let i = last + 1; i < list.length; i++) if (!gone.has(list[i]!.row.id)) return list[i]!.row.id;
    for (let i = last - 1; i >= 0; i--) if (!gone.has(list[i]!.row.id)) return list[i]!.row.id;
    return null;
  }

  moveCursor(delta: number): string | null {
    const list = this.entries;
    if (!list.length) return null;
    const i = this.indexOf(this.cursorId);
    const next = Math.max(0, Math.min(list.length - 1, i < 0 ? 0 : i + delta));
    this.cursorId = list[next]!.row.id;
    if (next >= list.length - 5) void this.loadMore();
    return this.cursorId;
  }

  // -------------------------------------------------------------------------------------------
  // server search

  private async searchPage(s: Search, cursor: Cursor | null): Promise<Page & { total: number | null }> {
    const res = await trpc.messages.search.query({
      accountId: this.accountId,
      ...(s.allFolders || this.isAll ? {} : { folderId: this.folderId }),
      inboxesOnly: this.isAll && !s.allFolders,
      query: s.query,
      limit: PAGE,
      cursor
    });
    return {
      rows: res.items.map((m) => toRow(m, this.accountId, this.folderId)),
      nextCursor: res.nextCursor ? wireCursor(res.nextCursor) : null,
      threadCounts: res.threadCounts,
      total: res.total
    };
  }

  /** Shows what the server finds for the query (in this folder, or in every folder). */
  async runSearch(query: string, allFolders = false): Promise<void> {
    query = query.trim();
    if (!query) return this.endSearch();
    const seq = ++this.searchSeq;
    if (!this.saved)
      this.saved = { rows: this.rows, nextCursor: this.nextCursor, threadCounts: this.threadCounts };
    const s: Search = { query, allFolders, loading: true, error: null, total: null };
    this.search = s;
    this.selection.clear();
    this.rows = [];
    this.nextCursor = null;
    this.cursorId = null;
    try {
      const page = await this.searchPage(s, null);
      if (seq !== this.searchSeq) return;
      this.rows = page.rows;
      this.nextCursor = page.nextCursor;
      this.threadCounts = { ...this.threadCounts, ...page.threadCounts };
      this.cursorId = this.entries[0]?.row.id ?? null;
      this.search = { ...s, loading: false, total: page.total };
    } catch (e) {
      if (seq === this.searchSeq) this.search = { ...s, loading: false, error: messageOf(e) };
    }
  }

  /** Back to the folder from a search (its lines as they were, then brought up to date). */
  endSearch(): void {
    this.searchSeq++;
    this.filter = '';
    if (!this.search) return;
    this.search = null;
    this.selection.clear();
    const saved = this.saved;
    this.saved = null;
    if (saved) {
      this.rows = saved.rows.filter((r) => !this.gone.has(r.id));
      this.nextCursor = saved.nextCursor;
      this.threadCounts = { ...saved.threadCounts, ...this.threadCounts };
    }
    this.gone.clear();
    this.cursorId = this.entries[0]?.row.id ?? null;
    void this.refreshNow();
  }

  /** lines taken out (moved, deleted) while a search was shown: not put back after it */
  private readonly gone = new Set<string>();

  // -------------------------------------------------------------------------------------------
  // loading

  async loadMore(): Promise<void> {
    if (!this.nextCursor || this.loadingMore) return;
    this.loadingMore = true;
    this.loadError = null;
    const seq = this.searchSeq;
    try {
      const page = this.search
        ? await this.searchPage(this.search, this.nextCursor)
        : await fetchPage(this.accountId, this.folderId, this.nextCursor, PAGE);
      if (seq !== this.searchSeq) return;
      const have = new Set(this.rows.map((r) => r.id));
      this.rows = [...this.rows, ...page.rows.filter((r) => !have.has(r.id) && !this.pending.has(r.id))];
      this.nextCursor = page.nextCursor;
      this.threadCounts = { ...this.threadCounts, ...page.threadCounts };
    } catch (e) {
      this.loadError = messageOf(e);
    } finally {
      this.loadingMore = false;
    }
  }

  /** Re-reads the newest page and puts it in place of the rows it covers (new, moved, gone). */
  refresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refreshNow(), 120);
  }

  async refreshNow(): Promise<void> {
    if (this.search) return; // the folder is brought up to date when the search ends
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        const page = await fetchPage(this.accountId, this.folderId, null, PAGE);
        if (this.search) return;
        // a cursor on the newest line stays on the newest line when new mail comes in
        const atTop = !this.cursorId || this.entries[0]?.row.id === this.cursorId;
        const fresh = page.rows.filter((r) => !this.pending.has(r.id));
        const last = page.rows.at(-1);
        if (!page.nextCursor || !last) {
          this.rows = fresh;
          this.nextCursor = null;
        } else {
          this.rows = [...fresh, ...this.rows.filter((r) => byNewest(r, last) > 0)];
        }
        this.threadCounts = { ...this.threadCounts, ...page.threadCounts };
        this.selection.retain(new Set(this.rows.map((r) => r.id)));
        if (atTop || !this.cursorId || !this.row(this.cursorId))
          this.cursorId = this.entries[0]?.row.id ?? null;
      } catch {
        // offline or restarting: the next live event or reconnect refreshes again
      } finally {
        this.refreshing = null;
      }
      if (this.refreshAgain) {
        this.refreshAgain = false;
        await this.refreshNow();
      }
    })();
    return this.refreshing;
  }

  // -------------------------------------------------------------------------------------------
  // live events

  private shows(accountId: string, folderId: string): boolean {
    if (this.search?.allFolders) return this.isAll || accountId === this.accountId;
    if (this.isAll) return this.store.isInbox(folderId);
    return accountId === this.accountId && folderId === this.folderId;
  }

  apply(e: LiveEvent): void {
    switch (e.type) {
      case 'MessageCreated':
        if (this.shows(e.accountId, e.folderId)) this.refresh();
        break;
      case 'MessagesDeleted':
        if (this.shows(e.accountId, e.folderId)) this.drop(new Set(e.messageIds));
        break;
      case 'MessageMoved':
        if (this.shows(e.accountId, e.fromFolderId)) this.drop(new Set(e.messageIds));
        if (this.shows(e.accountId, e.toFolderId)) this.refresh();
        break;
      case 'FlagsChanged': {
        const byId = new Map(e.changes.map((c) => [c.messageId, c.flags]));
        if (!this.rows.some((r) => byId.has(r.id))) break;
        this.rows = this.rows.map((r) => {
          const flags = byId.get(r.id);
          if (!flags) return r;
          return { ...r, seen: flags.includes('\\Seen'), flagged: flags.includes('\\Flagged') };
        });
        break;
      }
      case 'ActionFailed':
      case 'Resync':
        this.refresh();
        break;
    }
  }

  private drop(ids: Set<string>): void {
    if (this.search) for (const id of ids) this.gone.add(id);
    if (!this.rows.some((r) => ids.has(r.id))) return;
    if (this.cursorId && ids.has(this.cursorId)) this.cursorId = this.nextAfter([this.cursorId]);
    this.rows = this.rows.filter((r) => !ids.has(r.id));
    for (const id of ids) this.selection.ids.delete(id);
  }

  private putBack(rows: Row[]): void {
    const have = new Set(this.rows.map((r) => r.id));
    const back = rows.filter((r) => !have.has(r.id));
    if (back.length) this.rows = [...this.rows, ...back].sort(byNewest);
  }

  // -------------------------------------------------------------------------------------------
  // actions

  /** Read/unread and star, at once; undone with a message if the server refuses. */
  async setFlags(lineIds: string[], change: { seen?: boolean; flagged?: boolean }): Promise<void> {
    // starring a conversation stars its newest message (as Gmail does); read state covers all
    const rows =
      change.flagged !== undefined && change.seen === undefined
        ? this.rows.filter((r) => lineIds.includes(r.id))
        : this.expand(lineIds);
    const changing = rows.filter(
      (r) =>
        (change.seen !== undefined && r.seen !== change.seen) ||
        (change.flagged !== undefined && r.flagged !== change.flagged)
    );
    if (!changing.length) return;
    const before = new Map(changing.map((r) => [r.id, { seen: r.seen, flagged: r.flagged }]));
    const patch = (r: Row) => (before.has(r.id) ? { ...r, ...change } : r);
    this.rows = this.rows.map(patch);
    for (const [accountId, ids] of groupByAccount(changing)) messageCache.setFlags(accountId, ids, change);
    try {
      await Promise.all(
        [...groupByAccount(changing)].map(([accountId, messageIds]) =>
          trpc.messages.setFlags.mutate({ accountId, messageIds, ...change })
        )
      );
    } catch (e) {
      this.rows = this.rows.map((r) => {
        const b = before.get(r.id);
        return b ? { ...r, ...b } : r;
      });
      messageCache.forget(before.keys());
      toasts.error(
        `Could not change ${changing.length === 1 ? 'the message' : 'the messages'}: ${messageOf(e)}`
      );
    }
  }

  /**
   * Archive, delete, junk or move: the lines leave the list at once; a toast offers Undo.
   * Returns false when the server refused (the lines are back then).
   */
  async remove(kind: Action, lineIds: string[], toFolderId?: string): Promise<boolean> {
    const rows = this.expand(lineIds);
    if (!rows.length) return true;
    if (
      kind === 'move' &&
      rows.some((r) => this.store.accountOfFolder(toFolderId ?? '')?.id !== r.accountId)
    ) {
      toasts.error('Messages can only be moved to a folder of their own account.');
      return false;
    }
    for (const r of rows) this.pending.add(r.id);
    this.drop(new Set(rows.map((r) => r.id)));
    messageCache.forget(rows.map((r) => r.id)); // their folder (and conversation) change
    const lines = new Set(lineIds).size;
    const what = `${lines} ${this.conversations ? 'conversation' : 'message'}${lines === 1 ? '' : 's'}`;
    try {
      const results = await Promise.all(
        [...groupByAccount(rows)].map(async ([accountId, ids]) => ({
          accountId,
          res:
            kind === 'move'
              ? await mailActions.move(accountId, ids, toFolderId as string)
              : await mailActions.remove(kind, accountId, ids)
        }))
      );
      const undo = results.flatMap(({ accountId, res }) => res.undo.map((g) => ({ accountId, ...g })));
      const gone = results.some((r) => r.res.permanentlyDeleted?.length);
      const target = toFolderId ? this.store.folder(toFolderId)?.name : null;
      const label =
        kind === 'archive'
          ? `Archived ${what}`
          : kind === 'junk'
            ? `Marked ${what} as junk`
            : kind === 'delete'
              ? gone && !undo.length
                ? `Deleted ${what} for good`
                : `Moved ${what} to Trash`
              : `Moved ${what} to ${target ?? 'the folder'}`;
      toasts.show(label, undo.length ? { action: { label: 'Undo', run: () => this.undo(undo, rows) } } : {});
      return true;
    } catch (e) {
      this.putBack(rows);
      toasts.error(`Could not ${kind === 'move' ? 'move' : kind} ${what}: ${messageOf(e)}`);
      return false;
    } finally {
      for (const r of rows) this.pending.delete(r.id);
    }
  }

  private async undo(groups: { accountId: string; folderId: string; messageIds: string[] }[], rows: Row[]) {
    try {
      await Promise.all(groups.map((g) => mailActions.move(g.accountId, g.messageIds, g.folderId)));
      this.putBack(rows.filter((r) => this.shows(r.accountId, r.folderId)));
      toasts.show('Undone.');
    } catch (e) {
      toasts.error(`Could not undo: ${messageOf(e)}`);
    }
  }
}
