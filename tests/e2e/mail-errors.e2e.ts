// A mailbox that cannot log in: the folder column shows the worker's reason and a way to fix
// the password; fixing it in Settings brings the mailbox back.
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { Redis } from 'ioredis';
import { sealSecret } from '../../src/lib/server/crypto/envelope';
import { masterKeys } from '../../src/lib/server/crypto/keys';
import { parseEnv } from '../../src/lib/server/env';
import { publishControl } from '../../src/lib/server/realtime/events';
import { mailServers } from '../helpers/servers';
import { DEMO_EMAIL, demoMail, login, shot, sql } from './mail-fixture';

const CAROL = 'carol@example.test';
let accountId: string;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  await demoMail();
  const mail = mailServers();
  const [me] = await sql<{ id: string; tenantId: string }>(
    `SELECT id, "tenantId" FROM "User" WHERE email = $1`,
    [DEMO_EMAIL]
  );
  accountId = randomUUID();
  const sealed = sealSecret(masterKeys(parseEnv(process.env)), accountId, 'not the password');
  await sql(
    `INSERT INTO "MailAccount" (id, "tenantId", "userId", name, email, "imapHost", "imapPort", "imapTls",
       "smtpHost", "smtpPort", "smtpTls", username, "secretCiphertext", "wrappedKey", "keyId", "updatedAt")
     VALUES ($1, $2, $3, 'Carol (broken)', $4, $5, $6, 'none', $5, $7, 'none', $4, $8, $9, $10, now())`,
    [
      accountId,
      me!.tenantId,
      me!.id,
      CAROL,
      mail.host,
      mail.imapPort,
      mail.submissionPort,
      sealed.secretCiphertext,
      sealed.wrappedKey,
      sealed.keyId
    ]
  );
  const redis = new Redis(process.env.REDIS_URL!);
  await publishControl(redis, process.env.QUEUE_PREFIX || 'emailclient', {
    type: 'AccountsChanged',
    accountId
  });
  redis.disconnect();
});

test.afterAll(async () => {
  await sql(`DELETE FROM "MailAccount" WHERE id = $1`, [accountId]);
});

test('a mailbox with a wrong password shows why, and the password can be fixed from there', async ({
  page
}) => {
  test.setTimeout(60_000);
  await login(page);
  const carol = page.getByTestId('nav-account').filter({ hasText: 'Carol (broken)' });
  const error = carol.getByTestId('account-error');
  await expect(error).toBeVisible({ timeout: 20_000 });
  await expect(error).toContainText(/password|log ?in|authenticat/i);
  await error.scrollIntoViewIfNeeded();
  await shot(page, '15-account-error');
  await error.getByRole('link', { name: 'Fix the connection settings' }).click();
  await expect(page).toHaveURL(new RegExp(`/settings#account-${accountId}$`));
  const form = page.getByRole('form', { name: 'Edit mailbox' });
  await expect(form).toBeVisible();
  await form.getByLabel(/^Password/).fill(mailServers().password);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved. Both logins worked' })).toBeVisible({
    timeout: 20_000
  });
  await page.goto('/mail');
  await expect(carol).toBeVisible();
  await expect(carol.getByTestId('account-error')).toHaveCount(0, { timeout: 20_000 });
});
