// The mail API as the views use it: rows normalised for the browser (dates as numbers, JSON
// address fields typed) and the calls of the user's actions.
import type { LiveEvent } from '$lib/server/realtime/events';
import { trpc } from '$lib/trpc';
import type { Address } from './format';

export type { LiveEvent };

export interface Cursor {
  internalDate: string;
  id: string;
}

/** One line of the message list. */
export interface Row {
  id: string;
  accountId: string;
  folderId: string;
  threadId: string | null;
  subject: string;
  from: Address | null;
  to: Address[];
  /** sort key: the server's internal date (ms) */
  t: number;
  /** the Date: header (ms), shown to the user when present */
  date: number | null;
  seen: boolean;
  flagged: boolean;
  hasAttachments: boolean;
  snippet: string;
}

export interface Page {
  rows: Row[];
  nextCursor: Cursor | null;
  threadCounts: Record<string, number>;
}

type Stamp = Date | string;
export interface WireItem {
  id: string;
  accountId?: string;
  folderId?: string;
  threadId: string | null;
  subject: string;
  fromAddress: unknown;
  toAddresses: unknown;
  date: Stamp | null;
  internalDate: Stamp;
  seen: boolean;
  flagged: boolean;
  hasAttachments: boolean;
  snippet: string;
}

const ms = (d: Stamp) => (typeof d === 'string' ? Date.parse(d) : d.getTime());

export function toRow(m: WireItem, accountId: string, folderId: string): Row {
  return {
    id: m.id,
    accountId: m.accountId ?? accountId,
    folderId: m.folderId ?? folderId,
    threadId: m.threadId,
    subject: m.subject,
    from: (m.fromAddress as Address | null) ?? null,
    to: Array.isArray(m.toAddresses) ? (m.toAddresses as Address[]) : [],
    t: ms(m.internalDate),
    date: m.date ? ms(m.date) : null,
    seen: m.seen,
    flagged: m.flagged,
    hasAttachments: m.hasAttachments,
    snippet: m.snippet
  };
}

export const cursorOf = (r: Row): Cursor => ({ internalDate: new Date(r.t).toISOString(), id: r.id });

/** Newest first, ties by id descending: the order of messages.list. */
export const byNewest = (a: Row, b: Row) => b.t - a.t || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export const ALL = 'all';

/** One page of a folder, or of every inbox when accountId is "all". */
export async function fetchPage(
  accountId: string,
  folderId: string,
  cursor: Cursor | null,
  limit = 50
): Promise<Page> {
  if (accountId === ALL) {
    const res = await trpc.messages.listAllInboxes.query({ limit, cursor });
    return {
      rows: res.items.map((m) => toRow(m, '', '')),
      nextCursor: res.nextCursor ? wireCursor(res.nextCursor) : null,
      threadCounts: res.threadCounts
    };
  }
  const res = await trpc.messages.list.query({ accountId, folderId, limit, cursor });
  const rows = res.items.map((m) => toRow(m, accountId, folderId));
  const threadIds = [...new Set(rows.map((r) => r.threadId).filter((t): t is string => !!t))];
  const threadCounts = threadIds.length
    ? await trpc.messages.threadCounts.query({ accountId, threadIds }).catch(() => ({}))
    : {};
  return { rows, nextCursor: res.nextCursor ? wireCursor(res.nextCursor) : null, threadCounts };
}

export const wireCursor = (c: { internalDate: Stamp; id: string }): Cursor => ({
  internalDate: typeof c.internalDate === 'string' ? c.internalDate : c.internalDate.toISOString(),
  id: c.id
});

// ---------------------------------------------------------------------------------------------
// procedures being added to the server (shapes from the API contract)

export interface UndoGroup {
  folderId: string;
  messageIds: string[];
}
export interface MoveResult {
  toFolderId: string | null;
  undo: UndoGroup[];
  permanentlyDeleted?: string[];
}
export type RemoveKind = 'archive' | 'delete' | 'junk';

export interface MessageBody {
  html: string | null;
  text: string | null;
  remoteContentBlocked: boolean;
  senderTrusted: boolean;
}

export const mailActions = {
  move: (accountId: string, messageIds: string[], toFolderId: string): Promise<MoveResult> =>
    trpc.messages.move.mutate({ accountId, messageIds, toFolderId }),
  remove: (kind: RemoveKind, accountId: string, messageIds: string[]): Promise<MoveResult> =>
    trpc.messages[kind].mutate({ accountId, messageIds }),
  trustSender: (accountId: string, address: string) =>
    trpc.messages.trustSender.mutate({ accountId, address })
};

export interface Attachment {
  id: string;
  part: string;
  filename: string | null;
  contentType: string;
  size: number;
  inline: boolean;
  contentId: string | null;
}

/** messages.get as the reading pane uses it. */
export interface MessageDetail {
  id: string;
  folderId: string;
  threadId: string | null;
  subject: string;
  fromAddress: Address | null;
  toAddresses: Address[];
  ccAddresses: Address[];
  replyTo: Address[];
  date: Stamp | null;
  internalDate: Stamp;
  seen: boolean;
  flagged: boolean;
  size: number;
  attachments: Attachment[];
  body?: MessageBody;
}

export const getMessage = async (
  accountId: string,
  messageId: string,
  remoteContent = false
): Promise<MessageDetail> =>
  (await trpc.messages.get.query({ accountId, messageId, remoteContent })) as unknown as MessageDetail;

export const stampMs = ms;
