// Screenshots of the interview pages for a person to look at (not a test):
//   VIVA_URL=http://127.0.0.1:3999 SMTP_API=http://127.0.0.1:3926 node screens.mjs OUT_DIR
// Signs up a new account through the real pages (code from the SMTP sink), runs a short
// interview and saves PNGs of practice, interview, report, history and profile, light and dark.
import { chromium } from 'playwright-core';

const base = process.env.VIVA_URL ?? 'http://127.0.0.1:3999';
const smtp = process.env.SMTP_API ?? 'http://127.0.0.1:3926';
const out = process.argv[2] ?? '.';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
const email = `shots.${Date.now()}@example.org`;
const password = 'copper kettle orbits tuesday';
// The whole page is interactive (a member page's module loads after the header hydrates).
const hydrated = async () => {
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
  await page.getByRole('button', { name: /^(Dark|Light) theme$/ }).waitFor();
};

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
const otp = await (await fetch(`${smtp}/otp?to=${encodeURIComponent(email)}&wait=10000`)).json();
await page.getByLabel('6-digit code').fill(otp.code);
// Confirming the address signs the person in.
await page.getByRole('button', { name: 'Confirm address' }).click();
await page.waitForURL(/dashboard/);
await page.screenshot({ path: `${out}/dashboard.png`, fullPage: true });

await page.goto(`${base}/practice`);
await hydrated();
await page.screenshot({ path: `${out}/practice.png`, fullPage: true });
await page.getByLabel('Role', { exact: true }).selectOption('data-analyst');
await page.getByLabel(/^Number of questions/).fill('3');
await page.getByLabel('Timer per question').selectOption('120');
await page.getByRole('button', { name: 'Start interview' }).click();
await page.waitForURL(/\/interview\/[a-z0-9]{20}$/);
await hydrated();
await page.screenshot({ path: `${out}/interview-1.png`, fullPage: true });
const answer = async (t) => { await page.getByLabel(/^Your answer/).fill(t); await page.getByRole('button', { name: 'Submit answer' }).click(); };
await answer('I built a dashboard once.');
await page.getByRole('note').waitFor();
await page.screenshot({ path: `${out}/interview-follow-up.png`, fullPage: true });
const strong = 'At my last job the sales team waited a week for the monthly churn report, so decisions came late. I was responsible for reporting, and my goal was a daily view. I wrote SQL that joined billing and CRM data, validated it against finance numbers, and built a Tableau dashboard refreshed every morning. As a result the team spotted at-risk accounts three weeks earlier and churn fell by 8% that quarter. I learned to agree definitions with finance first.';
await answer(strong);
await page.getByText('Question 2 of 3').waitFor();
await answer(strong);
await page.getByText('Question 3 of 3').waitFor();
await page.getByRole('button', { name: 'Skip this question' }).click();
await page.getByRole('button', { name: 'Finish and see the report' }).click();
await page.waitForURL(/report$/);
await hydrated();
await page.screenshot({ path: `${out}/report.png`, fullPage: true });
await page.goto(`${base}/history`);
await hydrated();
await page.screenshot({ path: `${out}/history.png`, fullPage: true });
await page.getByRole('button', { name: /^(Dark|Light) theme$/ }).click();
await page.screenshot({ path: `${out}/history-dark.png`, fullPage: true });
await page.goto(`${base}/profile`);
await hydrated();
await page.screenshot({ path: `${out}/profile-dark.png`, fullPage: true });
await page.setViewportSize({ width: 390, height: 844 });
await page.goto(`${base}/practice`);
await page.screenshot({ path: `${out}/practice-mobile-dark.png`, fullPage: true });
await browser.close();
console.log('saved to', out);
