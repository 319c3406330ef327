// Reading mail: the inbox is rendered on the server, messages open in the reading pane,
// conversations group replies across folders, "All inboxes" spans both mailboxes, and the
// theme follows the system or the toggle without a flash.
import { expect, test } from '@playwright/test';
import { ALICE, demoMail, login, openBobInbox, postfixSend, shot, unique } from './mail-fixture';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  await demoMail();
});

test('the inbox arrives rendered: the first page of mail is in the HTML', async ({ page }) => {
  await login(page);
  const html = await (await page.request.get(page.url())).text();
  const rows = html.match(/data-testid="message-row"/g) ?? [];
  expect(rows.length).toBeGreaterThan(5);
  // only the rows that fit the list are rendered by the server (at most the default height's,
  // 800 px of 76 px rows, before the browser has said its own; see the test of a tall window):
  // the rows beyond the viewport come once the list runs in the browser
  expect(rows.length).toBeLessThanOrEqual(11);
  expect(html).toContain('Inbox');
  await expect.poll(() => page.getByTestId('message-row').count()).toBeGreaterThan(rows.length);
  // at most a window of rows is in the DOM, however much is loaded
  await expect(page.getByTestId('message-row').first()).toBeVisible();
  const unread = page.locator('[data-testid=message-row].unread');
  await expect(unread.first()).toBeVisible();
  await expect(page.getByRole('listbox', { name: 'Messages in Inbox' })).toBeVisible();
  await openBobInbox(page);
  await shot(page, '10-inbox');
});

test('the first frame the browser paints already has the rows', async ({ page }) => {
  await login(page);
  const url = page.url();
  // a slow phone's CPU: the parser yields often, and each yield was a chance to paint the top bar
  // and the folders before the list had arrived
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await page.addInitScript(() => {
    if (window.top !== window) return;
    // the first animation frame callback runs just before the page's first paint: what has the
    // parser given it by then? (the reading pane comes after the list's last row)
    requestAnimationFrame(() => {
      const list = document.getElementById('message-list');
      (window as unknown as { firstFrame: string }).firstFrame = JSON.stringify({
        rows: document.querySelectorAll('#message-list [role="option"]').length,
        shows: list ? Math.ceil(list.clientHeight / 76) : 0,
        pastTheList: !!document.getElementById('reading-pane')
      });
    });
  });
  const firstFrame = () =>
    page.evaluate(() => (window as unknown as { firstFrame?: string }).firstFrame ?? '');
  // from the network, then from the service worker's kept copy
  for (let i = 0; i < 3; i++) {
    await page.goto(url);
    await expect.poll(firstFrame).not.toBe('');
    const frame = JSON.parse(await firstFrame()) as { rows: number; shows: number; pastTheList: boolean };
    expect(frame.shows, `load ${i + 1}`).toBeGreaterThan(5);
    expect(frame.rows, `load ${i + 1}`).toBeGreaterThanOrEqual(frame.shows);
    expect(frame.pastTheList, `load ${i + 1}`).toBe(true);
  }
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
});

test('a tall window gets all the rows it shows from the server, a short one no more', async ({ browser }) => {
  for (const height of [1200, 560]) {
    const context = await browser.newContext({ viewport: { width: 1280, height } });
    const page = await context.newPage();
    await login(page);
    const list = page.getByRole('listbox', { name: 'Messages in Inbox' });
    await expect(list.getByTestId('message-row').first()).toBeVisible();
    const listHeight = await list.evaluate((el) => el.clientHeight);
    const fit = Math.ceil(listHeight / 76);
    // the list said its height (to the row: a few pixels more or less are not written again):
    // the next render of the page is for it
    await expect
      .poll(async () => {
        const said = (await context.cookies()).find((c) => c.name === 'list_h')?.value;
        return said ? Math.ceil(Number(said) / 76) : 0;
      })
      .toBe(fit);
    const html = await (await page.request.get(page.url())).text();
    const rows = html.match(/data-testid="message-row"/g) ?? [];
    expect(rows.length, `rows in the HTML for a ${listHeight} px list`).toBe(fit);
    // and the first paint has them all (the first animation frame runs just before it); from the
    // server, not from a copy the service worker kept before the list had said its height
    const direct = await browser.newContext({
      viewport: { width: 1280, height },
      storageState: await context.storageState(),
      serviceWorkers: 'block'
    });
    const fresh = await direct.newPage();
    await fresh.addInitScript(() => {
      if (window.top !== window) return;
      requestAnimationFrame(() => {
        const rows = document.querySelectorAll('#message-list [role="option"]').length;
        (window as unknown as { firstFrameRows: number }).firstFrameRows = rows;
      });
    });
    await fresh.goto(page.url());
    await expect
      .poll(() => fresh.evaluate(() => (window as unknown as { firstFrameRows?: number }).firstFrameRows))
      .toBe(fit);
    await direct.close();
    await context.close();
  }
});

