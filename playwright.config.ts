import { defineConfig } from '@playwright/test';

// npm test exports DATABASE_URL, REDIS_URL and E2E_PORT (a free port) before this runs.
const PORT = Number(process.env.E2E_PORT ?? 4174);
const ORIGIN = `http://127.0.0.1:${PORT}`;

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
  webServer: {
    command: 'node scripts/start-app.js',
    env: {
      NODE_ENV: 'test',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      ORIGIN,
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
      ALLOW_SIGNUP: 'false'
    },
    url: `${ORIGIN}/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe'
  },
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
