import { z } from 'zod';
import { signPartUrl } from '../../../attachments/signed-url.js';
import { AppError } from '../../../errors.js';
import { RENDER_VERSION, storedBody, type MessageBody as StoredBody } from '../../../mail/render-store.js';
import { isTrustedSender } from '../../../senders/trusted.js';
import { accountProcedure } from '../../init.js';

/**
 * The body as the reader gets it; `notice` is set when the worker could not render the HTML
 * safely in time (html is then null, text may still be there): show it instead of the HTML.
 */
export type MessageBody = StoredBody & { notice?: string };

/** Shown for a body the worker gave up rendering (Message.renderError): too slow or too big. */
export const RENDER_NOTICE =
  'This message is too large or complex to display safely; download it (.eml) instead.';

/**
 * The worker fetches, parses and renders a body in one job: a 1 MB HTML mail takes it a few
 * seconds to sanitise (tens on a busy machine), a small one milliseconds.
 */
const BODY_WAIT_MS = 30_000;
const RENDER_WAIT_MS = 30_000;
const HOUR_MS = 3_600_000;
/** Signed inline-image URLs live 6 to 7 hours: whole hours, so the same URL (and the browser's
 * cached image) serves every open within the hour, and a message left open stays readable. */
const CID_URL_HOURS = 7;

function addressOf(from: unknown): string | null {
  if (typeof from !== 'object' || from === null || !('address' in from)) return null;
  const a = (from as { address: unknown }).address;
  return typeof a === 'string' && a.includes('@') ? a : null;
}

const notPrepared = () =>
  new AppError(
    'PRECONDITION_FAILED',
    'This message could not be prepared for reading just now. Try again in a moment.'
  );
const notFound = () =>
  new AppError('NOT_FOUND', 'That message does not exist any more (it may have been moved or deleted).');

/**
 * One message with its body. The first open has the worker fetch, parse and render the body
 * (the app never talks IMAP, and never runs the sanitiser: a big HTML mail takes seconds of CPU);
 * later opens, and prefetched recent mail, are a read of the stored render, with the reader's
 * signed inline-image URLs swapped in (render-store.ts). A render made by older sanitiser rules
 * (RENDER_VERSION) is redone by the worker first. Remote content shows when asked for
 * (`remoteContent`) or when the user trusts the sender.
 */
export const getProcedure = accountProcedure
  .input(z.object({ messageId: z.uuid(), remoteContent: z.boolean().optional() }))
  .query(async ({ ctx, input }) => {
    const where = { id: input.messageId, tenantId: ctx.user.tenantId, accountId: ctx.account.id };
    const first = await ctx.db.message.findFirst({
      where,
      select: { id: true, bodyFetchedAt: true, renderVersion: true, fromAddress: true }
    });
    if (!first) throw notFound();
    const sender = addressOf(first.fromAddress);
    const senderTrusted = sender
      ? await isTrustedSender(ctx.db, { tenantId: ctx.user.tenantId, userId: ctx.user.id }, sender)
      : false;
    const allowRemote = input.remoteContent === true || senderTrusted;
    const job = { accountId: ctx.account.id, messageId: first.id };
    const render = async () => {
      try {
        await ctx.producer.run('mail.render', job, `render-${first.id}`, RENDER_WAIT_MS);
      } catch (err) {
        ctx.log.warn({ err, messageId: first.id }, 'rendering a message body failed');
        throw notPrepared();
      }
    };
    if (!first.bodyFetchedAt) {
      try {
        await ctx.producer.run('imap.fetchBody', job, `body-${first.id}`, BODY_WAIT_MS);
      } catch (err) {
        ctx.log.warn({ err, messageId: first.id }, 'fetching a message body failed');
        throw new AppError(
          'PRECONDITION_FAILED',
          'This message could not be fetched from the mail server and prepared in time. Try again in a moment.'
        );
      }
    } else if (first.renderVersion < RENDER_VERSION) await render();
    const read = () =>
      ctx.db.message.findFirst({
        where,
        select: {
          id: true,
          folderId: true,
          threadId: true,
          messageId: true,
          subject: true,
          fromAddress: true,
          toAddresses: true,
          ccAddresses: true,
          bccAddresses: true,
          replyTo: true,
          date: true,
          internalDate: true,
          seen: true,
          flagged: true,
          flags: true,
          size: true,
          snippet: true,
          bodyFetchedAt: true,
          htmlSafe: true,
          // a render is up to a few MB: read the variant with remote content only when it may be shown
          htmlSafeRemote: allowRemote,
          textSafe: true,
          remoteContent: true,
          renderVersion: true,
          renderNonce: true,
          renderError: true,
          attachments: {
            select: {
              id: true,
              part: true,
              filename: true,
              contentType: true,
              size: true,
              inline: true,
              contentId: true
            }
          }
        }
      });
    let msg = await read();
    // fetched meanwhile by a worker that did not render it (an older one), or rendered by older rules
    if (msg?.bodyFetchedAt && msg.renderVersion < RENDER_VERSION && first.bodyFetchedAt === null) {
      await render();
      msg = await read();
    }
    if (!msg) throw notFound();
    if (msg.bodyFetchedAt && msg.renderVersion < RENDER_VERSION) {
      // never shown by old rules: they may be the reason the version changed
      ctx.log.warn(
        { messageId: msg.id, renderVersion: msg.renderVersion, expected: RENDER_VERSION },
        'the worker rendered a message body by older rules than the app expects'
      );
      throw notPrepared();
    }
    const {
      htmlSafe,
      htmlSafeRemote,
      textSafe,
      remoteContent,
      renderNonce,
      renderError,
      renderVersion: _v,
      ...rest
    } = msg;
    const own = new Set(msg.attachments.map((a) => a.id));
    const expiresAt = new Date((Math.floor(Date.now() / HOUR_MS) + CID_URL_HOURS) * HOUR_MS);
    const stored = storedBody(
      { htmlSafe, htmlSafeRemote: htmlSafeRemote ?? null, textSafe, remoteContent, renderNonce },
      {
        allowRemote,
        senderTrusted,
        origin: ctx.env.ORIGIN,
        // only this message's attachments, signed for the owner of the account
        partUrl: (attachmentId) =>
          own.has(attachmentId)
            ? signPartUrl(ctx.env.ENCRYPTION_KEY, {
                userId: ctx.account.userId,
                messageId: msg.id,
                attachmentId,
                expiresAt
              })
            : null
      }
    );
    // the reason itself (a timeout, memory) is for the logs, not for the reader
    const body: MessageBody = renderError ? { ...stored, notice: RENDER_NOTICE } : stored;
    return { ...rest, body };
  });
