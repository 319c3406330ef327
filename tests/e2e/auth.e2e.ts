import { expect, test, type Page } from '@playwright/test';

const EMAIL = 'owner@example.test';
const PASSWORD = 'correct horse battery staple';

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

test.describe.configure({ mode: 'serial' });

test('a fresh install: sign up the first user and land on the empty mail page', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('status')).toContainText('This server has no users yet');
  await shot(page, '01-login-fresh');
  await page.getByRole('link', { name: 'Create the first account' }).click();
  await expect(page.getByRole('heading', { name: 'Set up this server' })).toBeVisible();
  await page.getByLabel('Your name').fill('Olivia Owner');
  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await shot(page, '02-signup');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/mail$/);
  await expect(page.getByRole('heading', { name: 'No mailboxes yet' })).toBeVisible();
  await expect(page.getByTestId('current-user')).toHaveText('Olivia Owner');
  await shot(page, '03-mail-empty');
});

test('a second visitor cannot sign up while sign-up is closed', async ({ page }) => {
  await page.goto('/signup');
  await expect(page.getByRole('alert')).toContainText('Sign-up is closed on this server');
});

test('log out, then log in again', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/mail$/);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await shot(page, '04-logged-out');
  // the mail page now sends us back to the login page, and returns after login
  await page.goto('/mail');
  await expect(page).toHaveURL(/\/login\?next=%2Fmail$/);
  await page.getByLabel('Email address').fill(EMAIL.toUpperCase());
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/mail$/);
  await expect(page.getByRole('heading', { name: 'No mailboxes yet' })).toBeVisible();
});

test('without JavaScript, logging in still works, by POST: the password never appears in a URL', async ({
  browser
}) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const urls: string[] = [];
  const methods: string[] = [];
  page.on('request', (r) => {
    urls.push(r.url());
    if (r.url().includes('/login')) methods.push(r.method());
  });
  try {
    await page.goto('/login?next=/settings');
    await page.getByLabel('Email address').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/settings$/);
    expect(methods).toContain('POST');
    expect(
      urls.filter((u) => u.includes(encodeURIComponent(PASSWORD).slice(0, 8)) || u.includes('password='))
    ).toEqual([]);
  } finally {
    await context.close();
  }
});

test('a wrong password shows a clear message, and the 6th quick failure is throttled', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password').fill('not my password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('form-error')).toHaveText('Wrong email address or password.');
  await expect(page.getByLabel('Password')).toHaveValue('');
  await shot(page, '05-wrong-password');
  for (let i = 2; i <= 5; i++) {
    await page.getByLabel('Password').fill(`wrong ${i}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByTestId('form-error')).toHaveText('Wrong email address or password.');
  }
  // sixth attempt, even with the right password
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('form-error')).toHaveText(/^Too many attempts\. Try again in \d+ s\.$/);
  await expect(page).toHaveURL(/\/login/);
  await shot(page, '06-throttled');
});
