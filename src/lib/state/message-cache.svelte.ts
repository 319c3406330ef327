// Opened messages (messages.get) and conversations (messages.thread) kept in memory for the
// tab, so going back and forth with j/k renders from memory, and the neighbours of an open
// message are fetched while the browser is idle, before they are asked for. Live events keep
// the copies true: flag changes patch them; a message moved or deleted is dropped with the
// conversations holding it; new mail drops its account's conversations (it may be a reply).
// Only bodies with remote content blocked are kept ("show images" is asked for each time).
/* eslint-disable svelte/prefer-svelte-reactivity -- private bookkeeping, never rendered */
import { browser } from '$app/environment';
import { whenIdle } from '$lib/idle';
import { trpc } from '$lib/trpc';
import { getMessage, type LiveEvent, type MessageDetail } from './mail-api';

export type Thread = Awaited<ReturnType<typeof trpc.messages.thread.query>>;

/** bodies are sanitised HTML, a few KB to a few hundred: a bounded number of them */
const MAX_MESSAGES = 80;
const MAX_THREADS = 80;
/** under the 6-hour life of the signed inline-image URLs in a body (messages.get) */
const TTL_MS = 30 * 60_000;

interface Slot<V> {
  at: number;
  value?: V;
  promise: Promise<V>;
}

/** A small LRU of values being fetched or fetched, by key; a failed fetch is forgotten. */
class Lru<V> {
  readonly slots = new Map<string, Slot<V>>();
  constructor(
    private readonly max: number,
    private readonly keep: boolean
  ) {}

  peek(key: string): V | undefined {
    const s = this.slots.get(key);
    if (!s || Date.now() - s.at > TTL_MS) return undefined;
    if (s.value !== undefined) this.touch(key, s);
    return s.value;
  }

  get(key: string, fetch: () => Promise<V>): Promise<V> {
    if (!this.keep) return fetch();
    const s = this.slots.get(key);
    if (s && Date.now() - s.at <= TTL_MS) {
      this.touch(key, s);
      return s.promise;
    }
    const slot: Slot<V> = { at: Date.now(), promise: fetch() };
    slot.promise.then(
      (v) => {
        if (this.slots.get(key) === slot) slot.value = v;
      },
      () => {
        if (this.slots.get(key) === slot) this.slots.delete(key);
      }
    );
    this.touch(key, slot);
    return slot.promise;
  }

  /** Replaces a fetched value (a patched copy); nothing when absent or still in flight. */
  update(key: string, f: (v: V) => V): void {
    const s = this.slots.get(key);
    if (s?.value === undefined) return;
    const value = f(s.value);
    if (value !== s.value) this.slots.set(key, { at: s.at, value, promise: Promise.resolve(value) });
  }

  private touch(key: string, s: Slot<V>): void {
    this.slots.delete(key);
    this.slots.set(key, s);
    while (this.slots.size > this.max) this.slots.delete(this.slots.keys().next().value as string);
  }
}

type Flags = { seen?: boolean; flagged?: boolean };

export interface Fetchers {
  message: (accountId: string, id: string) => Promise<MessageDetail>;
  thread: (accountId: string, threadId: string) => Promise<Thread>;
}

export class MessageCache {
  private readonly messages: Lru<MessageDetail>;
  private readonly threads: Lru<Thread>;

  constructor(
    private readonly fetchers: Fetchers,
    keep = true
  ) {
    this.messages = new Lru(MAX_MESSAGES, keep);
    this.threads = new Lru(MAX_THREADS, keep);
  }

  /** The message if it is here already (for a render without a frame of "Loading…"). */
  peekMessage(accountId: string, id: string): MessageDetail | undefined {
    return this.messages.peek(`${accountId}:${id}`);
  }

  message(accountId: string, id: string): Promise<MessageDetail> {
    return this.messages.get(`${accountId}:${id}`, () => this.fetchers.message(accountId, id));
  }

  peekThread(accountId: string, threadId: string): Thread | undefined {
    return this.threads.peek(`${accountId}:${threadId}`);
  }

  thread(accountId: string, threadId: string): Promise<Thread> {
    return this.threads.get(`${accountId}:${threadId}`, () => this.fetchers.thread(accountId, threadId));
  }

  /**
   * Fetches these messages (and their conversations) when the browser is idle, one after the
   * other: the neighbours of the open message, so j and k open them from memory. Resolves once
   * all are tried (never rejects).
   */
  async prefetch(items: { accountId: string; id: string; threadId?: string | null }[]): Promise<void> {
    await new Promise<void>((idle) => whenIdle(idle, { timeout: 1500 }));
    for (const m of items) {
      try {
        const [, t] = await Promise.all([
          this.message(m.accountId, m.id),
          m.threadId ? this.thread(m.accountId, m.threadId) : null
        ]);
        // the ones the conversation opens with (ThreadView): its newest, and unread ones
        const open = t?.messages.filter((x, i) => !x.seen || i === t.messages.length - 1) ?? [];
        for (const x of open.slice(-3)) await this.message(m.accountId, x.id);
      } catch {
        // fetched again when opened, with its error shown then
      }
    }
  }

  /** The user's own flag change, as the list shows it at once (rolled back by forget()). */
  setFlags(accountId: string, ids: string[], change: Flags): void {
    const set = new Set(ids);
    for (const id of ids) this.messages.update(`${accountId}:${id}`, (m) => ({ ...m, ...change }));
    for (const key of this.threads.slots.keys())
      if (key.startsWith(`${accountId}:`))
        this.threads.update(key, (t) =>
          t.messages.some((m) => set.has(m.id))
            ? { ...t, messages: t.messages.map((m) => (set.has(m.id) ? { ...m, ...change } : m)) }
            : t
        );
  }

  /** Drops these messages and the conversations holding them. */
  forget(ids: Iterable<string>): void {
    const set = new Set(ids);
    for (const key of [...this.messages.slots.keys()])
      if (set.has(key.slice(key.indexOf(':') + 1))) this.messages.slots.delete(key);
    for (const [key, s] of [...this.threads.slots])
      if (!s.value || s.value.messages.some((m) => set.has(m.id))) this.threads.slots.delete(key);
  }

  clear(): void {
    this.messages.slots.clear();
    this.threads.slots.clear();
  }

  apply(e: LiveEvent): void {
    switch (e.type) {
      case 'FlagsChanged':
        for (const c of e.changes)
          this.setFlags(e.accountId, [c.messageId], {
            seen: c.flags.includes('\\Seen'),
            flagged: c.flags.includes('\\Flagged')
          });
        break;
      case 'MessagesDeleted':
      case 'MessageMoved':
        this.forget(e.messageIds);
        break;
      case 'MessageCreated':
        // a new message may belong to a cached conversation: drop the account's conversations
        for (const key of [...this.threads.slots.keys()])
          if (key.startsWith(`${e.accountId}:`)) this.threads.slots.delete(key);
        break;
      case 'Resync':
        this.clear();
        break;
    }
  }
}

/**
 * One cache per tab. Module state is shared by every request on the server, so nothing is kept
 * there (the server never fetches a body for a page anyway: MessageView loads in an effect).
 */
export const messageCache = new MessageCache(
  {
    message: (accountId, id) => getMessage(accountId, id),
    thread: (accountId, threadId) => trpc.messages.thread.query({ accountId, threadId })
  },
  browser
);
