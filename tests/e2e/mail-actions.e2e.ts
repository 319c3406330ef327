// Triage with the keyboard only (Gmail keys), and with the mouse: selection ranges, move with
// the folder picker and by drag and drop, Undo. The server state is checked afterwards, in
// PostgreSQL and on the IMAP server itself.
import { expect, test, type Page } from '@playwright/test';
import { ImapFlow } from 'imapflow';
import { mailServers } from '../helpers/servers';
import { ALICE, deliver, demoMail, login, shot, sql, unique } from './mail-fixture';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  await demoMail();
});

interface Row {
  subject: string;
  seen: boolean;
  flagged: boolean;
  folder: string;
}
async function rowsLike(prefix: string): Promise<Map<string, Row>> {
  const rows = await sql<Row>(
    `SELECT m.subject, m.seen, m.flagged, f.path AS folder FROM "Message" m JOIN "Folder" f ON f.id = m."folderId"
     JOIN "MailAccount" a ON a.id = m."accountId" WHERE a.email = $1 AND m.subject LIKE $2 AND NOT m.deleting`,
    [ALICE, `${prefix}%`]
  );
  return new Map(rows.map((r) => [r.subject, r]));
}

/** What alice's IMAP server has for messages whose subject starts with prefix: folder → subject → flags. */
async function imapState(prefix: string): Promise<Record<string, Record<string, string[]>>> {
  const mail = mailServers();
  const c = new ImapFlow({
    host: mail.host,
    port: mail.imapPort,
    secure: false,
    auth: { user: ALICE, pass: mail.password },
    logger: false
  });
  await c.connect();
  const out: Record<string, Record<string, string[]>> = {};
  try {
    for (const box of ['INBOX', 'Archive', 'Trash', 'Receipts', 'Projects/Website']) {
      const lock = await c.getMailboxLock(box);
      try {
        const uids = await c.search({ subject: prefix }, { uid: true });
        if (!uids || !uids.length) continue;
        for await (const m of c.fetch(uids, { envelope: true, flags: true }, { uid: true }))
          (out[box] ??= {})[m.envelope!.subject!] = [...m.flags!].sort();
      } finally {
        lock.release();
      }
    }
  } finally {
    await c.logout();
  }
  return out;
}

async function deliverFive(page: Page, prefix: string): Promise<string[]> {
  for (let i = 1; i <= 5; i++) await deliver(ALICE, `${prefix} #${i}`);
  const rows = page.getByTestId('message-row');
  await expect
    .poll(
      async () =>
        (await rows.locator('.subject').allTextContents()).slice(0, 5).filter((s) => s.startsWith(prefix))
          .length,
      {
        timeout: 20_000
      }
    )
    .toBe(5);
  return (await rows.locator('.subject').allTextContents()).slice(0, 5);
}

test('keyboard-only triage of five messages, carried to the mail server', async ({ page }) => {
  await login(page);
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'live');
  const prefix = unique('Triage');
  const [a, b, c, d, e] = (await deliverFive(page, prefix)) as [string, string, string, string, string];
  const row = (s: string) => page.getByTestId('message-row').filter({ hasText: s });
  // the cursor starts on the newest message
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  await page.keyboard.press('k');
  await expect(row(a)).toHaveClass(/cursor/);
  await page.keyboard.press('s'); // star a
  await expect(row(a).locator('.star.on')).toBeVisible();
  await page.keyboard.press('j');
  await page.keyboard.press('e'); // archive b
  await expect(row(b)).toHaveCount(0);
  await expect(page.getByTestId('toasts')).toContainText('Archived 1 conversation');
  await expect(row(c)).toHaveClass(/cursor/);
  await page.keyboard.press('#'); // delete c
  await expect(row(c)).toHaveCount(0);
  await expect(page.getByTestId('toasts')).toContainText('Moved 1 conversation to Trash');
  await expect(row(d)).toHaveClass(/cursor/);
  await page.keyboard.press('x'); // select d and e, mark them read
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  await expect(row(d)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Shift+I');
  await expect(row(d)).not.toHaveClass(/unread/);
  await expect(row(e)).not.toHaveClass(/unread/);
  await page.keyboard.press('Escape');
  await expect(row(d)).toHaveAttribute('aria-selected', 'false');
  // (a person is slower than this test: let the server have "read" before asking for "unread")
  await expect
    .poll(async () => (await imapState(prefix)).INBOX?.[d], { timeout: 15_000 })
    .toEqual(['\\Seen']);
  await page.keyboard.press('k');
  await page.keyboard.press('Shift+U'); // d unread again
  await expect(row(d)).toHaveClass(/unread/);
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeHidden();
  // typing in a field never triggers a shortcut
  await page.keyboard.press('/');
  await expect(page.locator('#mail-filter')).toBeFocused();
  await page.keyboard.type('e#s');
  await expect(page.locator('#mail-filter')).toHaveValue('e#s');
  await page.locator('#mail-filter').fill('');
  await page.keyboard.press('Escape');
  await expect(row(d)).toBeVisible();
  await expect(row(e)).toBeVisible();

  // the database has it at once...
  const db = await rowsLike(prefix);
  expect(db.get(a)).toMatchObject({ folder: 'INBOX', flagged: true, seen: false });
  expect(db.get(b)).toMatchObject({ folder: 'Archive' });
  expect(db.get(c)).toMatchObject({ folder: 'Trash' });
  expect(db.get(d)).toMatchObject({ folder: 'INBOX', seen: false });
  expect(db.get(e)).toMatchObject({ folder: 'INBOX', seen: true });
  // ...and the mail server soon after
  await expect
    .poll(() => imapState(prefix), { timeout: 15_000 })
    .toEqual({
      INBOX: { [a]: ['\\Flagged'], [d]: [], [e]: ['\\Seen'] },
      Archive: { [b]: [] },
      Trash: { [c]: [] }
    });
});

test('mouse: shift-click a range, move with the picker, undo; drag a message onto a folder', async ({
  page
}) => {
  await login(page);
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'live');
  const prefix = unique('Mouse');
  const [a, , c, d] = (await deliverFive(page, prefix)) as [string, string, string, string, string];
  const row = (s: string) => page.getByTestId('message-row').filter({ hasText: s });
  await row(a).locator('.check').click();
  await row(c).click({ modifiers: ['Shift'] });
  await expect(page.getByText('3 selected')).toBeVisible();
  await shot(page, '14-selection');
  await page
    .getByRole('toolbar', { name: 'Selected messages' })
    .getByRole('button', { name: 'Move' })
    .click();
  const picker = page.getByRole('dialog', { name: 'Move to folder' });
  await picker.getByRole('searchbox').fill('Receipts');
  await picker.getByRole('button', { name: 'Receipts' }).click();
  await expect(row(a)).toHaveCount(0);
  await expect(row(c)).toHaveCount(0);
  await expect
    .poll(async () => [...(await rowsLike(prefix)).values()].filter((r) => r.folder === 'Receipts').length)
    .toBe(3);
  await page.getByTestId('toasts').getByRole('button', { name: 'Undo' }).click();
  await expect(row(a)).toBeVisible();
  await expect(row(c)).toBeVisible();
  await expect
    .poll(async () => [...(await rowsLike(prefix)).values()].every((r) => r.folder === 'INBOX'))
    .toBe(true);

  // drag and drop onto a folder of the same mailbox
  await row(d).dragTo(page.locator('a[data-folder="Projects/Website"]').first());
  await expect(row(d)).toHaveCount(0);
  await expect.poll(async () => (await rowsLike(prefix)).get(d)?.folder).toBe('Projects/Website');
});
