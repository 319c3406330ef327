// Keeps one account in sync while this worker holds its lease: a command connection for
// sync work and a dedicated connection idling on INBOX (imapflow only resumes IDLE a while
// after the last command, so one connection cannot do both). On any failure it records the
// reason on the account, tells the user, and reconnects with exponential backoff and jitter.
import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { classifyConnectError, failureMessage } from '../../src/lib/server/accounts/connect.js';
import { openSecret, type MasterKeys } from '../../src/lib/server/crypto/envelope.js';
import type { Db } from '../../src/lib/server/db.js';
import type { LiveEvent } from '../../src/lib/server/realtime/events.js';
import { openImap, type HostGate } from '../imap/connection.js';
import { syncFolderMessages, syncFolders, type FolderRow, type SyncAccount } from '../imap/sync.js';
import { fillSnippets } from '../imap/snippets.js';

export interface RunnerDeps {
  db: Db;
  log: Logger;
  keys: MasterKeys;
  gate: HostGate;
  imapTimeoutSeconds: number;
  publish: (userId: string, event: LiveEvent) => Promise<void>;
  resyncMs: number;
  /** Queue body fetches, so opening recent mail is instant. */
  prefetch?: (accountId: string, messageIds: string[]) => Promise<void>;
  prefetchCount?: number;
  backoff?: { baseMs: number; maxMs: number; stableMs: number };
}

export function backoffDelay(attempt: number, baseMs = 2_000, maxMs = 300_000, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2)); // "equal jitter": never below half
}

/** A folder is synced on request at most this often (opening it twice in a row syncs it once). */
const FOLDER_DEBOUNCE_MS = 1_000;

export class AccountRunner {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private connections: ImapFlow[] = [];
  private wakeUp: (() => void) | undefined;
  private inboxDirty = false;
  /** folders asked for (opened by the user, a copy landed): synced by the loop soon */
  private readonly wanted = new Set<string>();
  private readonly lastSynced = new Map<string, number>();
  readonly log: Logger;

  constructor(
    readonly accountId: string,
    private readonly deps: RunnerDeps
  ) {
    this.log = deps.log.child({ accountId });
  }

