// Installable and usable offline: the manifest and its icons, the service worker taking control,
// a reload without network showing the app with mail as last loaded and a clear offline state,
// recovery when the network is back, and signing out dropping the pages the worker kept.
import AxeBuilder from '@axe-core/playwright';
import { devices, expect, test, type Page } from '@playwright/test';
import {
  ALICE,
  DEMO_EMAIL,
  DEMO_PASSWORD,
  deliver,
  demoMail,
  login,
  shot,
  sql,
  unique
} from './mail-fixture';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  await demoMail();
});

/** The width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): string {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return `${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`;
}

test('the web app manifest is linked, valid, and its icons load', async ({ page, request }) => {
  await page.goto('/login');
  const href = await page.locator('link[rel=manifest]').getAttribute('href');
  const res = await request.get(new URL(href!, page.url()).href);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toMatch(/^application\/(manifest\+)?json/);
  const m = (await res.json()) as {
    name: string;
    short_name: string;
    start_url: string;
    scope: string;
    display: string;
    theme_color: string;
    background_color: string;
    icons: { src: string; sizes: string; type: string; purpose?: string }[];
  };
  expect(m.name).toBe('MetaBuilder Email Client');
  expect(m.short_name.length).toBeLessThanOrEqual(12);
  expect(m.display).toBe('standalone');
  expect(m.start_url).toBe('/mail');
  expect(new URL(m.start_url, page.url()).pathname.startsWith(m.scope)).toBe(true);
  // the start URL leads into the app (the login page first, without a session)
  const start = await request.get(m.start_url, { maxRedirects: 0 });
  expect([200, 302, 303, 307]).toContain(start.status());
  await expect(page.locator('meta[name=theme-color]')).toHaveAttribute('content', m.theme_color);
  expect(m.background_color).toMatch(/^#[0-9a-f]{6}$/i);
  // Chromium's installability wants a 192 and a 512 PNG; a maskable one for Android launchers
  const pngs = m.icons.filter((i) => i.type === 'image/png');
  expect(pngs.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  expect(m.icons.some((i) => i.purpose?.split(' ').includes('maskable'))).toBe(true);
  for (const icon of m.icons) {
    const r = await request.get(icon.src);
    expect(r.status(), icon.src).toBe(200);
    expect(r.headers()['content-type'], icon.src).toContain(icon.type);
    if (icon.type === 'image/png') expect(pngSize(await r.body()), icon.src).toBe(icon.sizes);
  }
  const apple = await page.locator('link[rel=apple-touch-icon]').getAttribute('href');
  expect((await request.get(apple!)).status()).toBe(200);
});

async function controlled(page: Page) {
  await expect
    .poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state ?? 'none'), {
      timeout: 15_000
    })
    .toBe('activated');
}
const cachedPages = (page: Page) =>
  page.evaluate(async () =>
    (await caches.has('pages-v1'))
      ? (await (await caches.open('pages-v1')).keys()).map((r) => new URL(r.url).pathname)
      : []
  );

/**
 * Logs in, then opens the mail page once more through the service worker (the first load came
 * before it took over), so the worker keeps it; returns the page's path.
 */
async function keptMailPage(page: Page): Promise<string> {
  await login(page);
  await controlled(page);
  await page.reload();
  const path = new URL(page.url()).pathname;
  await expect.poll(() => cachedPages(page)).toContain(path);
  return path;
}

test('offline: a reload shows the app with mail as last loaded and says so; back online it recovers', async ({
  page,
  context
}) => {
  await keptMailPage(page);
  const subject = (await page.getByTestId('message-row').first().locator('.subject').textContent())!.trim();
  await expect(page.getByTestId('offline-banner')).toHaveCount(0);

  await context.setOffline(true);
  await page.reload();
  // the app, not the browser's error page: top bar, folders, the list as it was
  await expect(page.getByRole('banner')).toBeVisible();
  await expect(page.getByRole('complementary', { name: 'Folders' })).toBeVisible();
  await expect(page.getByTestId('message-row').first()).toContainText(subject);
  const banner = page.getByTestId('offline-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText("You're offline — showing mail as last loaded");
  await expect(page.getByRole('status').filter({ hasText: "You're offline" })).toBeVisible();
  await shot(page, '40-offline');
  // the banner is readable (contrast) in this theme
  const axe = await new AxeBuilder({ page })
    .include('[data-testid=offline-banner]')
    .options({ iframes: false })
    .setLegacyMode()
    .analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);

  await context.setOffline(false);
  await expect(banner).toHaveCount(0, { timeout: 10_000 });
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'live', { timeout: 15_000 });
  // and the page works as before: a message opens
  await page.getByTestId('message-row').first().click();
  await expect(page.getByTestId('message-body').last()).toBeVisible({ timeout: 20_000 });
});

