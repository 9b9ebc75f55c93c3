import { test, expect, Browser, Page } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { address, confirm, signUp } from './helpers/account';
import { hydrated } from './helpers/page';
import { messagesFor } from './helpers/mail';
import { answering, START_BUDGET_MS, stopped } from './helpers/process';

// The terms and the support desk on a server of this spec's own, started with an operator, a
// terms file of the operator's, and the suite's SMTP sink: it is restarted with a changed terms
// file, which the shared server cannot be.

const bin = process.env.VIVA_BIN ?? join(__dirname, '..', '..', 'target', 'release', 'viva');
const port = 3940;
const base = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), 'viva-policy-'));
const termsFile = join(dataDir, 'operator-terms.md');
let server: ChildProcess | undefined;

async function startServer() {
  server = spawn(bin, [
    '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, '--smtp-url', 'smtp://127.0.0.1:3925',
    '--trusted-proxy', '127.0.0.1', '--terms-file', termsFile,
    '--operator-name', 'Acme Careers', '--operator-email', 'support-desk@acme.example',
  ], { stdio: 'ignore' });
  await answering(`${base}/readyz`, 'the policy test server');
}

async function stopServer() {
  await stopped(server);
  server = undefined;
}

async function shot(page: Page, name: string) {
  if (process.env.VIVA_SHOTS) await page.screenshot({ path: join(process.env.VIVA_SHOTS, `${name}.png`), fullPage: true });
}

let n = 0;
async function person(browser: Browser, who: string) {
  const context = await browser.newContext({ baseURL: base, extraHTTPHeaders: { 'X-Forwarded-For': `203.0.113.${++n}` } });
  const page = await context.newPage();
  const email = address(who);
  await signUp(page, email, who === 'operator' ? 'Olga Operator' : 'Pat Person');
  await confirm(page, email);
  return { page, email };
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(START_BUDGET_MS + 10_000);
  writeFileSync(termsFile, '## House rules\nBe kind to the interviewers.\n');
  await startServer();
});

test.afterAll(stopServer);

test('a person writes to support, an admin replies, the person sees the reply and gets the e-mail', async ({ browser }) => {
  test.setTimeout(60_000);
  // The first account claims the administrator role with the setup token.
  const admin = await person(browser, 'operator');
  await hydrated(admin.page);
  await admin.page.getByText('Do you run this site? Set up administration').click();
  await admin.page.getByLabel('Setup token').fill(readFileSync(join(dataDir, 'admin-setup-token'), 'utf8').trim());
  await admin.page.getByRole('button', { name: 'Become the administrator' }).click();
  await expect(admin.page).toHaveURL(/\/admin$/);

  const { page, email } = await person(browser, 'writer');
  await page.goto('/contact');
  await hydrated(page);
  await expect(page.getByLabel('E-mail address')).toHaveValue(email);
  await expect(page.getByText('You have not written to us yet.')).toBeVisible();
  await page.getByLabel('Message', { exact: true }).fill('How do I download my recordings?');
  await page.getByRole('button', { name: 'Send message' }).click();
  await expect(page.getByText('Thank you — your message was sent.')).toBeVisible();
  await expect(page.getByText('How do I download my recordings?')).toBeVisible();
  // The operator's address hears of it.
  await expect.poll(async () => (await messagesFor('support-desk@acme.example')).length).toBeGreaterThan(0);

  await admin.page.goto('/admin/support');
  await hydrated(admin.page);
  const ticket = admin.page.getByRole('listitem').filter({ hasText: 'How do I download my recordings?' });
  await ticket.locator('summary').click();
  await ticket.getByLabel('Reply to Pat Person').fill('Open Your data from your account page and choose Prepare my download.');
  await shot(admin.page, 'admin-support');
  await ticket.getByRole('button', { name: 'Send reply' }).click();
  await expect(admin.page.getByText('Reply sent')).toBeVisible();

  const mail = await expect.poll(async () => (await messagesFor(email)).filter((m) => m.subject.startsWith('A reply')).length).toBe(1);
  void mail;
  const reply = (await messagesFor(email)).find((m) => m.subject.startsWith('A reply'))!;
  expect(reply.text).toContain('Prepare my download');
  await page.reload();
  await hydrated(page);
  await expect(page.getByText('Open Your data from your account page')).toBeVisible();
  await expect(page.getByText(/Answered/)).toBeVisible();
  await shot(page, 'contact-thread');

  // The operator's insights count both new accounts, as totals only.
  await admin.page.goto('/admin/insights?days=7');
  await hydrated(admin.page);
  await expect(admin.page.getByRole('heading', { name: 'Insights', level: 1 })).toBeVisible();
  await expect(admin.page.getByRole('img', { name: /^Sign-ups each day, .*: 2 in all$/ })).toBeVisible();
  const funnel = admin.page.getByRole('table').filter({ hasText: 'Confirmed their address' });
  await expect(funnel.getByRole('row', { name: /Signed up 2 100 %/ })).toBeVisible();
  await expect(admin.page.getByText(email)).toHaveCount(0);
  await shot(admin.page, 'admin-insights');
});

test('a changed terms version asks a signed-in person to accept before going on', async ({ browser }) => {
  test.setTimeout(60_000 + START_BUDGET_MS);
  const { page } = await person(browser, 'reader');
  await page.goto('/terms');
  await expect(page.getByRole('heading', { name: 'Terms of use', level: 1 })).toBeVisible();
  await expect(page.getByText('Be kind to the interviewers.')).toBeVisible();
  await page.goto('/practice');
  await expect(page.getByRole('heading', { name: 'Practise an interview' })).toBeVisible();

  await stopServer();
  writeFileSync(termsFile, '## House rules\nBe kind to the interviewers, and to yourself.\n');
  await startServer();

  await page.goto('/practice');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Our terms have changed' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Practise an interview' })).toBeHidden();
  await expect(page.getByText(/changed sections: Additional terms from Acme Careers/)).toBeVisible();
  await shot(page, 'policy-gate');
  // The terms can be read before accepting.
  await page.getByRole('link', { name: 'Terms of use' }).first().click();
  await expect(page.getByText('Be kind to the interviewers, and to yourself.')).toBeVisible();
  await page.goBack();
  await hydrated(page);
  await page.getByRole('button', { name: 'I accept the changes' }).click();
  await expect(page.getByRole('heading', { name: 'Practise an interview' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Our terms have changed' })).toHaveCount(0);
  // The consents on the account page say which version was accepted.
  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Your consents' })).toBeVisible();
  await expect(page.getByText(/Terms of use — Given .*, version [0-9a-f]{12}/)).toBeVisible();
});
