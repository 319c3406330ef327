/**
 * Fills the demo mailboxes alice@example.test and bob@example.test with a few hundred realistic
 * messages each: conversations with replies, HTML newsletters, notifications, receipts with
 * PDF attachments, mail in German (ISO-8859-1), French, Japanese (ISO-2022-JP), Russian (KOI8-R),
 * emoji subjects, drafts and junk, spread over INBOX, Sent, Archive, Drafts, Junk, Trash,
 * Projects/Website and Receipts.
 *
 * Everything is generated in code from a seeded PRNG (no network); only the dates move with
 * the current day (the newest messages are from today). Messages are built with nodemailer's
 * MailComposer and put in place with IMAP APPEND (flags and internal date).
 *
 *   SERVERS_ENV=.data/demo/servers.env npx tsx scripts/seed-demo-mail.ts
 *   npx tsx scripts/seed-demo-mail.ts --dump DIR    # no IMAP: write the .eml files to DIR
 *
 * Idempotent: when alice's INBOX already holds messages it does nothing (alice's INBOX is
 * filled last, so a run that was cut short is cleaned up and redone on the next run).
 */
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import MailComposer, { type Options as ComposerOptions } from 'nodemailer/lib/mail-composer';
import { loadServersEnv } from '../tests/helpers/servers';

// ---------------------------------------------------------------------------------------------
// deterministic randomness

let rngState = 0x5eed_2024;
function rand(): number {
  // mulberry32
  rngState = (rngState + 0x6d2b79f5) | 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const chance = (p: number): boolean => rand() < p;
const int = (min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));
function pick<T>(items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from empty list');
  return items[Math.floor(rand() * items.length)] as T;
}
function pickSome<T>(items: readonly T[], n: number): T[] {
  const copy = [...items];
  const out: T[] = [];
  while (out.length < n && copy.length > 0)
    out.push(copy.splice(Math.floor(rand() * copy.length), 1)[0] as T);
  return out;
}
const hex = (n: number): string =>
  Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');

// ---------------------------------------------------------------------------------------------
// people

interface Person {
  name: string;
  email: string;
  lang?: 'en' | 'de' | 'fr' | 'ja' | 'ru';
}

const ALICE: Person = { name: 'Alice Martin', email: 'alice@example.test' };
const BOB: Person = { name: 'Bob Keller', email: 'bob@example.test' };
const CAROL: Person = { name: 'Carol White', email: 'carol@example.test' };
const DAVE: Person = { name: 'Dave Okafor', email: 'dave@example.test' };

const JUERGEN: Person = { name: 'Jürgen Müller', email: 'juergen.mueller@mueller-bau.example', lang: 'de' };
const EMILIE: Person = { name: 'Émilie Dubois', email: 'emilie.dubois@atelier-dubois.example', lang: 'fr' };
const TANAKA: Person = { name: '田中 健', email: 'ken.tanaka@tanaka-shoji.example', lang: 'ja' };
const OLGA: Person = { name: 'Ольга Иванова', email: 'olga.ivanova@severtrans.example', lang: 'ru' };
const MARCO: Person = { name: 'Marco Rossi', email: 'marco@studio-rossi.example' };

const CONTACTS: Person[] = [
  CAROL,
  DAVE,
  MARCO,
  { name: 'Priya Natarajan', email: 'priya@brightleaf.example' },
  { name: 'Sofia García', email: 'sofia.garcia@lumen.example' },
  { name: 'Lars Nilsson', email: 'lars@nordvik.example' },
  { name: 'Hannah Schmidt', email: 'hannah.schmidt@example.org' },
  { name: 'Tom Becker', email: 'tom.becker@example.net' },
  { name: 'Grace Liu', email: 'grace.liu@example.com' },
  { name: 'Samuel Adeyemi', email: 'sam@adeyemi-consulting.example' },
  { name: 'Nora Lindqvist', email: 'nora@fjordlabs.example' },
  { name: 'Oliver Grant', email: 'oliver.grant@example.com' }
];

const addr = (p: Person) => ({ name: p.name, address: p.email });
const firstName = (p: Person) => p.name.split(' ')[0] as string;
const domainOf = (email: string) => email.split('@')[1] as string;

// ---------------------------------------------------------------------------------------------
// dates

const NOW = Date.now();
const DAY = 86_400_000;
const HOUR = 3_600_000;
const SPAN_DAYS = 182;

/** A time in the last ~6 months, more often recent, at plausible hours. */
function randomPast(maxDays = SPAN_DAYS, bias = 1.5): number {
  const days = Math.pow(rand(), bias) * maxDays;
  const t = NOW - days * DAY;
  const d = new Date(t);
  d.setHours(int(7, 21), int(0, 59), int(0, 59), 0);
  return Math.min(d.getTime(), NOW - int(2, 50) * 60_000);
}

function fmtDateEn(t: number): string {
  return new Date(t).toLocaleString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  });
}

// ---------------------------------------------------------------------------------------------
// charsets and encoded words (RFC 2047) for the legacy-charset messages

const koi8r = new Map<string, number>();
{
  const dec = new TextDecoder('koi8-r');
  for (let b = 0x80; b <= 0xff; b++) koi8r.set(dec.decode(Uint8Array.of(b)), b);
}
function encodeKoi8r(s: string): Buffer {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c < 0x80) out.push(c);
    else {
      const b = koi8r.get(ch);
      if (b === undefined) throw new Error(`not in KOI8-R: ${ch}`);
      out.push(b);
    }
  }
  return Buffer.from(out);
}

let jisTable: Map<string, [number, number]> | undefined;
function jis(): Map<string, [number, number]> {
  if (jisTable) return jisTable;
  jisTable = new Map();
  const dec = new TextDecoder('iso-2022-jp');
  for (let r = 0x21; r <= 0x7e; r++) {
    for (let c = 0x21; c <= 0x7e; c++) {
      const s = dec.decode(Uint8Array.of(0x1b, 0x24, 0x42, r, c, 0x1b, 0x28, 0x42));
      if (s.length === 1 && s !== '\ufffd' && !jisTable.has(s)) jisTable.set(s, [r, c]);
    }
  }
  return jisTable;
}
/** ISO-2022-JP bytes of one line (starts and ends in ASCII state). */
function encodeIso2022jpLine(s: string): Buffer {
  const table = jis();
  const out: number[] = [];
  let kanji = false;
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c < 0x80) {
      if (kanji) out.push(0x1b, 0x28, 0x42);
      kanji = false;
      out.push(c);
    } else {
      const rc = table.get(ch);
      if (!rc) throw new Error(`not in JIS X 0208: ${ch}`);
      if (!kanji) out.push(0x1b, 0x24, 0x42);
      kanji = true;
      out.push(rc[0], rc[1]);
    }
  }
  if (kanji) out.push(0x1b, 0x28, 0x42);
  return Buffer.from(out);
}
const encodeIso2022jp = (s: string): Buffer =>
  Buffer.concat(
    s
      .split('\n')
      .flatMap((line, i) =>
        i ? [Buffer.from('\r\n'), encodeIso2022jpLine(line)] : [encodeIso2022jpLine(line)]
      )
  );

type LegacyCharset = 'ISO-8859-1' | 'KOI8-R' | 'ISO-2022-JP';
function charsetBytes(s: string, charset: LegacyCharset): Buffer {
  if (charset === 'ISO-8859-1') {
    if ([...s].some((ch) => ch.charCodeAt(0) > 0xff)) throw new Error(`not in ISO-8859-1: ${s}`);
    return Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1');
  }
  if (charset === 'KOI8-R') return encodeKoi8r(s.replace(/\r?\n/g, '\r\n'));
  return encodeIso2022jp(s);
}

/** RFC 2047 encoded words (each at most 75 characters), folded onto continuation lines. */
function encodedWords(s: string, charset: LegacyCharset): string {
  const mode = charset === 'ISO-8859-1' ? 'Q' : 'B';
  const prefix = `=?${charset}?${mode}?`;
  const room = 75 - prefix.length - 2;
  const words: string[] = [];
  let chunk = '';
  const encode = (text: string): string => {
    const bytes = charset === 'ISO-2022-JP' ? encodeIso2022jpLine(text) : charsetBytes(text, charset);
    if (mode === 'B') return bytes.toString('base64');
    let q = '';
    for (const b of bytes) {
      if (b === 0x20) q += '_';
      else if (b > 0x20 && b < 0x7f && !'=?_"()<>,;:.@[]\\'.includes(String.fromCharCode(b)))
        q += String.fromCharCode(b);
      else q += '=' + b.toString(16).toUpperCase().padStart(2, '0');
    }
    return q;
  };
  for (const ch of s) {
    if (encode(chunk + ch).length > room) {
      words.push(prefix + encode(chunk) + '?=');
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(prefix + encode(chunk) + '?=');
  return words.join('\r\n ');
}

// ---------------------------------------------------------------------------------------------
// generated attachments

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A real PNG: a small bar chart (width x height, RGB) with the given bar values (0..1). */
function makePng(width: number, height: number, bars: number[], color: [number, number, number]): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  const barW = Math.floor(width / (bars.length * 2 + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      let rgb: [number, number, number] = [250, 250, 252];
      if (y % 16 === 0) rgb = [228, 230, 236];
      const slot = Math.floor(x / barW);
      if (slot % 2 === 1) {
        const v = bars[(slot - 1) / 2];
        if (v !== undefined && y >= height - Math.round(v * (height - 6))) {
          const shade = 0.75 + 0.25 * (y / height);
          rgb = [Math.round(color[0] * shade), Math.round(color[1] * shade), Math.round(color[2] * shade)];
        }
      }
      raw.set(rgb, y * (width * 3 + 1) + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0))
  ]);
}

