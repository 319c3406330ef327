// Realistic-looking test mail for the benchmarks: varied senders and subjects, threads that
// carry In-Reply-To and References, some HTML alternatives, some attachments, 2-10 KB each.
// Deterministic for a given seed, so two runs build the same mailbox.

export interface GeneratedMessage {
  /** RFC 5322 source with LF line ends (as stored in Maildir) */
  source: string;
  date: Date;
  messageId: string;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  hasAttachment: boolean;
}

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Brian', 'Chen', 'Dana', 'Emeka', 'Freya', 'Goran', 'Hana', 'Ines', 'Jonas', 'Kira'];
const LAST = ['Lovelace', 'Kernighan', 'Wei', 'Scully', 'Okafor', 'Larsen', 'Petrov', 'Sato', 'Silva'];
const DOMAINS = ['example.org', 'example.net', 'corp.example', 'lists.example.org', 'shop.example.com'];
const TOPICS = [
  'Quarterly report',
  'Build failure on main',
  'Lunch on Friday?',
  'Invoice 2026-{n}',
  'Your order #{n} has shipped',
  'Design review notes',
  'Holiday schedule',
  'Weekly digest',
  'Security advisory {n}',
  'Meeting minutes',
  'Re-org announcement',
  'Flight confirmation {n}',
  'Pull request #{n}: fix flaky test',
  'Server maintenance window',
  'Welcome aboard!'
];
const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but ' +
  'have an they you were her all she there would their we him been has when who will more no if out ' +
  'so said what up its about into than them can only other new some could time these two may then do ' +
  'first any my now such like our over man me even most made after also did many before must through ' +
  'back years where much your way well down should because each just those people how too little state ' +
  'good very make world still own see men work long get here between both life being under never day ' +
  'deploy release budget customer schedule invoice meeting review backlog roadmap ticket quarter'
).split(' ');

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function paragraph(r: () => number, words: number): string {
  const out: string[] = [];
  let line = '';
  for (let i = 0; i < words; i++) {
    let w = pick(r, WORDS);
    if (i === 0 || r() < 0.08) w = w[0]!.toUpperCase() + w.slice(1);
    if (line.length + w.length + 1 > 72) {
      out.push(line);
      line = '';
    }
    line += (line ? ' ' : '') + w + (r() < 0.07 ? '.' : '');
  }
  if (line) out.push(line + '.');
  return out.join('\n');
}

function base64Lines(r: () => number, bytes: number): string {
  const buf = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buf[i] = Math.floor(r() * 256);
  return (buf.toString('base64').match(/.{1,76}/g) ?? []).join('\n');
}

function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

/**
 * `count` messages to `to`, oldest first, dated from `start` onwards at roughly even steps.
 * About a third continue an earlier thread (In-Reply-To + References), 15% carry an
 * attachment, 30% have an HTML alternative; most older mail is \Seen.
 */
export function generateMessages(
  count: number,
  to: string,
  opts: { seed?: number; start?: Date; stepMs?: number; tag?: string } = {}
): GeneratedMessage[] {
  const r = rng(opts.seed ?? 42);
  const tag = opts.tag ?? 'bench';
  const start = opts.start ?? new Date(Date.now() - count * 3_600_000);
  const step = opts.stepMs ?? 3_600_000;
  const out: GeneratedMessage[] = [];
  const threads: { subject: string; ids: string[]; from: string }[] = [];
  for (let i = 0; i < count; i++) {
    const date = new Date(start.getTime() + i * step + Math.floor(r() * step * 0.5));
    const name = `${pick(r, FIRST)} ${pick(r, LAST)}`;
    const from = `${name.toLowerCase().replace(' ', '.')}@${pick(r, DOMAINS)}`;
    const messageId = `${tag}.${i}.${Math.floor(r() * 1e9).toString(36)}@${from.split('@')[1]}`;
    let subject: string;
    let references: string[] = [];
    if (threads.length && r() < 0.33) {
      const t = threads[Math.floor(r() * Math.min(threads.length, 40)) + Math.max(0, threads.length - 40)]!;
      subject = `Re: ${t.subject}`;
      references = t.ids.slice(-10);
      t.ids.push(messageId);
    } else {
      subject = pick(r, TOPICS).replace('{n}', String(1000 + Math.floor(r() * 9000)));
      threads.push({ subject, ids: [messageId], from });
    }
    const headers = [
      `Return-Path: <${from}>`,
      `Received: from mx.${from.split('@')[1]} (mx.${from.split('@')[1]} [192.0.2.${1 + (i % 250)}])`,
      `\tby mx.example.test with ESMTPS id ${Math.floor(r() * 1e12).toString(36)}`,
      `\tfor <${to}>; ${rfc2822(date)}`,
      `Message-ID: <${messageId}>`,
      `Date: ${rfc2822(date)}`,
      `From: "${name}" <${from}>`,
      `To: <${to}>`,
      ...(r() < 0.2 ? [`Cc: "${pick(r, FIRST)}" <${pick(r, FIRST).toLowerCase()}@${pick(r, DOMAINS)}>`] : []),
      `Subject: ${subject}`,
      ...(references.length
        ? [`In-Reply-To: <${references[references.length - 1]}>`, `References: <${references.join('>\n <')}>`]
        : []),
      'MIME-Version: 1.0',
      `X-Mailer: bench-generator/1.0`
    ];
    const text = Array.from({ length: 3 + Math.floor(r() * 9) }, () =>
      paragraph(r, 50 + Math.floor(r() * 70))
    ).join('\n\n');
    const withHtml = r() < 0.3;
    const withAttachment = r() < 0.15;
    let body: string;
    const b1 = `=_alt_${i}_${tag}`;
    const b2 = `=_mix_${i}_${tag}`;
    const textPart = `Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n${text}\n`;
    const alt = withHtml
      ? `Content-Type: multipart/alternative; boundary="${b1}"\n\n--${b1}\n${textPart}\n--${b1}\n` +
        `Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n<html><body>` +
        text
          .split('\n\n')
          .map((p) => `<p>${p}</p>`)
          .join('\n') +
        `</body></html>\n\n--${b1}--\n`
      : textPart;
    if (withAttachment) {
      const kind = pick(r, [
        ['application/pdf', 'report.pdf'],
        ['image/png', 'screenshot.png'],
        ['text/csv', 'export.csv']
      ] as const);
      body =
        `Content-Type: multipart/mixed; boundary="${b2}"\n\nThis is a multi-part message in MIME format.\n\n` +
        `--${b2}\n${alt}\n--${b2}\nContent-Type: ${kind[0]}; name="${kind[1]}"\n` +
        `Content-Disposition: attachment; filename="${kind[1]}"\nContent-Transfer-Encoding: base64\n\n` +
        `${base64Lines(r, 1000 + Math.floor(r() * 4000))}\n\n--${b2}--\n`;
    } else body = alt;
    const age = (count - i) / count;
    out.push({
      source: headers.join('\n') + '\n' + body,
      date,
      messageId,
      seen: age > 0.02 ? r() < 0.9 : r() < 0.3,
      flagged: r() < 0.03,
      answered: references.length > 0 && r() < 0.3,
      hasAttachment: withAttachment
    });
  }
  return out;
}
