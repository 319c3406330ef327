import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';

/** /mail opens the first mailbox's inbox; without mailboxes the page explains how to add one. */
export const load: PageServerLoad = async ({ parent }) => {
  const { accounts } = await parent();
  const first = accounts[0];
  if (first) {
    const inbox = first.folders.find((f) => f.specialUse === '\\Inbox') ?? first.folders[0];
    if (inbox) redirect(303, `/mail/${first.id}/${inbox.id}`);
  }
  return {};
};