/** A small valid one-page PDF with lines of (ASCII) text. */
function makePdf(title: string, lines: string[]): Buffer {
  const esc = (s: string) => s.replace(/[\\()]/g, (m) => '\\' + m).replace(/[^\x20-\x7e]/g, '?');
  const text = [
    'BT /F1 20 Tf 72 770 Td',
    `(${esc(title)}) Tj`,
    '/F1 11 Tf 0 -34 Td 15 TL',
    ...lines.map((l) => `(${esc(l)}) '`),
    'ET'
  ].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Title (${esc(title)}) /Producer (MetaBuilder demo seed) >>`
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

function icsInvite(
  uid: string,
  summary: string,
  start: number,
  minutes: number,
  organizer: Person,
  attendees: Person[]
): string {
  const f = (t: number) =>
    new Date(t)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  return [
    'BEGIN:VCALENDAR',
    'PRODID:-//MetaBuilder//Demo Seed//EN',
    'VERSION:2.0',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `DTSTAMP:${f(start - 3 * DAY)}`,
    `DTSTART:${f(start)}`,
    `DTEND:${f(start + minutes * 60_000)}`,
    `SUMMARY:${summary}`,
    'LOCATION:Meeting room Aurora / video call',
    `ORGANIZER;CN=${organizer.name}:mailto:${organizer.email}`,
    ...attendees.map(
      (a) => `ATTENDEE;CN=${a.name};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${a.email}`
    ),
    'END:VEVENT',
    'END:VCALENDAR',
    ''
  ].join('\r\n');
}

// ---------------------------------------------------------------------------------------------
// the messages

type Transfer = '7bit' | '8bit' | 'quoted-printable' | 'base64';
type Mailbox = 'INBOX' | 'Sent' | 'Archive' | 'Drafts' | 'Junk' | 'Trash' | 'Projects/Website' | 'Receipts';

interface Attachment {
  filename: string;
  content: Buffer | string;
  contentType: string;
  cid?: string;
}

interface Msg {
  id: string; // Message-ID without <>
  from: Person;
  to: Person[];
  cc?: Person[];
  subject: string;
  date: number;
  text?: string;
  html?: string;
  inReplyTo?: string;
  references?: string[];
  attachments?: Attachment[];
  ics?: string;
  headers?: Record<string, string>;
  legacy?: { charset: LegacyCharset; transfer: Transfer };
  /** Content-Transfer-Encoding of the text part (default: nodemailer's choice) */
  transfer?: Transfer;
  /** where the message goes for a demo user who received it (default INBOX/Archive by age) */
  folder?: Mailbox;
  /** chance that a recipient has read it (default by age) */
  seen?: number;
  flagged?: boolean;
  draft?: boolean;
}

const messages: Msg[] = [];
let msgCounter = 0;
function newId(from: Person): string {
  msgCounter++;
  return `${hex(12)}.${msgCounter}@${domainOf(from.email)}`;
}

// ---- conversations ---------------------------------------------------------------------------

interface Topic {
  subject: string;
  open: string[];
  replies: string[];
  folder?: Mailbox;
  attach?: 'png' | 'pdf' | 'txt' | 'ics';
}

const TOPICS: Topic[] = [
  {
    subject: 'Q3 planning offsite',
    open: [
      'I would like to lock in the dates for the Q3 planning offsite. Could everyone check whether the second week of the month works?',
      'We have two venue options: the lake house (cheaper, no projector) or the co-working space downtown.'
    ],
    replies: [
      'The second week works for me, except Wednesday morning.',
      'Lake house gets my vote. We can bring the portable projector from the office.',
      'Can we keep the agenda to three topics this time? Last year we ran out of time.',
      'Booked the lake house for Tuesday to Thursday. Details to follow.'
    ]
  },
  {
    subject: 'Sign-up numbers for September',
    open: ['Attached is the chart with the sign-up numbers. The dip in week 3 matches the outage.'],
    replies: [
      'Thanks! Do we know how many of those converted to paid plans?',
      'Roughly 12 %, slightly better than August.',
      'Great, let us put this in the monthly update.'
    ],
    attach: 'png'
  },
  {
    subject: 'Contract renewal with Brightleaf',
    open: [
      'Brightleaf sent over the renewal terms. The price goes up 8 %, but they add priority support.',
      'I have attached their proposal.'
    ],
    replies: [
      'Eight percent is more than we budgeted. Can we ask for a two-year term at the old price?',
      'I asked; they offered 4 % for two years.',
      'That sounds fair. Let us sign.'
    ],
    attach: 'pdf'
  },
  {
    subject: "Notes from Monday's sync",
    open: ['Here are my notes from Monday, in case you missed the call.'],
    replies: [
      'Thanks for writing these up!',
      'One correction: the deadline for the API review is Friday, not Thursday.'
    ],
    attach: 'txt'
  },
  {
    subject: 'Design review next week',
    open: ['Sending an invite for the design review. Please bring the latest mockups.'],
    replies: ['Accepted. Will the agency join as well?', 'Yes, Marco will dial in.'],
    attach: 'ics'
  },
  {
    subject: 'Laptop refresh',
    open: [
      'IT says our laptops are due for a refresh. Do you have a preference between the 14" and 16" model?'
    ],
    replies: [
      '14", I carry mine everywhere.',
      '16" for me, the bigger screen helps with the spreadsheets.',
      'Noted, I will order accordingly.'
    ]
  },
  {
    subject: 'Customer escalation: invoices not syncing',
    open: [
      'Lumen reported that invoices stopped syncing to their accounting system on Friday.',
      'Support thinks it is related to the token refresh change we deployed.'
    ],
    replies: [
      'I can reproduce it. The refresh token is not persisted after rotation.',
      'Fix is in review, should go out this afternoon.',
      'Deployed. Lumen confirmed that invoices sync again.',
      'Thanks all, I will write the incident summary.'
    ]
  },
  {
    subject: 'Lunch on Thursday?',
    open: ['Anyone up for the new ramen place on Thursday?'],
    replies: ['Count me in!', 'I have a call until 12:30, can we go at 12:45?', '12:45 it is.']
  },
  {
    subject: 'Hiring: frontend engineer',
    open: ['We have three candidates for the frontend role. I shared the CVs in the hiring folder.'],
    replies: [
      'I liked the second candidate a lot, strong accessibility background.',
      'Agreed. Let us invite her for the pairing session.',
      'Pairing session scheduled for next Tuesday.'
    ]
  },
  {
    subject: 'Quarterly budget',
    open: ['Finance needs our quarterly budget numbers by the end of the week.'],
    replies: [
      'I will send the infrastructure part tomorrow.',
      'Marketing numbers attached in the shared sheet.',
      'All in, thanks everyone.'
    ]
  },
  {
    subject: 'Security training reminder',
    open: ['Friendly reminder that the annual security training is due at the end of the month.'],
    replies: ['Done!', 'Will do it this week.']
  },
  {
    subject: 'Conference talk proposal',
    open: [
      'I am thinking of submitting a talk about our search indexing work. Would you review the abstract?'
    ],
    replies: [
      'Happy to. Maybe lead with the numbers, they are impressive.',
      'Good idea, I rewrote the first paragraph.',
      'Looks great now. Submit it!'
    ]
  },
  {
    subject: 'Weekend hike',
    open: ['The weather looks good for Saturday. Shall we do the ridge trail?'],
    replies: ['Yes! Meet at the station at 8?', 'I will bring sandwiches.', 'Perfect, see you there.']
  },
  {
    subject: 'Migration to the new database cluster',
    open: [
      'The new cluster is ready. I propose we migrate during the Sunday maintenance window.',
      'Rollback plan: keep the old primary read-only for 48 hours.'
    ],
    replies: [
      'Sounds good. Do we need to notify customers?',
      'A status page notice should be enough, the downtime is under 10 minutes.',
      'Migration done, 6 minutes of downtime. Monitoring looks healthy.'
    ]
  },
  {
    subject: 'Feedback on the onboarding flow',
    open: ['I went through the new onboarding flow as a fresh user. Overall very smooth, a few notes below.'],
    replies: [
      'Thanks, this is super helpful. The empty state issue is a known bug.',
      'Could you file the copy suggestions as tickets?',
      'Filed them, tagged with "onboarding".'
    ]
  },
  {
    subject: 'Website relaunch: sitemap draft',
    open: ['Here is the first sitemap draft for the relaunch. We merged "About" and "Team" into one page.'],
    replies: [
      'Looks good. Where do the case studies live now?',
      'Under "Customers", one page per case study.',
      'Approved from my side.'
    ],
    folder: 'Projects/Website'
  },
  {
    subject: 'Website relaunch: homepage hero copy',
    open: ['Three options for the homepage headline. My favourite is option B.'],
    replies: [
      'B for me too.',
      'Could we shorten B to fit on one line on mobile?',
      'Shortened version attached to the ticket.'
    ],
    folder: 'Projects/Website'
  },
  {
    subject: 'Website relaunch: staging is up',
    open: ['Staging is up at https://staging.website.example/ (basic auth as discussed).'],
    replies: [
      'The navigation breaks below 360 px width.',
      'Fixed, please check again.',
      'Works now, thanks!'
    ],
    folder: 'Projects/Website'
  },
  {
    subject: 'Website relaunch: launch checklist',
    open: [
      'Draft launch checklist: redirects, analytics, sitemap.xml, social cards, 404 page, performance budget.'
    ],
    replies: [
      'Add "accessibility audit" please.',
      'Added. Launch date still the 15th?',
      'Yes, 15th at 10:00.',
      'All items green. We are good to go.'
    ],
    folder: 'Projects/Website',
    attach: 'pdf'
  },
  {
    subject: 'Website relaunch: accessibility audit results',
    open: ['The audit found 14 issues, 3 of them critical (contrast in the footer, missing form labels).'],
    replies: ['I will take the form labels.', 'Footer contrast fixed.', 'All critical issues resolved.'],
    folder: 'Projects/Website',
    attach: 'png'
  },
  {
    subject: 'Invoice question',
    open: ["Quick question about last month's invoice: the support hours seem to be counted twice."],
    replies: [
      'You are right, sorry about that. A corrected invoice is attached.',
      'Thanks for the quick fix!'
    ],
    attach: 'pdf'
  },
  {
    subject: 'Holiday schedule',
    open: ['Please add your holidays to the team calendar before the end of the month.'],
    replies: ['Added mine: two weeks in August.', 'Done.']
  },
  {
    subject: 'API rate limits',
    open: [
      'A partner is hitting our rate limits during their nightly import. Should we raise the limit for them?'
    ],
    replies: [
      'Rather give them a batch endpoint. Raising limits just moves the problem.',
      'Agreed. Batch endpoint is on the roadmap for next sprint anyway.',
      'I told them, they are fine with waiting.'
    ]
  },
  {
    subject: 'Book club: next pick',
    open: ['Next book club is on the 20th. Suggestions for the next book?'],
    replies: ['How about "The Left Hand of Darkness"?', 'Seconded!', 'Decided then.']
  }
];

const CLOSINGS = ['Best,', 'Thanks,', 'Cheers,', 'Best regards,', 'Thanks a lot,', 'All the best,'];
const GREETINGS = ['Hi {name},', 'Hello {name},', 'Hey {name},', '{name},', 'Dear {name},'];
const GROUP_GREETINGS = ['Hi all,', 'Hello everyone,', 'Hi {names},', 'Hi team,'];

function quote(text: string, author: Person, date: number, lang: Person['lang'] = 'en'): string {
  const lines = text.split('\n').slice(0, 40);
  const intro =
    lang === 'de'
      ? `Am ${new Date(date).toLocaleDateString('de-DE')} um ${new Date(date).toLocaleTimeString('de-DE', { hour: '2-digit', minute: '2-digit' })} schrieb ${author.name} <${author.email}>:`
      : lang === 'fr'
        ? `Le ${new Date(date).toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' })} à ${new Date(date).toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' })}, ${author.name} <${author.email}> a écrit :`
        : `On ${fmtDateEn(date)}, ${author.name} <${author.email}> wrote:`;
  return `${intro}\n${lines.map((l) => (l.startsWith('>') ? '>' + l : '> ' + l)).join('\n')}`;
}

function letter(from: Person, to: Person[], paragraphs: string[]): string {
  const greeting =
    to.length === 1
      ? pick(GREETINGS).replace('{name}', firstName(to[0] as Person))
      : pick(GROUP_GREETINGS).replace('{names}', to.map(firstName).join(' and '));
  return `${greeting}\n\n${paragraphs.join('\n\n')}\n\n${pick(CLOSINGS)}\n${firstName(from)}`;
}

function textToHtml(text: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const [own, ...rest] = text.split(/\n(?=On .* wrote:|Am .* schrieb|Le .* a écrit)/);
  const ownHtml = esc(own ?? '')
    .split('\n\n')
    .map((p) => `<p style="margin:0 0 12px 0">${p.replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  const quoted = rest.length
    ? `<div class="quote">${esc(rest.join('\n').split('\n')[0] ?? '')}<blockquote style="margin:0 0 0 8px;border-left:2px solid #ccc;padding-left:8px;color:#555">${esc(
        rest
          .join('\n')
          .split('\n')
          .slice(1)
          .map((l) => l.replace(/^> ?/, ''))
          .join('\n')
      ).replace(/\n/g, '<br>')}</blockquote></div>`
    : '';
  return `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222">\n${ownHtml}\n${quoted}\n</body></html>`;
}

