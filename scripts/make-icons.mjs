// Renders the app icons (static/icons/*.png) from their SVG sources with the Chromium the
// tests use, so no image library is needed. Run after changing an SVG: node scripts/make-icons.mjs
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';

const icons = '../static/icons/';
const jobs = [
  [icons, 'icon.svg', 'icon-192.png', 192],
  [icons, 'icon.svg', 'icon-512.png', 512],
  [icons, 'icon.svg', 'apple-touch-icon.png', 180],
  [icons, 'maskable.svg', 'maskable-512.png', 512],
  // the tab's icon: a PNG, because Chromium decodes the page's icon again after every change of
  // address (each message opened), and an SVG icon costs a whole SVG document each time
  ['../src/lib/assets/', 'favicon.svg', 'favicon-32.png', 32]
];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu']
});
const page = await browser.newPage();
for (const [dir, src, out, size] of jobs) {
  const svg = readFileSync(new URL(`${dir}${src}`, import.meta.url), 'utf8');
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(
    `<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`
  );
  await page.screenshot({
    path: new URL(`${dir}${out}`, import.meta.url).pathname,
    omitBackground: true
  });
  console.log(`${dir.slice(3)}${out} (${size}x${size})`);
}
await browser.close();
