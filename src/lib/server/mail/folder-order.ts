// The order folders are shown in everywhere: special folders first, in the order mail clients
// use, then the rest by path (case-insensitive).
const SPECIAL_ORDER = ['\\Inbox', '\\Drafts', '\\Sent', '\\Archive', '\\Junk', '\\Trash'];

function rank(specialUse: string | null): number {
  const i = specialUse ? SPECIAL_ORDER.indexOf(specialUse) : -1;
  return i === -1 ? SPECIAL_ORDER.length : i;
}

export function byFolderOrder(
  a: { specialUse: string | null; path: string },
  b: { specialUse: string | null; path: string }
): number {
  return (
    rank(a.specialUse) - rank(b.specialUse) ||
    a.path.localeCompare(b.path, undefined, { sensitivity: 'base' })
  );
}
