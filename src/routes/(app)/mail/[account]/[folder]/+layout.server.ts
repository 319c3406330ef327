import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { requireUser } from '$lib/server/guards';
import { getServices } from '$lib/server/services';
import { createContext } from '$lib/server/trpc/context';
import { createCallerFactory } from '$lib/server/trpc/init';
import { appRouter } from '$lib/server/trpc/root';
import { ALL, toRow, wireCursor, type Page } from '$lib/state/mail-api';
import type { LayoutServerLoad } from './$types';

const createCaller = createCallerFactory(appRouter);
const FIRST_PAGE = 50;

/**
 * The first page of the folder, rendered on the server so the first paint already has mail.
 * Goes through the same procedures as the browser (and so the same authorisation).
 */
export const load: LayoutServerLoad = async (event) => {
  requireUser(event.locals, event.url);
  const { account, folder } = event.params;
  const api = createCaller(createContext(getServices(), event));
  const conversations = event.cookies.get('mail-view') !== 'list';
  try {
    let page: Page;
    if (account === ALL) {
      if (folder !== 'inbox') error(404, 'Not found');
      const res = await api.messages.listAllInboxes({ limit: FIRST_PAGE });
      page = {
        rows: res.items.map((m) => toRow(m, '', '')),
        nextCursor: res.nextCursor ? wireCursor(res.nextCursor) : null,
        threadCounts: res.threadCounts
      };
    } else {
      const res = await api.messages.list({ accountId: account, folderId: folder, limit: FIRST_PAGE });
      const threadIds = [...new Set(res.items.map((m) => m.threadId).filter((t): t is string => !!t))];
      page = {
        rows: res.items.map((m) => toRow(m, account, folder)),
        nextCursor: res.nextCursor ? wireCursor(res.nextCursor) : null,
        threadCounts: threadIds.length
          ? await api.messages.threadCounts({ accountId: account, threadIds })
          : {}
      };
    }
    return { page, conversations, accountId: account, folderId: folder };
  } catch (e) {
    if (e instanceof TRPCError && (e.code === 'NOT_FOUND' || e.code === 'BAD_REQUEST'))
      error(404, 'That mailbox or folder does not exist (it may have been removed).');
    throw e;
  }
};
