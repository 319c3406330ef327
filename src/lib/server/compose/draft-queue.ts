// The job that brings the Drafts folder on IMAP in line with a Draft row: one job per saved
// version (a later one supersedes an earlier one: the worker always copies the newest), and
// one to remove the copies of a sent or discarded draft.
import type { Producer } from '../queue/producer.js';

export function draftJobId(draftId: string, version: number | 'delete'): string {
  return `draft-${draftId}-${version}`;
}

export async function enqueueDraftSync(
  producer: Producer,
  draftId: string,
  version: number | 'delete' = 'delete'
): Promise<void> {
  await producer.enqueue('draft.sync', { draftId }, { jobId: draftJobId(draftId, version), attempts: 6 });
}