function topicAttachment(
  kind: NonNullable<Topic['attach']>,
  subject: string,
  date: number,
  from: Person,
  to: Person[]
): { attachments?: Attachment[]; ics?: string } {
  switch (kind) {
    case 'png':
      return {
        attachments: [
          {
            filename: `${subject
              .toLowerCase()
              .replace(/[^a-z0-9]+/g, '-')
              .replace(/^-|-$/g, '')}.png`,
            contentType: 'image/png',
            content: makePng(
              240,
              120,
              Array.from({ length: 8 }, () => 0.2 + rand() * 0.8),
              [int(30, 90), int(90, 160), int(170, 230)]
            )
          }
        ]
      };
    case 'pdf':
      return {
        attachments: [
          {
            filename: pick(['proposal.pdf', 'invoice-corrected.pdf', 'checklist.pdf', 'terms-2025.pdf']),
            contentType: 'application/pdf',
            content: makePdf(subject, [
              `Prepared by ${from.name}`,
              `Date: ${new Date(date).toDateString()}`,
              '',
              'Summary',
              'This document is generated demo content for the MetaBuilder Email Client.',
              `Reference: ${hex(8).toUpperCase()}`
            ])
          }
        ]
      };
    case 'txt':
      return {
        attachments: [
          {
            filename: 'meeting-notes.txt',
            contentType: 'text/plain',
            content: [
              `Meeting notes - ${new Date(date).toDateString()}`,
              '',
              `Attendees: ${[from, ...to].map((p) => p.name).join(', ')}`,
              '',
              '1. Status of the current sprint: on track, two stories carried over.',
              '2. Release 2.4: feature freeze on Friday.',
              '3. Hiring: two interviews scheduled.',
              '',
              'Action items:',
              `- ${firstName(from)}: send the release notes draft`,
              `- ${firstName(to[0] as Person)}: review the API changes`,
              ''
            ].join('\n')
          }
        ]
      };
    case 'ics': {
      const start = new Date(date + int(3, 6) * DAY);
      start.setHours(10, 0, 0, 0);
      return { ics: icsInvite(`${hex(16)}@example.test`, subject, start.getTime(), 60, from, to) };
    }
  }
}

/** A thread among participants; returns its messages (chronological). */
function makeThread(topic: Topic, participants: Person[], start: number, maxLen: number): Msg[] {
  const out: Msg[] = [];
  let date = start;
  const len = Math.min(maxLen, 1 + topic.replies.length);
  let sender = participants[0] as Person;
  for (let i = 0; i < len; i++) {
    if (i > 0) {
      date += int(20, 60 * 30) * 60_000; // 20 min .. 30 h later
      if (date > NOW - 5 * 60_000) break;
      const others = participants.filter((p) => p !== sender);
      sender = pick(others);
    }
    const recipients = participants.filter((p) => p !== sender);
    const prev = out[out.length - 1];
    const paragraphs = i === 0 ? topic.open : [topic.replies[i - 1] as string];
    let text = letter(sender, recipients, paragraphs);
    if (prev && prev.text) text += '\n\n' + quote(prev.text, prev.from, prev.date);
    const msg: Msg = {
      id: newId(sender),
      from: sender,
      to: recipients.slice(0, 1),
      cc: recipients.slice(1),
      subject: i === 0 ? topic.subject : `Re: ${topic.subject}`,
      date,
      text,
      folder: topic.folder
    };
    if (chance(0.3)) msg.html = textToHtml(text);
    if (prev) {
      msg.inReplyTo = prev.id;
      msg.references = [...(prev.references ?? []), prev.id];
    }
    if (topic.attach && i === 0)
      Object.assign(msg, topicAttachment(topic.attach, topic.subject, date, sender, recipients));
    out.push(msg);
  }
  return out;
}

for (const owner of [ALICE, BOB]) {
  const other = owner === ALICE ? BOB : ALICE;
  for (const topic of TOPICS) {
    const n = topic.folder ? 1 : int(1, 2);
    for (let k = 0; k < n; k++) {
      const withOther = topic.folder ? owner === ALICE : chance(0.3);
      const people = pickSome(
        CONTACTS.filter((c) => c !== MARCO || topic.folder),
        int(1, 2)
      );
      if (topic.folder && !people.includes(MARCO)) people[0] = MARCO;
      const participants = withOther ? [owner, other, ...people.slice(0, 1)] : [owner, ...people];
      // the owner starts about half of the threads
      if (chance(0.5)) participants.push(participants.shift() as Person);
      const thread = makeThread(topic, participants, randomPast(SPAN_DAYS - 3, 1.3), int(2, 5));
      messages.push(...thread);
    }
  }
}

// ---- languages and charsets ------------------------------------------------------------------