test('open and read messages; j/k move through them', async ({ page }) => {
  await login(page);
  const list = page.getByTestId('message-list');
  const first = list.getByTestId('message-row').first();
  const subject = (await first.locator('.subject').textContent())!.trim();
  await first.click();
  await expect(page).toHaveURL(/\/mail\/[^/]+\/[^/]+\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('message-subject').first()).toContainText(subject.slice(0, 20));
  await expect(page.getByTestId('message-body').last()).toBeVisible({ timeout: 20_000 });
  // read now
  await expect(first).not.toHaveClass(/unread/);
  await page.keyboard.press('j');
  await expect(list.getByTestId('message-row').nth(1)).toHaveClass(/open/);
  await page.keyboard.press('k');
  await expect(first).toHaveClass(/open/);
  // the sandboxed body frame: no scripts, no same-origin
  const frame = page.getByTestId('message-body').last();
  await expect(frame).toHaveAttribute('sandbox', 'allow-popups allow-popups-to-escape-sandbox');
  await page.keyboard.press('u');
  await expect(page).toHaveURL(/\/mail\/[^/]+\/[^/]+$/);
  // with a mouse, an empty star shows on the cursor row, the open one and the one under the
  // pointer only
  const unstarred = list.locator('[data-testid=message-row]:not(.cursor):not(.open):not(:has(.star.on))');
  const other = unstarred.nth(2);
  await page.mouse.move(0, 0);
  await expect(other.locator('.star svg')).toBeHidden();
  await other.hover();
  await expect(other.locator('.star svg')).toBeVisible();
  await expect(list.locator('.row.cursor .star svg')).toBeVisible();
});

