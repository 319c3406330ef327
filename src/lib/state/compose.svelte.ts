// The composer's state: the message being written (one at a time), its autosave, sending with
// undo, and the outbox with live status. Nothing the user typed is dropped on an error: a
// failed save or send leaves the composer open with the text in it and says why.
/* eslint-disable svelte/prefer-svelte-reactivity -- the Maps and Sets here are bookkeeping,
   never rendered; what is rendered lives in $state fields */
import { formatBytes } from '$lib/format-bytes';
import { TRPCClientError } from '@trpc/client';
import type { LiveEvent } from '$lib/server/realtime/events';
import { errorsOf, messageOf, trpc } from '$lib/trpc';
import { toasts } from './toasts.svelte';

export type Mode = 'new' | 'reply' | 'replyAll' | 'forward';

export interface Identity {
  accountId: string;
  email: string;
  name: string | null;
  aliases: string[];
  replyTo: string | null;
  signature: string | null;
  maxMessageBytes: number;
  undoSeconds: number;
}

export interface FileItem {
  key: string;
  filename: string;
  contentType: string;
  size: number;
  /** the file on the server (POST /api/uploads); null while it uploads (and for a forwarded part) */
  uploadId: string | null;
  /** 0..1: the bytes sent so far (1 once the server has the file) */
  progress: number;
  /** an image shown in the text (sent as an inline cid: part) */
  cid: string | null;
  /** a part of the original message, sent along by the server */
  forward: { messageId: string; attachmentId: string } | null;
  error: string | null;
}

export interface OutboxItem {
  id: string;
  accountId: string;
  state: 'queued' | 'sending' | 'sent' | 'failed' | 'cancelled';
  scheduled: boolean;
  sendAfter: string | Date;
  lastError: string | null;
  subject: string;
  to: { name: string | null; address: string }[];
  attempts: number;
}

type Addr = { name: string | null; address: string };
/** A file on the server, as the upload endpoint and a reopened draft hand it over. */
export type UploadRef = {
  uploadId: string;
  filename: string;
  contentType: string;
  size: number;
  cid: string | null;
};

export interface Prefill {
  mode?: Mode;
  to?: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  html?: string;
  text?: string;
  plain?: boolean;
  quoteHtml?: string;
  quoteText?: string;
  inReplyTo?: string | null;
  references?: string[];
  answers?: string | null;
  files?: FileItem[];
  draftId?: string | null;
  adopts?: string | null;
  outboxId?: string | null;
  /** the text already carries the signature (a resumed draft) */
  signed?: boolean;
}

const AUTOSAVE_MS = 2000;

// ---------------------------------------------------------------------------------------------
// addresses

/** `Jane <jane@x.org>` → `jane@x.org`; a bare address as is. */
export function addressPart(s: string): string {
  const m = /<([^<>]*)>\s*$/.exec(s);
  return (m ? m[1]! : s).trim().replace(/^mailto:/i, '');
}

/**
 * A light check as the user types (the server holds every address to RFC 5322 and a real
 * domain): one @, something before it, a dotted domain after it, no spaces. Null when fine.
 */
export function addressProblem(s: string): string | null {
  const a = addressPart(s);
  if (!a) return 'Empty address.';
  if (!a.includes('@')) return `"${a}" has no @.`;
  const at = a.lastIndexOf('@');
  const local = a.slice(0, at);
  const domain = a.slice(at + 1);
  if (!local) return `"${a}" has nothing before the @.`;
  if (!domain) return `"${a}" has nothing after the @.`;
  if (/\s/.test(a) && !/^".*"@/.test(a)) return `"${a}" contains a space.`;
  if (!/^[^.\s@]+(\.[^.\s@]+)+$/.test(domain) && !/^\[[\d.]+\]$/.test(domain))
    return `"${domain}" is not a full domain name (like example.com).`;
  return null;
}