interface Foreign {
  from: Person;
  subject: string;
  body: string;
  charset?: LegacyCharset;
  transfer?: Transfer;
  reply?: { subject: string; body: string };
}

const FOREIGN: Foreign[] = [
  {
    from: JUERGEN,
    charset: 'ISO-8859-1',
    transfer: 'quoted-printable',
    subject: 'Angebot für die neuen Büroräume',
    body: 'Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie unser Angebot für den Umbau der Büroräume im zweiten Obergeschoss.\nDie Arbeiten würden etwa drei Wochen dauern; Beginn wäre frühestens Anfang nächsten Monats.\n\nFür Rückfragen stehe ich Ihnen gerne zur Verfügung.\n\nMit freundlichen Grüßen\nJürgen Müller\nMüller Bau GmbH · Königstraße 12 · 70173 Stuttgart',
    reply: {
      subject: 'AW: Angebot für die neuen Büroräume',
      body: 'Hallo Herr Müller,\n\nvielen Dank für das Angebot. Wir prüfen es bis Ende der Woche und melden uns dann.\n\nViele Grüße'
    }
  },
  {
    from: JUERGEN,
    charset: 'ISO-8859-1',
    transfer: 'quoted-printable',
    subject: 'Rückfrage zur Rechnung Nr. 2024-118',
    body: 'Guten Tag,\n\nzu unserer Rechnung Nr. 2024-118 ist bisher keine Zahlung eingegangen. Könnten Sie bitte kurz prüfen, ob die Überweisung veranlasst wurde?\n\nBesten Dank und schöne Grüße\nJürgen Müller'
  },
  {
    from: JUERGEN,
    charset: 'ISO-8859-1',
    transfer: '8bit',
    subject: 'Terminbestätigung: Besprechung am Donnerstag, 14 Uhr',
    body: 'Hallo,\n\nhiermit bestätige ich unseren Termin am Donnerstag um 14 Uhr in Ihrem Büro.\nIch bringe die überarbeiteten Pläne und die Kostenübersicht mit.\n\nGrüße aus Stuttgart\nJürgen Müller'
  },
  {
    from: EMILIE,
    subject: 'Réunion de lancement — ordre du jour',
    body: "Bonjour,\n\nVoici l'ordre du jour pour la réunion de lancement de jeudi :\n\n1. Présentation de l'équipe\n2. Calendrier et étapes clés\n3. Budget prévisionnel\n4. Questions diverses\n\nN'hésitez pas à me faire part de vos remarques.\n\nBien cordialement,\nÉmilie Dubois\nAtelier Dubois — Design & Communication",
    reply: {
      subject: 'Re: Réunion de lancement — ordre du jour',
      body: "Bonjour Émilie,\n\nMerci pour l'ordre du jour, c'est parfait. Pourrions-nous ajouter un point sur la charte graphique ?\n\nÀ jeudi !"
    }
  },
  {
    from: EMILIE,
    subject: 'Devis pour la refonte du site',
    transfer: 'base64',
    body: 'Bonjour,\n\nVous trouverez ci-dessous notre proposition pour la refonte de votre site : maquettes, intégration et accompagnement pendant trois mois.\nMontant total : 12 400 € HT.\n\nJe reste à votre disposition pour en discuter.\n\nCordialement,\nÉmilie'
  },
  {
    from: EMILIE,
    subject: 'Petite question sur la facture de septembre',
    body: 'Bonjour,\n\nLa facture de septembre mentionne deux fois la même prestation. Est-ce une erreur de notre côté ?\n\nMerci d’avance et bonne journée,\nÉmilie'
  },
  {
    from: TANAKA,
    charset: 'ISO-2022-JP',
    transfer: '7bit',
    subject: 'お見積もりの件',
    body: 'お世話になっております。田中商事の田中です。\n\n先日ご依頼いただいた件につきまして、お見積もりをお送りいたします。\nご不明な点がございましたら、お気軽にお問い合わせください。\n\nよろしくお願いいたします。\n\n田中 健\n田中商事株式会社 営業部',
    reply: {
      subject: 'Re: お見積もりの件',
      body: '田中様\n\nお見積もりをお送りいただき、ありがとうございます。\n社内で確認のうえ、来週中にご連絡いたします。\n\nよろしくお願いいたします。'
    }
  },
  {
    from: TANAKA,
    charset: 'ISO-2022-JP',
    transfer: '7bit',
    subject: '来週の打ち合わせについて',
    body: 'いつもお世話になっております。\n\n来週の打ち合わせですが、水曜日の午後三時からでいかがでしょうか。\n場所は弊社の会議室を予定しております。\n\nご都合をお知らせいただけますと幸いです。\n\n田中'
  },
  {
    from: TANAKA,
    subject: '新製品カタログ送付のお知らせ',
    transfer: 'base64',
    body: 'お世話になっております。\n\n新製品のカタログを本日郵送いたしました。三日ほどで届く予定です。\nデジタル版もご用意しておりますので、必要でしたらお申し付けください。\n\n田中商事株式会社\n田中 健'
  },
  {
    from: OLGA,
    charset: 'KOI8-R',
    transfer: '8bit',
    subject: 'Отчёт о поставках за квартал',
    body: 'Добрый день!\n\nНаправляю отчёт о поставках за третий квартал. Объём перевозок вырос на 14 процентов по сравнению с прошлым годом.\nПодробные цифры по каждому складу - в таблице ниже.\n\nС уважением,\nОльга Иванова\nСевертранс',
    reply: {
      subject: 'Re: Отчёт о поставках за квартал',
      body: 'Ольга, добрый день!\n\nСпасибо за отчёт, всё получили. Вопросы пришлю до пятницы.\n\nС уважением'
    }
  },
  {
    from: OLGA,
    charset: 'KOI8-R',
    transfer: 'base64',
    subject: 'Вопрос по договору',
    body: 'Здравствуйте!\n\nПодскажите, пожалуйста, когда мы сможем получить подписанный экземпляр договора? Бухгалтерия просит его до конца месяца.\n\nСпасибо!\nОльга'
  },
  {
    from: OLGA,
    subject: 'Поздравляем с запуском нового сайта!',
    body: 'Коллеги, поздравляем с запуском! Сайт выглядит отлично, особенно новая страница с кейсами.\n\nОльга'
  },
  {
    from: { name: 'Sofia García', email: 'sofia.garcia@lumen.example' },
    subject: '¿Nos vemos en la feria de Madrid?',
    body: 'Hola,\n\n¿Vais a ir a la feria de Madrid en noviembre? Nos encantaría enseñaros la nueva versión de nuestra integración.\n\nUn saludo,\nSofía'
  },
  {
    from: { name: 'Grace Liu', email: 'grace.liu@example.com' },
    subject: '会议纪要：产品路线图讨论',
    transfer: 'base64',
    body: '大家好，\n\n附上今天产品路线图讨论的会议纪要。下次会议定在下周二上午十点。\n\n谢谢！\nGrace'
  }
];

const EMOJI_SUBJECTS: Array<[string, string]> = [
  [
    '🎉 Team offsite is booked!',
    'We are going to the lake house! Packing list and carpool sign-up to follow.'
  ],
  ['☕ Coffee on Friday?', 'The new place next to the station opens on Friday. Who is in?'],
  [
    '🚀 Release 2.4 is live',
    'Release 2.4 is out: faster search, thread view and a dark mode. Thanks everyone!'
  ],
  ['🌮 Taco Tuesday poll', 'Vote for the toppings in the poll in the team channel before noon.'],
  ['🎂 Cake in the kitchen', "It is Dave's birthday, there is cake in the kitchen. 🍰"],
  ['✅ All tests green again', 'The flaky integration test is fixed, the pipeline is green again.'],
  ['📣 All-hands moved to 3 pm', 'Heads-up: the all-hands moved to 3 pm because of the board meeting.'],
  ['🌧️ Office closed Monday (storm warning)', 'Please work from home on Monday, the office will be closed.']
];

for (const owner of [ALICE, BOB]) {
  for (const f of FOREIGN) {
    const date = randomPast(SPAN_DAYS - 5, 1.2);
    const first: Msg = {
      id: newId(f.from),
      from: f.from,
      to: [owner],
      subject: f.subject,
      date,
      text: f.body,
      legacy: f.charset ? { charset: f.charset, transfer: f.transfer ?? '8bit' } : undefined,
      transfer: f.charset ? undefined : f.transfer
    };
    messages.push(first);
    if (f.reply && date + 3 * HOUR < NOW) {
      const rdate = date + int(1, 26) * HOUR;
      if (rdate < NOW - 10 * 60_000) {
        messages.push({
          id: newId(owner),
          from: owner,
          to: [f.from],
          subject: f.reply.subject,
          date: rdate,
          text: `${f.reply.body}\n${firstName(owner)}\n\n${quote(f.body, f.from, date, f.from.lang)}`,
          inReplyTo: first.id,
          references: [first.id]
        });
      }
    }
  }
}

// emoji subjects: team mail to alice and bob (and carol and dave)
for (const [subject, body] of EMOJI_SUBJECTS) {
  const team = [ALICE, BOB, CAROL, DAVE];
  const from = pick(team);
  messages.push({
    id: newId(from),
    from,
    to: team.filter((p) => p !== from),
    subject,
    date: randomPast(90, 1.3),
    text: `${body}\n\n${firstName(from)}`,
    html: chance(0.5)
      ? `<html><body style="font-family:Helvetica,Arial,sans-serif"><p style="font-size:16px">${body}</p><p>${firstName(from)}</p></body></html>`
      : undefined
  });
}

