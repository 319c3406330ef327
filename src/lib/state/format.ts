// Small formatting helpers for the mail views (pure; unit-tested in format.spec.ts).

export interface Address {
  name?: string | null;
  address?: string | null;
}

/** "Carol White" for a named address, else the address itself. */
export function displayName(a: Address | null | undefined): string {
  if (!a) return '(unknown sender)';
  return a.name?.trim() || a.address || '(unknown sender)';
}

/** "Carol White <carol@example.test>" (the full address is always shown in the reading pane). */
export function fullAddress(a: Address): string {
  const name = a.name?.trim();
  return name && a.address ? `${name} <${a.address}>` : (a.address ?? name ?? '');
}

// One Intl.DateTimeFormat per form and locale, made once: Date#toLocale*String builds a new
// formatter on every call, which made date formatting the costliest part of a list row.
const FORMS = {
  time: { hour: '2-digit', minute: '2-digit' },
  dayMonth: { day: 'numeric', month: 'short' },
  dayMonthYear: { day: 'numeric', month: 'short', year: 'numeric' },
  full: {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  }
} satisfies Record<string, Intl.DateTimeFormatOptions>;
const formatters = new Map<string, Intl.DateTimeFormat>();
function format(form: keyof typeof FORMS, d: Date, locale: string | undefined): string {
  const key = `${form}|${locale ?? ''}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(locale, FORMS[form])));
  return f.format(d);
}

// A list shows many messages of the same day (and minute): their strings are kept, so scrolling
// through a long folder formats each day once instead of once per row. Bounded: a folder
// spanning more days than this simply starts again.
const formatted = new Map<string, string>();
const FORMATTED_MAX = 4096;
function formatOnce(form: 'time' | 'dayMonth' | 'dayMonthYear', d: Date, locale: string | undefined) {
  const key = `${form}|${locale ?? ''}|${d.getFullYear()}-${d.getMonth()}-${d.getDate()}${form === 'time' ? `-${d.getHours()}:${d.getMinutes()}` : ''}`;
  let s = formatted.get(key);
  if (s === undefined) {
    if (formatted.size >= FORMATTED_MAX) formatted.clear();
    formatted.set(key, (s = format(form, d, locale)));
  }
  return s;
}

const sameDay = (a: Date, b: Date) =>
  a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/**
 * List dates: relative within the last hour, the time today, "Yesterday", day and month this
 * year, the full date for older mail.
 */
export function listDate(t: number, now: number, locale?: string): string {
  const d = new Date(t);
  const n = new Date(now);
  const mins = Math.floor((now - t) / 60_000);
  if (mins >= 0 && mins < 1) return 'now';
  if (mins >= 0 && mins < 60) return `${mins} min ago`;
  if (sameDay(d, n)) return formatOnce('time', d, locale);
  const y = new Date(n);
  y.setDate(n.getDate() - 1);
  if (sameDay(d, y)) return 'Yesterday';
  if (d.getFullYear() === n.getFullYear()) return formatOnce('dayMonth', d, locale);
  return formatOnce('dayMonthYear', d, locale);
}

/** The full date and time, for the reading pane and tooltips. */
export function fullDate(t: number, locale?: string): string {
  return format('full', new Date(t), locale);
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
