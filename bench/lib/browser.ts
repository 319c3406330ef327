// Browser-side helpers of the UI benchmark (bench/ui.ts): the built app's client JavaScript for a
// route, a fresh build when build/ is stale, Debian's Chromium with the e2e launch options (less
// two browser-UI features that ran beside every measured page), CPU throttling through CDP, and
// the in-page probe that timestamps what the user would see.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants as zlib } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import playwrightConfig from '../../playwright.config.js';

/**
 * Where the measured build is: build/ and .svelte-kit/ by default, or the copy named by BUILD_OUT
 * and KIT_OUT_DIR (svelte.config.js builds there; scripts/start-app.js serves BUILD_OUT), so a
 * bench can run beside the e2e tests' build/.
 */
export const buildOut = () => process.env.BUILD_OUT || 'build';
export const kitOut = () => process.env.KIT_OUT_DIR || '.svelte-kit';

// ------------------------------------------------------------------------------------------
// the client JavaScript of a route

interface ViteChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

export interface RouteJs {
  files: { file: string; bytes: number; gzip: number }[];
  gzipBytes: number;
  nodes: number[];
}

/** gzip -9: what adapter-node's precompress writes next to each file and sirv then serves */
export const gzipSize = (buf: Buffer) => gzipSync(buf, { level: zlib.Z_BEST_COMPRESSION }).length;

/**
 * The JavaScript a page of `routeId` loads before it is interactive, and its gzip size.
 *
 * How the files are picked: SvelteKit's server manifest (.svelte-kit/output/server/manifest.js,
 * written by the same `vite build` as build/) names the route's nodes (its layouts and its page,
 * by index); Vite's client manifest (.svelte-kit/output/client/.vite/manifest.json) maps the
 * two entries (the runtime's start.js and the generated app.js) and each node
 * (.svelte-kit/generated/client-optimized/nodes/N.js) to its output file and static `imports`.
 * We take both entries and the route's nodes (its layouts and page, and its error pages: the
 * client runtime loads the root layout and root error page at start whatever the route) and
 * follow static imports transitively: the set the browser loads before the page hydrates
 * (SvelteKit modulepreloads the entries and the route's nodes; ui.ts checks the set against
 * the JS a cold load really fetched). `dynamicImports` are left out: app.js lists every node of every route that way,
 * and they load only when a route using them is visited. CSS is not counted. The bytes are read
 * from build/client (the files the app serves), so a stale .svelte-kit/output is an error.
 */
export function routeJs(root: string, routeId: string): RouteJs {
  const vite = JSON.parse(
    readFileSync(join(root, kitOut(), 'output/client/.vite/manifest.json'), 'utf8')
  ) as Record<string, ViteChunk>;
  const server = readFileSync(join(root, kitOut(), 'output/server/manifest.js'), 'utf8');
  const at = server.indexOf(`id: ${JSON.stringify(routeId)}`);
  if (at < 0) throw new Error(`route ${routeId} is not in the server manifest`);
  const m = /page: \{ layouts: \[([\d,\s]*)\], errors: \[([\d,\s]*)\], leaf: (\d+) \}/.exec(server.slice(at));
  if (!m) throw new Error(`route ${routeId} has no page in the server manifest`);
  const list = (s: string) =>
    s
      .split(',')
      .filter((x) => x.trim())
      .map(Number);
  const nodes = [...new Set([...list(m[1]!), ...list(m[2]!), Number(m[3])])];
  const keys = [
    ...Object.keys(vite).filter((k) => vite[k]!.isEntry && !k.includes('/nodes/')),
    ...nodes.map((n) => `${kitOut()}/generated/client-optimized/nodes/${n}.js`)
  ];
  const entries = keys.filter((k) => vite[k]);
  if (entries.length !== keys.length) throw new Error(`missing in the Vite manifest: ${keys.join(', ')}`);
  const seen = new Set<string>();
  const walk = (k: string) => {
    if (seen.has(k)) return;
    seen.add(k);
    for (const i of vite[k]?.imports ?? []) walk(i);
  };
  entries.forEach(walk);
  const files = [...new Set([...seen].map((k) => vite[k]!.file))].filter((f) => f.endsWith('.js'));
  const out = files.map((file) => {
    const path = join(root, buildOut(), 'client', file);
    if (!existsSync(path))
      throw new Error(`${path} is missing: ${buildOut()}/ and ${kitOut()}/output differ`);
    const buf = readFileSync(path);
    return { file, bytes: buf.length, gzip: gzipSize(buf) };
  });
  return { files: out, gzipBytes: out.reduce((s, f) => s + f.gzip, 0), nodes };
}

