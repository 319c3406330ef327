// Gmail-compatible keyboard shortcuts: which command a key press means (pure; see keys.spec.ts).

export type Command =
  | 'next'
  | 'prev'
  | 'open'
  | 'back'
  | 'archive'
  | 'delete'
  | 'star'
  | 'markRead'
  | 'markUnread'
  | 'select'
  | 'search'
  | 'compose'
  | 'reply'
  | 'replyAll'
  | 'forward'
  | 'help'
  | 'junk'
  | 'selectAll'
  | 'escape';

export const SHORTCUTS: { keys: string; command: Command; label: string }[] = [
  { keys: 'j', command: 'next', label: 'Next message' },
  { keys: 'k', command: 'prev', label: 'Previous message' },
  { keys: 'o / Enter', command: 'open', label: 'Open message' },
  { keys: 'u', command: 'back', label: 'Back to the list' },
  { keys: 'e', command: 'archive', label: 'Archive' },
  { keys: '#', command: 'delete', label: 'Delete' },
  { keys: '!', command: 'junk', label: 'Mark as junk' },
  { keys: 's', command: 'star', label: 'Star / unstar' },
  { keys: 'Shift+I', command: 'markRead', label: 'Mark as read' },
  { keys: 'Shift+U', command: 'markUnread', label: 'Mark as unread' },
  { keys: 'x', command: 'select', label: 'Select message' },
  { keys: '*', command: 'selectAll', label: 'Select all loaded messages' },
  { keys: '/', command: 'search', label: 'Search' },
  { keys: 'c', command: 'compose', label: 'Compose (in the composer: Ctrl+Enter sends, Esc closes)' },
  { keys: 'r / a / f', command: 'reply', label: 'Reply / reply all / forward' },
  { keys: '?', command: 'help', label: 'Show these shortcuts' },
  { keys: 'Esc', command: 'escape', label: 'Close / clear the selection' }
];

const PLAIN: Record<string, Command> = {
  j: 'next',
  k: 'prev',
  o: 'open',
  Enter: 'open',
  u: 'back',
  e: 'archive',
  '#': 'delete',
  '!': 'junk',
  s: 'star',
  x: 'select',
  '*': 'selectAll',
  '/': 'search',
  c: 'compose',
  r: 'reply',
  a: 'replyAll',
  f: 'forward',
  '?': 'help',
  Escape: 'escape'
};

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

/** True when the key press goes to a text field (no shortcut may fire then). */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as { tagName?: string; isContentEditable?: boolean; type?: string } | null;
  if (!el || typeof el.tagName !== 'string') return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName.toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes((el.type ?? 'text').toLowerCase());
}

/** Buttons and links act on Enter themselves: that Enter must not also open a message. */
function isControl(target: EventTarget | null): boolean {
  const el = target as { tagName?: string; getAttribute?: (n: string) => string | null } | null;
  const tag = el?.tagName?.toUpperCase();
  return tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY' || el?.getAttribute?.('role') === 'button';
}

export function commandFor(e: KeyLike): Command | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === 'Escape') return 'escape';
  if (isTyping(e.target)) return null;
  if (e.key === 'Enter' && isControl(e.target)) return null;
  if (e.shiftKey && (e.key === 'I' || e.key === 'i')) return 'markRead';
  if (e.shiftKey && (e.key === 'U' || e.key === 'u')) return 'markUnread';
  return PLAIN[e.key] ?? null;
}
