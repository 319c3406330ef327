// Hostile mail in the browser: the fixtures in tests/fixtures/mail/hostile-*.eml (script, event
// handlers, javascript: links, SVG, CSS that loads things, tracking pixels, forms, meta refresh)
// are delivered through Postfix to the demo mailbox and opened in the app. Nothing they carry
// may run, and nothing may be fetched from their servers until the reader asks for images.
//
// Playwright does not report requests made by srcdoc frames, so "fetched nothing" is checked
// where it cannot be missed: every remote URL of the fixtures is rewritten, on delivery, to a
// small HTTP server of this test, which counts each TCP connection it is offered.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { ALICE, demoMail, login, postfixSend, sql } from './mail-fixture';

test.describe.configure({ mode: 'serial' });

const FIXTURES = 'tests/fixtures/mail';
const TAG = `[safety ${randomUUID().slice(0, 8)}]`;
// a 1x1 transparent GIF, so shown images really load
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

interface Hit {
  url: string;
  dest: string | undefined;
  accept: string | undefined;
}
let remote: Server;
let port = 0;
const hits: Hit[] = [];
let connections = 0;

/** Each fixture's subject (with TAG) by file name. */
const subjects = new Map<string, string>();

/** A script that reports, from any frame of any origin, that it ran. */
const ran = (n: number) => `top.postMessage(${n},String.fromCharCode(42))`;

/** A fixture as delivered: unique subject and Message-ID, today's date, remote URLs pointing at our server. */
function prepare(file: string): { raw: string; subject: string } {
  let raw = readFileSync(`${FIXTURES}/${file}`, 'utf8').replace(/\r?\n/g, '\r\n');
  const subject = `${/^Subject: (.*)$/m.exec(raw)![1]!.trim()} ${TAG}`;
  raw = raw
    .replace(/^Subject: .*$/m, `Subject: ${subject}`)
    .replace(/^Message-ID: .*$/m, `Message-ID: <${randomUUID()}@hostile.example>`)
    .replace(/^Date: .*$/m, `Date: ${new Date().toUTCString()}`)
    // the payloads tell the top page they ran (see `watch`); no quotes or spaces, so they work
    // unchanged inside unquoted attributes
    .replace(/parent\.pwned\s*=\s*(\d+)/g, (_m, n: string) => ran(Number(n)))
    .replace(/alert\(1\)/g, ran(100))
    // https too becomes http: our server speaks plain HTTP (a TLS attempt would still be counted)
    .replace(
      /(https?:)?\/\/((?:[\w-]+\.)*(?:evil|track)\.example)/gi,
      (_m, scheme: string | undefined, host: string) =>
        `${scheme ? 'http:' : ''}//127.0.0.1:${port}/${host.toLowerCase()}`
    );
  return { raw, subject };
}

