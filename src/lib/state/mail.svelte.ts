// The user's mail accounts and their folders with counts, as the folder column shows them;
// kept current by live events (FolderCountsChanged, AccountStateChanged).
import { trpc } from '$lib/trpc';
import type { LiveEvent } from './mail-api';

export interface FolderState {
  id: string;
  name: string;
  path: string;
  delimiter: string | null;
  specialUse: string | null;
  total: number;
  unread: number;
}

export type SyncState = 'pending' | 'syncing' | 'idle' | 'error' | 'disabled';

export interface AccountState {
  id: string;
  name: string;
  email: string;
  syncState: SyncState;
  lastError: string | null;
  folders: FolderState[];
}

export class MailStore {
  accounts = $state<AccountState[]>([]);

  constructor(accounts: AccountState[]) {
    this.accounts = accounts;
  }

  account(id: string): AccountState | undefined {
    return this.accounts.find((a) => a.id === id);
  }

  folder(id: string): FolderState | undefined {
    for (const a of this.accounts) {
      const f = a.folders.find((x) => x.id === id);
      if (f) return f;
    }
    return undefined;
  }

  accountOfFolder(folderId: string): AccountState | undefined {
    return this.accounts.find((a) => a.folders.some((f) => f.id === folderId));
  }

  special(accountId: string, use: string): FolderState | undefined {
    return this.account(accountId)?.folders.find((f) => f.specialUse === use);
  }

  isInbox(folderId: string): boolean {
    return this.folder(folderId)?.specialUse === '\\Inbox';
  }

  /** Unread mail in every inbox, for "All inboxes". */
  get allUnread(): number {
    return this.accounts.reduce(
      (n, a) => n + (a.folders.find((f) => f.specialUse === '\\Inbox')?.unread ?? 0),
      0
    );
  }

  apply(e: LiveEvent): void {
    if (e.type === 'FolderCountsChanged') {
      const a = this.account(e.accountId);
      if (!a) return;
      for (const c of e.folders) {
        const f = a.folders.find((x) => x.id === c.folderId);
        if (f) {
          f.total = c.total;
          f.unread = c.unread;
        } else void this.reload(); // a folder we have not seen yet
      }
    } else if (e.type === 'AccountStateChanged') {
      const a = this.account(e.accountId);
      if (a) {
        a.syncState = e.state;
        a.lastError = e.error;
      }
    } else if (e.type === 'Resync') void this.reload();
  }

  /** Re-reads accounts and folders (after a Resync, or when an unknown folder shows up). */
  async reload(): Promise<void> {
    const accounts = await trpc.accounts.list.query();
    const folders = await Promise.all(
      accounts.map((a) => trpc.folders.list.query({ accountId: a.id }).catch(() => null))
    );
    this.accounts = accounts.map((a, i) => ({
      id: a.id,
      name: a.name,
      email: a.email,
      syncState: a.syncState,
      lastError: a.lastError,
      folders: folders[i] ?? this.account(a.id)?.folders ?? []
    }));
  }
}
