// Writing mail in the browser, checked on the mail servers: a message composed and sent with an
// attachment arrives in the recipient's INBOX and the sender's Sent exactly once, byte for byte;
// a reply carries the threading headers and flags the original \Answered; a draft is autosaved
// (one copy in Drafts) and resumed from the Drafts folder; Undo keeps a message from going out.
// Screenshots of the composer (desktop, minimised, phone) go to test-results/screenshots/.
import { randomBytes, randomUUID } from 'node:crypto';
import { devices, expect, test, type Page } from '@playwright/test';
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import { mailServers } from '../helpers/servers';
import { ALICE, BOB, DEMO_EMAIL, demoMail, login, postfixSend, shot, sql, unique } from './mail-fixture';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  await demoMail();
});

/** Every message in a folder of a demo mailbox whose subject contains `subject`. */
async function found(user: string, folder: string, subject: string): Promise<ParsedMail[]> {
  const mail = mailServers();
  const c = new ImapFlow({
    host: mail.host,
    port: mail.imapPort,
    secure: false,
    auth: { user, pass: mail.password },
    logger: false
  });
  c.on('error', () => {});
  await c.connect();
  try {
    const lock = await c.getMailboxLock(folder);
    try {
      const uids = await c.search({ subject }, { uid: true });
      if (!uids || !uids.length) return [];
      const out: ParsedMail[] = [];
      // a draft saved again meanwhile replaces its old copy: a message expunged between the
      // SEARCH and the FETCH comes back without its source, and is not there any more
      for await (const m of c.fetch(uids, { source: true }, { uid: true }))
        if (m.source) out.push(await simpleParser(m.source));
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => c.close());
  }
}

async function composer(page: Page) {
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  await page.keyboard.press('c');
  const panel = page.getByTestId('composer');
  await expect(panel).toBeVisible();
  await expect(page.getByTestId('compose-editor')).toBeVisible();
  return panel;
}

async function fill(page: Page, to: string, subject: string, text: string) {
  await page.locator('#rcpt-to').fill(to);
  await page.locator('#rcpt-to').press('Enter');
  await expect(page.getByTestId('recipient-chip').filter({ hasText: to })).toBeVisible();
  await page.locator('#compose-subject').fill(subject);
  await page.getByTestId('compose-editor').click();
  await page.keyboard.type(text);
}