test('j and k show bodies rendered ahead in hidden frames, without loading a frame', async ({ page }) => {
  await login(page);
  // Bob's inbox as the demo made it: neighbouring mails with bodies of their own (a body equal
  // to the one shown needs no frame of its own)
  await openBobInbox(page);
  const list = page.getByTestId('message-list');
  const rows = list.getByTestId('message-row');
  const pane = page.getByRole('region', { name: 'Reading pane' });
  // a line whose neighbours' snippets differ from each other and from its own
  await expect(rows.nth(8)).toBeVisible();
  const snippets = await rows.locator('.snippet').allTextContents();
  const at = [1, 2, 3, 4, 5, 6].find((i) => new Set(snippets.slice(i - 1, i + 2)).size === 3);
  if (at === undefined) throw new Error(`no three different mails in a row: ${snippets.join(' | ')}`);
  await rows.nth(at).click();
  await expect(pane.getByTestId('message-body').last()).toBeVisible({ timeout: 20_000 });
  // the neighbours' bodies (the lines above and below) go into two hidden frames once the page is idle
  const hidden = pane.locator('iframe[inert]');
  await expect(hidden).toHaveCount(2, { timeout: 15_000 });
  for (const f of await hidden.all()) {
    await expect(f).toHaveAttribute('aria-hidden', 'true');
    await expect(f).toHaveAttribute('sandbox', 'allow-popups allow-popups-to-escape-sandbox');
    await expect(f).not.toHaveAttribute('data-testid', /./);
  }
  const text = (i: number) =>
    page.frameLocator(`[aria-label="Reading pane"] iframe[inert] >> nth=${i}`).locator('body').innerText();
  await expect.poll(async () => (await text(0)).length && (await text(1)).length).toBeGreaterThan(0);
  const ahead = [await text(0), await text(1)];
  const shownText = () =>
    page
      .frameLocator('[aria-label="Reading pane"] iframe[data-testid=message-body] >> nth=-1')
      .locator('body')
      .innerText();
  const before = await shownText();
  // from here on, which frames load a document
  await page.evaluate(() => {
    const w = window as unknown as { loadedFrames: Set<EventTarget> };
    w.loadedFrames = new Set();
    document.addEventListener('load', (e) => w.loadedFrames.add(e.target!), true);
  });
  const shownLoaded = () =>
    page.evaluate(() => {
      const frames = document.querySelectorAll(
        '[aria-label="Reading pane"] iframe[data-testid=message-body]'
      );
      return (window as unknown as { loadedFrames: Set<EventTarget> }).loadedFrames.has(
        frames[frames.length - 1]!
      );
    });

  await page.keyboard.press('j');
  await expect(rows.nth(at + 1)).toHaveClass(/open/);
  const next = await shownText();
  expect(ahead).toContain(next);
  expect(next).not.toBe(before);
  expect(await shownLoaded()).toBe(false);
  await expect(pane.getByTestId('message-body').last()).toBeVisible();

  // back: the body left behind is still in its frame
  await page.keyboard.press('k');
  await expect(rows.nth(at)).toHaveClass(/open/);
  expect(await shownText()).toBe(before);
  expect(await shownLoaded()).toBe(false);
  await shot(page, '11-message-after-jk');
});

test('the list is windowed and loads older mail as it scrolls (keyset pages)', async ({ page }) => {
  await login(page);
  const list = page.getByTestId('message-list');
  const loaded = () => list.locator('.spacer').evaluate((el) => Math.round(el.clientHeight / 76));
  const first = await loaded();
  expect(first).toBeLessThanOrEqual(60);
  // Scrolling down a screen at a time while the next pages load: the list never moves back by
  // itself (the keyboard cursor stays on the first row, and keeping it in view must not snap
  // the list back to the top each time a page arrives).
  const steps = await list.evaluate(async (el) => {
    const out: { asked: number; at: number; loaded: number }[] = [];
    let pos = 0;
    for (let i = 0; i < 40; i++) {
      pos = Math.min(pos + el.clientHeight / 2, el.scrollHeight - el.clientHeight);
      el.scrollTop = pos;
      await new Promise((r) => setTimeout(r, 120));
      out.push({
        asked: Math.min(pos, el.scrollHeight - el.clientHeight),
        at: el.scrollTop,
        loaded: el.scrollHeight
      });
    }
    return out;
  });
  expect(steps.at(-1)!.loaded).toBeGreaterThan(first * 76 * 1.5); // pages did load meanwhile
  expect(steps.filter((s) => s.at < s.asked - 2)).toEqual([]);
  for (let i = 0; i < 8; i++) {
    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForTimeout(300);
  }
  await expect.poll(loaded).toBeGreaterThan(100); // the demo inbox holds well over 100
  // however many are loaded, only a window of rows is in the page
  expect(await list.getByTestId('message-row').count()).toBeLessThan(40);
  await expect(list.getByTestId('message-row').last()).toBeInViewport();
});

