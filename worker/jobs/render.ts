import { RENDER_VERSION } from '../../src/lib/server/mail/render-store.js';
import type { JobHandler } from '../registry.js';

/**
 * Renders a stored body again: asked for by messages.get when the row's render is older than
 * RENDER_VERSION (fetched before bodies were rendered, or before a sanitiser change). Nothing to
 * do when the row is current (a second caller, or a newer worker got there first). The render
 * runs on a render thread (worker/render/pool.ts); one that takes too long is stored as failed,
 * with its reason, like at fetch time.
 */
export const renderJob: JobHandler<'mail.render'> = async (p, ctx) => {
  const msg = await ctx.db.message.findFirst({
    where: { id: p.messageId, accountId: p.accountId },
    select: {
      id: true,
      textBody: true,
      htmlBody: true,
      bodyFetchedAt: true,
      renderVersion: true,
      attachments: { select: { id: true, contentId: true } }
    }
  });
  if (!msg) return { skipped: 'message gone' };
  if (!msg.bodyFetchedAt) return { skipped: 'body not fetched' };
  if (msg.renderVersion >= RENDER_VERSION) return { skipped: 'already rendered' };
  const { rendered, ms } = await ctx.renderer.render(
    { body: { htmlBody: msg.htmlBody, textBody: msg.textBody }, attachments: msg.attachments },
    { messageId: msg.id, log: ctx.log }
  );
  // only over the body it was made from: a body fetched again meanwhile has its own render
  const { count } = await ctx.db.message.updateMany({
    where: { id: msg.id, bodyFetchedAt: msg.bodyFetchedAt },
    data: rendered
  });
  ctx.log.info(
    {
      messageId: msg.id,
      fromVersion: msg.renderVersion,
      toVersion: RENDER_VERSION,
      ms,
      stored: count === 1,
      failed: rendered.renderError !== null
    },
    'message body re-rendered'
  );
  return { rendered: count === 1, ms, renderError: rendered.renderError };
};
