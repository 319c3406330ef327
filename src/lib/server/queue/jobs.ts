// The typed registry of every job: its queue and the schema of its payload. Jobs carry ids,
// not data; a handler re-reads what it needs. The worker refuses to start when a job named
// here has no handler.
import { z } from 'zod';

export const QUEUES = ['sync', 'send', 'maintenance'] as const;
export type QueueName = (typeof QUEUES)[number];

const uuid = z.uuid();

export const jobs = {
  /** Fetch, parse and store the text and HTML of one message (on first open; prefetch: fetchBodies). */
  'imap.fetchBody': {
    queue: 'sync',
    payload: z.object({ accountId: uuid, messageId: uuid })
  },
  /**
   * Prefetch: fetch, parse and store the bodies of up to 100 messages of one account with one
   * IMAP login (one UID FETCH per folder); the rendering happens after the connection is closed.
   */
  'imap.fetchBodies': {
    queue: 'sync',
    payload: z.object({ accountId: uuid, messageIds: z.array(uuid).min(1).max(100) })
  },
  /**
   * Render a fetched body again (sanitised HTML and text, stored on the row) when it was rendered
   * by older rules than RENDER_VERSION, or before bodies were rendered at all. CPU only, no IMAP.
   */
  'mail.render': {
    queue: 'sync',
    payload: z.object({ accountId: uuid, messageId: uuid })
  },
  /** Carry a flag change the user made (already in PostgreSQL) to the IMAP server. */
  'imap.setFlags': {
    queue: 'sync',
    payload: z.object({
      accountId: uuid,
      messageIds: z.array(uuid).min(1).max(1000),
      add: z.array(z.string().min(1)).max(10),
      remove: z.array(z.string().min(1)).max(10)
    })
  },
  /** Carry moves the user made (rows already in their new folder) to the IMAP server. */
  'imap.moveMessages': {
    queue: 'sync',
    payload: z.object({ accountId: uuid, messageIds: z.array(uuid).min(1).max(1000) })
  },
  /** Expunge messages the user deleted for good (rows already hidden). */
  'imap.expunge': {
    queue: 'sync',
    payload: z.object({ accountId: uuid, messageIds: z.array(uuid).min(1).max(1000) })
  },
  /** Copy messages to another folder; the copies arrive with the next sync of that folder. */
  'imap.copyMessages': {
    queue: 'sync',
    payload: z.object({ accountId: uuid, messageIds: z.array(uuid).min(1).max(1000), toFolderId: uuid })
  },
  /** Folder changes wait for the server's answer (the app shows it): create, rename, delete. */
  'imap.folderCreate': {
    queue: 'sync',
    payload: z.object({
      accountId: uuid,
      name: z.string().min(1).max(200),
      parentId: uuid.nullish(),
      /** archive/junk: a folder of that name that exists already is just as good */
      existingOk: z.boolean().default(false)
    })
  },
  'imap.folderRename': {
    queue: 'sync',
    payload: z.object({ accountId: uuid, folderId: uuid, name: z.string().min(1).max(200) })
  },
  'imap.folderDelete': {
    queue: 'sync',
    payload: z.object({ accountId: uuid, folderId: uuid })
  },
  /**
   * Copy one MIME part (or the whole message, part "raw") from IMAP into PartCache/PartChunk
   * in chunks as it arrives; the app streams the chunks to the browser as they land.
   */
  'imap.fetchPart': {
    queue: 'sync',
    payload: z.object({
      accountId: uuid,
      messageId: uuid,
      part: z.string().regex(/^(raw|\d+(\.\d+)*)$/, 'must be "raw" or an IMAP part number')
    })
  },
  /** Send one outbox message (claims the row; a second run of the same message finds it taken). */
  'send.message': {
    queue: 'send',
    payload: z.object({ outboxId: uuid })
  },
  /** Put the copy of a sent message in the account's Sent folder (unless it is there already). */
  'send.appendSent': {
    queue: 'send',
    payload: z.object({ outboxId: uuid })
  },
  /**
   * Bring the account's Drafts folder in line with a Draft row: append its newest version and
   * delete every older copy (or, for a sent or discarded draft, every copy, then the row).
   */
  'draft.sync': {
    queue: 'sync',
    payload: z.object({ draftId: uuid })
  },
  /** Aggregate an account's synced mail into its user's contacts (autocomplete). */
  'contacts.rebuild': {
    queue: 'maintenance',
    payload: z.object({ accountId: uuid })
  },
  'maintenance.pruneSessions': {
    queue: 'maintenance',
    payload: z.object({ requestedBy: z.string().optional() })
  },
  /** Deletes cached attachments (PartCache) not read for PART_CACHE_DAYS. */
  'maintenance.prunePartCache': {
    queue: 'maintenance',
    payload: z.object({ requestedBy: z.string().optional() })
  },
  /** Deletes composer uploads no draft or composer needs any more. */
  'maintenance.pruneUploads': {
    queue: 'maintenance',
    payload: z.object({ requestedBy: z.string().optional() })
  }
} as const satisfies Record<string, { queue: QueueName; payload: z.ZodType }>;

export type JobName = keyof typeof jobs;
export type JobPayload<N extends JobName> = z.infer<(typeof jobs)[N]['payload']>;
export const jobNames = Object.keys(jobs) as JobName[];

export function queueOf(name: JobName): QueueName {
  return jobs[name].queue;
}

export function queuePrefix(): string {
  return process.env.QUEUE_PREFIX || 'emailclient';
}