test('a flung list shows sender and subject, and whole rows again once it slows down', async ({ page }) => {
  await login(page);
  const list = page.getByTestId('message-list');
  const rows = list.getByTestId('message-row');
  await expect(rows.first().locator('.snippet')).toBeVisible();
  // 300 px a frame, far faster than anyone reads: rows coming into view are brief (no date,
  // snippet or star), and the list keeps up with the fling
  const fling = await list.evaluate(async (el) => {
    let brief = 0;
    let briefWithSnippet = 0;
    for (let i = 0; i < 14; i++) {
      await new Promise((r) => requestAnimationFrame(r));
      el.scrollTop += 300;
      const b = el.querySelectorAll('[data-testid="message-row"].brief');
      brief = Math.max(brief, b.length);
      briefWithSnippet += [...b].filter((r) => r.querySelector('.snippet, .date, .star')).length;
    }
    return { brief, briefWithSnippet, top: el.scrollTop };
  });
  expect(fling.top).toBeGreaterThan(2000);
  expect(fling.brief).toBeGreaterThan(3);
  expect(fling.briefWithSnippet).toBe(0);
  // still: every row in the window is whole again, a few each frame
  await expect(list.locator('.brief')).toHaveCount(0, { timeout: 5_000 });
  const inView = rows.filter({ has: page.locator('.snippet') });
  expect(await inView.count()).toBe(await rows.count());
  for (const r of await rows.all())
    if (await r.isVisible()) await expect(r.getByTitle(/^(Un)?[Ss]tar \(s\)$/)).toHaveCount(1);
  // one jump (Home, a click on the scrollbar) is not a fling: the rows arrive whole
  const afterJump = await list.evaluate(async (el) => {
    await new Promise((r) => setTimeout(r, 300));
    el.scrollTop = 0;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return el.querySelectorAll('.brief').length;
  });
  expect(afterJump).toBe(0);
  await expect(rows.first().locator('.snippet')).toBeVisible();
});

test('a message with attachments lists them with sizes and download links', async ({ page }) => {
  await login(page);
  await page
    .getByRole('link', { name: /Receipts/ })
    .first()
    .click();
  const row = page.locator('[data-testid=message-row]:has(.clip)').first();
  await row.click();
  const atts = page.getByRole('list', { name: 'Attachments' });
  await expect(atts).toBeVisible({ timeout: 20_000 });
  const download = atts.getByRole('link', { name: 'Download' }).first();
  await expect(download).toHaveAttribute(
    'href',
    /^\/api\/messages\/[0-9a-f-]{36}\/attachments\/[0-9a-f-]{36}$/
  );
  await expect(atts).toContainText(/\d+(\.\d)? (B|KB|MB)/);
  await expect(page.getByRole('link', { name: 'Download .eml' })).toHaveAttribute('href', /\/raw$/);
  await shot(page, '11-message');
});

test('conversations: a thread with replies across folders, newest expanded, and the plain list', async ({
  page
}) => {
  await login(page);
  // Bob's inbox: the tests deliver their new mail to Alice
  await openBobInbox(page);
  // replies, among the loaded mail (the tests' own deliveries are not conversations)
  await page.locator('#mail-filter').fill('Re:');
  const threaded = page.locator('[data-testid=message-row]:has(.n)');
  await expect(threaded.first()).toBeVisible();
  const thread = page.getByTestId('thread');
  // a conversation with a reply of Bob's own, from Sent
  for (let i = 0; i < 8; i++) {
    const row = threaded.nth(i);
    const count = Number(await row.locator('.n').textContent());
    expect(count).toBeGreaterThan(1);
    await row.click();
    await expect(thread.getByTestId('thread-message')).toHaveCount(count);
    if (await thread.locator('.where', { hasText: 'Sent' }).count()) break;
  }
  await expect(thread.locator('.where', { hasText: 'Sent' }).first()).toBeVisible();
  // the newest is open, earlier ones are one line each
  await expect(thread.getByTestId('thread-message').last()).toHaveClass(/expanded/);
  await expect(thread.locator('button.summary').first()).toBeVisible();
  await shot(page, '12-conversation');
  await thread.locator('button.summary').first().click();
  await expect(thread.locator('li.expanded')).toHaveCount(2);
  // switch to the plain list: every message on its own
  await page.locator('#mail-filter').fill('');
  await page.getByTestId('conversation-toggle').click();
  await expect(page.getByTestId('conversation-toggle')).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByRole('region', { name: 'Reading pane' }).getByTestId('thread')).toHaveCount(0);
  await page.reload(); // remembered (cookie), rendered so by the server
  await expect(page.getByTestId('conversation-toggle')).toHaveAttribute('aria-pressed', 'false');
  await page.getByTestId('conversation-toggle').click();
});