test('compose and send: once in the INBOX and once in Sent, attachment byte-identical', async ({ page }) => {
  test.setTimeout(90_000);
  await login(page);
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'live');
  const subject = unique('Composed');
  const file = randomBytes(3_000_000);
  await composer(page);
  await fill(page, BOB, subject, 'Hello Bob, the numbers are attached.');
  // a slow uplink (3 MB at 2 MB/s), so the upload's progress can be watched
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 2_000_000
  });
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { progressSeen: string[] }).progressSeen = seen;
    const watch = () => {
      const li = document.querySelector('[data-testid="compose-attachment"]');
      const v = li ? `${li.getAttribute('data-state')}:${li.getAttribute('data-progress')}` : null;
      if (v && seen[seen.length - 1] !== v) seen.push(v);
      if (!v?.startsWith('ready')) requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
  });
  await page.getByTestId('compose-file').setInputFiles({
    name: 'numbers.bin',
    mimeType: 'application/octet-stream',
    buffer: file
  });
  const item = page.getByTestId('compose-attachment').filter({ hasText: 'numbers.bin' });
  await expect(item).toBeVisible();
  await expect(item.getByTestId('upload-percent')).toBeVisible();
  await expect(item).toHaveAttribute('data-state', 'ready', { timeout: 20_000 });
  await expect(item).toHaveAttribute('data-progress', '1');
  await expect(item.locator('progress')).toHaveCount(0);
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1
  });
  // the bar moved with the bytes sent (XHR upload progress), then reached 100%
  const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
  const partial = seen.filter((v) => /^uploading:0\.\d+/.test(v));
  expect(partial.length, seen.join(' ')).toBeGreaterThanOrEqual(2);
  expect(seen[seen.length - 1]).toBe('ready:1');
  // the file went to the server once, as raw bytes; the send carries only its id
  const [upload] = await sql<{ size: number; complete: boolean }>(
    `SELECT u.size, u.complete FROM "Upload" u JOIN "User" usr ON usr.id = u."userId"
     WHERE usr.email = $1 AND u.filename = 'numbers.bin' ORDER BY u."createdAt" DESC LIMIT 1`,
    [DEMO_EMAIL]
  );
  expect(upload).toEqual({ size: 3_000_000, complete: true });
  // a bad address is flagged at once, and blocks the send with a message
  await page.locator('#rcpt-to').fill('not an address');
  await page.locator('#rcpt-to').press('Enter');
  await expect(page.getByTestId('recipient-chip').filter({ hasText: 'not an address' })).toHaveClass(/bad/);
  await page.keyboard.press('Control+Enter');
  await expect(page.getByRole('alert').filter({ hasText: '"not an address" has no @' })).toBeVisible();
  await page.getByRole('button', { name: 'Remove not an address' }).click();
  await shot(page, '30-composer-desktop');
  await page.locator('#compose-subject').press('Control+Enter');
  await expect(page.getByTestId('composer')).toBeHidden();
  await expect(page.getByTestId('toasts')).toContainText(/Sending in \d+ s/);
  await expect(page.getByTestId('toasts')).toContainText('Message sent.', { timeout: 30_000 });

  await expect.poll(async () => (await found(BOB, 'INBOX', subject)).length, { timeout: 20_000 }).toBe(1);
  await page.waitForTimeout(1_500); // a second copy would be there by now
  const inbox = await found(BOB, 'INBOX', subject);
  expect(inbox).toHaveLength(1);
  expect(inbox[0]!.from?.value[0]?.address).toBe(ALICE);
  expect(inbox[0]!.text).toContain('Hello Bob, the numbers are attached.');
  expect(inbox[0]!.attachments.map((a) => a.filename)).toEqual(['numbers.bin']);
  expect(Buffer.compare(inbox[0]!.attachments[0]!.content, file)).toBe(0);
  await expect.poll(async () => (await found(ALICE, 'Sent', subject)).length, { timeout: 20_000 }).toBe(1);
  const sent = await found(ALICE, 'Sent', subject);
  expect(Buffer.compare(sent[0]!.attachments[0]!.content, file)).toBe(0);
});

