// Shared setup of the mail browser tests: the demo login with the two demo mailboxes (alice and
// bob) on the test Dovecot, filled by the same scripts as `npm run demo`, synced by the worker
// that playwright.config.ts starts; and helpers to deliver mail through the test Postfix and to
// read what the server has.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { expect, type Page } from '@playwright/test';
import { Redis } from 'ioredis';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import pg from 'pg';
import { publishControl } from '../../src/lib/server/realtime/events';
import { mailServers } from '../helpers/servers';

export const DEMO_EMAIL = 'demo@example.test';
export const DEMO_PASSWORD = 'demo-password-2026';
export const ALICE = 'alice@example.test';
export const BOB = 'bob@example.test';

let ready: Promise<void> | undefined;

/** Seeds the demo mailboxes and connects them to the demo login (idempotent), then waits for the sync. */
export function demoMail(): Promise<void> {
  ready ??= (async () => {
    const run = (args: string[]) => {
      const t0 = Date.now();
      try {
        execFileSync('npx', ['tsx', ...args], { stdio: 'pipe', env: process.env, timeout: 120_000 });
      } catch (e) {
        const { stderr, stdout } = e as { stderr?: Buffer; stdout?: Buffer };
        const tail = (b?: Buffer) =>
          String(b ?? '')
            .trim()
            .split('\n')
            .slice(-3)
            .join(' | ');
        throw new Error(
          `${args[0]} failed after ${Date.now() - t0} ms: ${(e as Error).message.split('\n')[0]}; ` +
            `stderr: ${tail(stderr)}; stdout: ${tail(stdout)}`,
          { cause: e }
        );
      }
    };
    run(['scripts/seed-demo-mail.ts']);
    run(['scripts/demo-user.ts', DEMO_EMAIL, DEMO_PASSWORD]);
    // demo-user.ts writes the accounts straight to the database: tell the worker at once
    const redis = new Redis(process.env.REDIS_URL!);
    const prefix = process.env.QUEUE_PREFIX || 'emailclient';
    const accounts = await sql<{ id: string }>(
      `SELECT a.id FROM "MailAccount" a JOIN "User" u ON u.id = a."userId" WHERE u.email = $1`,
      [DEMO_EMAIL]
    );
    for (const a of accounts)
      await publishControl(redis, prefix, { type: 'AccountsChanged', accountId: a.id });
    redis.disconnect();
    // the first sync has read every folder once...
    await expect
      .poll(
        async () =>
          (
            await sql<{ synced: string; pending: string }>(
              `SELECT count(f."lastSyncAt") AS synced, count(*) - count(f."lastSyncAt") AS pending
               FROM "Folder" f JOIN "MailAccount" a ON a.id = f."accountId" JOIN "User" u ON u.id = a."userId"
               WHERE u.email = $1 AND a.email IN ($2, $3)`,
              [DEMO_EMAIL, ALICE, BOB]
            )
          ).map((r) => Number(r.synced) >= 12 && r.pending === '0')[0],
        { timeout: 120_000, intervals: [500], message: 'the demo folders to sync' }
      )
      .toBe(true)
      .catch(withAccountStates('the demo folders did not sync'));
    // ...and the worker has turned to new mail (it does once the first pass is over)
    const probe = unique('Sync probe');
    await deliver(ALICE, probe); // (Bob's inbox stays as the demo made it, for the screenshots)
    await expect
      .poll(
        async () =>
          (
            await sql<{ n: string }>(
              `SELECT count(*) AS n FROM "Message" m JOIN "MailAccount" a ON a.id = m."accountId"
               JOIN "User" u ON u.id = a."userId" WHERE u.email = $1 AND m.subject = $2`,
              [DEMO_EMAIL, probe]
            )
          )[0]?.n,
        { timeout: 60_000, intervals: [500], message: 'new mail to reach the demo mailboxes' }
      )
      .toBe('1')
      .catch(withAccountStates('new mail did not reach the demo mailboxes'));
  })();
  return ready;
}

/** A catch handler that fails the setup with what, and what the demo accounts' sync says. */
const withAccountStates = (what: string) => async (e: unknown) => {
  throw new Error(`${what}; the accounts: ${await accountStates()}`, { cause: e });
};

/** What the demo accounts' sync says of itself: for the message of a failed setup. */
async function accountStates(): Promise<string> {
  const rows = await sql<{
    email: string;
    state: string;
    error: string | null;
    folders: string;
    synced: string;
  }>(
    `SELECT a.email, a."syncState" AS state, a."lastError" AS error, count(f.id) AS folders,
       count(f."lastSyncAt") AS synced
     FROM "MailAccount" a JOIN "User" u ON u.id = a."userId" LEFT JOIN "Folder" f ON f."accountId" = a.id
     WHERE u.email = $1 GROUP BY a.id`,
    [DEMO_EMAIL]
  ).catch((e: unknown) => [
    { email: `(query failed: ${String(e)})`, state: '', error: null, folders: '', synced: '' }
  ]);
  return (
    rows
      .map(
        (r) =>
          `${r.email} ${r.state}${r.error ? ` (${r.error})` : ''}, ${r.synced}/${r.folders} folders synced`
      )
      .join('; ') || 'none'
  );
}

export async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    return (await db.query(text, params)).rows as T[];
  } finally {
    await db.end();
  }
}

export async function login(page: Page): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email address').fill(DEMO_EMAIL);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/mail\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
}

/** Hands a message to the test Postfix (no auth); Dovecot delivers it. */
export async function postfixSend(message: SendMailOptions): Promise<void> {
  const mail = mailServers();
  const transport = nodemailer.createTransport({
    host: mail.host,
    port: mail.smtpPort,
    secure: false,
    ignoreTLS: true
  });
  try {
    await transport.sendMail(message);
  } finally {
    transport.close();
  }
}

/** Sends a message from Erin through the test Postfix; Dovecot delivers it. */
export async function deliver(to: string, subject: string, text = 'Hello from the browser tests.') {
  await postfixSend({
    from: 'Erin Example <erin@example.test>',
    to,
    subject,
    text,
    messageId: `<${randomUUID()}@e2e.example.test>`
  });
}

/** Opens Bob's inbox: demo mail only (the tests deliver their own mail to Alice). */
export async function openBobInbox(page: Page): Promise<void> {
  const inbox = page
    .getByTestId('nav-account')
    .filter({ hasText: 'Bob (demo)' })
    .getByRole('link', { name: /Inbox/ });
  await inbox.click();
  await expect(inbox).toHaveAttribute('aria-current', 'page');
}

/** A subject no other test uses. */
export const unique = (what: string) => `${what} ${randomUUID().slice(0, 8)}`;

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screenshots/${name}.png` });
}