async function deliverRaw(raw: string): Promise<void> {
  await postfixSend({ envelope: { from: 'erin@example.test', to: [ALICE] }, raw });
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  remote = createServer((req: IncomingMessage, res) => {
    hits.push({
      url: req.url ?? '',
      dest: req.headers['sec-fetch-dest'] as string | undefined,
      accept: req.headers.accept
    });
    if (/\.(gif|png|jpe?g|webp)(\?|$)/.test(req.url ?? ''))
      res.writeHead(200, { 'content-type': 'image/gif', 'cache-control': 'no-store' }).end(GIF);
    else res.writeHead(404).end();
  });
  remote.on('connection', (s: Socket) => {
    connections++;
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  port = (remote.address() as AddressInfo).port;

  await demoMail();
  const files = readdirSync(FIXTURES).filter((f) => f.startsWith('hostile-') && f.endsWith('.eml'));
  expect(files.length).toBeGreaterThanOrEqual(6);
  for (const f of files.sort()) {
    const { raw, subject } = prepare(f);
    subjects.set(f, subject);
    await deliverRaw(raw);
  }
  await expect
    .poll(
      async () =>
        (
          await sql<{ n: string }>(
            `SELECT count(*) AS n FROM "Message" m JOIN "MailAccount" a ON a.id = m."accountId"
             WHERE a.email = $1 AND m.subject LIKE $2`,
            [ALICE, `%${TAG}`]
          )
        )[0]?.n,
      { timeout: 60_000, intervals: [500], message: 'the hostile mail to be synced' }
    )
    .toBe(String(files.length));
});

test.afterAll(async () => {
  await new Promise((resolve) => remote?.close(resolve));
});

/**
 * What the page saw run: payloads post a number to the top page (a listener there, installed
 * before any script of the page, hands it to the test), dialogs, popups.
 */
async function watch(page: Page) {
  const ran: number[] = [];
  const dialogs: string[] = [];
  const popups: string[] = [];
  await page.exposeBinding('pwned', (_source, n: number) => {
    ran.push(n);
  });
  await page.addInitScript(() => {
    addEventListener('message', (e) => {
      if (typeof e.data === 'number') (window as unknown as { pwned(n: number): void }).pwned(e.data);
    });
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.context().on('page', (p) => popups.push(p.url()));
  return { ran, dialogs, popups };
}

async function open(page: Page, file: string) {
  const subject = subjects.get(file)!;
  await page.locator('#mail-filter').fill(subject);
  const row = page.getByTestId('message-row').filter({ hasText: subject });
  await row.click();
  const body = page.getByTestId('message-body').last();
  await expect(body).toBeVisible({ timeout: 20_000 });
  return body;
}

test('the hook sees script run in a sandboxed frame (control for the tests below)', async ({ page }) => {
  // Not the app (its CSP would block this too): proof that a payload in an opaque-origin frame
  // reaches the hook, so an empty list below means that nothing ran, not that nothing was watched.
  const seen = await watch(page);
  await page.route('http://control.test/', (r) =>
    r.fulfill({
      contentType: 'text/html',
      body: `<iframe sandbox="allow-scripts allow-modals" srcdoc="<img src=x onerror=${ran(7)}><script>alert(1)</script>"></iframe>`
    })
  );
  await page.goto('http://control.test/');
  await expect.poll(() => seen.ran).toEqual([7]);
  await expect.poll(() => seen.dialogs).toEqual(['1']);
});

test('hostile mail runs nothing, loads nothing remote, and its links open safely in a new tab', async ({
  page
}) => {
  test.setTimeout(120_000);
  const seen = await watch(page);
  await login(page);
  for (const file of [...subjects.keys()]) {
    const body = await open(page, file);
    // the frame: no script, no same-origin, no referrer; the document carries its own CSP
    const sandbox = ((await body.getAttribute('sandbox')) ?? '').split(/\s+/);
    expect(sandbox).not.toContain('allow-scripts');
    expect(sandbox).not.toContain('allow-same-origin');
    expect(sandbox).not.toContain('allow-forms');
    expect(sandbox).not.toContain('allow-top-navigation');
    await expect(body).toHaveAttribute('referrerpolicy', 'no-referrer');
    const srcdoc = (await body.getAttribute('srcdoc')) ?? '';
    expect(srcdoc).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    // (a payload may survive as escaped text, which is harmless; never as markup)
    expect(srcdoc).not.toMatch(/<script|\son[a-z]+=|="\s*javascript:|127\.0\.0\.1/i);

    // the mail's own text is there (the sanitiser kept the harmless part)
    const frame = page.frameLocator('[data-testid=message-body] >> nth=-1');
    await expect(frame.locator('body')).not.toBeEmpty();
    // links: every one opens in a new tab without opener or referrer
    if (file === 'hostile-javascript-link.eml') {
      await expect(frame.locator('a#ok')).toHaveAttribute('href', 'https://ok.example/path?q=1');
      await expect(frame.locator('a#mail')).toHaveAttribute('href', 'mailto:someone@ok.example');
      await expect(frame.locator('a#js')).toHaveText('plain javascript');
      await expect(frame.locator('a#js')).not.toHaveAttribute('href', /./);
    }
    for (const a of await frame.locator('a[href]').all()) {
      await expect(a).toHaveAttribute('target', '_blank');
      await expect(a).toHaveAttribute('rel', 'noopener noreferrer');
      expect(await a.getAttribute('href')).toMatch(/^(https?:|mailto:)/);
    }
    // poke at what would trigger handlers: hover, click the (former) javascript: links
    await frame.locator('body').hover();
    for (const a of await frame.locator('a:not([href^="http"]):not([href^="mailto"])').all())
      await a.click({ timeout: 2_000 }).catch(() => {});
    await page.waitForTimeout(300);
    await test.info().attach(`opened ${file}`, { body: srcdoc, contentType: 'text/html' });
  }
  await page.waitForTimeout(1_000);
  expect(seen.ran, 'payloads that ran').toEqual([]);
  expect(seen.dialogs, 'dialogs').toEqual([]);
  expect(seen.popups, 'popups').toEqual([]);
  expect(hits, 'requests to the senders’ servers').toEqual([]);
  expect(connections, 'connections to the senders’ servers').toBe(0);
});

test('"Show images" loads the images, and only images', async ({ page }) => {
  const seen = await watch(page);
  await login(page);
  for (const file of ['hostile-css-tracking.eml', 'hostile-tracking-pixel.eml']) {
    await open(page, file);
    await expect(page.getByText('Images and other remote content are hidden')).toBeVisible();
    const before = hits.length;
    await page.waitForTimeout(300);
    expect(hits.length, 'requests before "Show images"').toBe(before);
    await page.getByRole('button', { name: 'Show images' }).click();
    await expect(page.getByRole('button', { name: 'Show images' })).toHaveCount(0);
  }
  // the pixel, the plain-http image and the table background of the tracking fixture
  // (protocol-relative URLs stay out: the sanitiser drops them, their scheme is the page's)
  await expect
    .poll(() => hits.map((h) => h.url.split('?')[0]))
    .toEqual(
      expect.arrayContaining([
        '/track.example/open.gif',
        '/track.example/plain-http.gif',
        '/track.example/table.png'
      ])
    );
  await page.waitForTimeout(1_000);
  await test
    .info()
    .attach('requests', { body: JSON.stringify(hits, null, 2), contentType: 'application/json' });
  for (const h of hits) {
    expect(h.dest, h.url).toBe('image');
    expect(h.url, 'an image URL').toMatch(/\.(gif|png|jpe?g|webp)(\?|$)/);
  }
  // no script, style sheet, font, frame, media or form target, even now
  expect(hits.map((h) => h.url).join(' ')).not.toMatch(
    /\.(js|css|woff2?|swf|mp4|mp3|avi|htc|xml)|steal|frame/
  );
  expect(seen.ran).toEqual([]);
  await page.screenshot({ path: 'test-results/screenshots/30-show-images.png' });
});

test("the app's own pages run under a nonce-based CSP, and nothing of the app breaks it", async ({
  page
}) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => violations.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`Refused (securitypolicyviolation): ${e.violatedDirective} ${e.blockedURI}`)
    );
  });
  const response = await page.goto('/login');
  const csp = response!.headers()['content-security-policy'] ?? '';
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce, csp).toBeTruthy();
  for (const d of [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'"
  ])
    expect(csp).toContain(d);
  // the theme script before first paint carries the nonce (else the theme would flash)
  expect(
    await page
      .locator('head script')
      .first()
      .evaluate((s) => (s as HTMLScriptElement).nonce)
  ).toBe(nonce);

  await login(page);
  const pageCsp = (await page.request.get(page.url())).headers()['content-security-policy'];
  expect(pageCsp).toMatch(/script-src 'self' 'nonce-/);
  await page.getByTestId('message-row').nth(1).click();
  await expect(page.getByTestId('message-body').last()).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('theme-toggle').click();
  await page.keyboard.press('?');
  await page.keyboard.press('Escape');
  await page.reload();
  await expect(page.getByTestId('message-body').last()).toBeVisible({ timeout: 20_000 });
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.goBack();
  await expect(page.getByTestId('message-row').first()).toBeVisible();
  await page.waitForTimeout(500);
  expect(violations).toEqual([]);
});