// ------------------------------------------------------------------------------------------
// the build

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

const running = (pattern: string) =>
  spawnSync('pgrep', ['-af', pattern], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.trim() && !/\bpgrep\b/.test(l));

/**
 * Builds the app when build/ (or BUILD_OUT) is missing or older than its sources. Never while
 * browser tests or an app run (an app serves build/client; a rebuild under it would replace the
 * chunks its pages load) or while another build is going on: then the existing build is
 * measured, and we say so. A separate BUILD_OUT copy is nobody else's: it is rebuilt whatever else is running (with
 * KIT_OUT_DIR, so the shared .svelte-kit/output is left alone too).
 */
export async function ensureBuild(root: string): Promise<{ built: boolean; stale: boolean }> {
  const out = buildOut();
  const own = out !== 'build' && kitOut() !== '.svelte-kit';
  const inputs = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'];
  const isStale = () => {
    const builtAt = existsSync(join(root, out, 'index.js'))
      ? Math.min(
          statSync(join(root, out, 'index.js')).mtimeMs,
          newest(join(root, kitOut(), 'output/client/.vite/manifest.json'))
        )
      : 0;
    return { missing: !builtAt, stale: inputs.some((p) => newest(join(root, p)) > builtAt) };
  };
  if (!own)
    for (let waited = 0; running('vite build').length && waited < 300; waited += 2)
      await new Promise((r) => setTimeout(r, 2000));
  const s = isStale();
  if (!s.missing && !s.stale) return { built: false, stale: false };
  if (!own) {
    // an app serving build/ (npm run demo, say) would lose the files its pages ask for
    const users = ['playwright test', 'vite build', 'scripts/start-app.js'].filter((p) => running(p).length);
    if (users.length) {
      if (s.missing) throw new Error(`${out}/ is missing and ${users.join(', ')} is running: try later`);
      console.warn(
        `ui: ${out}/ is older than src/, but ${users.join(', ')} is running: measuring the existing build`
      );
      return { built: false, stale: true };
    }
  }
  console.log(`ui: ${s.missing ? `no ${out}/` : `${out}/ older than its sources`}: building it`);
  // an own copy: only `vite build` (npm run build also regenerates the shared Prisma client).
  // NODE_ENV=production as in `npm run build`: under the NODE_ENV=test that tests and benches
  // export, Vite builds Svelte's development runtime (15% more JS, and slower).
  if (own)
    execFileSync('npx', ['vite', 'build'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production' }
    });
  else execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return { built: true, stale: false };
}

// ------------------------------------------------------------------------------------------
// Chromium

/**
 * Browser features the benchmarks turn off on top of Playwright's own list. Chromium 156 builds the
 * address bar's suggestion popup as a WebUI page (chrome://omnibox-popup.top-chrome) for every new
 * browser window, and Playwright opens each page in a new window: traces of the warm loads showed
 * that page's renderer running 100-150 ms of its own script (custom elements, GC) while the
 * measured page loaded, on a 2-CPU machine. A user opening the app in a tab pays nothing of the
 * kind. Puppeteer turns the same two features off by default (puppeteer/puppeteer#15278).
 * Measured here on a static copy of the inbox (10 interleaved loads each, 4x throttling): the
 * inbox 464-472 -> 352-356 ms, the 12-row floor 220-268 -> 156-164 ms.
 */
const BENCH_DISABLED_FEATURES = ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup'];
let disableFeatures: { playwrights: string | undefined; ours: string } | undefined;