test('an oversize file shows the limit on the file; nothing typed is lost, and the rest sends', async ({
  page
}) => {
  test.setTimeout(90_000);
  await login(page);
  const subject = unique('Oversize');
  const small = randomBytes(20_000);
  await composer(page);
  await fill(page, BOB, subject, 'Only the small file fits.');
  await page.getByTestId('compose-file').setInputFiles([
    { name: 'small.bin', mimeType: 'application/octet-stream', buffer: small },
    // over the 25 MB message limit once encoded: refused before a byte is sent
    { name: 'huge.iso', mimeType: 'application/octet-stream', buffer: Buffer.alloc(20 * 1024 * 1024, 7) }
  ]);
  const huge = page.getByTestId('compose-attachment').filter({ hasText: 'huge.iso' });
  await expect(huge).toHaveAttribute('data-state', 'error');
  await expect(huge.getByRole('alert')).toHaveText(
    '"huge.iso" is too big: a file can be at most 18.8 MB (a message can be at most 25 MB, and attachments grow by a third when sent).'
  );
  const ok = page.getByTestId('compose-attachment').filter({ hasText: 'small.bin' });
  await expect(ok).toHaveAttribute('data-state', 'ready');
  // Send names the file in the way; everything typed is still there
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('send-error')).toContainText('"huge.iso" could not be attached');
  await expect(page.getByTestId('recipient-chip').filter({ hasText: BOB })).toBeVisible();
  await expect(page.locator('#compose-subject')).toHaveValue(subject);
  await expect(page.getByTestId('compose-editor')).toContainText('Only the small file fits.');
  await shot(page, '33-composer-oversize');

  // the server says the same, at once, to a browser still sending (Content-Length over the limit)
  const refused = await page.evaluate(async () => {
    const xhr = new XMLHttpRequest();
    const sentAtAnswer: number[] = [];
    let sent = 0;
    xhr.upload.onprogress = (e) => (sent = e.loaded);
    const done = new Promise<{ status: number; body: string }>((resolve) => {
      xhr.onreadystatechange = () => {
        if (xhr.readyState === XMLHttpRequest.HEADERS_RECEIVED) sentAtAnswer.push(sent);
      };
      xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText });
      xhr.onerror = () => resolve({ status: 0, body: 'network error' });
    });
    xhr.open('POST', '/api/uploads?filename=huge.iso');
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.send(new Blob([new Uint8Array(30 * 1024 * 1024)]));
    return { ...(await done), sentAtAnswer: sentAtAnswer[0] ?? -1 };
  });
  expect(refused.status).toBe(413);
  expect(JSON.parse(refused.body).error.message).toMatch(
    /^"huge\.iso" is too big: a file can be at most 18\.8 MB/
  );

  await huge.getByRole('button', { name: 'Remove huge.iso' }).click();
  await expect(huge).toHaveCount(0);
  await expect(page.getByTestId('send-error')).toHaveCount(0);
  await page.getByTestId('composer').getByRole('button', { name: 'Send', exact: true }).click();
  await expect(page.getByTestId('composer')).toBeHidden();
  await expect.poll(async () => (await found(BOB, 'INBOX', subject)).length, { timeout: 30_000 }).toBe(1);
  const [got] = await found(BOB, 'INBOX', subject);
  expect(got!.text).toContain('Only the small file fits.');
  expect(got!.attachments.map((a) => a.filename)).toEqual(['small.bin']);
  expect(Buffer.compare(got!.attachments[0]!.content, small)).toBe(0);
});

test('reply: threading headers, and the original flagged answered', async ({ page }) => {
  test.setTimeout(90_000);
  const subject = unique('Question');
  const originalId = `<${randomUUID()}@bob.example.test>`;
  const rootId = `<root-${randomUUID()}@bob.example.test>`;
  await postfixSend({
    from: `Bob Keller <${BOB}>`,
    to: ALICE,
    subject,
    text: 'Can you make it on Friday?',
    messageId: originalId,
    references: [rootId]
  });
  await login(page);
  const row = page.getByTestId('message-row').filter({ hasText: subject });
  await expect(row).toBeVisible({ timeout: 20_000 });
  await row.click();
  await expect(page.getByTestId('message-subject')).toContainText(subject);
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  await page.keyboard.press('r');
  const panel = page.getByTestId('composer');
  await expect(panel).toBeVisible();
  await expect(page.locator('#compose-subject')).toHaveValue(`Re: ${subject}`);
  await expect(page.getByTestId('recipient-chip')).toHaveText([new RegExp(BOB)]);
  await page.getByTestId('compose-editor').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.type('Friday works.');
  await panel.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(panel).toBeHidden();
  await expect
    .poll(async () => (await found(BOB, 'INBOX', `Re: ${subject}`)).length, { timeout: 30_000 })
    .toBe(1);
  const [reply] = await found(BOB, 'INBOX', `Re: ${subject}`);
  expect(reply!.inReplyTo).toBe(originalId);
  expect(reply!.references).toEqual([rootId, originalId]);
  expect(reply!.text).toContain('Friday works.');
  expect(reply!.text).toMatch(/wrote:\s*\n> ?Can you make it on Friday\?/);
  await expect
    .poll(
      async () =>
        (
          await sql<{ flags: string[] }>(
            `SELECT m.flags FROM "Message" m JOIN "MailAccount" a ON a.id = m."accountId"
             WHERE a.email = $1 AND m.subject = $2`,
            [ALICE, subject]
          )
        )[0]?.flags ?? [],
      { timeout: 15_000 }
    )
    .toContain('\\Answered');
});

