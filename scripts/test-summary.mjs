// Adds up the results of every runner of npm test and prints "N passed, N failed".
// A runner that left no report counts as one failure, so a crash can never look green.
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test-results';
let passed = 0;
let failed = 0;
const rows = [];

for (const line of readFileSync(join(dir, 'steps.txt'), 'utf8').split('\n').filter(Boolean)) {
  const [state, ...name] = line.split(' ');
  if (state === 'pass') passed++;
  else failed++;
  rows.push(`${state === 'pass' ? 'ok  ' : 'FAIL'} ${name.join(' ')}`);
}

function vitest(name, file) {
  const path = join(dir, file);
  if (!existsSync(path)) {
    failed++;
    rows.push(`FAIL ${name}: no report (the runner crashed)`);
    return;
  }
  const r = JSON.parse(readFileSync(path, 'utf8'));
  const p = r.numPassedTests ?? 0;
  const f = r.numFailedTests ?? 0;
  // skipped tests prove nothing, so they count against the run
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // a file that failed to load has no tests but must still count as a failure
  const broken = (r.testResults ?? []).filter(
    (t) => t.status === 'failed' && !(t.assertionResults ?? []).length
  ).length;
  passed += p;
  failed += f + broken + skipped;
  const notes = [broken && `${broken} files did not load`, skipped && `${skipped} skipped`].filter(Boolean);
  rows.push(
    `${f + broken + skipped ? 'FAIL' : 'ok  '} ${name}: ${p} passed, ${f} failed${notes.length ? `, ${notes.join(', ')}` : ''}`
  );
  if (p + f === 0) {
    failed++;
    rows.push(`FAIL ${name}: ran no test`);
  }
}

vitest('unit', 'unit.json');
vitest('integration', 'integration.json');

const e2ePath = join(dir, 'e2e.json');
if (!existsSync(e2ePath)) {
  failed++;
  rows.push('FAIL e2e: no report (the runner crashed)');
} else {
  const s = JSON.parse(readFileSync(e2ePath, 'utf8')).stats ?? {};
  const p = (s.expected ?? 0) + (s.flaky ?? 0);
  const f = (s.unexpected ?? 0) + (s.skipped ?? 0);
  passed += p;
  failed += f;
  rows.push(`${f ? 'FAIL' : 'ok  '} e2e: ${p} passed, ${f} failed`);
  if (p === 0 && f === 0) {
    failed++;
    rows.push('FAIL e2e: ran no test');
  }
}

// Why the first failures failed, in a few short lines: a CI log is often read from its end only.
const why = new Map();
const note = (where, message) => {
  const text = String(message ?? '')
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 3)
    .join(' | ')
    .slice(0, 300);
  if (text && !why.has(text) && why.size < 4) why.set(text, where);
};
for (const [name, file] of [
  ['unit', 'unit.json'],
  ['integration', 'integration.json']
]) {
  const path = join(dir, file);
  if (!existsSync(path)) continue;
  for (const t of JSON.parse(readFileSync(path, 'utf8')).testResults ?? [])
    for (const a of t.assertionResults ?? [])
      if (a.status === 'failed') note(`${name}: ${a.fullName}`, a.failureMessages?.[0]);
}
if (existsSync(e2ePath)) {
  const report = JSON.parse(readFileSync(e2ePath, 'utf8'));
  for (const e of report.errors ?? []) note('e2e', e.message);
  const walk = (suite) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests ?? [])
        for (const r of t.results ?? [])
          if (r.status === 'failed' || r.status === 'timedOut')
            note(`e2e: ${suite.file ?? ''} ${spec.title}`, r.errors?.[0]?.message ?? r.error?.message);
    for (const s of suite.suites ?? []) walk(s);
  };
  for (const s of report.suites ?? []) walk(s);
}
for (const [text, where] of why) rows.push(`  why (${where.slice(0, 120)}): ${text}`);
// and what the machine had left: a full disk or memory fails every test after it the same way
try {
  const fs = statfsSync(dir);
  const gb = (n) => (n / 2 ** 30).toFixed(1);
  rows.push(
    `  machine: ${cpus().length} CPUs, load ${loadavg()[0].toFixed(1)}, memory ${gb(freemem())} of ` +
      `${gb(totalmem())} GB free, disk ${gb(fs.bavail * fs.bsize)} GB free`
  );
} catch {
  // statfs is missing on old Node versions: the summary goes without it
}

console.log(rows.join('\n'));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