/**
 * Debian's Chromium with the launch options of playwright.config.ts (the e2e tests'), less the
 * features above. Playwright passes its own --disable-features list and Chromium reads only the
 * last such switch, so the list is read from a browser started once for that (its command line)
 * and passed again with ours added, in place of Playwright's.
 */
export async function launchChromium(): Promise<Browser> {
  const opts = playwrightConfig.use?.launchOptions ?? {};
  const options = {
    ...opts,
    executablePath: process.env.CHROMIUM_PATH ?? opts.executablePath ?? '/usr/bin/chromium',
    headless: true
  };
  if (!disableFeatures) {
    const server = await chromium.launchServer(options);
    const playwrights = server.process().spawnargs.find((a) => a.startsWith('--disable-features='));
    await server.close();
    const listed = playwrights ? playwrights.slice('--disable-features='.length).split(',') : [];
    disableFeatures = {
      playwrights,
      ours: `--disable-features=${[...listed, ...BENCH_DISABLED_FEATURES].join(',')}`
    };
  }
  return chromium.launch({
    ...options,
    ignoreDefaultArgs: disableFeatures.playwrights ? [disableFeatures.playwrights] : [],
    args: [...(opts.args ?? []), disableFeatures.ours]
  });
}

/** Logs in through the app's form and waits for the mail page it lands on. */
export async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/mail\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
}

/** the window every UI measurement uses (a laptop's) */
export const VIEWPORT = { width: 1280, height: 800 };

/**
 * A context of `origin` at VIEWPORT, logged in by `cookies` only (no HTTP cache, no service
 * worker yet), with the probe in every page it opens.
 */
export async function probeContext(
  browser: Browser,
  origin: string,
  cookies: Awaited<ReturnType<BrowserContext['cookies']>> = []
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: origin,
    viewport: VIEWPORT,
    storageState: { cookies, origins: [] },
    // the app's CSP has no 'unsafe-eval', which page.waitForFunction needs; the page's own
    // scripts run under the same CSP either way, so the timings are not affected
    bypassCSP: true
  });
  await context.addInitScript(PROBE_JS);
  return context;
}

/** Slows the page's main thread down `rate` times (DevTools' "4x slowdown"). */
export async function throttle(page: Page, rate: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
}

// ------------------------------------------------------------------------------------------
// the in-page probe

export interface Probe {
  /**
   * When the frame that first showed the list's first rows was painted (performance.now() time):
   * its first-contentful-paint time when it was the document's first frame, else rowsTaskAt
   */
  rowsAt: number;
  /** how many rows that was (the first 50, or fewer when fewer fit the list's viewport) */
  rowsShown: number;
  /** which of the document's frames that was (1 = its first) */
  rowsFrame: number;
  /** the start of the first task after that frame (the figure used before frame 1 was told apart) */
  rowsTaskAt: number;
  /** the key (j/k) whose effect is being timed, its event time, and when its body was painted */
  armed: string | null;
  keyAt: number;
  openAt: number;
  tasks: [start: number, duration: number][];
}

/**
 * Installed with page.addInitScript: runs in the top document before any of the page's scripts,
 * on every navigation.
 *
 * First rows: every animation frame until it holds, it checks whether the message list (ARIA
 * listbox "Messages in …") has its first rows laid out: the first 50, or as many as fit the
 * list's viewport if fewer do (a windowed list never has 50 rows in the DOM on a normal screen;
 * the first page it loads is 50). The check runs in a rAF callback, so that frame paints those
 * rows. When's that? If it is the document's first frame (the probe's callback was queued before
 * any frame), it is the frame of the first contentful paint, whose time (the frame's
 * presentation) is taken. Otherwise the start of a task posted from the callback (a
 * MessageChannel message, which runs after the frame) is: an upper bound, since the page's own
 * tasks queued by then (evaluating its modules, say) run first. Both are kept (rowsTaskAt):
 * with the first paint held back until the list is parsed, the page shows its rows in its first
 * frame and evaluates its scripts straight after, and the task's time was up to 250 ms (4x
 * throttling) later than the paint the user sees.
 *
 * Opening: a capturing keydown listener takes the event's time of the armed key and which body
 * frame (iframe data-testid=message-body in the "Reading pane" region) shows what document. Every
 * animation frame from then on checks whether the body frame now is another one, or the same with
 * another document, whose document has finished loading (a capturing load listener keeps each
 * frame's last loaded srcdoc) and which is visible (opacity and visibility included: the app
 * renders the next bodies ahead in hidden frames); that frame paints it, and the time after it is
 * taken.
 */
