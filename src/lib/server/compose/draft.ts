/**
 * What the user typed into the composer: the input of compose.send (and edit), and the part
 * of it kept in OutboxMessage.draft so that undo, cancel and edit can hand it back to the
 * composer. Pure: no I/O.
 */
import { z } from 'zod';
import { recipientList, type Recipient } from './address.js';
import { normalizeMessageId } from './mime.js';

const msgId = z.string().transform((v, ctx) => {
  const id = normalizeMessageId(v);
  if (!id) {
    ctx.addIssue({ code: 'custom', message: `"${v.slice(0, 80)}" is not a Message-ID (<id@domain>).` });
    return z.NEVER;
  }
  return id;
});

/**
 * A file of the message, by the id POST /api/uploads gave it (the bytes never travel in the
 * JSON); the server reads it back for this tenant and user only.
 */
export const attachmentInput = z.object({
  uploadId: z.uuid({ error: 'Not an upload id: attach the file again.' }),
  /** set for an image the HTML shows with <img src="cid:..."> */
  cid: z
    .string()
    .regex(/^[\w.@+-]{1,200}$/, 'Not a valid content id.')
    .nullish()
});
export type AttachmentInput = z.output<typeof attachmentInput>;

/** Fields of compose.send besides accountId. */
export const sendFieldsSchema = z.object({
  to: recipientList(500),
  cc: recipientList(500),
  bcc: recipientList(500),
  subject: z.string().max(2000, 'The subject is too long (2000 characters at most).').default(''),
  text: z.string().max(5_000_000, 'The text is too long.').default(''),
  html: z.string().max(10_000_000, 'The message is too long.').nullish(),
  inReplyTo: msgId.nullish(),
  references: z.array(msgId).max(200).default([]),
  /** files sent with the message, uploaded before (POST /api/uploads) */
  attachments: z.array(attachmentInput).max(100, 'At most 100 attachments.').default([]),
  /** attachments of a stored message sent along (a forward): read from the PartCache */
  forward: z
    .array(z.object({ messageId: z.uuid(), attachmentId: z.uuid() }))
    .max(100, 'At most 100 attachments.')
    .default([]),
  /** the stored message this replies to: flagged \Answered once the reply has gone out */
  answers: z.uuid().nullish(),
  /** the autosaved draft this message came from: deleted when it is sent */
  draftId: z.uuid().nullish(),
  /** the From address: the account's address or one of its aliases (default: the address) */
  from: z.string().max(320).nullish(),
  /** send later: held on the server until then */
  sendAt: z.coerce.date({ error: 'Not a date and time.' }).nullish(),
  /** seconds to hold the message for Undo (default: SEND_UNDO_SECONDS) */
  undoSeconds: z.number().int().min(0).max(300).optional()
});
export type SendFields = z.output<typeof sendFieldsSchema>;

const storedRecipient = z.object({ name: z.string().nullable(), address: z.string() });

/** OutboxMessage.draft */
export const storedDraftSchema = z.object({
  from: storedRecipient,
  to: z.array(storedRecipient).default([]),
  cc: z.array(storedRecipient).default([]),
  bcc: z.array(storedRecipient).default([]),
  subject: z.string().default(''),
  text: z.string().default(''),
  html: z.string().nullable().default(null),
  inReplyTo: z.string().nullable().default(null),
  references: z.array(z.string()).default([]),
  attachments: z
    .array(
      z.object({
        filename: z.string(),
        contentType: z.string(),
        size: z.number().int(),
        cid: z.string().nullable()
      })
    )
    .default([]),
  sendAt: z.string().nullable().default(null),
  answers: z.string().nullable().default(null),
  replyTo: z.array(storedRecipient).default([])
});
export type StoredDraft = z.output<typeof storedDraftSchema>;

export function toStoredDraft(
  f: SendFields,
  from: Recipient,
  files: { filename: string; contentType: string; size: number; cid?: string | null }[]
): StoredDraft {
  return {
    from,
    to: f.to,
    cc: f.cc,
    bcc: f.bcc,
    subject: f.subject,
    text: f.text,
    html: f.html ?? null,
    inReplyTo: f.inReplyTo ?? null,
    references: f.references,
    attachments: files.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      cid: a.cid ?? null
    })),
    sendAt: f.sendAt ? f.sendAt.toISOString() : null,
    answers: f.answers ?? null,
    replyTo: []
  };
}

/** A stored draft, read leniently: a row written by an older version still opens. */
export function readDraft(json: unknown): StoredDraft {
  const r = storedDraftSchema.safeParse(json);
  return r.success
    ? r.data
    : storedDraftSchema.parse({ from: { name: null, address: '' }, ...(json as object) });
}