test('draft: autosaved to Drafts (one copy), resumed from the Drafts folder; minimised', async ({ page }) => {
  test.setTimeout(90_000);
  await login(page);
  const subject = unique('Draft');
  await composer(page);
  await fill(page, 'carol@example.test', subject, 'First thoughts');
  await expect(page.getByTestId('draft-status')).toHaveText('Draft saved', { timeout: 15_000 });
  await expect.poll(async () => (await found(ALICE, 'Drafts', subject)).length, { timeout: 15_000 }).toBe(1);
  await page.getByTestId('compose-editor').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(' and second thoughts');
  // saved about two seconds after the typing stops, replacing the copy on the server
  await expect
    .poll(async () => (await found(ALICE, 'Drafts', subject)).map((m) => m.text?.trim()), { timeout: 15_000 })
    .toEqual(['First thoughts and second thoughts']);
  await expect(page.getByTestId('draft-status')).toHaveText('Draft saved');
  // minimised while reading: a bar, the list usable behind it
  await page.getByRole('button', { name: 'Minimise the composer' }).click();
  await expect(page.getByTestId('compose-editor')).toBeHidden();
  await shot(page, '31-composer-minimised');
  await page.getByRole('button', { name: 'Open the composer' }).click();
  await page.keyboard.press('Escape'); // closes, keeping the draft
  await expect(page.getByTestId('composer')).toBeHidden();
  await expect(page.getByTestId('toasts')).toContainText('Draft saved.');

  // the Drafts folder of Alice's account: the copy opens in the composer
  const drafts = page
    .getByTestId('nav-account')
    .filter({ hasText: ALICE.split('@')[0]! })
    .getByRole('link', { name: /Drafts/ });
  await drafts.first().click();
  const row = page.getByTestId('message-row').filter({ hasText: subject });
  await expect(row).toBeVisible({ timeout: 20_000 });
  await row.click();
  await expect(page.getByTestId('composer')).toBeVisible();
  await expect(page.locator('#compose-subject')).toHaveValue(subject);
  await expect(page.getByTestId('compose-editor')).toContainText('First thoughts and second thoughts');
  await expect(page.getByTestId('recipient-chip')).toHaveText([/carol@example\.test/]);
  // discarded: no copy left
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Discard' }).click();
  await expect.poll(async () => (await found(ALICE, 'Drafts', subject)).length, { timeout: 15_000 }).toBe(0);
});

test('undo: the message comes back into the composer and is never delivered', async ({ page }) => {
  test.setTimeout(90_000);
  await login(page);
  const subject = unique('Undone');
  await composer(page);
  await fill(page, BOB, subject, 'I should not have written this.');
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('composer')).toBeHidden();
  await page.getByTestId('toasts').getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByTestId('composer')).toBeVisible();
  await expect(page.locator('#compose-subject')).toHaveValue(subject);
  await expect(page.getByTestId('compose-editor')).toContainText('I should not have written this.');
  // well past the undo delay: nothing arrived, nothing in Sent, nothing waiting in the outbox
  await page.waitForTimeout(13_000);
  expect(await found(BOB, 'INBOX', subject)).toHaveLength(0);
  expect(await found(ALICE, 'Sent', subject)).toHaveLength(0);
  const rows = await sql<{ state: string }>(
    `SELECT o.state FROM "OutboxMessage" o JOIN "MailAccount" a ON a.id = o."accountId"
     WHERE a.email = $1 AND o.draft->>'subject' = $2`,
    [ALICE, subject]
  );
  expect(rows.map((r) => r.state)).toEqual(['cancelled']);
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Discard' }).click();
  await expect(page.getByTestId('composer')).toBeHidden();
});

