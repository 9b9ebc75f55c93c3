// Screenshots of the pages issue 11 changed, for a person to look at (not a test):
//   VIVA_URL=http://127.0.0.1:3999 SMTP_API=http://127.0.0.1:3926 node shots-security.mjs OUT_DIR
// A fresh install: the first account's dashboard (setup-token offer), the account page (linking a
// provider), and the confirm page after a wrong code (the one answer for every failure).
import { chromium } from 'playwright-core';

const base = process.env.VIVA_URL ?? 'http://127.0.0.1:3999';
const smtp = process.env.SMTP_API ?? 'http://127.0.0.1:3926';
const out = process.argv[2] ?? '.';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
const email = `shots.${Date.now()}@example.org`;
const password = 'copper kettle orbits tuesday';
const hydrated = () => page.getByRole('button', { name: /^(Dark|Light) theme$/ }).waitFor();

await page.goto(`${base}/signup`);
await hydrated();
await page.getByLabel('Your name').fill('Sam Example');
await page.getByLabel('E-mail address').fill(email);
await page.getByLabel('Password', { exact: true }).fill(password);
await page.getByLabel('Job you are preparing for').fill('Data analyst');
await page.getByLabel('I am 16 or older').check();
await page.getByLabel(/I agree to the terms/).check();
await page.getByRole('button', { name: 'Create account' }).click();
await page.waitForURL(/verify/);
await hydrated();
await page.getByLabel('6-digit code').fill('000000');
await page.getByRole('button', { name: 'Confirm address' }).click();
await page.getByRole('alert').waitFor();
await page.screenshot({ path: `${out}/verify-wrong-code.png`, fullPage: true });
const otp = await (await fetch(`${smtp}/otp?to=${encodeURIComponent(email)}&wait=10000`)).json();
await page.getByLabel('6-digit code').fill(otp.code);
await page.getByRole('button', { name: 'Confirm address' }).click();
await page.waitForURL(/signin/);
await page.getByLabel('E-mail address').fill(email);
await page.getByLabel('Password').fill(password);
await page.getByRole('button', { name: 'Sign in', exact: true }).click();
await page.waitForURL(/dashboard/);
await hydrated();
await page.screenshot({ path: `${out}/dashboard-setup-token.png`, fullPage: true });
await page.goto(`${base}/account`);
await hydrated();
await page.screenshot({ path: `${out}/account.png`, fullPage: true });
await browser.close();
