// Live mail: new mail shows up at once, changes made elsewhere show up, a lost connection
// recovers by itself, and many tabs share one server-sent-events connection.
import { expect, test, type Page } from '@playwright/test';
import { ImapFlow } from 'imapflow';
import { mailServers } from '../helpers/servers';
import { ALICE, deliver, demoMail, login, unique } from './mail-fixture';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  await demoMail();
});

const isLive = (page: Page) => expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'live');
const inboxCount = (page: Page) =>
  page.locator('a[data-folder="\\\\Inbox"]').first().locator('.count').textContent();

test('a message delivered through Postfix appears at the top within 3 s, counts follow', async ({ page }) => {
  await login(page);
  await isLive(page);
  const before = Number(await inboxCount(page));
  const subject = unique('Live delivery');
  await deliver(ALICE, subject);
  const row = page.getByTestId('message-row').first();
  await expect(row).toContainText(subject, { timeout: 3_000 });
  await expect(row).toHaveClass(/unread/);
  await expect.poll(async () => Number(await inboxCount(page))).toBe(before + 1);
});

test('a change made in another session (another device) shows up', async ({ page, browser }) => {
  await login(page);
  await isLive(page);
  const subject = unique('Read elsewhere');
  await deliver(ALICE, subject);
  const row = page.getByTestId('message-row').filter({ hasText: subject });
  await expect(row).toHaveClass(/unread/, { timeout: 10_000 });
  // a second browser with a session of its own reads and stars the message
  const other = await browser.newContext();
  const phone = await other.newPage();
  await login(phone);
  const there = phone.getByTestId('message-row').filter({ hasText: subject });
  await there.click();
  await expect(there).not.toHaveClass(/unread/);
  await phone.keyboard.press('s');
  await expect(there.locator('.star.on')).toBeVisible();
  // ...and the first one follows without a reload
  await expect(row).not.toHaveClass(/unread/, { timeout: 3_000 });
  await expect(row.locator('.star.on')).toBeVisible({ timeout: 3_000 });
  await other.close();
});

test('a change made with another mail client (IMAP) shows up', async ({ page }) => {
  await login(page);
  await isLive(page);
  const subject = unique('Flagged elsewhere');
  await deliver(ALICE, subject);
  const row = page.getByTestId('message-row').filter({ hasText: subject });
  await expect(row).toHaveClass(/unread/, { timeout: 10_000 });
  const mail = mailServers();
  const imap = new ImapFlow({
    host: mail.host,
    port: mail.imapPort,
    secure: false,
    auth: { user: ALICE, pass: mail.password },
    logger: false
  });
  await imap.connect();
  const lock = await imap.getMailboxLock('INBOX');
  try {
    const uids = await imap.search({ subject }, { uid: true });
    expect(uids).toHaveLength(1);
    await imap.messageFlagsAdd(uids as number[], ['\\Seen', '\\Flagged'], { uid: true });
  } finally {
    lock.release();
    await imap.logout();
  }
  await expect(row).not.toHaveClass(/unread/, { timeout: 5_000 });
  await expect(row.locator('.star.on')).toBeVisible();
});

test('after losing the connection the page recovers by itself and catches up', async ({ page, context }) => {
  await login(page);
  await isLive(page);
  await context.setOffline(true);
  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  const subject = unique('While offline');
  await deliver(ALICE, subject);
  await page.waitForTimeout(1_500);
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await expect(page.getByTestId('message-row').first()).toContainText(subject, { timeout: 15_000 });
  await isLive(page);
});

test('several tabs share one live connection; another tab takes over when it closes', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const streams: string[] = [];
  context.on('request', (r) => {
    if (r.url().includes('/api/trpc/live.events')) streams.push(r.url());
  });
  const first = await context.newPage();
  await login(first);
  const pages = [first];
  for (let i = 0; i < 7; i++) {
    const p = await context.newPage();
    await p.goto(first.url());
    pages.push(p);
  }
  for (const p of pages) await isLive(p);
  // eight tabs, one connection (a browser allows ~6 per origin over HTTP/1.1)
  expect(streams).toHaveLength(1);
  const subject = unique('Shared stream');
  await deliver(ALICE, subject);
  for (const p of pages)
    await expect(p.getByTestId('message-row').first()).toContainText(subject, { timeout: 3_000 });

  await first.close(); // the leader goes: another tab connects, from the last event it heard
  await expect.poll(() => streams.length, { timeout: 10_000 }).toBe(2);
  expect(decodeURIComponent(streams[1]!)).toMatch(/"lastEventId":"\d+-\d+"/);
  const rest = pages.slice(1);
  const again = unique('After takeover');
  await deliver(ALICE, again);
  for (const p of rest)
    await expect(p.getByTestId('message-row').first()).toContainText(again, { timeout: 3_000 });
  expect(streams).toHaveLength(2);
  await context.close();
});