  start(delayMs = 0): void {
    this.loop = (async () => {
      if (delayMs) await this.sleep(delayMs);
      await this.run();
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    for (const c of this.connections) c.close();
    await this.loop;
  }

  /** Sync one folder soon (debounced: at most once per FOLDER_DEBOUNCE_MS). */
  syncFolderSoon(folderId: string): void {
    this.wanted.add(folderId);
    this.wake();
  }

  private wake() {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const b = this.deps.backoff ?? { baseMs: 2_000, maxMs: 300_000, stableMs: 60_000 };
    let attempt = 0;
    while (!this.stopped) {
      const started = Date.now();
      try {
        await this.session();
      } catch (err) {
        if (this.stopped) break;
        await this.recordError(err);
      } finally {
        for (const c of this.connections) c.close();
        this.connections = [];
      }
      if (this.stopped) break;
      if (Date.now() - started > b.stableMs) attempt = 0;
      const delay = backoffDelay(attempt++, b.baseMs, b.maxMs);
      this.log.info({ delayMs: delay, attempt }, 'reconnecting after a pause');
      await this.sleep(delay);
    }
  }

  private async recordError(err: unknown) {
    const { db } = this.deps;
    const account = await db.mailAccount.findUnique({
      where: { id: this.accountId },
      select: { userId: true, imapHost: true, imapPort: true }
    });
    if (!account) {
      this.stopped = true;
      return;
    }
    const kind = classifyConnectError(err);
    const message =
      kind === 'protocol' && err instanceof Error && !('code' in err)
        ? `Sync stopped: ${err.message}`
        : failureMessage(
            'IMAP',
            { host: account.imapHost, port: account.imapPort },
            kind,
            this.deps.imapTimeoutSeconds
          );
    this.log.warn(
      {
        kind,
        err: err instanceof Error ? { message: err.message, code: (err as { code?: string }).code } : err
      },
      'account sync failed'
    );
    await db.mailAccount.update({
      where: { id: this.accountId },
      data: { syncState: 'error', lastError: message, lastErrorAt: new Date() }
    });
    await this.deps.publish(account.userId, {
      type: 'AccountStateChanged',
      accountId: this.accountId,
      state: 'error',
      error: message
    });
  }

  private async session(): Promise<void> {
    const { db, log } = this.deps;
    const row = await db.mailAccount.findUnique({ where: { id: this.accountId } });
    if (!row) {
      this.stopped = true;
      return;
    }
    const account: SyncAccount = { id: row.id, tenantId: row.tenantId, userId: row.userId };
    const publish = (e: LiveEvent) => this.deps.publish(row.userId, e);
    const syncDeps = { db, log: this.log, publish };
    const login = {
      host: row.imapHost,
      port: row.imapPort,
      tls: row.imapTls,
      username: row.username,
      password: openSecret(this.deps.keys, row.id, row)
    };
    await this.setState(account, 'syncing', null);

    const cmd = await openImap(login, this.deps.imapTimeoutSeconds, this.deps.gate);
    this.connections.push(cmd);
    let closed = false;
    const onClose = () => {
      closed = true;
      this.wake();
    };
    cmd.on('close', onClose);

    const folders = await syncFolders(cmd, account, syncDeps);
    const inbox = folders.find((f) => f.specialUse === '\\Inbox') as FolderRow | undefined;
    if (inbox) await syncFolderMessages(cmd, account, inbox, syncDeps, { backfill: false });
    await this.setState(account, 'idle', null);
    if (inbox) await this.prefetchRecent(account, inbox.id);

    // a dedicated connection idles on INBOX and wakes the sync loop on any change
    if (inbox) {
      const idle = await openImap(login, this.deps.imapTimeoutSeconds, this.deps.gate);
      this.connections.push(idle);
      idle.on('close', onClose);
      const dirty = () => {
        this.inboxDirty = true;
        this.wake();
      };
      idle.on('exists', dirty);
      idle.on('expunge', dirty);
      idle.on('flags', dirty);
      await idle.mailboxOpen(inbox.path, { readOnly: true });
      void (async () => {
        while (!this.stopped && !closed && idle.usable) {
          try {
            await idle.idle();
          } catch {
            break;
          }
        }
      })();
    }

    // the rest: INBOX backfill, then the other folders; then wait for changes or the resync timer
    if (inbox) await syncFolderMessages(cmd, account, inbox, syncDeps, { backfill: true });
    for (const f of folders)
      if (f !== inbox && !this.stopped && !closed) await syncFolderMessages(cmd, account, f, syncDeps);
    log.debug({ accountId: account.id }, 'account in sync');
    await this.fillSnippets(cmd, account, folders, () => closed);

    let lastFull = Date.now();
    while (!this.stopped) {
      if (closed) throw Object.assign(new Error('the IMAP connection closed'), { code: 'EConnectionClosed' });
      if (this.inboxDirty && inbox) {
        this.inboxDirty = false;
        const r = await syncFolderMessages(cmd, account, inbox, syncDeps);
        if (r.added) await this.prefetchRecent(account, inbox.id);
        continue;
      }
      const ready = [...this.wanted].filter(
        (id) => Date.now() - (this.lastSynced.get(id) ?? 0) >= FOLDER_DEBOUNCE_MS
      );
      if (ready.length) {
        for (const id of ready) this.wanted.delete(id);
        // the tree may have changed (a folder created elsewhere): refresh it with the folders
        const current = await syncFolders(cmd, account, syncDeps);
        for (const f of current)
          if (ready.includes(f.id) && !this.stopped && !closed) {
            await syncFolderMessages(cmd, account, f, syncDeps);
            this.lastSynced.set(f.id, Date.now());
          }
        continue;
      }
      const due = lastFull + this.deps.resyncMs - Date.now();
      if (due <= 0) {
        const current = await syncFolders(cmd, account, syncDeps);
        for (const f of current)
          if (!this.stopped && !closed) await syncFolderMessages(cmd, account, f, syncDeps);
        await db.mailAccount.update({ where: { id: account.id }, data: { lastSyncAt: new Date() } });
        await this.fillSnippets(cmd, account, current, () => closed);
        lastFull = Date.now();
        continue;
      }
      // a folder asked for too soon after its last sync waits for the rest of the debounce
      const soonest = Math.min(
        ...[...this.wanted].map((id) => (this.lastSynced.get(id) ?? 0) + FOLDER_DEBOUNCE_MS - Date.now())
      );
      await this.sleep(Math.max(10, Math.min(due, soonest)));
    }
  }

  /** Snippets for synced mail that was not prefetched, a bounded amount per folder per pass. */
  private async fillSnippets(
    cmd: ImapFlow,
    account: SyncAccount,
    folders: FolderRow[],
    closed: () => boolean
  ) {
    for (const f of folders) {
      if (this.stopped || closed() || this.inboxDirty) return; // new mail first; the next pass goes on
      const n = await fillSnippets(cmd, account, f, { db: this.deps.db, log: this.log }, { limit: 5_000 });
      if (n) this.log.debug({ folder: f.path, snippets: n }, 'snippets filled');
    }
  }

  private async prefetchRecent(account: SyncAccount, folderId: string) {
    if (!this.deps.prefetch) return;
    const recent = await this.deps.db.message.findMany({
      where: { tenantId: account.tenantId, accountId: account.id, folderId, bodyFetchedAt: null },
      orderBy: { internalDate: 'desc' },
      take: this.deps.prefetchCount ?? 50,
      select: { id: true }
    });
    if (recent.length)
      await this.deps.prefetch(
        account.id,
        recent.map((r) => r.id)
      );
  }

  private async setState(account: SyncAccount, state: 'syncing' | 'idle', error: string | null) {
    await this.deps.db.mailAccount.update({
      where: { id: account.id },
      data: { syncState: state, lastError: error, ...(state === 'idle' ? { lastSyncAt: new Date() } : {}) }
    });
    await this.deps.publish(account.userId, {
      type: 'AccountStateChanged',
      accountId: account.id,
      state,
      error
    });
  }
}
