/**
 * Reads imapflow's parsed BODYSTRUCTURE (`MessageStructureObject`): which parts are attachments
 * (rows of the Attachment table), whether a message has any, and which parts hold the text/plain
 * and text/html bodies to fetch for the body and snippet. Pure: no I/O.
 *
 * imapflow numbering: the root of a single-part message has no `part` (IMAP calls it "1"); a
 * message/rfc822 part's nested body reuses the wrapper's number. Forwarded messages are treated
 * as one attachment and never searched for body text.
 */
import type { MessageStructureObject } from 'imapflow';
import libmime from 'libmime';

export interface AttachmentInfo {
  /** IMAP body part number, e.g. "2" or "1.2" */
  part: string;
  filename: string | null;
  contentType: string;
  /** Decoded size in bytes (estimated from the encoded size for base64) */
  size: number;
  contentId: string | null;
  /** Shown inside the HTML body through a cid: reference, not listed as a file */
  inline: boolean;
}

export interface TextParts {
  plain: string | null;
  html: string | null;
}

// Parts that carry a signature or protocol control data, not user content.
const PROTOCOL_PARTS: Record<string, string[]> = {
  'multipart/signed': [
    'application/pgp-signature',
    'application/pkcs7-signature',
    'application/x-pkcs7-signature'
  ],
  'multipart/encrypted': ['application/pgp-encrypted']
};

/** Percent-decodes an RFC 2231 value (`%E2%82%AC` → bytes) and decodes the bytes in `charset`. */
function percentDecode(value: string, charset: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < value.length; i++) {
    const hex = value[i] === '%' ? value.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...enc.encode(value[i]));
  }
  try {
    return new TextDecoder(charset || 'utf-8').decode(new Uint8Array(bytes));
  } catch {
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
  }
}

