/**
 * Conversation threading, JWZ-style (https://www.jwz.org/doc/threading.html), adapted for a database.
 *
 * - `assignThreadId` threads one new message incrementally, asking the caller's `ThreadLookup`
 *   (implemented over the database) about already-known messages.
 * - `threadBatch` threads a whole list in memory (JWZ containers) for an initial sync.
 *
 * Both derive a new thread id deterministically from the conversation's root Message-ID, so two
 * workers racing on the same conversation pick the same id. Pure: no I/O.
 *
 * Store Message-IDs as `normalizeMessageId` returns them (and references as `parseReferences`
 * returns them): lookups compare those strings exactly.
 */
import { createHash, randomUUID } from 'node:crypto';

export interface ThreadInput {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  date: Date;
  /**
   * The ids are already as normalizeMessageId / parseReferences give them (a sync's own rows):
   * threadBatch does not normalise them again. Same result, less work for 10,000 messages.
   */
  normalized?: boolean;
  /** normalizeSubject(subject), when the caller has it already */
  subjectKey?: string;
}

/** What the threader needs to know about already-stored messages of the same account. */
export interface ThreadLookup {
  /** Thread ids of known messages (any folder of the account) whose Message-ID is one of `ids`. */
  byMessageIds(ids: string[]): Promise<{ messageId: string; threadId: string }[]>;
  /** Known messages whose normalized subject equals `normalizedSubject`, dated within [since, until]. */
  bySubject(normalizedSubject: string, since: Date, until: Date): Promise<{ threadId: string; date: Date }[]>;
  /**
   * Known messages that name `messageId` as an ancestor (In-Reply-To or References), so a parent
   * arriving after its reply joins the reply's thread.
   */
  childrenOf?(messageId: string): Promise<{ threadId: string }[]>;
}

/** How far around a message's date the subject fallback looks. */
export const SUBJECT_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

const MAX_ID_LENGTH = 512;

/**
 * `<Local@Example.COM>` → `Local@example.com`. Takes the first bracketed id when there are
 * brackets; returns null for anything that is not `local@domain`.
 */
// eslint-disable-next-line no-control-regex
const SIMPLE_ID_RE = /^\s*<?([^\s<>,;()@\x00-\x1f\x7f]+)@([^\s<>,;()@\x00-\x1f\x7f]+)>?\s*$/;

export function normalizeMessageId(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  let s = String(raw);
  const simple = s.length <= MAX_ID_LENGTH ? SIMPLE_ID_RE.exec(s) : null;
  if (simple) return `${simple[1]}@${simple[2]!.toLowerCase()}`;
  const bracketed = /<([^<>]*)>/.exec(s);
  if (bracketed) s = bracketed[1] ?? '';
  s = s.replace(/\s+/g, '').replace(/^<+/, '').replace(/>+$/, '');
  if (!s || s.length > MAX_ID_LENGTH) return null;
  // eslint-disable-next-line no-control-regex
  if (/[<>,;()\x00-\x1f\x7f]/.test(s)) return null;
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return null;
  return `${s.slice(0, at)}@${s.slice(at + 1).toLowerCase()}`;
}

/**
 * All Message-IDs of a References (or In-Reply-To) header, in order, deduplicated. Tolerates
 * missing brackets, commas, folded lines and junk between ids.
 */
