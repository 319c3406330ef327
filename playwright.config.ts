import { defineConfig } from '@playwright/test';

// npm test exports DATABASE_URL, REDIS_URL, SERVERS_ENV (the test mail servers), QUEUE_PREFIX and
// E2E_PORT (a free port) before this runs. The app and the sync worker both run: the mail
// tests read demo mailboxes synced from the test Dovecot and deliver new mail through Postfix.
const PORT = Number(process.env.E2E_PORT ?? 4174);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const LOG_LEVEL = process.env.E2E_LOG_LEVEL ?? 'warn';

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.e2e.ts',
  outputDir: 'test-results/playwright',
  globalSetup: './tests/e2e/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  timeout: 30_000,
  expect: { timeout: 7_000 },
  webServer: [
    {
      name: 'app',
      // E2E_APP_COMMAND: run another copy of the built app (e.g. while others rebuild build/)
      command: process.env.E2E_APP_COMMAND ?? 'node scripts/start-app.js',
      env: {
        NODE_ENV: 'test',
        PORT: String(PORT),
        HOST: '127.0.0.1',
        ORIGIN,
        LOG_LEVEL,
        ALLOW_SIGNUP: 'false'
      },
      url: `${ORIGIN}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe'
    },
    {
      name: 'worker',
      command: 'node --import tsx worker/main.ts',
      // "worker ready" is an info line: keep info on, and show the worker's output only when asked
      env: { NODE_ENV: 'test', LOG_LEVEL: LOG_LEVEL === 'warn' ? 'info' : LOG_LEVEL },
      wait: { stdout: /"worker ready"/ },
      timeout: 60_000,
      stdout: process.env.E2E_WORKER_LOG ? 'pipe' : 'ignore',
      stderr: 'pipe'
    }
  ],
  use: {
    baseURL: ORIGIN,
    browserName: 'chromium',
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run'
      ]
    }
  }
});
