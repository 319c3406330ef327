// Prints the README's configuration table from .env.example: the comment block above one or
// more KEY= lines describes them. A unit test checks the README lists exactly these keys.
import { readFileSync } from 'node:fs';

const rows = [];
let comment = [];
let used = false;
for (const line of readFileSync(new URL('../.env.example', import.meta.url), 'utf8').split('\n')) {
  if (/^#\s*─/.test(line) || line.trim() === '') {
    comment = [];
    used = false;
  } else if (line.startsWith('#')) {
    if (used) comment = [];
    used = false;
    comment.push(line.replace(/^#\s?/, ''));
  } else {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    used = true;
    rows.push(
      `| \`${m[1]}\` | ${m[2] ? `\`${m[2]}\`` : ''} | ${comment.join(' ').replace(/\s+/g, ' ').replace(/\|/g, '\\|')} |`
    );
  }
}
console.log('| Setting | Example | What it does |\n|---|---|---|\n' + rows.join('\n'));
