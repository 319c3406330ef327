import { z } from 'zod';
import {
  discardDraft,
  getDraft,
  openDraftMessage,
  saveDraft,
  saveDraftSchema
} from '../../../compose/drafts.js';
import { accountProcedure } from '../../init.js';
import { scope } from './deps.js';

/** Autosave: a new version of the draft (created on the first save); returns its id. */
export const saveDraftProcedure = accountProcedure.input(saveDraftSchema).mutation(({ ctx, input }) => {
  const { accountId: _, ...fields } = input;
  return saveDraft({ db: ctx.db, env: ctx.env, producer: ctx.producer }, scope(ctx), ctx.account, fields);
});

/** A draft of this user, to continue writing it. */
export const getDraftProcedure = accountProcedure
  .input(z.object({ draftId: z.uuid({ error: 'Not a draft id.' }) }))
  .query(({ ctx, input }) =>
    getDraft({ db: ctx.db, env: ctx.env }, scope(ctx), ctx.account.id, input.draftId)
  );

/** A message of the Drafts folder opened in the composer. */
export const openDraftProcedure = accountProcedure
  .input(z.object({ messageId: z.uuid({ error: 'Not a message id.' }) }))
  .query(({ ctx, input }) =>
    openDraftMessage(
      { db: ctx.db, env: ctx.env, producer: ctx.producer },
      scope(ctx),
      { ...ctx.account, tenantId: ctx.user.tenantId },
      input.messageId
    )
  );

/** Throws a draft away, here and in the Drafts folder. */
export const discardDraftProcedure = accountProcedure
  .input(z.object({ draftId: z.uuid({ error: 'Not a draft id.' }) }))
  .mutation(({ ctx, input }) =>
    discardDraft(
      { db: ctx.db, env: ctx.env, producer: ctx.producer },
      scope(ctx),
      ctx.account.id,
      input.draftId
    )
  );
