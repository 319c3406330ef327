// The folder column: special folders first (in the server's order), then custom folders as a
// tree built from their paths (pure; see folder-tree.spec.ts).

export interface FolderLike {
  id: string;
  path: string;
  delimiter: string | null;
  specialUse: string | null;
}

export interface TreeRow<F> {
  folder: F;
  depth: number;
  hasChildren: boolean;
  /** ids of the folders above it, to hide it when one of them is collapsed */
  ancestors: string[];
}

export function folderTree<F extends FolderLike>(folders: F[]): TreeRow<F>[] {
  const special = folders.filter((f) => f.specialUse && f.specialUse !== '\\All');
  const custom = folders
    .filter((f) => !special.includes(f))
    .sort((a, b) => a.path.localeCompare(b.path, undefined, { sensitivity: 'base' }));
  const byPath = new Map(custom.map((f) => [f.path, f]));
  const rows: TreeRow<F>[] = special.map((f) => ({ folder: f, depth: 0, hasChildren: false, ancestors: [] }));
  for (const f of custom) {
    const parts = f.delimiter ? f.path.split(f.delimiter) : [f.path];
    const ancestors: string[] = [];
    for (let i = 1; i < parts.length; i++) {
      const parent = byPath.get(parts.slice(0, i).join(f.delimiter ?? ''));
      if (parent) ancestors.push(parent.id);
    }
    const prefix = f.delimiter ? f.path + f.delimiter : null;
    rows.push({
      folder: f,
      depth: ancestors.length,
      hasChildren: prefix !== null && custom.some((o) => o.path.startsWith(prefix)),
      ancestors
    });
  }
  return rows;
}

const SPECIAL_NAMES: Record<string, string> = {
  '\\Inbox': 'Inbox',
  '\\Sent': 'Sent',
  '\\Drafts': 'Drafts',
  '\\Archive': 'Archive',
  '\\Junk': 'Junk',
  '\\Trash': 'Trash'
};

/** The name shown for a folder: "Inbox" rather than the server's "INBOX", and so on. */
export function folderLabel(f: { name: string; specialUse: string | null }): string {
  return (f.specialUse && SPECIAL_NAMES[f.specialUse]) || f.name;
}
