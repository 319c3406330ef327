// Where a warm load's time goes, for working on time_to_first_rows_warm_ms (not part of
// `npm run bench`). Against a running app (`npm run demo` by default), with the UI bench's probe,
// browser and 4x CPU throttling: for each run, a cold visit in a fresh context (which installs the
// service worker and lets it keep the page), then a warm visit traced through CDP. Prints when
// the rows were painted and, from the trace, the page renderer's main-thread tasks from
// navigation start to then (with what they spent their time on).
//   npx tsx bench/tools/trace-first-rows.ts [origin]
//   env: RUNS (3), EMAIL / PASSWORD (the demo login), INBOX (a /mail/... path; default: where
//   the login lands), THROTTLE (4), INJECT (CSS added before the page's own, for experiments),
//   KEEP_TRACES (a directory to write each trace to, for chrome://tracing or Perfetto)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession } from '@playwright/test';
import { firstRows, launchChromium, logIn, probeContext, throttle } from '../lib/browser.js';

const origin = process.argv[2] ?? 'http://localhost:3000';
const runs = Number(process.env.RUNS ?? 3);
const rate = Number(process.env.THROTTLE ?? 4);
const CATEGORIES = ['devtools.timeline', 'blink.user_timing', 'toplevel', 'v8.execute', 'loading'];
/** the trace events worth naming in a task's summary */
const KINDS = new Set([
  'ParseHTML',
  'ParseAuthorStyleSheet',
  'EvaluateScript',
  'v8.compile',
  'v8.compileModule',
  'v8.evaluateModule',
  'FunctionCall',
  'RunMicrotasks',
  'FireAnimationFrame',
  'UpdateLayoutTree',
  'Layout',
  'PrePaint',
  'Paint',
  'Layerize',
  'Commit'
]);

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { data?: { documentLoaderURL?: string } };
}

async function record(cdp: CDPSession, during: () => Promise<void>): Promise<TraceEvent[]> {
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: CATEGORIES },
    transferMode: 'ReturnAsStream'
  });
  await during();
  const done = new Promise<{ stream?: string }>((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  const { stream } = await done;
  if (!stream) throw new Error('the browser returned no trace');
  let text = '';
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream });
    text += chunk.data;
    if (chunk.eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  const parsed = JSON.parse(text) as { traceEvents: TraceEvent[] } | TraceEvent[];
  return Array.isArray(parsed) ? parsed : parsed.traceEvents;
}

/** the main thread of the renderer that loaded `path`, as top-level tasks until `untilMs` */
function timeline(events: TraceEvent[], path: string, untilMs: number): string[] {
  const nav = events.filter(
    (e) => e.name === 'navigationStart' && e.args?.data?.documentLoaderURL?.includes(path)
  );
  const start = nav.at(-1);
  if (!start) return ['(no navigation to the inbox in the trace)'];
  const parses = new Map<number, number>();
  for (const e of events)
    if (e.pid === start.pid && e.name === 'ParseHTML') parses.set(e.tid, (parses.get(e.tid) ?? 0) + 1);
  const tid = [...parses].sort((a, b) => b[1] - a[1])[0]?.[0];
  const main = events
    .filter((e) => e.pid === start.pid && e.tid === tid && e.ph === 'X')
    .sort((a, b) => a.ts - b.ts);
  const ms = (us: number) => us / 1000;
  const lines: string[] = [];
  for (const task of main) {
    if (task.name !== 'ThreadControllerImpl::RunTask') continue;
    const at = ms(task.ts - start.ts);
    const dur = ms(task.dur ?? 0);
    if (at < -5 || at > untilMs || dur < 5) continue;
    const spent = new Map<string, number>();
    for (const e of main)
      if (e !== task && KINDS.has(e.name) && e.ts >= task.ts && e.ts < task.ts + (task.dur ?? 0))
        spent.set(e.name, (spent.get(e.name) ?? 0) + ms(e.dur ?? 0));
    const what = [...spent]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ');
    lines.push(`${at.toFixed(1).padStart(7)} +${dur.toFixed(1).padStart(6)}  ${what}`);
  }
  return lines;
}

const browser = await launchChromium();
const login = await browser.newContext({ baseURL: origin });
const page0 = await login.newPage();
await logIn(page0, process.env.EMAIL ?? 'demo@example.test', process.env.PASSWORD ?? 'demo-password-2026');
const path = process.env.INBOX ?? new URL(page0.url()).pathname;
const cookies = await login.cookies();
await login.close();
const keep = process.env.KEEP_TRACES;
if (keep) mkdirSync(keep, { recursive: true });

for (let run = 1; run <= runs; run++) {
  const context = await probeContext(browser, origin, cookies);
  if (process.env.INJECT)
    await context.addInitScript(
      `document.documentElement.appendChild(Object.assign(document.createElement('style'), { textContent: ${JSON.stringify(process.env.INJECT)} }))`
    );
  const cold = await context.newPage();
  await throttle(cold, rate);
  await cold.goto(path, { waitUntil: 'load' });
  await cold.waitForFunction('!!navigator.serviceWorker.controller', null, { timeout: 30_000 });
  await cold.waitForTimeout(3000); // the worker keeps the page; the live stream settles
  await cold.close();

  const page = await context.newPage();
  await throttle(page, rate);
  const cdp = await browser.newBrowserCDPSession();
  let probe: Awaited<ReturnType<typeof firstRows>> | undefined;
  const events = await record(cdp, async () => {
    await page.goto(path, { waitUntil: 'load' });
    probe = await firstRows(page);
    await page.waitForTimeout(300);
  });
  const fcp = (await page.evaluate(
    "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
  )) as number;
  console.log(
    `run ${run}: rows ${Math.round(probe!.rowsAt)} ms (frame ${probe!.rowsFrame}, task after it ` +
      `${Math.round(probe!.rowsTaskAt)}), first contentful paint ${Math.round(fcp)} ms`
  );
  for (const line of timeline(events, path, probe!.rowsAt + 50)) console.log(line);
  if (keep) writeFileSync(join(keep, `warm-${run}.json`), JSON.stringify(events));
  await cdp.detach();
  await context.close();
}
await browser.close();
