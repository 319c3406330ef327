// One Redis subscriber per app process, fanning user:{id} messages out to that user's open
// SSE subscriptions in this process.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { liveEventSchema, userChannel, type LiveEvent } from './events.js';

export type Listener = (id: string, event: LiveEvent) => void;

export class RealtimeHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private started: Promise<void> | undefined;

  constructor(
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly log: Logger
  ) {}

  private start(): Promise<void> {
    this.started ??= (async () => {
      const pattern = userChannel(this.prefix, '*');
      this.subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
        const userId = channel.slice(pattern.length - 1);
        const set = this.listeners.get(userId);
        if (!set?.size) return;
        const space = message.indexOf(' ');
        let event: LiveEvent;
        try {
          event = liveEventSchema.parse(JSON.parse(message.slice(space + 1)));
        } catch (err) {
          this.log.warn({ err, channel }, 'dropped a malformed live event');
          return;
        }
        const id = message.slice(0, space);
        for (const l of set) l(id, event);
      });
      await this.subscriber.psubscribe(pattern);
    })();
    return this.started;
  }

  /** Resolves once the subscription is active; the returned function unsubscribes. */
  async subscribe(userId: string, listener: Listener): Promise<() => void> {
    let set = this.listeners.get(userId);
    if (!set) this.listeners.set(userId, (set = new Set()));
    set.add(listener);
    await this.start();
    return () => {
      set.delete(listener);
      if (!set.size) this.listeners.delete(userId);
    };
  }

  listenerCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  close(): void {
    this.subscriber.disconnect();
  }
}