test('phone: the offline banner fits the screen', async ({ browser }) => {
  const { defaultBrowserType: _, ...phone } = devices['Pixel 7'];
  const context = await browser.newContext({ ...phone, colorScheme: 'dark' });
  const page = await context.newPage();
  await keptMailPage(page);
  await context.setOffline(true);
  await page.reload();
  const banner = page.getByTestId('offline-banner');
  await expect(banner).toContainText("You're offline");
  const box = (await banner.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(page.viewportSize()!.width);
  await expect(page.getByTestId('message-row').first()).toBeInViewport();
  await shot(page, '41-offline-phone-dark');
  await context.close();
});

test('offline, the start URL opens the mail page seen last; a page never opened gets a plain notice', async ({
  page,
  context
}) => {
  const last = await keptMailPage(page);
  await context.setOffline(true);
  // the installed app starts at /mail (start_url), which only redirects when online
  await page.goto('/mail');
  await expect(page).toHaveURL(new RegExp(`${last}$`));
  await expect(page.getByTestId('offline-banner')).toBeVisible();
  await expect(page.getByTestId('message-row').first()).toBeVisible();
  // a page the worker never kept: its own notice, not the browser's error page
  await page.goto('/mail/00000000-0000-4000-8000-000000000000/never-opened').catch(() => {});
  await expect(page.getByRole('heading', { name: 'You are offline' })).toBeVisible();
  await context.setOffline(false);
});

test('logging out drops the pages the service worker kept', async ({ page, context }) => {
  const path = await keptMailPage(page);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect.poll(() => cachedPages(page)).toEqual([]);
  // offline now, the mail page is gone: no one else's reload shows that mail
  await context.setOffline(true);
  await page.goto(path).catch(() => {});
  await expect(page.getByRole('heading', { name: 'You are offline' })).toBeVisible();
  await expect(page.getByTestId('message-row')).toHaveCount(0);
  await context.setOffline(false);
});

test('a login form sent before the script ran still logs in, under the service worker too', async ({
  page
}) => {
  await login(page);
  await controlled(page);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Email address').fill(DEMO_EMAIL);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  // form.submit(): the browser's own POST, as when the page's script has not run yet
  await page.locator('form').evaluate((f: HTMLFormElement) => f.submit());
  await expect(page).toHaveURL(/\/mail\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('message-row').first()).toBeVisible();
});

test('a mail page opens from the copy the service worker kept, then catches up with what changed meanwhile', async ({
  page
}) => {
  const path = await keptMailPage(page);
  const keptPage = () =>
    page.evaluate(async (p) => (await (await caches.open('pages-v1')).match(p))?.text() ?? '', path);

  // away from the mail page, new mail arrives (the server has it before we come back)
  await page.goto('/settings');
  const subject = unique('Arrived while away');
  await deliver(ALICE, subject);
  await expect
    .poll(async () => (await sql('SELECT 1 FROM "Message" WHERE subject = $1', [subject])).length, {
      timeout: 15_000
    })
    .toBe(1);

  // back: the kept copy is what the browser got (from the worker, without the new mail)...
  const response = (await page.goto(path))!;
  expect(response.fromServiceWorker()).toBe(true);
  expect(response.headers()['x-kept-by']).toBeTruthy();
  // without the server's Link header: its scripts are in the worker's cache, and preloading
  // them only holds up the first rows
  expect(response.headers()['link']).toBeUndefined();
  expect(await response.text()).not.toContain(subject);
  // its scripts and styles came from the worker's cache through the browser's own router
  // (Service Worker Static Routing), not one by one through the worker's fetch handler
  const sources = () =>
    page.evaluate(() => [
      ...new Set(
        performance
          .getEntriesByType('resource')
          .filter((e) => new URL(e.name).pathname.startsWith('/_app/immutable/'))
          .map(
            (e) =>
              (e as PerformanceResourceTiming & { workerMatchedSourceType?: string }).workerMatchedSourceType
          )
      )
    ]);
  await expect.poll(sources).toEqual(['cache']);
  // ...and the page catches up: the new mail at the top, unread, with no reload
  const row = page.getByTestId('message-row').first();
  await expect(row).toContainText(subject, { timeout: 10_000 });
  await expect(row).toHaveClass(/unread/);
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'live', { timeout: 15_000 });
  // and the worker has put the network's copy in place of the old one for the next visit
  await expect.poll(keptPage, { timeout: 10_000 }).toContain(subject);

  // signed out elsewhere (the session is gone): the kept copy is not what stays on screen
  await sql('DELETE FROM "Session"');
  await page.goto(path);
  await expect(page).toHaveURL(/\/login/, { timeout: 15_000 });
  await expect.poll(() => cachedPages(page)).toEqual([]);
});