// (a string, not a function: tsx's esbuild would wrap the inner functions in a __name() helper
// that does not exist in the page)
export const PROBE_JS = `(() => {
  if (window.top !== window) return;
  const b = { rowsAt: -1, rowsShown: 0, rowsFrame: 0, rowsTaskAt: -1, armed: null, keyAt: -1, openAt: -1, tasks: [] };
  window.__bench = b;
  // main-thread tasks over 50 ms from the start of the page, as [start, duration]
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) b.tasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask' });
  } catch {}
  const afterFrame = (f) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => f(performance.now());
    ch.port2.postMessage(0);
  };
  const firstRows = () => {
    const list = document.querySelector('[role="listbox"][aria-label^="Messages in"]');
    const rows = list && list.querySelectorAll('[role="option"]');
    if (!list || !rows || !rows.length) return 0;
    const h = rows[0].getBoundingClientRect().height;
    if (!h || !list.clientHeight) return 0;
    const need = Math.min(50, Math.ceil(list.clientHeight / h));
    return rows.length >= need && rows[need - 1].getBoundingClientRect().height ? need : 0;
  };
  let frames = 0;
  let fcp = -1;
  const settle = () => {
    if (b.rowsAt >= 0 || b.rowsTaskAt < 0) return;
    if (b.rowsFrame > 1) b.rowsAt = b.rowsTaskAt;
    else if (fcp >= 0) b.rowsAt = fcp;
  };
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) if (e.name === 'first-contentful-paint') fcp = e.startTime;
      settle();
    }).observe({ type: 'paint', buffered: true });
  } catch {}
  const poll = () => {
    frames++;
    const n = firstRows();
    if (!n) return void requestAnimationFrame(poll);
    b.rowsShown = n;
    b.rowsFrame = frames;
    afterFrame((t) => {
      b.rowsTaskAt = t;
      settle();
    });
  };
  requestAnimationFrame(poll);
  // each frame's document when it last finished loading
  const loaded = new WeakMap();
  document.addEventListener('load', (e) => {
    if (e.target instanceof HTMLIFrameElement) loaded.set(e.target, e.target.srcdoc);
  }, true);
  const bodyFrame = () =>
    document.querySelector('[aria-label="Reading pane"] iframe[data-testid="message-body"]');
  let from = null;
  const opened = () => {
    if (b.keyAt < 0 || b.openAt >= 0) return;
    const f = bodyFrame();
    const ready = f && loaded.get(f) === f.srcdoc && (!from || f !== from[0] || f.srcdoc !== from[1]) &&
      f.checkVisibility({ opacityProperty: true, visibilityProperty: true });
    if (!ready) return void requestAnimationFrame(opened);
    afterFrame((at) => { if (b.openAt < 0) b.openAt = at; });
  };
  addEventListener('keydown', (e) => {
    if (!b.armed || e.key !== b.armed || b.keyAt >= 0) return;
    b.keyAt = e.timeStamp;
    const f = bodyFrame();
    from = f ? [f, f.srcdoc] : null;
    requestAnimationFrame(opened);
  }, true);
})();`;

export const readProbe = (page: Page) => page.evaluate('window.__bench') as Promise<Probe>;

/** The probe once the page's first rows were painted. */
export async function firstRows(page: Page): Promise<Probe> {
  await page.waitForFunction('window.__bench && window.__bench.rowsAt >= 0', null, { timeout: 60_000 });
  return readProbe(page);
}
