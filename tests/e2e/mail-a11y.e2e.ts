// Accessibility: axe-core finds no critical, serious or moderate violation on the login page, the
// inbox and an open message, in the light and the dark theme, on a desktop and a phone screen.
// The mail inside the message frame is the sender's markup (and the frame runs no script, so
// axe could not look inside anyway): the frame itself is checked (its title), not its content.
import AxeBuilder from '@axe-core/playwright';
import { devices, expect, test, type Browser, type Page } from '@playwright/test';
import { demoMail, login, openBobInbox, shot } from './mail-fixture';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  await demoMail();
});

type Found = { id: string; impact: string | null | undefined; help: string; nodes: string[] };

async function audit(page: Page, what: string): Promise<Found[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .options({ iframes: false })
    // axe.run in the page itself: the default (partial runs finished in a second, blank tab)
    // cannot open that tab in the test Chromium, and there is no frame to gather results from
    .setLegacyMode()
    .analyze();
  expect(result.passes.length, 'rules axe could check').toBeGreaterThan(20);
  const found = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical' || v.impact === 'moderate')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`)
    }));
  await test.info().attach(`axe ${what}`, {
    body: JSON.stringify(result.violations, null, 2),
    contentType: 'application/json'
  });
  return found;
}

const themes = ['light', 'dark'] as const;
const screens = {
  desktop: { viewport: { width: 1400, height: 860 } },
  phone: (({ defaultBrowserType: _, ...d }) => d)(devices['Pixel 7'])
};

async function contextFor(browser: Browser, theme: (typeof themes)[number], screen: keyof typeof screens) {
  return browser.newContext({ ...screens[screen], colorScheme: theme });
}

for (const screen of Object.keys(screens) as (keyof typeof screens)[]) {
  for (const theme of themes) {
    test(`axe: login, inbox and an open message (${screen}, ${theme})`, async ({ browser }) => {
      const context = await contextFor(browser, theme, screen);
      const page = await context.newPage();
      const found: Record<string, Found[]> = {};

      await page.goto('/login');
      await expect(page.getByLabel('Email address')).toBeVisible();
      found.login = await audit(page, `login ${screen} ${theme}`);

      await login(page);
      if (screen === 'phone') {
        await page.getByTestId('message-row').first().waitFor();
      } else {
        await openBobInbox(page);
      }
      await expect(page.getByTestId('message-row').first()).toBeVisible();
      found.inbox = await audit(page, `inbox ${screen} ${theme}`);

      await page.getByTestId('message-row').nth(1).click();
      await expect(page.getByTestId('message-body').last()).toBeVisible({ timeout: 20_000 });
      found.message = await audit(page, `message ${screen} ${theme}`);
      await shot(page, `50-a11y-message-${screen}-${theme}`);

      expect(found).toEqual({ login: [], inbox: [], message: [] });
      await context.close();
    });
  }
}