const RFC2231_VALUE = /^([A-Za-z0-9!#$&+^_`{}~.-]+)'[A-Za-z0-9-]*'(.*)$/s;

/** Decodes what imapflow may have left encoded: `charset'lang'%XX` (RFC 2231) or `=?..?=` (RFC 2047). */
function decodeValue(value: string): string {
  let v = value.trim();
  const ext = RFC2231_VALUE.exec(v);
  if (ext && /%[0-9a-fA-F]{2}/.test(ext[2] ?? '')) v = percentDecode(ext[2] ?? '', ext[1] ?? 'utf-8');
  if (/=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=/.test(v)) v = libmime.decodeWords(v);
  return v;
}

/**
 * A Content-Type or Content-Disposition parameter, decoded. Handles values imapflow already
 * decoded, raw `name*` values and unmerged `name*0*`, `name*1` continuations.
 */
export function decodeParameter(params: Record<string, string> | undefined, name: string): string | null {
  if (!params) return null;
  const direct = params[name];
  if (typeof direct === 'string' && direct.trim()) return decodeValue(direct);
  const star = params[`${name}*`];
  if (typeof star === 'string' && star.trim()) {
    const m = RFC2231_VALUE.exec(star.trim());
    return m ? percentDecode(m[2] ?? '', m[1] ?? 'utf-8') : decodeValue(star);
  }
  const re = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\*(\\d+)(\\*?)$`);
  const pieces = Object.entries(params)
    .map(([k, v]) => ({ m: re.exec(k), v }))
    .filter((p): p is { m: RegExpExecArray; v: string } => p.m !== null && typeof p.v === 'string')
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
  if (!pieces.length) return null;
  let charset = '';
  let encoded = '';
  for (const { m, v } of pieces) {
    let piece = v;
    if (m[2] === '*') {
      const first = m[1] === '0' ? RFC2231_VALUE.exec(piece) : null;
      if (first) {
        charset = first[1] ?? '';
        piece = first[2] ?? '';
      }
    } else piece = piece.replace(/%/g, '%25'); // literal piece: keep its % signs
    encoded += piece;
  }
  return percentDecode(encoded, charset || 'utf-8');
}

/** A display- and download-safe file name: no directories, no control characters. */
function cleanFilename(name: string | null): string | null {
  if (!name) return null;
  const base = name
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x1f\x7f]/g, '')
    .replace(/^.*[/\\]/, '')
    .trim();
  return base && base !== '.' && base !== '..' ? base : null;
}

function filenameOf(node: MessageStructureObject): string | null {
  const name = cleanFilename(
    decodeParameter(node.dispositionParameters, 'filename') ?? decodeParameter(node.parameters, 'name')
  );
  if (name || node.type.toLowerCase() !== 'message/rfc822') return name;
  const subject = node.envelope?.subject;
  return cleanFilename(subject ? `${subject.replace(/[/\\:*?"<>|]/g, '_')}.eml` : null);
}

function contentIdOf(node: MessageStructureObject): string | null {
  const cid = (node.id ?? '').replace(/[<>\s]/g, '');
  return cid || null;
}

/** Decoded size: base64 carries 57 bytes per 78-byte line (76 characters + CRLF). */
function decodedSize(node: MessageStructureObject): number {
  const size = Math.max(0, node.size ?? 0);
  if ((node.encoding ?? '').toLowerCase() !== 'base64') return size;
  return Math.floor(((size - 2 * Math.floor(size / 78)) * 3) / 4);
}

function contentTypeOf(node: MessageStructureObject): string {
  const type = (node.type ?? '').toLowerCase();
  return /^[^/\s]+\/[^/\s]+$/.test(type) ? type : 'application/octet-stream';
}

interface Leaf {
  node: MessageStructureObject;
  part: string;
  parentType: string;
  /** nearest multipart/alternative ancestor */
  alternative: MessageStructureObject | null;
}

/** Leaves in document order; message/rfc822 parts are leaves (their insides are not walked). */
function leavesOf(root: MessageStructureObject): Leaf[] {
  const out: Leaf[] = [];
  const walk = (node: MessageStructureObject, parentType: string, alt: MessageStructureObject | null) => {
    const type = contentTypeOf(node);
    if (type.startsWith('multipart/')) {
      for (const child of node.childNodes ?? [])
        walk(child, type, type === 'multipart/alternative' ? node : alt);
      return;
    }
    out.push({ node, part: node.part ?? '1', parentType, alternative: alt });
  };
  walk(root, '', null);
  return out;
}

function isProtocolPart(leaf: Leaf): boolean {
  return (PROTOCOL_PARTS[leaf.parentType] ?? []).includes(contentTypeOf(leaf.node));
}

/** A text/plain or text/html leaf that is message text rather than an attached file. */
function isBodyCandidate(leaf: Leaf): boolean {
  const type = contentTypeOf(leaf.node);
  if (type !== 'text/plain' && type !== 'text/html') return false;
  if ((leaf.node.disposition ?? '').toLowerCase() === 'attachment') return false;
  // a named text part is a file, unless it is the whole message
  return leaf.node.part === undefined || filenameOf(leaf.node) === null;
}

/** Content-IDs referenced as `cid:` in an HTML body, lower-cased. */
function referencedCids(html: string): Set<string> {
  const out = new Set<string>();
  for (const m of html.matchAll(/cid:([^\s"'()<>]+)/gi)) {
    let cid = m[1] ?? '';
    try {
      cid = decodeURIComponent(cid);
    } catch {
      // keep it as it is
    }
    out.add(cid.toLowerCase());
  }
  return out;
}

/**
 * Attachments of a message: parts with disposition "attachment", every non-text leaf (named or
 * not, forwarded messages included) and named text parts other than the message body. Images with
 * a Content-ID inside multipart/related (or inline) are `inline`; pass the HTML body to mark as
 * inline only those it actually references.
 */
export function attachmentsOf(
  structure: MessageStructureObject | null | undefined,
  html?: string
): AttachmentInfo[] {
  if (!structure) return [];
  // most mail: one text part, which is the body (the walk below would say the same, slower)
  if (
    !structure.childNodes &&
    (structure.disposition ?? '').toLowerCase() !== 'attachment' &&
    /^text\/(plain|html)$/i.test(structure.type ?? '')
  )
    return [];
  const cids = html === undefined ? null : referencedCids(html);
  const out: AttachmentInfo[] = [];
  for (const leaf of leavesOf(structure)) {
    const { node } = leaf;
    if (isProtocolPart(leaf)) continue;
    const type = contentTypeOf(node);
    const disposition = (node.disposition ?? '').toLowerCase();
    const filename = filenameOf(node);
    const isText = type.startsWith('text/');
    if (disposition !== 'attachment') {
      if (isBodyCandidate(leaf)) continue;
      if (isText && filename === null) continue; // e.g. text/calendar beside the body
    }
    const contentId = contentIdOf(node);
    const inline =
      !isText &&
      disposition !== 'attachment' &&
      contentId !== null &&
      (leaf.parentType === 'multipart/related' || disposition === 'inline') &&
      (cids === null || cids.has(contentId.toLowerCase()));
    out.push({ part: leaf.part, filename, contentType: type, size: decodedSize(node), contentId, inline });
  }
  return out;
}

/** True when the message has a real attachment (inline cid images do not count). */
export function hasAttachments(structure: MessageStructureObject | null | undefined, html?: string): boolean {
  return attachmentsOf(structure, html).some((a) => !a.inline);
}

/**
 * Part numbers of the text/plain and text/html bodies. Both come from the same
 * multipart/alternative when the first body part is inside one; otherwise only the first body
 * part is returned, so an unrelated later text part is never mistaken for the other version.
 */
export function textPartsOf(structure: MessageStructureObject | null | undefined): TextParts {
  const result: TextParts = { plain: null, html: null };
  if (!structure) return result;
  const candidates = leavesOf(structure).filter(isBodyCandidate);
  const first = candidates[0];
  if (!first) return result;
  let scope = [first];
  if (first.alternative) {
    // everything under that alternative, nested multiparts (e.g. multipart/related) included
    const inside = new Set<MessageStructureObject>();
    const collect = (n: MessageStructureObject) => {
      inside.add(n);
      for (const c of n.childNodes ?? []) collect(c);
    };
    collect(first.alternative);
    scope = candidates.filter((c) => inside.has(c.node));
  }
  for (const c of scope) {
    const type = contentTypeOf(c.node);
    if (type === 'text/plain') result.plain ??= c.part;
    if (type === 'text/html') result.html ??= c.part;
  }
  return result;
}

export interface SnippetPart {
  /** IMAP body part number ("1" for a single-part message) */
  part: string;
  html: boolean;
  /** Content-Transfer-Encoding, lower case (7bit, 8bit, quoted-printable, base64, ...) */
  encoding: string;
  charset: string;
}

/** The part to read a snippet from: the plain-text body, else the HTML one. */
export function snippetPartOf(structure: MessageStructureObject | null | undefined): SnippetPart | null {
  if (!structure) return null;
  const parts = textPartsOf(structure);
  const part = parts.plain ?? parts.html;
  if (!part) return null;
  const leaf = leavesOf(structure).find((l) => l.part === part);
  if (!leaf) return null;
  return {
    part,
    html: part !== parts.plain,
    encoding: (leaf.node.encoding ?? '7bit').toLowerCase(),
    charset: leaf.node.parameters?.charset ?? 'utf-8'
  };
}
