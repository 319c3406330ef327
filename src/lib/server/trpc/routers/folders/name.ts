import { z } from 'zod';

/** A folder name as users type it; the account's hierarchy delimiter is checked per account. */
export const folderNameSchema = z
  .string()
  .trim()
  .min(1, 'Give the folder a name.')
  .max(200, 'Folder names can be at most 200 characters.')
  .refine(
    // eslint-disable-next-line no-control-regex
    (s) => !/[\u0000-\u001f\u007f*%]/.test(s),
    'Folder names cannot contain *, % or control characters.'
  );

/** The delimiter of an account's folder tree (from any folder that reports one). */
export function delimiterCheck(name: string, delimiter: string | null): string | null {
  const d = delimiter ?? '/';
  return name.includes(d)
    ? `Folder names cannot contain "${d}": create a folder inside another instead.`
    : null;
}