// ---- newsletters -----------------------------------------------------------------------------

interface Newsletter {
  from: Person;
  slug: string;
  title: string;
  color: string;
  everyDays: number;
  lang: 'en' | 'de' | 'fr';
  subjects: string[];
  items: string[];
}

const NEWSLETTERS: Newsletter[] = [
  {
    from: { name: 'The Weekly Byte', email: 'newsletter@weeklybyte.example' },
    slug: 'weeklybyte',
    title: 'The Weekly Byte',
    color: '#1f4e79',
    everyDays: 7,
    lang: 'en',
    subjects: [
      'The Weekly Byte #{n}: Rust in the kernel, SQLite everywhere',
      'The Weekly Byte #{n}: WebAssembly on the server',
      'The Weekly Byte #{n}: Postgres 17 deep dive',
      'The Weekly Byte #{n}: The state of JavaScript bundlers',
      'The Weekly Byte #{n}: Local-first software, revisited'
    ],
    items: [
      'Why every team should write an incident review',
      'A gentle introduction to CRDTs',
      'Benchmarking IMAP servers on a Raspberry Pi',
      'The hidden cost of microservices',
      'Ten years of TypeScript',
      'How we cut our CI time in half',
      'Understanding Unicode normalization',
      'What is new in HTTP/3'
    ]
  },
  {
    from: { name: 'Trailhead Outdoor', email: 'deals@trailhead-outdoor.example' },
    slug: 'trailhead',
    title: 'Trailhead Outdoor',
    color: '#2e7d32',
    everyDays: 12,
    lang: 'en',
    subjects: [
      'Up to 40% off rain jackets ☔',
      'New arrivals: ultralight tents',
      'Last chance: free shipping ends tonight',
      'Your weekend adventure starts here 🏕️',
      'Members save an extra 15 %'
    ],
    items: [
      'Stormline rain jacket',
      'Featherlite 2P tent',
      'Summit 45 L backpack',
      'Trail runner GTX',
      'Merino base layer',
      'Titanium camp mug'
    ]
  },
  {
    from: { name: 'Stadtbibliothek Neustadt', email: 'newsletter@stadtbibliothek-neustadt.example' },
    slug: 'bibliothek',
    title: 'Stadtbibliothek Neustadt',
    color: '#8e2430',
    everyDays: 21,
    lang: 'de',
    subjects: [
      'Neu im Bestand: Romane für den Herbst',
      'Lesung mit Jana Köhler am Freitag',
      'Öffnungszeiten über die Feiertage',
      'Ihre Bibliothek im {month}: Veranstaltungen & Tipps'
    ],
    items: [
      'Lesecafé jeden Mittwoch',
      'Makerspace: 3D-Druck für Einsteiger',
      'Vorlesestunde für Kinder',
      'Neue Hörbücher in der Onleihe',
      'Sprachcafé Englisch & Spanisch'
    ]
  },
  {
    from: { name: 'Launch Radar', email: 'digest@launchradar.example' },
    slug: 'launchradar',
    title: 'Launch Radar',
    color: '#d9480f',
    everyDays: 10,
    lang: 'en',
    subjects: [
      "Today's top launches: {item}",
      'Launch Radar daily: {item} and 4 more',
      '🔥 Trending: {item}'
    ],
    items: [
      'Inboxly – calm email for busy teams',
      'Schemify – database diagrams from SQL',
      'Notewise – AI meeting notes',
      'Pixelpal – screenshot annotations',
      'Tidyfin – personal finance dashboard'
    ]
  },
  {
    from: { name: 'Kitchen Notes', email: 'hello@kitchennotes.example' },
    slug: 'kitchen',
    title: 'Kitchen Notes',
    color: '#b7791f',
    everyDays: 14,
    lang: 'en',
    subjects: [
      'This week: {item}',
      'Five dinners under 30 minutes',
      'Soup season is here 🍲',
      'Baking basics: {item}'
    ],
    items: [
      'One-pot lemon orzo',
      'Crispy chickpea salad',
      'Miso-glazed aubergine',
      'Sourdough for beginners',
      'Spiced pumpkin soup'
    ]
  },
  {
    from: { name: 'Le Journal du Design', email: 'lettre@journaldudesign.example' },
    slug: 'journaldesign',
    title: 'Le Journal du Design',
    color: '#5f3dc4',
    everyDays: 15,
    lang: 'fr',
    subjects: [
      'La lettre du design — n° {n}',
      'Typographie : les tendances de la saison',
      'Entretien avec une directrice artistique'
    ],
    items: [
      'Les couleurs de l’automne',
      'Le retour des polices à empattements',
      'Concevoir pour l’accessibilité',
      'Portfolio : nos coups de cœur',
      'Outils : les nouveautés du mois'
    ]
  }
];

function newsletterHtml(
  nl: Newsletter,
  n: number,
  subject: string,
  picks: string[],
  recipient: Person
): string {
  const track = `https://images.example.com/t/open.gif?c=${nl.slug}-${n}&u=${Buffer.from(recipient.email).toString('hex').slice(0, 16)}`;
  const labels =
    nl.lang === 'de'
      ? {
          read: 'Weiterlesen',
          unsub: 'Vom Newsletter abmelden',
          view: 'Im Browser ansehen',
          why: 'Sie erhalten diese E-Mail, weil Sie unseren Newsletter abonniert haben.'
        }
      : nl.lang === 'fr'
        ? {
            read: 'Lire la suite',
            unsub: 'Se désabonner',
            view: 'Voir dans le navigateur',
            why: 'Vous recevez cet e-mail car vous êtes abonné(e) à notre lettre.'
          }
        : {
            read: 'Read more',
            unsub: 'Unsubscribe',
            view: 'View in browser',
            why: 'You are receiving this email because you subscribed to our newsletter.'
          };
  const rows = picks
    .map(
      (item, i) => `
          <tr>
            <td style="padding:16px 24px;border-bottom:1px solid #eeeeee">
              <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
                <tr>
                  <td width="120" valign="top"><img src="https://images.example.com/newsletters/${nl.slug}/item-${n}-${i}.jpg" width="110" height="80" alt="" style="display:block;border-radius:6px"></td>
                  <td valign="top" style="padding-left:12px;font-family:Georgia,serif">
                    <h2 style="margin:0 0 6px 0;font-size:18px;color:#222222">${item}</h2>
                    <p style="margin:0 0 8px 0;font-size:14px;line-height:20px;color:#555555">${nl.lang === 'de' ? 'Alle Details und Termine finden Sie auf unserer Website.' : nl.lang === 'fr' ? 'Découvrez tous les détails sur notre site.' : 'A short teaser about this story, written to make you click the link below.'}</p>
                    <a href="https://${domainOf(nl.from.email)}/r/${n}/${i}?utm_source=newsletter&amp;utm_medium=email" style="color:${nl.color};font-weight:bold;text-decoration:none">${labels.read} &rarr;</a>
                  </td>
                </tr>
              </table>
            </td>
          </tr>`
    )
    .join('');
  return `<!DOCTYPE html>
<html lang="${nl.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${subject}</title>
<style>
  @media (max-width: 620px) { .container { width: 100% !important; } }
  a:hover { text-decoration: underline !important; }
</style>
</head>
<body style="margin:0;padding:0;background-color:#f4f4f7">
  <div style="display:none;max-height:0;overflow:hidden">${picks[0] ?? ''} &zwnj;&nbsp;&zwnj;&nbsp;</div>
  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f7">
    <tr>
      <td align="center" style="padding:24px 8px">
        <table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0" style="background-color:#ffffff;border-radius:8px;overflow:hidden">
          <tr>
            <td style="padding:8px 24px;font-family:Arial,sans-serif;font-size:11px;color:#999999;text-align:right">
              <a href="https://${domainOf(nl.from.email)}/view/${n}" style="color:#999999">${labels.view}</a>
            </td>
          </tr>
          <tr>
            <td style="background-color:${nl.color};padding:24px;text-align:center">
              <img src="https://images.example.com/newsletters/${nl.slug}/logo.png" width="160" height="40" alt="${nl.title}" style="display:inline-block">
            </td>
          </tr>
          <tr>
            <td><img src="https://images.example.com/newsletters/${nl.slug}/hero-${n}.jpg" width="600" height="220" alt="" style="display:block;width:100%;height:auto"></td>
          </tr>
          <tr>
            <td style="padding:24px 24px 8px 24px;font-family:Georgia,serif">
              <h1 style="margin:0;font-size:24px;line-height:30px;color:#111111">${subject}</h1>
            </td>
          </tr>${rows}
          <tr>
            <td style="padding:24px;font-family:Arial,sans-serif;font-size:12px;line-height:18px;color:#888888;text-align:center">
              ${labels.why}<br>
              <a href="https://${domainOf(nl.from.email)}/unsubscribe?u=${hex(12)}" style="color:#888888">${labels.unsub}</a>
            </td>
          </tr>
        </table>
      </td>
    </tr>
  </table>
  <img src="${track}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">
</body>
</html>`;
}