/** Splits pasted text ("a@x, Bob <b@y>; c@z") into addresses, respecting quotes and brackets. */
export function splitAddresses(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    else if (ch === '<' && !quoted) angle = true;
    else if (ch === '>' && !quoted) angle = false;
    if (!quoted && !angle && (ch === ',' || ch === ';' || ch === '\n')) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function formatAddr(a: Addr): string {
  if (!a.name) return a.address;
  const name = /[",<>@;:]/.test(a.name) ? JSON.stringify(a.name) : a.name;
  return `${name} <${a.address}>`;
}

// ---------------------------------------------------------------------------------------------
// html helpers (browser only)

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function textToHtml(text: string): string {
  return text
    .split('\n')
    .map((l) => `<div>${l ? escapeHtml(l) : '<br>'}</div>`)
    .join('');
}

export function htmlToText(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const br of doc.querySelectorAll('br')) br.replaceWith('\n');
  for (const b of doc.querySelectorAll('div,p,li,h1,h2,h3,blockquote,pre,tr'))
    b.append(doc.createTextNode('\n'));
  return (doc.body.textContent ?? '').replace(/\n{3,}/g, '\n\n').replace(/\n+$/, '\n');
}

export function signatureHtml(sig: string | null): string {
  return sig
    ? `<div><br></div><div class="mb-signature">-- <br>${escapeHtml(sig).replace(/\n/g, '<br>')}</div>`
    : '';
}

function newCid(): string {
  return `${crypto.randomUUID()}@inline`;
}

/** The editor's HTML with its inline images pointed at their cid: parts, and those parts. */
function outgoingHtml(html: string, files: FileItem[]): { html: string; inline: FileItem[] } {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const used = new Set<string>();
  for (const img of doc.querySelectorAll('img[data-cid]')) {
    const cid = img.getAttribute('data-cid')!;
    used.add(cid);
    img.setAttribute('src', `cid:${cid}`);
    img.removeAttribute('data-cid');
  }
  return { html: doc.body.innerHTML, inline: files.filter((f) => f.cid && used.has(f.cid)) };
}

/** Where the composer shows an uploaded image from (its owner only; see /api/uploads/[id]). */
export const uploadUrl = (uploadId: string) => `/api/uploads/${uploadId}`;

/** The reverse, for a draft opened again: cid: images shown from the uploads that came with it. */
function incomingHtml(html: string, files: FileItem[]): string {
  if (!html.includes('cid:')) return html;
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  for (const img of doc.querySelectorAll('img[src^="cid:"]')) {
    const cid = img.getAttribute('src')!.slice(4);
    const f = files.find((x) => x.cid === cid && x.uploadId);
    if (!f) continue;
    img.setAttribute('src', uploadUrl(f.uploadId!));
    img.setAttribute('data-cid', cid);
  }
  return doc.body.innerHTML;
}

/** An attachment of a stored message sent along (a forward): it stays on the server. */
function fileFromForward(f: {
  filename: string;
  contentType: string;
  size: number;
  inline: boolean;
  cid: string | null;
  messageId: string;
  attachmentId: string;
}): FileItem {
  return {
    key: crypto.randomUUID(),
    filename: f.filename,
    contentType: f.contentType,
    size: f.size,
    uploadId: null,
    progress: 1,
    cid: f.inline ? f.cid : null,
    forward: { messageId: f.messageId, attachmentId: f.attachmentId },
    error: null
  };
}

export function fileFromUpload(a: UploadRef): FileItem {
  return {
    key: crypto.randomUUID(),
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    uploadId: a.uploadId,
    progress: 1,
    cid: a.cid,
    forward: null,
    error: null
  };
}

/**
 * The biggest file that can be sent: a message is at most `maxMessageBytes` as sent, and an
 * attachment grows by a third when encoded (the server's uploadLimit).
 */
export function fileLimit(maxMessageBytes: number): number {
  return Math.floor((maxMessageBytes * 3) / 4);
}

/** The server's 413 message, said before a byte is sent. */
export function tooBigText(name: string, maxMessageBytes: number): string {
  return `"${name}" is too big: a file can be at most ${formatBytes(fileLimit(maxMessageBytes))} (a message can be at most ${formatBytes(maxMessageBytes)}, and attachments grow by a third when sent).`;
}

/** The upload was cancelled (the file removed while it uploaded). */
export class UploadCancelled extends Error {}

export interface Upload {
  done: Promise<UploadRef>;
  abort: () => void;
}

/**
 * Uploads one file (the raw bytes as the body) with XMLHttpRequest, for its upload progress.
 * Rejects with the server's message (a 413 says how big a file may be), or UploadCancelled.
 */
export function uploadFile(
  file: Blob,
  filename: string,
  contentType: string,
  onprogress: (sent: number, total: number) => void
): Upload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<UploadRef>((resolve, reject) => {
    xhr.open('POST', `/api/uploads?filename=${encodeURIComponent(filename)}`);
    xhr.setRequestHeader('content-type', contentType || 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onprogress(e.loaded, e.total);
    };
    xhr.onload = () => {
      let body: {
        id?: string;
        filename?: string;
        contentType?: string;
        size?: number;
        error?: { message?: string };
      } = {};
      try {
        body = JSON.parse(xhr.responseText || '{}');
      } catch {
        // not JSON: a proxy's page; the status says enough
      }
      if (xhr.status === 201 && body.id)
        resolve({
          uploadId: body.id,
          filename: body.filename ?? filename,
          contentType: body.contentType ?? contentType,
          size: body.size ?? file.size,
          cid: null
        });
      else
        reject(
          new Error(
            body.error?.message ??
              (xhr.status === 413
                ? `"${filename}" is too big to send.`
                : `The server refused the file (HTTP ${xhr.status}). Try again.`)
          )
        );
    };
    xhr.onerror = () =>
      reject(
        new Error('The upload broke off (is the connection down?). Remove the file and attach it again.')
      );
    xhr.onabort = () => reject(new UploadCancelled('cancelled'));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Drops an upload on the server (a file removed before it was ever saved in a draft). */
function dropUpload(uploadId: string): Promise<void> {
  return fetch(uploadUrl(uploadId), { method: 'DELETE' }).then(
    () => {},
    () => {} // pruned later anyway
  );
}

// ---------------------------------------------------------------------------------------------

/** One message being written. */
export class Draft {
  accountId = $state('');
  /** the From address (the account's, or one of its aliases); null: the account's */
  from = $state<string | null>(null);
  mode = $state<Mode>('new');
  to = $state<string[]>([]);
  cc = $state<string[]>([]);
  bcc = $state<string[]>([]);
  showCc = $state(false);
  showBcc = $state(false);
  subject = $state('');
  html = $state('');
  text = $state('');
  plain = $state(false);
  quoteHtml = $state('');
  quoteText = $state('');
  includeQuote = $state(true);
  inReplyTo: string | null = null;
  references: string[] = [];
  answers: string | null = null;
  files = $state<FileItem[]>([]);
  draftId = $state<string | null>(null);
  adopts: string | null = null;
  outboxId = $state<string | null>(null);
  minimized = $state(false);
  saveState = $state<'clean' | 'dirty' | 'saving' | 'saved' | 'error'>('clean');
  saveError = $state<string | null>(null);
  sending = $state(false);
  /** Send was pressed while files were still uploading: it goes once they are up */
  waitingForUploads = $state(false);
  sendError = $state<string | null>(null);
  fieldErrors = $state<Record<string, string>>({});
  /** bumped when the editor must take html from here (opened, switched mode) */
  loadSeq = $state(0);
  private filesChanged = true;
  /** uploads running, by file key */
  private uploads = new Map<string, Upload>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> | null = null;
  closed = false;

  constructor(
    readonly owner: ComposeState,
    accountId: string
  ) {
    this.accountId = accountId;
  }

  /** Nothing typed yet (a signature alone does not count): closing needs no draft. */
  get empty(): boolean {
    const body = (this.plain ? this.text : htmlToText(this.html)).split(/^-- ?$/m)[0]!.trim();
    return (
      !this.to.length &&
      !this.cc.length &&
      !this.bcc.length &&
      !this.subject.trim() &&
      !body &&
      !this.files.length
    );
  }

  /** Something changed: save a couple of seconds after the typing stops. */
  touch(files = false): void {
    if (this.closed) return;
    if (files) this.filesChanged = true;
    this.saveState = 'dirty';
    this.fieldErrors = {};
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.save(), AUTOSAVE_MS);
  }

  private bodyParts(forSend: boolean) {
    const quoteOn = this.includeQuote && (this.quoteHtml || this.quoteText);
    if (this.plain) {
      const text = this.text + (quoteOn ? `\n\n${this.quoteText}` : '');
      return { html: null as string | null, text, inline: [] as FileItem[] };
    }
    const { html, inline } = outgoingHtml(this.html, this.files);
    const full = html + (quoteOn ? `<br>${this.quoteHtml}` : '');
    return { html: full, text: forSend ? '' : htmlToText(full), inline };
  }

  private attachmentsPayload(inline: FileItem[]) {
    const files = this.files.filter((f) => !f.forward && (!f.cid || inline.includes(f)) && f.uploadId);
    return files.map((f) => ({ uploadId: f.uploadId!, cid: f.cid }));
  }

  private common(forSend: boolean) {
    const body = this.bodyParts(forSend);
    return {
      accountId: this.accountId,
      subject: this.subject,
      text: body.text,
      html: body.html,
      inReplyTo: this.inReplyTo,
      references: this.references,
      answers: this.answers,
      forward: this.files.filter((f) => f.forward).map((f) => f.forward!),
      attachments: this.attachmentsPayload(body.inline)
    };
  }

  /** Some file is still uploading. */
  get uploading(): boolean {
    return this.files.some((f) => f.uploadId === null && !f.forward && !f.error);
  }

  /** Autosave now (also on close). Keeps the composer's text whatever the server answers. */
  async save(): Promise<void> {
    clearTimeout(this.timer);
    if (this.saving) await this.saving;
    if (this.closed || this.outboxId || this.saveState === 'clean' || this.saveState === 'saved') return;
    if (this.uploading) {
      this.timer = setTimeout(() => void this.save(), 500);
      return;
    }
    if (this.empty && !this.draftId) {
      this.saveState = 'clean';
      return;
    }
    const run = async () => {
      const sentFiles = this.filesChanged;
      this.filesChanged = false;
      this.saveState = 'saving';
      const c = this.common(false);
      try {
        const res = await trpc.compose.saveDraft.mutate({
          ...c,
          draftId: this.draftId,
          to: this.to,
          cc: this.cc,
          bcc: this.bcc,
          adopts: this.draftId ? null : this.adopts,
          attachments: sentFiles || !this.draftId ? c.attachments : undefined
        });
        this.draftId = res.draftId;
        this.adopts = null;
        if (this.saveState === 'saving') this.saveState = 'saved';
        this.saveError = null;
      } catch (e) {
        if (sentFiles) this.filesChanged = true;
        this.saveState = 'error';
        this.saveError = messageOf(e);
      }
    };
    this.saving = run().finally(() => (this.saving = null));
    await this.saving;
  }

  /** Sends (or, with `sendAt`, schedules). On success the composer closes; on error it stays. */
  async send(sendAt: Date | null = null): Promise<boolean> {
    if (this.sending) return false;
    const problems: Record<string, string> = {};
    for (const [k, list] of [
      ['to', this.to],
      ['cc', this.cc],
      ['bcc', this.bcc]
    ] as const) {
      const bad = list.map(addressProblem).find((p) => p);
      if (bad) problems[k] = bad;
    }
    if (!this.to.length && !this.cc.length && !this.bcc.length) problems.to = 'Add at least one recipient.';
    this.fieldErrors = problems;
    if (Object.keys(problems).length) return false;
    const failed = this.files.filter((f) => f.error && !f.forward);
    if (failed.length) {
      this.sendError = `${failed.map((f) => `"${f.filename}"`).join(', ')} could not be attached (see the file). Remove it to send without it.`;
      return false;
    }
    this.sending = true;
    this.sendError = null;
    if (this.uploading) {
      // Send waits for the uploads still running (the button says so)
      this.waitingForUploads = true;
      await Promise.allSettled([...this.uploads.values()].map((u) => u.done));
      this.waitingForUploads = false;
      if (this.closed) return false;
      const broken = this.files.filter((f) => f.error && !f.forward);
      if (broken.length || this.uploading) {
        this.sending = false;
        this.sendError = `${broken.map((f) => `"${f.filename}"`).join(', ') || 'A file'} could not be uploaded (see the file). Remove it, or attach it again, then send.`;
        return false;
      }
    }
    clearTimeout(this.timer);
    if (this.saving) await this.saving;
    const payload = {
      ...this.common(true),
      to: this.to,
      cc: this.cc,
      bcc: this.bcc,
      draftId: this.draftId,
      from: this.from,
      sendAt: sendAt ? sendAt.toISOString() : null
    };
    try {
      const res = this.outboxId
        ? await trpc.compose.edit.mutate({ ...payload, outboxId: this.outboxId })
        : await trpc.compose.send.mutate(payload);
      this.closed = true;
      this.owner.sent(this, res);
      return true;
    } catch (e) {
      const errs = errorsOf(e);
      this.fieldErrors = errs.fields;
      this.sendError =
        errs.form ?? (Object.keys(errs.fields).length ? 'Check the fields marked in red.' : messageOf(e));
      if (e instanceof TRPCClientError && /already been sent|sent or discarded/.test(e.message))
        this.draftId = null;
      return false;
    } finally {
      this.sending = false;
    }
  }

  addAddress(field: 'to' | 'cc' | 'bcc', text: string): void {
    const parts = splitAddresses(text);
    if (!parts.length) return;
    const have = new Set(this[field].map((a) => addressPart(a).toLowerCase()));
    this[field] = [...this[field], ...parts.filter((p) => !have.has(addressPart(p).toLowerCase()))];
    this.touch();
  }

  removeAddress(field: 'to' | 'cc' | 'bcc', i: number): void {
    this[field] = this[field].filter((_, j) => j !== i);
    this.touch();
  }

  /** Adds files: images into the text (when asked and in rich mode), the rest as attachments. */
  async addFiles(list: FileList | File[], inline: boolean, insertImage?: (src: string, cid: string) => void) {
    const max = this.owner.identity?.maxMessageBytes ?? 25 * 1024 * 1024;
    const started: Promise<void>[] = [];
    for (const file of Array.from(list)) {
      const image = inline && !this.plain && /^image\/(png|jpe?g|gif|webp)$/.test(file.type);
      const item: FileItem = {
        key: crypto.randomUUID(),
        filename: file.name || (image ? 'image.png' : 'file'),
        contentType: file.type || 'application/octet-stream',
        size: file.size,
        uploadId: null,
        progress: 0,
        cid: image ? newCid() : null,
        forward: null,
        error: null
      };
      // refused here, before a byte is sent: the file shows why, nothing else changes
      const others = this.files.reduce((n, f) => n + (f.error ? 0 : f.size), 0);
      if (file.size > fileLimit(max)) item.error = tooBigText(item.filename, max);
      else if (Math.ceil(((others + file.size) * 4) / 3) > max)
        item.error = `With the other files this is too big to send: a message can be at most ${formatBytes(max)} (attachments grow by a third when sent).`;
      if (item.error) {
        item.cid = null; // shown in the list (with its message), never in the text
        this.files = [...this.files, item];
        continue;
      }
      this.files = [...this.files, item];
      started.push(this.upload(file, item, image ? insertImage : undefined));
    }
    await Promise.all(started);
  }

  private async upload(file: File, item: FileItem, insertImage?: (src: string, cid: string) => void) {
    const live = () => this.files.find((f) => f.key === item.key);
    const up = uploadFile(file, item.filename, item.contentType, (sent, total) => {
      const f = live();
      if (f && total) f.progress = sent / total;
    });
    this.uploads.set(item.key, up);
    try {
      const ref = await up.done;
      const f = live();
      if (!f) {
        // removed meanwhile: the server copy goes too
        void dropUpload(ref.uploadId);
        return;
      }
      f.uploadId = ref.uploadId;
      f.size = ref.size;
      f.progress = 1;
      if (f.cid && insertImage) insertImage(uploadUrl(ref.uploadId), f.cid);
      this.touch(true);
    } catch (e) {
      if (e instanceof UploadCancelled) return;
      const f = live();
      if (f) {
        f.error = (e as Error).message;
        f.cid = null; // an image that did not upload is listed with its error
      }
    } finally {
      this.uploads.delete(item.key);
    }
  }

  /** Removes a file: an upload still running is cancelled, one done is dropped on the server. */
  removeFile(key: string): void {
    const f = this.files.find((x) => x.key === key);
    this.uploads.get(key)?.abort();
    this.uploads.delete(key);
    this.files = this.files.filter((x) => x.key !== key);
    if (f?.error) this.sendError = null; // it was what stood in the way
    // after a save that may still be sending it (the next save goes without it)
    if (f?.uploadId) void (this.saving ?? Promise.resolve()).then(() => dropUpload(f.uploadId!));
    this.touch(true);
  }

  /** Puts the content of a Prefill in (the editor takes the HTML on loadSeq). */
  fill(p: Prefill, identity: Identity | null): void {
    this.mode = p.mode ?? 'new';
    this.to = p.to ?? [];
    this.cc = p.cc ?? [];
    this.bcc = p.bcc ?? [];
    this.showCc = this.cc.length > 0;
    this.showBcc = this.bcc.length > 0;
    this.subject = p.subject ?? '';
    this.plain = p.plain ?? false;
    this.files = p.files ?? [];
    const sig = p.signed ? '' : signatureHtml(identity?.signature ?? null);
    this.html = incomingHtml(
      (p.html ?? (p.text !== undefined && !p.html ? textToHtml(p.text) : '<div><br></div>')) + sig,
      this.files
    );
    this.text = p.text ?? htmlToText(this.html);
    this.quoteHtml = p.quoteHtml ?? '';
    this.quoteText = p.quoteText ?? '';
    this.inReplyTo = p.inReplyTo ?? null;
    this.references = p.references ?? [];
    this.answers = p.answers ?? null;
    this.draftId = p.draftId ?? null;
    this.adopts = p.adopts ?? null;
    this.outboxId = p.outboxId ?? null;
    this.filesChanged = true;
    this.saveState = p.draftId ? 'saved' : p.adopts ? 'dirty' : 'clean';
    this.loadSeq++;
  }

  dispose(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const u of this.uploads.values()) u.abort();
    this.uploads.clear();
  }
}

/** What a send returns, as the toast and the outbox need it. */
interface SendResultLike {
  outboxId: string;
  scheduled: boolean;
  sendAfter: string | Date;
}

export class ComposeState {
  current = $state<Draft | null>(null);
  identity = $state<Identity | null>(null);
  outbox = $state<OutboxItem[]>([]);
  outboxOpen = $state(false);
  busy = $state<string | null>(null);
  /** messages sent from this tab: a toast when they go out or fail */
  private mine = new Set<string>();
  private identities = new Map<string, Identity>();

  get pending(): number {
    return this.outbox.filter((o) => o.state !== 'sent' && o.state !== 'cancelled').length;
  }

  async loadIdentity(accountId: string): Promise<Identity | null> {
    const known = this.identities.get(accountId);
    if (known) return (this.identity = known);
    try {
      const id = await trpc.compose.identity.query({ accountId });
      this.identities.set(accountId, id);
      return (this.identity = id);
    } catch (e) {
      toasts.error(`Could not load the account's identity: ${messageOf(e)}`);
      return null;
    }
  }

  forgetIdentity(accountId: string): void {
    this.identities.delete(accountId);
  }

  /** Opens the composer (saving the one already open first). */
  private async start(accountId: string, prefill: Prefill): Promise<Draft> {
    const prev = this.current;
    if (prev) {
      await prev.save();
      prev.dispose();
    }
    const identity = await this.loadIdentity(accountId);
    const d = new Draft(this, accountId);
    d.fill(prefill, identity);
    this.current = d;
    return d;
  }

  compose(accountId: string): Promise<Draft> | void {
    if (
      this.current &&
      this.current.accountId === accountId &&
      this.current.mode === 'new' &&
      !this.current.closed
    ) {
      this.current.minimized = false;
      return;
    }
    return this.start(accountId, { mode: 'new' });
  }

  async reply(accountId: string, messageId: string, mode: 'reply' | 'replyAll' | 'forward'): Promise<void> {
    this.busy = mode === 'forward' ? 'Preparing the forward…' : 'Preparing the reply…';
    try {
      const t = await trpc.compose.template.query({ accountId, messageId, mode });
      await this.start(accountId, {
        mode,
        to: t.to.map(formatAddr),
        cc: t.cc.map(formatAddr),
        subject: t.subject,
        quoteHtml: t.quoteHtml,
        quoteText: t.quoteText,
        inReplyTo: t.inReplyTo,
        references: t.references,
        answers: t.answers,
        files: t.forward.map(fileFromForward)
      });
    } catch (e) {
      toasts.error(messageOf(e));
    } finally {
      this.busy = null;
    }
  }

  /** A message of the Drafts folder: continue it in the composer. */
  async openDraftMessage(accountId: string, messageId: string): Promise<void> {
    this.busy = 'Opening the draft…';
    try {
      const d = await trpc.compose.openDraft.query({ accountId, messageId });
      const files = d.attachments.map(fileFromUpload);
      await this.start(accountId, {
        to: d.to,
        cc: d.cc,
        bcc: d.bcc,
        subject: d.subject,
        html: d.html ?? undefined,
        text: d.html ? undefined : d.text,
        inReplyTo: d.inReplyTo,
        references: d.references,
        answers: d.answers,
        files: [...files, ...d.forward.map(fileFromForward)],
        draftId: d.draftId,
        adopts: d.adopts,
        signed: true
      });
    } catch (e) {
      toasts.error(messageOf(e));
    } finally {
      this.busy = null;
    }
  }

  /** What the server handed back (undo, cancel, edit) into the composer. */
  async reopen(
    draft: {
      accountId: string;
      to: Addr[];
      cc: Addr[];
      bcc: Addr[];
      subject: string;
      text: string;
      html: string | null;
      inReplyTo: string | null;
      references: string[];
      answers?: string | null;
      uploads: UploadRef[];
    },
    outboxId: string | null = null
  ): Promise<void> {
    const files = draft.uploads.map(fileFromUpload);
    await this.start(draft.accountId, {
      to: draft.to.map(formatAddr),
      cc: draft.cc.map(formatAddr),
      bcc: draft.bcc.map(formatAddr),
      subject: draft.subject,
      html: draft.html ?? undefined,
      text: draft.html ? undefined : draft.text,
      plain: !draft.html,
      inReplyTo: draft.inReplyTo,
      references: draft.references,
      answers: draft.answers ?? null,
      files,
      outboxId,
      signed: true
    });
    if (!outboxId) this.current?.touch(true); // an undone message becomes a draft again
  }

  /** Close (Esc): save the draft first; an unsaved draft keeps the composer open. */
  async close(discard = false): Promise<void> {
    const d = this.current;
    if (!d) return;
    if (discard) {
      d.dispose();
      this.current = null;
      if (d.draftId)
        await trpc.compose.discardDraft
          .mutate({ accountId: d.accountId, draftId: d.draftId })
          .then(() => toasts.show('Draft discarded.'))
          .catch((e: unknown) => toasts.error(`The draft could not be removed from Drafts: ${messageOf(e)}`));
      return;
    }
    if (d.saveState === 'dirty' || d.saveState === 'error') {
      if (d.saveState === 'error') d.saveState = 'dirty';
      await d.save();
    }
    // (save() changed it meanwhile: read it afresh)
    if ((d.saveState as string) === 'error') {
      d.minimized = false;
      toasts.error(`The draft could not be saved, so the composer stays open: ${d.saveError}`);
      return;
    }
    d.dispose();
    if (this.current === d) this.current = null;
    if (d.draftId) toasts.show('Draft saved.');
  }

  sent(d: Draft, res: SendResultLike): void {
    d.dispose();
    if (this.current === d) this.current = null;
    this.mine.add(res.outboxId);
    void this.loadOutbox();
    const at = new Date(res.sendAfter);
    if (res.scheduled) {
      toasts.show(`Scheduled for ${at.toLocaleString()}.`, {
        action: { label: 'Outbox', run: () => void (this.outboxOpen = true) }
      });
      return;
    }
    const ms = Math.max(0, at.getTime() - Date.now());
    if (ms < 500) toasts.show('Sending…');
    else
      toasts.show(`Sending in ${Math.round(ms / 1000)} s.`, {
        ms,
        action: { label: 'Undo', run: () => this.undo(res.outboxId) }
      });
  }

  /** Undo within the delay: the message comes back into the composer. */
  async undo(outboxId: string): Promise<void> {
    try {
      const res = await trpc.compose.cancel.mutate({ outboxId });
      this.mine.delete(outboxId);
      await this.reopen(res.draft);
      toasts.show('Sending undone. The message is back in the composer.');
    } catch (e) {
      toasts.error(messageOf(e));
    }
    void this.loadOutbox();
  }

  async loadOutbox(): Promise<void> {
    try {
      this.outbox = (await trpc.compose.list.query({})) as OutboxItem[];
    } catch {
      // the outbox button just shows the last count; the next event tries again
    }
  }

  async edit(outboxId: string): Promise<void> {
    try {
      const res = await trpc.compose.outboxGet.query({ outboxId });
      await this.reopen(res.draft, res.outboxId);
      this.outboxOpen = false;
    } catch (e) {
      toasts.error(messageOf(e));
    }
  }

  async cancel(outboxId: string): Promise<void> {
    try {
      const res = await trpc.compose.cancel.mutate({ outboxId });
      this.mine.delete(outboxId);
      toasts.show('Cancelled: it will not be sent.', {
        action: { label: 'Open in composer', run: () => this.reopen(res.draft) }
      });
    } catch (e) {
      toasts.error(messageOf(e));
    }
    await this.loadOutbox();
  }

  async retry(outboxId: string): Promise<void> {
    try {
      await trpc.compose.retry.mutate({ outboxId });
      this.mine.add(outboxId);
    } catch (e) {
      toasts.error(messageOf(e));
    }
    await this.loadOutbox();
  }

  apply(e: LiveEvent): void {
    if (e.type !== 'SendStatusChanged') return;
    void this.loadOutbox();
    if (!this.mine.has(e.outboxId)) return;
    if (e.state === 'sent' && !e.error) {
      this.mine.delete(e.outboxId);
      toasts.show('Message sent.');
    } else if (e.state === 'failed') {
      this.mine.delete(e.outboxId);
      toasts.show(`Not sent: ${e.error ?? 'the mail server refused it.'}`, {
        kind: 'error',
        ms: 15_000,
        action: { label: 'Outbox', run: () => void (this.outboxOpen = true) }
      });
    }
  }
}

export const composer = new ComposeState();
