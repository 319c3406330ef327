// The composer's state: the message being written (one at a time), its autosave, sending with
// undo, and the outbox with live status. Nothing the user typed is dropped on an error: a
// failed save or send leaves the composer open with the text in it and says why.
/* eslint-disable svelte/prefer-svelte-reactivity -- the Maps and Sets here are bookkeeping,
   never rendered; what is rendered lives in $state fields */
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
  /** base64, null while the file is read (or for a forwarded part, which stays on the server) */
  content: string | null;
  /** 0..1 while reading */
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
type AttachmentContent = { filename: string; contentType: string; cid: string | null; content: string };

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

/** The reverse, for a draft opened again: cid: images shown from the parts that came with it. */
function incomingHtml(html: string, files: FileItem[]): string {
  if (!html.includes('cid:')) return html;
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  for (const img of doc.querySelectorAll('img[src^="cid:"]')) {
    const cid = img.getAttribute('src')!.slice(4);
    const f = files.find((x) => x.cid === cid && x.content);
    if (!f) continue;
    img.setAttribute('src', `data:${f.contentType};base64,${f.content}`);
    img.setAttribute('data-cid', cid);
  }
  return doc.body.innerHTML;
}

function fileFromContent(a: AttachmentContent): FileItem {
  return {
    key: crypto.randomUUID(),
    filename: a.filename,
    contentType: a.contentType,
    size:
      Math.floor((a.content.length * 3) / 4) -
      (a.content.endsWith('==') ? 2 : a.content.endsWith('=') ? 1 : 0),
    content: a.content,
    progress: 1,
    cid: a.cid,
    forward: null,
    error: null
  };
}

/** A file read as base64, reporting progress. */
export function readFile(file: File, onprogress: (p: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onprogress = (e) => e.lengthComputable && onprogress(e.loaded / e.total);
    r.onerror = () => reject(r.error ?? new Error('could not read the file'));
    r.onload = () => {
      const url = String(r.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    r.readAsDataURL(file);
  });
}

export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
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
  sendError = $state<string | null>(null);
  fieldErrors = $state<Record<string, string>>({});
  /** bumped when the editor must take html from here (opened, switched mode) */
  loadSeq = $state(0);
  private filesChanged = true;
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
    const files = this.files.filter((f) => !f.forward && (!f.cid || inline.includes(f)) && f.content);
    return files.map((f) => ({
      filename: f.filename,
      contentType: f.contentType || 'application/octet-stream',
      content: f.content!,
      cid: f.cid
    }));
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

  get reading(): boolean {
    return this.files.some((f) => f.content === null && !f.forward && !f.error);
  }

  /** Autosave now (also on close). Keeps the composer's text whatever the server answers. */
  async save(): Promise<void> {
    clearTimeout(this.timer);
    if (this.saving) await this.saving;
    if (this.closed || this.outboxId || this.saveState === 'clean' || this.saveState === 'saved') return;
    if (this.reading) {
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
    if (this.reading) this.sendError = 'Wait until the attachments are read.';
    this.fieldErrors = problems;
    if (Object.keys(problems).length || this.reading) return false;
    clearTimeout(this.timer);
    if (this.saving) await this.saving;
    this.sending = true;
    this.sendError = null;
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
    for (const file of Array.from(list)) {
      const total = this.files.reduce((n, f) => n + f.size, 0) + file.size;
      // base64 makes every attachment a third bigger on the wire
      if (Math.ceil((total * 4) / 3) > max) {
        toasts.error(
          `"${file.name}" is too big to send: a message can be at most ${bytesText(max)} (attachments grow by a third when sent).`
        );
        continue;
      }
      const image = inline && !this.plain && /^image\/(png|jpe?g|gif|webp)$/.test(file.type);
      const item: FileItem = {
        key: crypto.randomUUID(),
        filename: file.name || (image ? 'image.png' : 'file'),
        contentType: file.type || 'application/octet-stream',
        size: file.size,
        content: null,
        progress: 0,
        cid: image ? newCid() : null,
        forward: null,
        error: null
      };
      this.files = [...this.files, item];
      const live = () => this.files.find((f) => f.key === item.key);
      try {
        const content = await readFile(file, (p) => {
          const f = live();
          if (f) f.progress = p;
        });
        const f = live();
        if (!f) continue;
        f.content = content;
        f.progress = 1;
        if (image && insertImage) insertImage(`data:${item.contentType};base64,${content}`, item.cid!);
      } catch (e) {
        const f = live();
        if (f) f.error = `Could not read the file: ${(e as Error).message}`;
      }
      this.touch(true);
    }
  }

  removeFile(key: string): void {
    this.files = this.files.filter((f) => f.key !== key);
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
        files: t.forward.map((f) => ({
          key: crypto.randomUUID(),
          filename: f.filename,
          contentType: f.contentType,
          size: f.size,
          content: null,
          progress: 1,
          cid: f.inline ? f.cid : null,
          forward: { messageId: f.messageId, attachmentId: f.attachmentId },
          error: null
        }))
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
      const files = d.attachments.map(fileFromContent);
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
        files: [
          ...files,
          ...d.forward.map((f) => ({
            key: crypto.randomUUID(),
            filename: f.filename,
            contentType: f.contentType,
            size: f.size,
            content: null,
            progress: 1,
            cid: f.inline ? f.cid : null,
            forward: { messageId: f.messageId, attachmentId: f.attachmentId },
            error: null
          }))
        ],
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
      attachmentContents: AttachmentContent[];
    },
    outboxId: string | null = null
  ): Promise<void> {
    const files = draft.attachmentContents.map(fileFromContent);
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
