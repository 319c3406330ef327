import { router } from '../../init.js';
import { cancelProcedure } from './cancel.js';
import { editProcedure } from './edit.js';
import { listProcedure } from './list.js';
import { retryProcedure } from './retry.js';
import { sendProcedure } from './send.js';
import { templateProcedure } from './template.js';
import {
  discardDraftProcedure,
  getDraftProcedure,
  openDraftProcedure,
  saveDraftProcedure
} from './drafts.js';
import { suggestProcedure } from './suggest.js';
import { outboxGetProcedure } from './outbox-get.js';
import { identityProcedure, setIdentityProcedure } from './identity.js';

export const composeRouter = router({
  send: sendProcedure,
  cancel: cancelProcedure,
  list: listProcedure,
  retry: retryProcedure,
  edit: editProcedure,
  template: templateProcedure,
  saveDraft: saveDraftProcedure,
  getDraft: getDraftProcedure,
  openDraft: openDraftProcedure,
  discardDraft: discardDraftProcedure,
  suggest: suggestProcedure,
  outboxGet: outboxGetProcedure,
  identity: identityProcedure,
  setIdentity: setIdentityProcedure
});
