// The "/" box searches the server: a message older than the first page (so not in the browser
// yet) is found with "/" + a word of it + Enter, opens like any row, and Esc goes back to the
// folder as it was. The search is in the address: a reload keeps it, Back leaves it.
import { expect, test } from '@playwright/test';
import { demoMail, login, shot, sql } from './mail-fixture';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  await demoMail();
});

test('"/" + a word + Enter finds an older message on the server; it opens; Esc is back in the folder', async ({
  page
}) => {
  await login(page);
  const folderId = new URL(page.url()).pathname.split('/')[3]!;
  // the oldest message of this inbox (well past the first page of 50), with a subject of its own
  const [old] = await sql<{ id: string; subject: string }>(
    `SELECT m.id, m.subject FROM "Message" m
      WHERE m."folderId" = $1 AND NOT m.deleting AND length(m.subject) > 8
        AND (SELECT count(*) FROM "Message" o WHERE o."folderId" = m."folderId" AND o.subject = m.subject) = 1
        AND (SELECT count(*) FROM "Message" n WHERE n."folderId" = m."folderId" AND NOT n.deleting) > 100
      ORDER BY m."internalDate", m.id LIMIT 1`,
    [folderId]
  );
  expect(old, 'the demo inbox has more than a page of mail').toBeTruthy();
  const list = page.getByTestId('message-list');
  const firstRow = list.getByTestId('message-row').first();
  const newest = (await firstRow.locator('.subject').textContent())!.trim();
  await expect(page.locator(`#row-${old!.id}`)).toHaveCount(0); // not loaded in the browser

  await list.focus();
  await page.keyboard.press('/');
  await expect(page.locator('#mail-filter')).toBeFocused();
  await page.keyboard.type(old!.subject); // every word must match
  await page.keyboard.press('Enter');

  const header = page.getByTestId('search-header');
  const status = header.getByRole('status');
  await expect(status).toContainText(`Results for “${old!.subject}” in Inbox`);
  await expect(status).toHaveText(/: (1 message|\d+ messages)$/);
  const hit = page.locator(`#row-${old!.id}`);
  await expect(hit).toBeVisible();
  await expect(hit.locator('.subject')).toHaveText(old!.subject);
  await shot(page, '40-search-results');

  // opening a result works like opening a row
  await hit.click();
  await expect(page).toHaveURL(new RegExp(`/${old!.id}\\?q=`));
  await expect(page.getByTestId('message-subject').first()).toContainText(old!.subject.slice(0, 20));
  await expect(header).toBeVisible();

  // Esc: back to the folder, its newest mail first, the search box empty (the open message
  // stays open when the folder's loaded rows have it: typing in the box loads a few pages)
  await page.keyboard.press('Escape');
  await expect(header).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`/mail/[0-9a-f-]{36}/${folderId}(/${old!.id})?$`));
  await expect(page.locator('#mail-filter')).toHaveValue('');
  await expect(list.getByTestId('message-row').first().locator('.subject')).toHaveText(newest);
});

test('a search with no match says so, offers all folders, and ✕ closes it', async ({ page }) => {
  await login(page);
  await page.locator('#mail-filter').fill('nothing-matches-this-xq7');
  await page.locator('#mail-filter').press('Enter');
  const header = page.getByTestId('search-header');
  await expect(header.getByRole('status')).toHaveText(
    'Results for “nothing-matches-this-xq7” in Inbox: no messages match'
  );
  await expect(page.getByTestId('list-empty')).toContainText('No messages match');
  await header.getByRole('button', { name: 'Search all folders' }).click();
  await expect(header).toContainText('in all folders: no messages match');
  await page.getByTestId('search-close').click();
  await expect(header).toHaveCount(0);
  await expect(page.getByTestId('message-row').first()).toBeVisible();
});

test('the search is in the address: a reload keeps it, opening keeps it, Back leaves it; conversations are counted', async ({
  page
}) => {
  await login(page);
  const folderPath = new URL(page.url()).pathname;
  const folderId = folderPath.split('/')[3]!;
  // a conversation with three or more messages in this inbox; its subject is the query
  const [thread] = await sql<{ subject: string }>(
    `SELECT regexp_replace(min(subject), '^(re|fwd?):\\s*', '', 'i') AS subject FROM "Message"
      WHERE "folderId" = $1 AND "threadId" IS NOT NULL AND NOT deleting
      GROUP BY "threadId" HAVING count(*) >= 3 ORDER BY count(*) DESC LIMIT 1`,
    [folderId]
  );
  expect(thread, 'the demo inbox has a conversation of three messages').toBeTruthy();
  const query = thread!.subject;
  await page.locator('#mail-filter').fill(query);
  await page.locator('#mail-filter').press('Enter');
  const status = page.getByTestId('search-header').getByRole('status');
  const rows = page.getByTestId('message-row');
  await expect(status).toHaveText(/: \d+ messages in \d+ conversations?$/);
  const [, messages, lines] = (await status.textContent())!.match(/(\d+) messages in (\d+)/)!;
  expect(Number(lines)).toBeLessThan(Number(messages));
  await expect(rows).toHaveCount(Number(lines));
  await expect(page).toHaveURL(new RegExp(`${folderPath}\\?q=`));
  expect(new URL(page.url()).searchParams.get('q')).toBe(query);

  // a reload shows the same search, its query in the box
  await page.reload();
  await expect(status).toHaveText(
    new RegExp(
      `^Results for “${query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}” in Inbox: ${messages} messages in ${lines} conversation`
    )
  );
  await expect(page.locator('#mail-filter')).toHaveValue(query);
  await expect(rows).toHaveCount(Number(lines));

  // opening a result keeps the search in the address; Back is the results, Back again the folder
  await rows.first().click();
  await expect(page).toHaveURL(/\/mail\/[0-9a-f-]{36}\/[0-9a-f-]{36}\/[0-9a-f-]{36}\?q=/);
  await expect(page.getByTestId('message-subject').first()).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`${folderPath}\\?q=`));
  await expect(status).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`${folderPath}$`));
  await expect(page.getByTestId('search-header')).toHaveCount(0);
  await expect(page.locator('#mail-filter')).toHaveValue('');
  // Forward: the search again
  await page.goForward();
  await expect(status).toContainText(`Results for “${query}”`);
});