for (const owner of [ALICE, BOB]) {
  const subs = owner === ALICE ? NEWSLETTERS : NEWSLETTERS.filter((nl) => nl.slug !== 'kitchen');
  for (const nl of subs) {
    let n = int(40, 120);
    for (let t = NOW - int(0, nl.everyDays) * DAY; t > NOW - SPAN_DAYS * DAY; t -= nl.everyDays * DAY) {
      n++;
      const d = new Date(t);
      d.setHours(int(5, 9), int(0, 59), 0, 0);
      const date = Math.min(d.getTime(), NOW - int(30, 300) * 60_000);
      const picks = pickSome(nl.items, int(3, 4));
      const subject = pick(nl.subjects)
        .replace('{n}', String(n))
        .replace('{item}', picks[0] ?? '')
        .replace('{month}', d.toLocaleDateString('de-DE', { month: 'long' }));
      const html = newsletterHtml(nl, n, subject, picks, owner);
      const text = `${nl.title} — ${subject}\n\n${picks.map((p, i) => `* ${p}\n  https://${domainOf(nl.from.email)}/r/${n}/${i}`).join('\n\n')}\n\n--\nUnsubscribe: https://${domainOf(nl.from.email)}/unsubscribe`;
      const age = (NOW - date) / DAY;
      messages.push({
        id: newId(nl.from),
        from: nl.from,
        to: [owner],
        subject,
        date,
        html,
        text,
        headers: {
          'List-Id': `${nl.title} <${nl.slug}.list.${domainOf(nl.from.email)}>`,
          'List-Unsubscribe': `<https://${domainOf(nl.from.email)}/unsubscribe?u=${hex(10)}>, <mailto:unsubscribe@${domainOf(nl.from.email)}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          Precedence: 'bulk'
        },
        folder: age > 30 && chance(0.6) ? 'Archive' : chance(0.06) ? 'Trash' : 'INBOX',
        seen: age > 14 ? 0.4 : 0.15
      });
    }
  }
}

// ---- notifications (plain text) -------------------------------------------------------------

const CI: Person = { name: 'CodeHub CI', email: 'ci@builds.codehub.example' };
const CODEHUB: Person = { name: 'CodeHub', email: 'notifications@codehub.example' };
const PARCEL: Person = { name: 'ParcelPoint', email: 'tracking@parcelpoint.example' };
const ACCOUNTS: Person = { name: 'Cloudhost Security', email: 'security@cloudhost.example' };
const CALENDAR: Person = { name: 'Calendar', email: 'calendar-noreply@example.test' };

for (const owner of [ALICE, BOB]) {
  for (let i = 0; i < 16; i++) {
    const build = 4100 + i * 7 + int(0, 6);
    const ok = chance(0.8);
    const branch = pick(['main', 'main', 'feature/thread-view', 'fix/imap-idle', 'feature/search']);
    messages.push({
      id: newId(CI),
      from: CI,
      to: [owner],
      subject: `[emailclient] Build #${build} ${ok ? 'passed' : 'failed'} on ${branch}`,
      date: randomPast(SPAN_DAYS, 1.1),
      text: `Build #${build} ${ok ? 'passed' : 'FAILED'}\n\nRepository: metabuilder/emailclient\nBranch:     ${branch}\nCommit:     ${hex(7)} ${pick(['Fix flaky IDLE test', 'Add thread view', 'Bump dependencies', 'Improve search ranking', 'Refactor sync worker'])}\nDuration:   ${int(3, 14)}m ${int(0, 59)}s\n\n${ok ? 'All 412 tests passed.' : `Failed: tests/integration/sync.test.ts > keeps flags in sync\n  AssertionError: expected 3 to be 4`}\n\nView the build: https://builds.codehub.example/metabuilder/emailclient/${build}\n`,
      folder: chance(0.3) ? 'Archive' : undefined,
      seen: 0.5
    });
  }
  for (let i = 0; i < 10; i++) {
    const pr = 80 + i * 3 + int(0, 2);
    const author = pick([CAROL, DAVE, owner === ALICE ? BOB : ALICE]);
    const title = pick([
      'Add thread view',
      'Support QRESYNC',
      'Sanitize HTML mail in a sandboxed iframe',
      'Keyboard shortcuts',
      'Store search vectors',
      'Remote image blocking'
    ]);
    const id = newId(CODEHUB);
    messages.push({
      id,
      from: { name: `${author.name} (CodeHub)`, email: CODEHUB.email },
      to: [owner],
      subject: `Re: [metabuilder/emailclient] ${title} (PR #${pr})`,
      date: randomPast(SPAN_DAYS, 1.3),
      text: `${pick(['LGTM, one nit inline.', 'Could you add a test for the empty mailbox case?', 'Rebased on main, ready for another look.', 'Merged, thanks!'])}\n\n—\nReply to this email directly or view it on CodeHub:\nhttps://codehub.example/metabuilder/emailclient/pull/${pr}\nYou are receiving this because you were mentioned.`,
      headers: { 'List-Id': 'metabuilder/emailclient <emailclient.metabuilder.codehub.example>' },
      references: [`metabuilder/emailclient/pull/${pr}@codehub.example`],
      inReplyTo: `metabuilder/emailclient/pull/${pr}@codehub.example`
    });
  }
  for (let i = 0; i < 6; i++) {
    const tracking = `PP${int(100000000, 999999999)}DE`;
    messages.push({
      id: newId(PARCEL),
      from: PARCEL,
      to: [owner],
      subject:
        pick([
          'Your parcel is on its way 📦',
          'Your parcel was delivered',
          'Delivery today between 10:00 and 14:00'
        ]) + ` (${tracking})`,
      date: randomPast(SPAN_DAYS, 1.2),
      text: `Hello ${firstName(owner)},\n\nTracking number: ${tracking}\nTrack your parcel: https://parcelpoint.example/track/${tracking}\n\nParcelPoint`,
      seen: 0.6
    });
  }
  for (let i = 0; i < 3; i++) {
    messages.push({
      id: newId(ACCOUNTS),
      from: ACCOUNTS,
      to: [owner],
      subject: 'New sign-in to your Cloudhost account',
      date: randomPast(SPAN_DAYS, 1),
      text: `Hi ${firstName(owner)},\n\nWe noticed a new sign-in to your account.\n\nDevice:   ${pick(['Firefox on Linux', 'Safari on iPhone', 'Chrome on Windows'])}\nLocation: ${pick(['Berlin, Germany', 'Lyon, France', 'Amsterdam, Netherlands'])}\nTime:     ${fmtDateEn(NOW - int(1, 100) * DAY)}\n\nIf this was you, you can ignore this message. Otherwise reset your password at https://cloudhost.example/security.\n\nCloudhost Security`,
      flagged: i === 0
    });
  }
  for (let i = 0; i < 8; i++) {
    const when = randomPast(SPAN_DAYS, 1.2);
    messages.push({
      id: newId(CALENDAR),
      from: CALENDAR,
      to: [owner],
      subject: `Reminder: ${pick(['Design review', '1:1 with Carol', 'Sprint planning', 'Dentist', 'Release retro'])} @ ${new Date(when + HOUR).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`,
      date: when,
      text: `This is a reminder for an event starting in 15 minutes.\n\nCalendar: ${owner.email}\n`,
      folder: chance(0.5) ? 'Trash' : undefined,
      seen: 0.6
    });
  }
}

// ---- receipts with PDF attachments ------------------------------------------------------------

const SHOPS = [
  {
    from: { name: 'Cloudhost Billing', email: 'billing@cloudhost.example' },
    what: 'Cloud hosting, Pro plan',
    amount: [49, 49] as [number, number],
    currency: 'EUR',
    prefix: 'INV'
  },
  {
    from: { name: 'Trailhead Outdoor', email: 'orders@trailhead-outdoor.example' },
    what: 'Online order',
    amount: [35, 260] as [number, number],
    currency: 'EUR',
    prefix: 'TH'
  },
  {
    from: { name: 'Café Central', email: 'receipts@cafecentral.example' },
    what: 'Team breakfast',
    amount: [38, 95] as [number, number],
    currency: 'EUR',
    prefix: 'CC'
  },
  {
    from: { name: 'Deutsche Fernbahn', email: 'buchung@fernbahn.example' },
    what: 'Fahrkarte Stuttgart – Berlin',
    amount: [39, 129] as [number, number],
    currency: 'EUR',
    prefix: 'DF'
  },
  {
    from: { name: 'Paperstack', email: 'billing@paperstack.example' },
    what: 'Paperstack Team subscription',
    amount: [12, 12] as [number, number],
    currency: 'USD',
    prefix: 'PS'
  }
];

for (const owner of [ALICE, BOB]) {
  for (let i = 0; i < 16; i++) {
    const shop = SHOPS[i % SHOPS.length] as (typeof SHOPS)[number];
    const number = `${shop.prefix}-${2024 + (i % 2)}-${String(int(1, 9999)).padStart(4, '0')}`;
    const amount = (int(shop.amount[0] * 100, shop.amount[1] * 100) / 100).toFixed(2);
    const date = randomPast(SPAN_DAYS, 1);
    const de = shop.prefix === 'DF';
    messages.push({
      id: newId(shop.from),
      from: shop.from,
      to: [owner],
      subject: de ? `Ihre Buchungsbestätigung ${number}` : `Your receipt ${number}`,
      date,
      text: de
        ? `Guten Tag ${owner.name},\n\nvielen Dank für Ihre Buchung. Ihre Fahrkarte finden Sie im Anhang.\n\nBetrag: ${amount} €\n\nGute Fahrt!\nDeutsche Fernbahn`
        : `Hi ${firstName(owner)},\n\nThanks for your purchase. Your receipt is attached.\n\n${shop.what}\nTotal: ${amount} ${shop.currency}\n\n${shop.from.name}`,
      html: de
        ? undefined
        : `<html><body style="font-family:Helvetica,Arial,sans-serif;color:#222"><table role="presentation" width="100%" style="max-width:520px;border-collapse:collapse"><tr><td style="padding:12px 0;font-size:20px;font-weight:bold">${shop.from.name}</td></tr><tr><td style="padding:8px 0">Thanks for your purchase, ${firstName(owner)}!</td></tr><tr><td><table width="100%" style="border-collapse:collapse;border-top:1px solid #ddd"><tr><td style="padding:8px 0">${shop.what}</td><td align="right" style="padding:8px 0">${amount} ${shop.currency}</td></tr><tr><td style="padding:8px 0;font-weight:bold;border-top:1px solid #ddd">Total</td><td align="right" style="padding:8px 0;font-weight:bold;border-top:1px solid #ddd">${amount} ${shop.currency}</td></tr></table></td></tr><tr><td style="padding-top:16px;font-size:12px;color:#888">Receipt ${number} · <img src="https://images.example.com/receipts/${shop.prefix.toLowerCase()}/pixel.gif" width="1" height="1" alt=""></td></tr></table></body></html>`,
      attachments: [
        {
          filename: `${number}.pdf`,
          contentType: 'application/pdf',
          content: makePdf(de ? `Fahrkarte ${number}` : `Receipt ${number}`, [
            `${shop.from.name}`,
            `Billed to: ${owner.name} <${owner.email}>`,
            `Date: ${new Date(date).toISOString().slice(0, 10)}`,
            '',
            `${shop.what.replace(/[^\x20-\x7e]/g, '-')} ........ ${amount} ${shop.currency}`,
            '',
            `Total: ${amount} ${shop.currency}`
          ])
        }
      ],
      folder: chance(0.85) ? 'Receipts' : 'INBOX',
      seen: 0.6
    });
  }
}

// ---- inline image, misc attachments --------------------------------------------------------------

for (const owner of [ALICE, BOB]) {
  const from = owner === ALICE ? CAROL : DAVE;
  const logo = makePng(96, 48, [0.4, 0.7, 1, 0.8], [200, 60, 90]);
  messages.push({
    id: newId(from),
    from,
    to: [owner],
    subject: 'New team logo candidates',
    date: randomPast(60, 1),
    text: 'Here are the logo candidates from the design team (see the image inline). Which one do you like?',
    html: `<html><body style="font-family:Helvetica,Arial,sans-serif"><p>Here are the logo candidates from the design team:</p><p><img src="cid:logo-candidates@example.test" width="96" height="48" alt="Logo candidates"></p><p>Which one do you like?</p><p>${firstName(from)}</p></body></html>`,
    attachments: [
      {
        filename: 'logo-candidates.png',
        contentType: 'image/png',
        content: logo,
        cid: 'logo-candidates@example.test'
      }
    ],
    flagged: true
  });
  messages.push({
    id: newId(from),
    from,
    to: [owner],
    subject: 'Photos and notes from the workshop',
    date: randomPast(120, 1),
    text: 'Attached: the whiteboard photo (well, a chart of it), the raw notes and the slides as PDF.',
    attachments: [
      {
        filename: 'whiteboard.png',
        contentType: 'image/png',
        content: makePng(320, 180, [0.3, 0.5, 0.9, 0.6, 0.75], [60, 120, 200])
      },
      {
        filename: 'workshop-notes.txt',
        contentType: 'text/plain',
        content:
          'Workshop notes\n==============\n\n- Personas: 3 primary, 2 secondary\n- Top pain point: finding old attachments\n- Idea: attachment gallery per contact\n'
      },
      {
        filename: 'workshop-slides.pdf',
        contentType: 'application/pdf',
        content: makePdf('Workshop: Email that respects your time', [
          'Agenda',
          '1. Research findings',
          '2. Personas',
          '3. Ideas and next steps'
        ])
      }
    ]
  });
}

// ---- junk --------------------------------------------------------------------------------------

const JUNK = [
  {
    from: { name: 'Prize Center', email: 'winner@prize-center.example' },
    subject: 'Congratulations!!! You have WON a $1,000 gift card',
    body: 'Click here to claim your prize before it expires: https://prize-center.example/claim'
  },
  {
    from: { name: 'IT Helpdesk', email: 'helpdesk@mail-quota-alert.example' },
    subject: 'Your mailbox is 98% full – verify your account now',
    body: 'Your mailbox will be suspended. Verify your password here: https://mail-quota-alert.example/verify'
  },
  {
    from: { name: 'Crypto Insider', email: 'signals@crypto-moon.example' },
    subject: '🚀🚀 This coin will 100x next week',
    body: 'Insider tip: buy before Friday. https://crypto-moon.example/join'
  },
  {
    from: { name: 'Accounts Payable', email: 'ap@invoice-overdue.example' },
    subject: 'Re: Invoice overdue – action required',
    body: 'Please see the attached invoice and pay immediately to avoid penalties.'
  },
  {
    from: { name: 'Pharma Deals', email: 'best@cheap-meds.example' },
    subject: 'Cheap meds, no prescription needed',
    body: 'Lowest prices guaranteed. https://cheap-meds.example'
  },
  {
    from: { name: 'Dating Matches', email: 'noreply@lonely-hearts.example' },
    subject: '3 singles near you want to meet',
    body: 'See who is waiting for you: https://lonely-hearts.example'
  },
  {
    from: { name: 'Shipping Notice', email: 'notice@dhl-track-parcel.example' },
    subject: 'Your package could not be delivered',
    body: 'Pay the customs fee of 1.99 EUR to receive your parcel: https://dhl-track-parcel.example/pay'
  },
  {
    from: { name: 'SEO Expert', email: 'rank@first-page-seo.example' },
    subject: 'Get your website on the first page of Google',
    body: 'We noticed your website is not ranking. Reply for a free audit.'
  }
];
for (const owner of [ALICE, BOB]) {
  for (const j of JUNK) {
    messages.push({
      id: newId(j.from),
      from: j.from,
      to: [owner],
      subject: j.subject,
      date: randomPast(45, 1),
      text: j.body,
      html: `<html><body style="background:#fff8e1;font-family:Arial"><center><img src="https://images.example.com/promo/${hex(8)}.jpg" width="480" height="200" alt="OFFER"><h1 style="color:#d00000">${j.subject}</h1><p style="font-size:18px">${j.body}</p><img src="https://images.example.com/t/${hex(16)}.gif" width="1" height="1"></center></body></html>`,
      folder: 'Junk',
      seen: 0.2
    });
  }
}

// ---- drafts ------------------------------------------------------------------------------------

for (const owner of [ALICE, BOB]) {
  const drafts: Array<[string, Person, string]> = [
    [
      'Re: Website relaunch: launch checklist',
      MARCO,
      'Hi Marco,\n\none more item for the checklist: we should double-check the redirects for the old blog URLs.\n\n'
    ],
    [
      'Vacation plans',
      { name: 'Julia Martin', email: 'julia.martin@example.org' },
      'Hi Julia,\n\nwhat do you think about the coast in the first week of June? I found a small '
    ],
    [
      'Feedback on the proposal',
      CAROL,
      'Carol,\n\nI read the proposal twice. Overall I like it, but the timeline in section 3 seems '
    ]
  ];
  for (const [subject, to, text] of owner === ALICE ? drafts : drafts.slice(0, 2)) {
    messages.push({
      id: newId(owner),
      from: owner,
      to: [to],
      subject,
      date: NOW - int(1, 20) * DAY - int(1, 600) * 60_000,
      text,
      draft: true
    });
  }
}

// a few messages from today, so the demo opens on fresh mail
for (const owner of [ALICE, BOB]) {
  const from = pick(CONTACTS);
  const today = new Date(NOW);
  const t0 = Math.max(
    new Date(today.getFullYear(), today.getMonth(), today.getDate(), 7, 30).getTime(),
    NOW - 6 * HOUR
  );
  const times = [t0, t0 + (NOW - t0) * 0.5, NOW - 4 * 60_000].sort((a, b) => a - b);
  const subjects = [
    'Quick question about tomorrow',
    'Slides for the board meeting',
    '🎉 We hit 10,000 users!'
  ];
  times.forEach((t, i) =>
    messages.push({
      id: newId(from),
      from,
      to: [owner],
      subject: subjects[i] as string,
      date: Math.min(t, NOW - 60_000),
      text: letter(
        from,
        [owner],
        [
          pick([
            'Do you have five minutes today?',
            'See the attached deck, feedback welcome.',
            'Just crossed 10k sign-ups. Drinks on me on Friday!'
          ])
        ]
      ),
      seen: 0
    })
  );
}

// ---------------------------------------------------------------------------------------------
// MIME

async function compose(m: Msg): Promise<Buffer> {
  const headers: Record<string, string | { prepared: true; value: string }> = {
    'X-Demo-Seed': 'metabuilder-demo-v1',
    ...(m.headers ?? {})
  };
  const options: ComposerOptions = {
    from: addr(m.from),
    to: m.to.map(addr),
    cc: m.cc && m.cc.length ? m.cc.map(addr) : undefined,
    messageId: `<${m.id}>`,
    date: new Date(m.date),
    inReplyTo: m.inReplyTo ? `<${m.inReplyTo}>` : undefined,
    references: m.references?.map((r) => `<${r}>`),
    attachments: m.attachments?.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      cid: a.cid
    })),
    icalEvent: m.ics ? { method: 'REQUEST', filename: 'invite.ics', content: m.ics } : undefined,
    headers,
    newline: 'windows'
  };
  if (m.legacy) {
    // a legacy charset: hand-encoded subject and body bytes
    headers.Subject = { prepared: true, value: encodedWords(m.subject, m.legacy.charset) };
    options.alternatives = [
      {
        contentType: `text/plain; charset=${m.legacy.charset}`,
        content: charsetBytes((m.text ?? '').replace(/\r?\n/g, '\n'), m.legacy.charset),
        contentTransferEncoding: m.legacy.transfer
      }
    ];
  } else {
    options.subject = m.subject;
    if (m.text !== undefined)
      options.text = m.transfer ? { content: m.text, contentTransferEncoding: m.transfer } : m.text;
    if (m.html !== undefined) options.html = m.html;
  }
  if (m.draft) headers['X-Uniform-Type-Identifier'] = 'com.apple.mail-draft';
  if (m.legacy && (m.legacy.transfer === '7bit' || m.legacy.transfer === '8bit')) {
    // MimeNode only writes Buffers as quoted-printable or base64; build the headers with a
    // placeholder and put the raw 7bit/8bit body bytes in place ourselves
    const body = options.alternatives?.[0]?.content as Buffer;
    options.alternatives = [{ contentType: `text/plain; charset=${m.legacy.charset}`, content: 'x' }];
    const built = await new MailComposer(options).compile().build();
    const end = built.indexOf('\r\n\r\n');
    const head = built
      .subarray(0, end)
      .toString('latin1')
      .replace(/^Content-Transfer-Encoding: .*$/im, `Content-Transfer-Encoding: ${m.legacy.transfer}`);
    return Buffer.concat([Buffer.from(head + '\r\n\r\n', 'latin1'), body, Buffer.from('\r\n')]);
  }
  return new MailComposer(options).compile().build();
}

