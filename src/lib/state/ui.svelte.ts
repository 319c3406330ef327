// What the mail layout shares with the views inside it (through Svelte context): the store of
// accounts and folders, the live connection, the open folder's view (for drag and drop onto
// the folder column), and the state of the drawer and the help overlay.
import { getContext, setContext } from 'svelte';
import type { LiveConnection } from './live.svelte';
import type { MailboxView } from './mailbox.svelte';
import type { MailStore } from './mail.svelte';

export class MailUi {
  view = $state<MailboxView | null>(null);
  navOpen = $state(false);
  helpOpen = $state(false);
  live = $state<LiveConnection | null>(null);

  constructor(readonly store: MailStore) {}
}

const KEY = Symbol('mail-ui');
export const setMailUi = (ui: MailUi) => setContext(KEY, ui);
export const mailUi = () => getContext<MailUi>(KEY);

/** The path of a folder's list, and of a message in it. */
export function folderHref(accountId: string, folderId: string): string {
  return `/mail/${accountId}/${folderId}`;
}
export function messageHref(
  accountId: string,
  folderId: string,
  messageId: string,
  ofAccount?: string
): string {
  return `${folderHref(accountId, folderId)}/${messageId}${ofAccount ? `?account=${ofAccount}` : ''}`;
}
