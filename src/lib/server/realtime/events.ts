// Live events for one user, published by the worker (and the app) and delivered to the
// browser over a tRPC SSE subscription. Each event is appended to a capped Redis stream per
// user (its id is the tracked event id, so a reconnecting client catches up on what it
// missed) and announced on the pub/sub channel user:{id} in the same Lua call.
import type { Redis } from 'ioredis';
import { z } from 'zod';

const id = z.string().min(1);

export const liveEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('MessageCreated'), accountId: id, folderId: id, messageIds: z.array(id) }),
  z.object({ type: z.literal('MessagesDeleted'), accountId: id, folderId: id, messageIds: z.array(id) }),
  z.object({
    type: z.literal('FlagsChanged'),
    accountId: id,
    changes: z.array(z.object({ messageId: id, flags: z.array(z.string()), keywords: z.array(z.string()) }))
  }),
  z.object({
    type: z.literal('MessageMoved'),
    accountId: id,
    messageIds: z.array(id),
    fromFolderId: id,
    toFolderId: id
  }),
  z.object({
    type: z.literal('FolderCountsChanged'),
    accountId: id,
    folders: z.array(z.object({ folderId: id, total: z.number().int(), unread: z.number().int() }))
  }),
  z.object({
    type: z.literal('AccountStateChanged'),
    accountId: id,
    state: z.enum(['pending', 'syncing', 'idle', 'error', 'disabled']),
    error: z.string().nullable()
  }),
  z.object({
    type: z.literal('SendStatusChanged'),
    outboxId: id,
    state: z.enum(['queued', 'sending', 'sent', 'failed', 'cancelled']),
    error: z.string().nullable()
  }),
  /** A change the user made could not be carried to the mail server and was undone. */
  z.object({ type: z.literal('ActionFailed'), accountId: id, action: z.string(), message: z.string() }),
  /** The client was away longer than the stream remembers: refetch everything it shows. */
  z.object({ type: z.literal('Resync') })
]);

export type LiveEvent = z.infer<typeof liveEventSchema>;

export const STREAM_MAXLEN = 1000;
export const STREAM_TTL_SECONDS = 7 * 24 * 3600;

export function realtimePrefix(): string {
  return process.env.QUEUE_PREFIX || 'emailclient';
}
export const userChannel = (prefix: string, userId: string) => `${prefix}:user:${userId}`;
export const userStream = (prefix: string, userId: string) => `${prefix}:events:user:${userId}`;

const PUBLISH = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[1])
return id`;

/** Publishes an event to one user; returns its stream id. */
export async function publishToUser(
  redis: Redis,
  userId: string,
  event: LiveEvent,
  prefix = realtimePrefix()
) {
  const payload = JSON.stringify(liveEventSchema.parse(event));
  return (await redis.eval(
    PUBLISH,
    2,
    userStream(prefix, userId),
    userChannel(prefix, userId),
    payload,
    String(STREAM_MAXLEN),
    String(STREAM_TTL_SECONDS)
  )) as string;
}

/** Stream ids are "ms-seq"; compare numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}

export function isStreamId(s: string): boolean {
  return /^\d{1,15}-\d{1,10}$/.test(s);
}

// Control messages from the app to the workers (not user-visible): e.g. an account was added,
// changed or removed, so supervisors rescan at once instead of at their next interval; or a
// folder should be synced now (the user opened it, or a copy landed there).
export const controlSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('AccountsChanged'), accountId: id }),
  z.object({ type: z.literal('SyncFolder'), accountId: id, folderId: id })
]);
export type ControlMessage = z.infer<typeof controlSchema>;
export const controlChannel = (prefix: string) => `${prefix}:control`;

export async function publishControl(redis: Redis, prefix: string, msg: ControlMessage): Promise<void> {
  await redis.publish(controlChannel(prefix), JSON.stringify(controlSchema.parse(msg)));
}