// ---------------------------------------------------------------------------------------------
// placement per demo user

interface Placement {
  mailbox: Mailbox;
  raw: Buffer;
  flags: string[];
  date: Date;
}

function isRecipient(m: Msg, p: Person): boolean {
  return m.to.some((x) => x.email === p.email) || (m.cc ?? []).some((x) => x.email === p.email);
}

async function plan(user: Person): Promise<Placement[]> {
  const out: Placement[] = [];
  const answered = new Set<string>();
  for (const m of messages)
    if (m.from.email === user.email && m.inReplyTo && !m.draft) answered.add(m.inReplyTo);
  for (const m of messages) {
    const sent = m.from.email === user.email;
    const received = isRecipient(m, user);
    if (!sent && !received) continue;
    const raw = await compose(m);
    const date = new Date(m.date);
    if (m.draft) {
      if (sent) out.push({ mailbox: 'Drafts', raw, flags: ['\\Draft', '\\Seen'], date });
      continue;
    }
    if (sent) out.push({ mailbox: 'Sent', raw, flags: ['\\Seen'], date });
    if (!received) continue;
    const ageDays = (NOW - m.date) / DAY;
    const mailbox: Mailbox = m.folder ?? (ageDays > 60 && chance(0.55) ? 'Archive' : 'INBOX');
    const seenChance = m.seen ?? (ageDays > 30 ? 0.45 : ageDays > 3 ? 0.3 : 0.2);
    const flags: string[] = [];
    // archived and deleted mail was mostly read; overall about 60 % of the mail is \Seen
    const filedAway = mailbox === 'Archive' || mailbox === 'Trash';
    if (chance(seenChance) || (filedAway && chance(0.6))) flags.push('\\Seen');
    if (m.flagged ?? (mailbox !== 'Junk' && mailbox !== 'Trash' && chance(0.07))) flags.push('\\Flagged');
    if (answered.has(m.id)) flags.push('\\Answered', ...(flags.includes('\\Seen') ? [] : ['\\Seen']));
    out.push({ mailbox, raw, flags, date });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// IMAP

const EXTRA_FOLDERS = ['Projects', 'Projects/Website', 'Receipts'];
const ALL_FOLDERS: Mailbox[] = [
  'INBOX',
  'Sent',
  'Archive',
  'Drafts',
  'Junk',
  'Trash',
  'Projects/Website',
  'Receipts'
];

async function connect(user: string, host: string, port: number, pass: string): Promise<ImapFlow> {
  const client = new ImapFlow({ host, port, secure: false, auth: { user, pass }, logger: false });
  await client.connect();
  return client;
}

function summarize(summary: Record<string, Record<string, number>>): string {
  return Object.entries(summary)
    .map(([u, c]) => {
      const total = Object.values(c).reduce((a, b) => a + b, 0);
      return `${u}: ${total} (${Object.entries(c)
        .filter(([, n]) => n > 0)
        .map(([f, n]) => `${f} ${n}`)
        .join(', ')})`;
    })
    .join('; ');
}

/** --dump DIR: write every planned message as DIR/<user>/<mailbox>/<n>.eml (no servers needed). */
async function dump(dir: string): Promise<void> {
  const summary: Record<string, Record<string, number>> = {};
  for (const user of [BOB, ALICE]) {
    const counts: Record<string, number> = {};
    for (const p of await plan(user)) {
      counts[p.mailbox] = (counts[p.mailbox] ?? 0) + 1;
      const folder = join(dir, user.email, p.mailbox);
      mkdirSync(folder, { recursive: true });
      const flags = p.flags.map((f) => f.replace('\\', '')).join(',');
      writeFileSync(
        join(folder, `${String(counts[p.mailbox]).padStart(4, '0')}${flags ? '.' + flags : ''}.eml`),
        p.raw
      );
    }
    summary[user.email] = counts;
  }
  console.log(`wrote demo mail to ${dir}: ${summarize(summary)}`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const dumpAt = process.argv.indexOf('--dump');
  if (dumpAt >= 0) {
    const dir = process.argv[dumpAt + 1];
    if (!dir) throw new Error('--dump needs a folder');
    return dump(dir);
  }
  const env = loadServersEnv();
  const host = env.MAIL_HOST ?? '127.0.0.1';
  const port = Number(env.IMAP_PORT);
  const pass = env.MAIL_PASSWORD;
  if (!port || !pass) throw new Error('IMAP_PORT or MAIL_PASSWORD missing in SERVERS_ENV');

  const alice = await connect(ALICE.email, host, port, pass);
  const status = await alice.status('INBOX', { messages: true });
  const inboxCount = status ? (status.messages ?? 0) : 0;
  if (inboxCount > 0) {
    console.log(`demo mail already seeded (${ALICE.email} INBOX has ${inboxCount} messages): nothing to do`);
    await alice.logout();
    return;
  }
  const bob = await connect(BOB.email, host, port, pass);
  const clients: Array<[Person, ImapFlow]> = [
    [BOB, bob],
    [ALICE, alice]
  ];

  // a run that was cut short left seeded mail behind: remove it (only ours, by header)
  for (const [, client] of clients) {
    for (const folder of ALL_FOLDERS) {
      const exists = await client.status(folder, { messages: true }).catch(() => undefined);
      if (!exists || !exists.messages) continue;
      const lock = await client.getMailboxLock(folder);
      try {
        const uids = await client.search({ header: { 'X-Demo-Seed': 'metabuilder-demo-v1' } }, { uid: true });
        if (uids && uids.length) await client.messageDelete(uids, { uid: true });
      } finally {
        lock.release();
      }
    }
  }

  const summary: Record<string, Record<string, number>> = {};
  const plans = new Map<string, Placement[]>();
  for (const [user, client] of clients) {
    for (const folder of EXTRA_FOLDERS) {
      const list = await client.list();
      if (!list.some((b) => b.path === folder)) await client.mailboxCreate(folder);
      await client.mailboxSubscribe(folder);
    }
    plans.set(user.email, await plan(user));
  }

  // append oldest first per mailbox (so UIDs follow dates); alice's INBOX comes last
  for (const [user, client] of clients) {
    const placements = plans.get(user.email) ?? [];
    const counts: Record<string, number> = {};
    const order = [...ALL_FOLDERS.filter((f) => f !== 'INBOX'), 'INBOX'];
    for (const mailbox of order) {
      const list = placements
        .filter((p) => p.mailbox === mailbox)
        .sort((a, b) => a.date.getTime() - b.date.getTime());
      for (const p of list) {
        const res = await client.append(mailbox, p.raw, p.flags, p.date);
        if (!res) throw new Error(`APPEND to ${mailbox} failed for ${user.email}`);
      }
      counts[mailbox] = list.length;
    }
    summary[user.email] = counts;
  }
  await bob.logout();
  await alice.logout();

  console.log(`seeded demo mail in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${summarize(summary)}`);
}

main().catch((err: unknown) => {
  console.error('seed-demo-mail failed:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
