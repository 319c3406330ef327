// A phone: one pane at a time (list, message, back), the folders in a drawer, big touch
// targets and obvious Archive and Delete buttons.
import { devices, expect, test } from '@playwright/test';
import { demoMail, login, shot } from './mail-fixture';

const { defaultBrowserType: _, ...phone } = devices['Pixel 7'];
test.use({ ...phone });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  await demoMail();
});

test('phone: list, then the message alone, then back; folders in a drawer', async ({ page }) => {
  await login(page);
  // Bob's inbox, through the drawer (demo mail only: the other tests deliver to Alice)
  await page.getByRole('button', { name: 'Folders' }).tap();
  const bob = page
    .getByTestId('nav-account')
    .filter({ hasText: 'Bob (demo)' })
    .getByRole('link', { name: /Inbox/ });
  await bob.tap();
  await expect(bob).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('navigation', { name: 'Mailboxes and folders' })).not.toBeInViewport();
  const list = page.getByTestId('message-list');
  await expect(list).toBeVisible();
  await expect(page.getByRole('region', { name: 'Reading pane' })).toBeHidden();
  await shot(page, '20-phone-list');

  // rows and the menu are comfortably tappable
  const rowBox = await page.getByTestId('message-row').first().boundingBox();
  expect(rowBox!.height).toBeGreaterThanOrEqual(44);
  await page.getByTestId('message-row').nth(1).tap();
  await expect(page).toHaveURL(/\/[0-9a-f-]{36}$/);
  await expect(list).toBeHidden();
  await expect(page.getByTestId('message-body').last()).toBeVisible({ timeout: 20_000 });
  const bar = page.getByRole('toolbar', { name: 'Message actions' });
  for (const name of ['Back to the list', 'Archive', 'Delete']) {
    const button = bar.getByRole('button', { name });
    await expect(button).toBeVisible();
    const box = await button.boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(44);
    expect(box!.width).toBeGreaterThanOrEqual(44);
  }
  // Archive and Delete are labelled in words, not just icons
  await expect(bar.getByRole('button', { name: 'Archive' })).toContainText('Archive');
  await expect(bar.getByRole('button', { name: 'Delete' })).toContainText('Delete');
  await shot(page, '21-phone-message');

  await bar.getByRole('button', { name: 'Back to the list' }).tap();
  await expect(list).toBeVisible();
  await expect(page).toHaveURL(/\/mail\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);

  await page.getByRole('button', { name: 'Folders' }).tap();
  const nav = page.getByRole('navigation', { name: 'Mailboxes and folders' });
  await expect(nav).toBeInViewport();
  await shot(page, '22-phone-folders');
  await nav
    .getByRole('link', { name: /Archive/ })
    .first()
    .tap();
  await expect(page.getByRole('heading', { name: 'Archive', level: 1 })).toBeVisible();
  await expect(nav).not.toBeInViewport();
});
