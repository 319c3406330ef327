// What a browser is told about a downloaded attachment: a file name it cannot be tricked by,
// a content type it will not run, and whether it may show the file itself. Pure: no I/O.

/** Types a browser may show itself (`?inline=1`): its image and PDF viewers run no page script. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf']);

// Types a browser would render as a document able to run script (or that only make sense as
// one). Served as application/octet-stream, so they are only ever saved, never opened here.
const SCRIPTABLE = /html|xml|script|^text\/xsl|^application\/(x-shockwave-flash|futuresplash)$|^multipart\//;

const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The content type to send: the attachment's own, unless a browser could run it. */
export function servedContentType(contentType: string | null | undefined): string {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!MIME_TYPE.test(type) || SCRIPTABLE.test(type)) return 'application/octet-stream';
  return type;
}

/** Whether `?inline=1` may show this type in the browser instead of saving it. */
export function inlineAllowed(contentType: string | null | undefined): boolean {
  return INLINE_TYPES.has(servedContentType(contentType));
}

const MAX_NAME = 150;
// Windows refuses these as file names, with or without an extension.
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

/**
 * A file name safe to offer for saving: no directories, no control or invisible characters
 * (a right-to-left override can make `invoice_fdp.exe` look like `invoice_exe.pdf`), no
 * quotes, no characters Windows refuses, no leading dots (hidden files), bounded length with
 * the extension kept. Unicode letters stay.
 */
export function safeFilename(name: string | null | undefined, fallback = 'attachment'): string {
  let n = (name ?? '').normalize('NFC');
  n = n.split(/[/\\]/).pop() ?? '';
  n = n
    // C0/C1 controls, zero-width and bidirectional formatting characters, BOM
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g, '')
    .replace(/["`]/g, '')
    .replace(/[<>:*?|]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  const chars = Array.from(n);
  if (chars.length > MAX_NAME) {
    const dot = n.lastIndexOf('.');
    const ext = dot > 0 && n.length - dot <= 16 ? n.slice(dot) : '';
    n = Array.from(n.slice(0, n.length - ext.length))
      .slice(0, MAX_NAME - Array.from(ext).length)
      .join('')
      .trim()
      .concat(ext);
  }
  if (!n) return fallback;
  return RESERVED.test(n) ? `_${n}` : n;
}

/** The name for old browsers that read only `filename=`: printable ASCII, nothing to escape. */
export function asciiFilename(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // é → e
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\%]/g, '_'); // quotes and escapes of the quoted-string; % some browsers decode
  // nothing readable left (e.g. a name all in Chinese): a generic name, the extension kept
  const dot = ascii.lastIndexOf('.');
  const stem = dot > 0 ? ascii.slice(0, dot) : ascii;
  const ext = dot > 0 && /[A-Za-z0-9]/.test(ascii.slice(dot)) ? ascii.slice(dot) : '';
  return /^[_\s.]*$/.test(stem) ? `attachment${ext}` : ascii;
}

/** RFC 5987 ext-value: UTF-8, percent-encoded outside attr-char. */
function extValue(name: string): string {
  return (
    "UTF-8''" +
    encodeURIComponent(name).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
  );
}

/** Content-Disposition (RFC 6266): the ASCII `filename` fallback and the UTF-8 `filename*`. */
export function contentDisposition(
  kind: 'attachment' | 'inline',
  filename: string | null | undefined
): string {
  const safe = safeFilename(filename);
  return `${kind}; filename="${asciiFilename(safe)}"; filename*=${extValue(safe)}`;
}

/** "<subject>.eml" for a message download. */
export function emlFilename(subject: string | null | undefined): string {
  // a subject is not a path: "Q1/Q2 figures" keeps both halves
  const base = safeFilename((subject ?? '').replace(/[/\\]/g, '_'), 'message');
  return safeFilename(`${base.length > 120 ? Array.from(base).slice(0, 120).join('') : base}.eml`);
}