export function parseReferences(header: string | string[] | null | undefined): string[] {
  if (header == null) return [];
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (id: string | null) => {
    if (id && !seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
  };
  for (const text of Array.isArray(header) ? header : [header]) {
    const simple = typeof text === 'string' && text.length <= MAX_ID_LENGTH ? SIMPLE_ID_RE.exec(text) : null;
    if (simple) {
      add(`${simple[1]}@${simple[2]!.toLowerCase()}`); // the usual case: one well-formed id per entry
      continue;
    }
    for (const m of String(text ?? '').matchAll(/<([^<>]*)>|([^\s<>,]+)/g))
      add(normalizeMessageId(m[1] ?? m[2]));
  }
  return out;
}

// Reply and forward prefixes in several languages. VS is Finnish "vastaus" (reply) but
// Danish/Norwegian "videresendt" (forward); it is treated as a reply.
const REPLY_PREFIXES = [
  're',
  'aw',
  'sv',
  'vs',
  'antw',
  'réf',
  'ref',
  'rif',
  'odp',
  'res',
  'ynt',
  '回复',
  '回覆',
  '答复'
];
const FORWARD_PREFIXES = ['fwd', 'fw', 'wg', 'tr', 'enc', 'rv', 'pd', 'vl', '转发', '轉寄', '转寄'];
const PREFIX_RE = new RegExp(
  `^(${[...REPLY_PREFIXES, ...FORWARD_PREFIXES].join('|')})\\s*(?:\\[\\d+\\]|\\(\\d+\\)|\\^\\d+)?\\s*[:：]`,
  'iu'
);
const TAG_RE = /^\[[^\][]{0,80}\]/u;

/** Strips leading prefixes and `[tags]`; reports whether a reply prefix was among them. */
function stripPrefixes(subject: string): { rest: string; reply: boolean } {
  let rest = subject.normalize('NFC').trim();
  let reply = false;
  for (;;) {
    const prefix = PREFIX_RE.exec(rest);
    if (prefix) {
      if (REPLY_PREFIXES.includes((prefix[1] ?? '').toLowerCase())) reply = true;
      rest = rest.slice(prefix[0].length).trimStart();
      continue;
    }
    const tag = TAG_RE.exec(rest);
    if (tag) {
      rest = rest.slice(tag[0].length).trimStart();
      continue;
    }
    break;
  }
  rest = rest.replace(/\s*\((?:fwd|fw)\)\s*$/i, '');
  return { rest, reply };
}

/** `Re: AW: [dev-list] Fwd:  Budget 2025` → `budget 2025`. */
export function normalizeSubject(subject: string): string {
  return stripPrefixes(subject ?? '')
    .rest.replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** True when the subject starts with a reply prefix (Re:, AW:, SV:, 回复: ...), tags allowed first. */
export function isReplySubject(subject: string): boolean {
  return stripPrefixes(subject ?? '').reply;
}

/** Ancestors of a message, nearest first: In-Reply-To, then References from last to first. */
function ancestorsOf(msg: ThreadInput, own: string | null): string[] {
  const refs = msg.normalized ? [...msg.references] : parseReferences(msg.references);
  const irt = msg.normalized ? msg.inReplyTo : normalizeMessageId(msg.inReplyTo);
  const out: string[] = [];
  for (const id of [irt, ...refs.reverse()]) {
    if (id && id !== own && !out.includes(id)) out.push(id);
  }
  return out;
}

/** The Message-ID a new thread is named after: first reference, else In-Reply-To, else own. */
export function rootIdOf(msg: Pick<ThreadInput, 'messageId' | 'inReplyTo' | 'references'>): string | null {
  const own = normalizeMessageId(msg.messageId);
  const firstRef = parseReferences(msg.references).find((id) => id !== own);
  if (firstRef) return firstRef;
  const irt = normalizeMessageId(msg.inReplyTo);
  if (irt && irt !== own) return irt;
  return own;
}

// A sync threads each chunk, then the whole account: the same roots again. Remembering the
// recent ids halves the hashing of an initial sync (bounded: cleared when full).
const threadIds = new Map<string, string>();
const THREAD_ID_CACHE = 50_000;

/** Deterministic thread id (UUID-shaped, version 8) for a root Message-ID. */
export function threadIdForRoot(rootId: string): string {
  const known = threadIds.get(rootId);
  if (known) return known;
  const b = createHash('sha256').update(`thread:${rootId}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  if (threadIds.size >= THREAD_ID_CACHE) threadIds.clear();
  threadIds.set(rootId, id);
  return id;
}

/** A thread id from the message alone (its root Message-ID), before any threading. */
export function newThreadId(msg: Pick<ThreadInput, 'messageId' | 'inReplyTo' | 'references'>): string {
  const root = rootIdOf(msg);
  return root ? threadIdForRoot(root) : randomUUID();
}

function smallest(ids: string[]): string | undefined {
  return ids.reduce<string | undefined>((a, b) => (a === undefined || b < a ? b : a), undefined);
}

/** Nearest earlier candidate, else the earliest later one; ties by smaller thread id. */
function pickBySubject(candidates: { threadId: string; date: Date }[], at: number): string | null {
  let before: { threadId: string; t: number } | null = null;
  let after: { threadId: string; t: number } | null = null;
  for (const c of candidates) {
    const t = c.date.getTime();
    if (!Number.isFinite(t) || Math.abs(t - at) > SUBJECT_WINDOW_MS) continue;
    if (t <= at) {
      if (!before || t > before.t || (t === before.t && c.threadId < before.threadId))
        before = { threadId: c.threadId, t };
    } else if (!after || t < after.t || (t === after.t && c.threadId < after.threadId)) {
      after = { threadId: c.threadId, t };
    }
  }
  return (before ?? after)?.threadId ?? null;
}

/**
 * Thread id for one new message:
 * 1. another copy of the same Message-ID, else the nearest known ancestor (In-Reply-To first,
 *    then References from last to first);
 * 2. else the thread of a known message that names this one as an ancestor;
 * 3. else, when the subject is a reply or the headers point at unknown messages, the thread of a
 *    message with the same normalized subject within 30 days (nearest earlier preferred);
 * 4. else a new id derived from the root Message-ID (random only without any Message-ID).
 */
export async function assignThreadId(msg: ThreadInput, lookup: ThreadLookup): Promise<string> {
  const own = normalizeMessageId(msg.messageId);
  const ancestors = ancestorsOf(msg, own);
  const ids = own ? [own, ...ancestors] : ancestors;
  if (ids.length) {
    const byId = new Map<string, string>();
    for (const k of await lookup.byMessageIds(ids)) {
      const id = normalizeMessageId(k.messageId);
      if (!id) continue;
      const prev = byId.get(id);
      if (prev === undefined || k.threadId < prev) byId.set(id, k.threadId);
    }
    for (const id of ids) {
      const t = byId.get(id);
      if (t) return t;
    }
  }
  if (own && lookup.childrenOf) {
    const t = smallest((await lookup.childrenOf(own)).map((c) => c.threadId));
    if (t) return t;
  }
  if (isReplySubject(msg.subject) || ancestors.length > 0) {
    const subject = normalizeSubject(msg.subject);
    const at = msg.date.getTime();
    if (subject && Number.isFinite(at)) {
      const candidates = await lookup.bySubject(
        subject,
        new Date(at - SUBJECT_WINDOW_MS),
        new Date(at + SUBJECT_WINDOW_MS)
      );
      const t = pickBySubject(candidates, at);
      if (t) return t;
    }
  }
  return newThreadId(msg);
}

interface Container {
  id: string | null;
  messages: number[];
  parent: Container | null;
  children: Set<Container>;
}

/**
 * Threads a whole list in memory with the same rules as `assignThreadId` (as if every other
 * message of the list were already known). Returns list index → thread id.
 */
export function threadBatch(msgs: readonly ThreadInput[]): Map<number, string> {
  const table = new Map<string, Container>();
  const containerOf: Container[] = [];
  const get = (id: string): Container => {
    let c = table.get(id);
    if (!c) {
      c = { id, messages: [], parent: null, children: new Set() };
      table.set(id, c);
    }
    return c;
  };
  const isAncestorOrSelf = (candidate: Container, of: Container): boolean => {
    for (let p: Container | null = of; p; p = p.parent) if (p === candidate) return true;
    return false;
  };
  const link = (parent: Container, child: Container): void => {
    if (isAncestorOrSelf(child, parent)) return; // would make a loop
    child.parent?.children.delete(child);
    child.parent = parent;
    parent.children.add(child);
  };

  // 1. Containers and links from References / In-Reply-To (JWZ step 1).
  const ancestorIds: string[][] = [];
  msgs.forEach((msg, i) => {
    const own = msg.normalized ? msg.messageId : normalizeMessageId(msg.messageId);
    const c = own ? get(own) : { id: null, messages: [], parent: null, children: new Set<Container>() };
    c.messages.push(i);
    containerOf[i] = c;
    ancestorIds[i] = ancestorsOf(msg, own);
    const chain = [...ancestorIds[i]!].reverse(); // root first, direct parent last
    let prev: Container | null = null;
    for (const id of chain) {
      const cur = get(id);
      if (prev && !cur.parent) link(prev, cur);
      prev = cur;
    }
    if (prev && c.parent !== prev) link(prev, c);
  });

  // 2. Each message's tree root; union-find over roots for subject merges.
  const rootCache = new Map<Container, Container>();
  const rootOf = (c: Container): Container => {
    let r = rootCache.get(c);
    if (!r) {
      r = c;
      while (r.parent) r = r.parent;
      rootCache.set(c, r);
    }
    return r;
  };
  const uf = new Map<Container, Container>();
  const find = (c: Container): Container => {
    let r = c;
    while (uf.has(r) && uf.get(r) !== r) r = uf.get(r)!;
    for (let x = c; x !== r;) {
      const next = uf.get(x)!;
      uf.set(x, r);
      x = next;
    }
    return r;
  };
  const union = (a: Container, b: Container): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) uf.set(ra, rb);
  };

  // 3. Subject fallback for messages with no known ancestor (JWZ step 5, restricted to replies).
  const times = msgs.map((m) => m.date.getTime());
  const bySubject = new Map<string, number[]>();
  const subjects = msgs.map((m, i) => {
    const s = m.subjectKey ?? normalizeSubject(m.subject);
    if (s && Number.isFinite(times[i])) {
      const list = bySubject.get(s);
      if (list) list.push(i);
      else bySubject.set(s, [i]);
    }
    return s;
  });
  for (const list of bySubject.values()) list.sort((a, b) => times[a]! - times[b]! || a - b);
  const hasKnownAncestor = (c: Container): boolean => {
    for (let p = c.parent; p; p = p.parent) if (p.messages.length) return true;
    return false;
  };
  msgs.forEach((msg, i) => {
    const c = containerOf[i]!;
    if (c.messages[0] !== i || hasKnownAncestor(c)) return;
    const ancestors = ancestorIds[i]!;
    // like assignThreadId: a message naming a known message (even through a loop) is not re-threaded
    if (ancestors.some((id) => table.get(id)?.messages.length)) return;
    if (!isReplySubject(msg.subject) && ancestors.length === 0) return;
    const list = bySubject.get(subjects[i]!);
    if (!list) return;
    const mine = find(rootOf(c));
    const j = nearestBySubject(list, times, i, (k) => find(rootOf(containerOf[k]!)) === mine);
    if (j !== null) union(rootOf(c), rootOf(containerOf[j]!));
  });

  // 4. One id per cluster: the root id of the earliest message's tree.
  const sortTime = times.map((t) => (Number.isFinite(t) ? t : Number.MAX_SAFE_INTEGER));
  const order = msgs.map((_, i) => i).sort((a, b) => sortTime[a]! - sortTime[b]! || a - b);
  const clusterId = new Map<Container, string>();
  const clusterMembers = new Map<Container, number[]>();
  for (const i of order) {
    const k = find(rootOf(containerOf[i]!));
    const list = clusterMembers.get(k);
    if (list) list.push(i);
    else clusterMembers.set(k, [i]);
  }
  for (const [k, members] of clusterMembers) {
    // The tree root of the earliest message; without one, the first member that has a root id.
    let root = rootOf(containerOf[members[0]!]!).id;
    for (const m of members) root ??= rootIdOf(msgs[m]!);
    clusterId.set(k, root ? threadIdForRoot(root) : randomUUID());
  }
  const out = new Map<number, string>();
  msgs.forEach((_, i) => out.set(i, clusterId.get(find(rootOf(containerOf[i]!)))!));
  return out;
}

/** Candidates scanned per direction; bounds the work for huge same-subject groups. */
const MAX_SCAN = 256;

/**
 * In a date-sorted list of indexes: the latest message at or before `i`'s date, else the earliest
 * after it, within the subject window, skipping those `same` says are already in i's thread.
 */
function nearestBySubject(
  list: number[],
  times: number[],
  i: number,
  same: (j: number) => boolean
): number | null {
  const at = times[i]!;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[list[mid]!]! <= at) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo - 1; k >= 0 && k >= lo - MAX_SCAN; k--) {
    const j = list[k]!;
    if (at - times[j]! > SUBJECT_WINDOW_MS) break;
    if (j !== i && !same(j)) return j;
  }
  for (let k = lo; k < list.length && k < lo + MAX_SCAN; k++) {
    const j = list[k]!;
    if (times[j]! - at > SUBJECT_WINDOW_MS) break;
    if (!same(j)) return j;
  }
  return null;
}
