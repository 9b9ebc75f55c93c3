import { chromium } from 'playwright-core';
const base = 'http://127.0.0.1:3999';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
for (const [p, name] of [['/privacy', 'privacy'], ['/terms', 'terms'], ['/', 'home'], ['/contact', 'contact']]) {
  await page.goto(base + p);
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `/tmp/s15/${name}.png`, fullPage: name !== 'privacy' && name !== 'terms' });
}
await page.goto(base + '/privacy#browser');
await page.screenshot({ path: `/tmp/s15/privacy-browser.png` });
await browser.close();