test('All inboxes shows mail of both mailboxes', async ({ page }) => {
  await login(page);
  await page.getByRole('link', { name: /All inboxes/ }).click();
  await expect(page).toHaveURL(/\/mail\/all\/inbox$/);
  const accounts = page.getByTestId('message-list').locator('.acct');
  await expect(accounts.first()).toBeVisible();
  // replies from the demo mail (the newest lines are the tests' own mail, all to Alice)
  await page.locator('#mail-filter').fill('Re:');
  await expect
    .poll(async () => [...new Set(await accounts.allTextContents())].sort())
    .toEqual(['Alice (demo)', 'Bob (demo)']);
  const bobs = page
    .getByTestId('message-row')
    .filter({ has: page.locator('.acct', { hasText: 'Bob (demo)' }) });
  await bobs.first().click();
  await expect(page).toHaveURL(/\/mail\/all\/inbox\/[0-9a-f-]{36}\?account=/);
  await expect(page.getByTestId('message-body').last()).toBeVisible({ timeout: 20_000 });
});

test('dark mode: follows the system, the toggle overrides it and survives a reload without a flash', async ({
  browser
}) => {
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1400, height: 860 } });
  const page = await context.newPage();
  await login(page);
  const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(await bg()).toBe('rgb(17, 20, 27)');
  await openBobInbox(page);
  await page.getByTestId('message-row').nth(1).click();
  await expect(page.getByTestId('message-body').last()).toBeVisible({ timeout: 20_000 });
  await shot(page, '13-dark');
  // toggle to light, reload: the theme is on <html> before any script of the app runs
  await page.getByTestId('theme-toggle').click();
  expect(await bg()).toBe('rgb(246, 247, 251)');
  let themeAtFirstParse: string | undefined;
  page.on('domcontentloaded', async () => {
    themeAtFirstParse ??= await page.evaluate(() => document.documentElement.dataset.theme ?? 'none');
  });
  await page.reload();
  await expect.poll(() => themeAtFirstParse).toBe('light');
  expect(await bg()).toBe('rgb(246, 247, 251)');
  await context.close();
});

test('dark mode reaches HTML mail without colours of its own; a designed newsletter stays as designed', async ({
  browser
}) => {
  const plain = unique('Plain HTML note');
  const designed = unique('Designed newsletter');
  await postfixSend({
    from: 'Erin Example <erin@example.test>',
    to: ALICE,
    subject: plain,
    html: '<div dir="ltr">Hi Alice,<br><br>See you <b>tomorrow</b>.</div>'
  });
  await postfixSend({
    from: 'News <news@example.test>',
    to: ALICE,
    subject: designed,
    html: '<table bgcolor="#fff4e0" width="100%"><tr><td style="color:#402000">Our <i>autumn</i> news</td></tr></table>'
  });
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1400, height: 860 } });
  const page = await context.newPage();
  await login(page);
  const frameBody = page.frameLocator('[data-testid=message-body] >> nth=-1').locator('body');
  const open = async (subject: string) => {
    await page.getByTestId('message-row').filter({ hasText: subject }).click({ timeout: 20_000 });
    await expect(page.getByTestId('message-subject').first()).toContainText(subject);
    await expect(frameBody).toContainText(/tomorrow|autumn/, { timeout: 20_000 });
  };
  await open(plain);
  await expect(frameBody).toHaveCSS('background-color', 'rgb(26, 31, 42)');
  await expect(frameBody).toHaveCSS('color', 'rgb(230, 233, 240)');
  await shot(page, '14-dark-html-mail');
  await open(designed);
  await expect(frameBody).toHaveCSS('background-color', 'rgb(255, 255, 255)');
  await expect(frameBody.locator('td')).toHaveCSS('color', 'rgb(64, 32, 0)');
  // the toggle reaches the frame too: light theme, the plain mail on white
  await page.getByTestId('theme-toggle').click();
  await open(plain);
  await expect(frameBody).toHaveCSS('background-color', 'rgb(255, 255, 255)');
  await context.close();
});
