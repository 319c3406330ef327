// Live events for every open tab over ONE server-sent-events connection. Tabs elect a leader
// with the Web Locks API: only the tab holding the lock subscribes to live.events and
// rebroadcasts each event (with its tracked id) on a BroadcastChannel; the others listen there.
// When the leader tab closes, the lock passes to another tab, which resumes from the last id it
// heard, so no event is lost and the browser's ~6 connections per origin are never exhausted.
/* eslint-disable svelte/prefer-svelte-reactivity -- the Sets and Maps here are scratch values
   and private bookkeeping, never rendered: reactive state is in the $state fields */
import { trpc } from '$lib/trpc';
import type { LiveEvent } from './mail-api';

export type LiveStatus = 'connecting' | 'live' | 'offline';
type Listener = (event: LiveEvent, id: string) => void;
type ChannelMessage =
  | { type: 'event'; id: string; event: LiveEvent }
  | { type: 'status'; status: LiveStatus }
  | { type: 'hello' };

const MAX_RETRY_MS = 15_000;

export class LiveConnection {
  status = $state<LiveStatus>('connecting');
  /** whether this tab holds the connection (for tests and the status tooltip) */
  leader = $state(false);
  lastEventId: string | null;
  private readonly listeners = new Set<Listener>();
  private channel: BroadcastChannel | null = null;
  private readonly stopping = new AbortController();
  private sub: { unsubscribe(): void } | null = null;
  private retryMs = 1000;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly userId: string,
    initialEventId: string | null
  ) {
    this.lastEventId = initialEventId;
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    const name = `emailclient-live:${this.userId}`;
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel(name);
      this.channel.onmessage = (m: MessageEvent<ChannelMessage>) => this.fromChannel(m.data);
      this.channel.postMessage({ type: 'hello' } satisfies ChannelMessage);
    }
    if (navigator.locks && this.channel) {
      navigator.locks.request(name, { signal: this.stopping.signal }, () => this.lead()).catch(() => {}); // aborted while waiting: the tab is closing
    } else {
      void this.lead(); // no way to share: every tab connects itself
    }
    addEventListener('online', this.reconnectNow);
    addEventListener('offline', this.dropNow);
  }

  stop(): void {
    this.stopping.abort();
    clearTimeout(this.retryTimer);
    this.sub?.unsubscribe();
    this.sub = null;
    this.channel?.close();
    removeEventListener('online', this.reconnectNow);
    removeEventListener('offline', this.dropNow);
  }

  private emit(event: LiveEvent, id: string): void {
    for (const l of this.listeners) l(event, id);
  }

  private fromChannel(m: ChannelMessage): void {
    if (m.type === 'event') {
      this.lastEventId = m.id;
      this.emit(m.event, m.id);
    } else if (m.type === 'status' && !this.leader) {
      this.status = m.status;
    } else if (m.type === 'hello' && this.leader) {
      this.post({ type: 'status', status: this.status });
    }
  }

  private post(m: ChannelMessage): void {
    this.channel?.postMessage(m);
  }

  private setStatus(s: LiveStatus): void {
    if (this.status === s) return;
    this.status = s;
    if (this.leader) this.post({ type: 'status', status: s });
  }

  /** Runs while this tab holds the lock; resolves (releasing it) when the tab stops. */
  private lead(): Promise<void> {
    this.leader = true;
    this.connect();
    return new Promise((resolve) => this.stopping.signal.addEventListener('abort', () => resolve()));
  }

  private connect(): void {
    if (this.stopping.signal.aborted) return;
    this.setStatus('connecting');
    const input = this.lastEventId ? { lastEventId: this.lastEventId } : undefined;
    this.sub = trpc.live.events.subscribe(input, {
      onStarted: () => {
        this.retryMs = 1000;
        this.setStatus('live');
      },
      onData: (tracked) => {
        this.lastEventId = tracked.id;
        this.setStatus('live');
        this.emit(tracked.data, tracked.id);
        this.post({ type: 'event', id: tracked.id, event: tracked.data });
      },
      onConnectionStateChange: (s) => {
        // the EventSource retries by itself (sending Last-Event-ID); show it meanwhile
        if (s.state === 'connecting' && s.error) this.setStatus('offline');
        else if (s.state === 'pending') this.setStatus('live');
      },
      onError: () => this.retry(),
      onComplete: () => this.retry()
    });
  }

  /** The connection failed for good (e.g. the server answered 502 while restarting): retry. */
  private retry(): void {
    this.sub?.unsubscribe();
    this.sub = null;
    if (this.stopping.signal.aborted) return;
    this.setStatus('offline');
    clearTimeout(this.retryTimer);
    if (!navigator.onLine) return; // the 'online' event reconnects
    const wait = this.retryMs * (0.75 + Math.random() / 2);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => this.connect(), wait);
  }

  // The browser knows before the stream does: a half-dead connection could otherwise sit
  // there silently. Drop it when the network goes, reconnect (catching up) when it returns.
  private readonly dropNow = () => {
    if (!this.leader) return;
    clearTimeout(this.retryTimer);
    this.sub?.unsubscribe();
    this.sub = null;
    this.setStatus('offline');
  };

  private readonly reconnectNow = () => {
    if (!this.leader || (this.sub && this.status === 'live')) return;
    clearTimeout(this.retryTimer);
    this.retryMs = 1000;
    this.sub?.unsubscribe();
    this.connect();
  };
}
