import { router } from '../../init.js';
import { getProcedure } from './get.js';
import { listProcedure } from './list.js';
import { listAllInboxesProcedure } from './list-all-inboxes.js';
import { searchProcedure } from './search.js';
import { setFlagsProcedure } from './set-flags.js';
import { archiveProcedure, junkProcedure } from './archive.js';
import { copyProcedure } from './copy.js';
import { deleteProcedure } from './delete.js';
import { moveProcedure } from './move.js';
import { threadCountsProcedure, threadProcedure } from './thread.js';
import { trustSenderProcedure } from './trust-sender.js';
import { untrustSenderProcedure } from './untrust-sender.js';

export const messagesRouter = router({
  list: listProcedure,
  get: getProcedure,
  setFlags: setFlagsProcedure,
  move: moveProcedure,
  copy: copyProcedure,
  delete: deleteProcedure,
  archive: archiveProcedure,
  junk: junkProcedure,
  thread: threadProcedure,
  threadCounts: threadCountsProcedure,
  listAllInboxes: listAllInboxesProcedure,
  trustSender: trustSenderProcedure,
  untrustSender: untrustSenderProcedure,
  search: searchProcedure
});
