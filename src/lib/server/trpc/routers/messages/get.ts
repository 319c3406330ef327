import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { accountProcedure } from '../../init.js';

const BODY_WAIT_MS = 20_000;

/**
 * One message with its body. The first open has the worker fetch and parse the body (the app
 * never talks IMAP itself); later opens, and prefetched recent mail, are read from PostgreSQL.
 */
export const getProcedure = accountProcedure
  .input(z.object({ messageId: z.uuid() }))
  .query(async ({ ctx, input }) => {
    const where = { id: input.messageId, tenantId: ctx.user.tenantId, accountId: ctx.account.id };
    const first = await ctx.db.message.findFirst({ where, select: { id: true, bodyFetchedAt: true } });
    if (!first)
      throw new AppError(
        'NOT_FOUND',
        'That message does not exist any more (it may have been moved or deleted).'
      );
    if (!first.bodyFetchedAt) {
      try {
        await ctx.producer.run(
          'imap.fetchBody',
          { accountId: ctx.account.id, messageId: first.id },
          `body-${first.id}`,
          BODY_WAIT_MS
        );
      } catch (err) {
        ctx.log.warn({ err, messageId: first.id }, 'fetching a message body failed');
        throw new AppError(
          'PRECONDITION_FAILED',
          'The mail server did not hand over this message in time. Try again in a moment.'
        );
      }
    }
    const msg = await ctx.db.message.findFirst({
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
        textBody: true,
        htmlBody: true,
        bodyFetchedAt: true,
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
    if (!msg)
      throw new AppError(
        'NOT_FOUND',
        'That message does not exist any more (it may have been moved or deleted).'
      );
    return msg;
  });