test('outbox: a refused recipient fails with the reason, Edit fixes it; scheduled, listed, cancelled', async ({
  page
}) => {
  test.setTimeout(120_000);
  await login(page);
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'live');
  const subject = unique('Refused');
  const refused = 'nobody@refused.example.test';
  await composer(page);
  await fill(page, refused, subject, 'This address does not exist.');
  await page.locator('#compose-subject').press('Control+Enter');
  await expect(page.getByTestId('composer')).toBeHidden();
  // after the undo delay the server refuses it: said at once, with the server's words
  const toast = page.getByTestId('toasts').getByRole('alert').filter({ hasText: 'Not sent' });
  await expect(toast).toContainText(refused, { timeout: 30_000 });
  await toast.getByRole('button', { name: 'Outbox' }).click();
  const outbox = page.getByTestId('outbox');
  await expect(outbox).toBeVisible();
  const item = outbox.getByTestId('outbox-item').filter({ hasText: subject });
  await expect(item.getByTestId('outbox-state')).toHaveText('Failed');
  await expect(item).toContainText(/550/);
  await shot(page, '33-outbox-failed');
  // Edit: back in the composer with everything typed; fix the address and send again
  await item.getByRole('button', { name: 'Edit' }).click();
  await expect(page.getByTestId('composer')).toBeVisible();
  await expect(page.locator('#compose-subject')).toHaveValue(subject);
  await page.getByRole('button', { name: `Remove ${refused}` }).click();
  await page.locator('#rcpt-to').fill(BOB);
  await page.locator('#rcpt-to').press('Enter');
  await page.locator('#compose-subject').press('Control+Enter');
  await expect(page.getByTestId('composer')).toBeHidden();
  await expect.poll(async () => (await found(BOB, 'INBOX', subject)).length, { timeout: 30_000 }).toBe(1);

  // scheduled for tomorrow morning: listed in the outbox, then cancelled
  const later = unique('Later');
  await composer(page);
  await fill(page, BOB, later, 'For tomorrow.');
  await page.getByRole('button', { name: 'Schedule…' }).click();
  await page.getByRole('button', { name: 'Tomorrow 8:00' }).click();
  await page.getByRole('group', { name: 'Schedule send' }).getByRole('button', { name: 'Schedule' }).click();
  await expect(page.getByTestId('composer')).toBeHidden();
  await expect(page.getByTestId('toasts')).toContainText('Scheduled for');
  await page.getByTestId('outbox-button').click();
  const sched = page.getByTestId('outbox').getByTestId('outbox-item').filter({ hasText: later });
  await expect(sched.getByTestId('outbox-state')).toContainText('Scheduled for');
  await shot(page, '34-outbox-scheduled');
  await sched.getByRole('button', { name: 'Cancel sending' }).click();
  await expect(sched).toHaveCount(0);
  await expect(page.getByTestId('toasts')).toContainText('Cancelled: it will not be sent.');
});

test.describe('phone', () => {
  const { defaultBrowserType: _, ...phone } = devices['Pixel 7'];
  test.use({ ...phone });

  test('the composer takes the whole screen', async ({ page }) => {
    await login(page);
    await page.getByTestId('compose-button').tap();
    const panel = page.getByTestId('composer');
    await expect(panel).toBeVisible();
    await expect(page.getByTestId('compose-editor')).toBeVisible();
    const box = await panel.boundingBox();
    const vp = page.viewportSize()!;
    expect(box!.width).toBeGreaterThanOrEqual(vp.width - 1);
    expect(box!.height).toBeGreaterThanOrEqual(vp.height - 1);
    // autocomplete from the contacts (collected in the background on first use: type again
    // until they are there)
    const suggestions = page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option');
    await expect(async () => {
      await page.locator('#rcpt-to').fill('');
      await page.locator('#rcpt-to').fill('bob@');
      await expect(suggestions).toHaveCount(1, { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    await expect(suggestions).toContainText('bob@example.test');
    await shot(page, '32-composer-phone');
    await page.getByRole('button', { name: 'Close' }).tap();
    await expect(panel).toBeHidden();
  });
});
