import { test, expect, Browser, Page } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { address, confirm, signUp } from './helpers/account';
import { hydrated } from './helpers/page';
import { answering, START_BUDGET_MS, stopped } from './helpers/process';

// Plans and payments on a server of this spec's own, selling a Pro plan through a local server
// that speaks Stripe's protocol (end2end/servers/stripe-server.mjs): a new person reaches the
// free limit, upgrades through checkout, the webhook raises the limit, the portal cancels at
// period end; a referral link brings a friend, and both are rewarded after the friend's first
// finished interview.

const bin = process.env.VIVA_BIN ?? join(__dirname, '..', '..', 'target', 'release', 'viva');
const port = 3941;
const stripePort = 3942;
const base = `http://127.0.0.1:${port}`;
const stripeBase = `http://127.0.0.1:${stripePort}`;
const dataDir = mkdtempSync(join(tmpdir(), 'viva-billing-'));
const plans = join(dataDir, 'plans.toml');
let server: ChildProcess | undefined;
let stripe: ChildProcess | undefined;

async function shot(page: Page, name: string) {
  if (process.env.VIVA_SHOTS) await page.screenshot({ path: join(process.env.VIVA_SHOTS, `${name}.png`), fullPage: true });
}

let n = 0;
async function person(browser: Browser, who: string, ref?: string) {
  const context = await browser.newContext({ baseURL: base, extraHTTPHeaders: { 'X-Forwarded-For': `203.0.113.${100 + ++n}` } });
  const page = await context.newPage();
  const email = address(who);
  await signUp(page, email, who, ref);
  await confirm(page, email);
  return { page, email };
}

const STRONG = "At my last job our clinic's discharge letters took four days to reach GPs, which led to repeat admissions. " +
  'I was responsible for the discharge process, so my goal was to get letters out within 24 hours. I mapped every step with the ward team, ' +
  'found that 60% of the delay was waiting for a consultant signature, and I set up a template that registrars could sign. ' +
  'As a result letters went out in under a day for 95% of patients within two months, and readmissions fell by 12%. I learned to measure first.';

async function warmUp(page: Page) {
  await page.goto('/practice');
  await hydrated(page);
  await page.getByRole('button', { name: 'Start a quick warm-up' }).click();
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(2 * START_BUDGET_MS + 10_000);
  writeFileSync(plans, `
[free]
interviews_per_month = 1
[[plans]]
id = "pro"
name = "Pro"
price = 1200
currency = "usd"
stripe_price = "price_pro"
interviews_per_month = 20
hosted_ai = true
[referrals]
reward_interviews = 2
`);
  stripe = spawn('node', [join(__dirname, '..', 'servers', 'stripe-server.mjs')], {
    stdio: 'ignore',
    env: { ...process.env, STRIPE_PORT: String(stripePort), STRIPE_WEBHOOK_URL: `${base}/webhooks/stripe` },
  });
  await answering(`${stripeBase}/healthz`, 'the local Stripe server');
  server = spawn(bin, [
    '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, '--smtp-url', 'smtp://127.0.0.1:3925',
    '--trusted-proxy', '127.0.0.1', '--plans', plans,
    '--stripe-secret-key', 'sk_test_viva', '--stripe-webhook-secret', 'whsec_viva_test',
    '--stripe-api-base', `${stripeBase}/`,
  ], { stdio: 'ignore' });
  await answering(`${base}/readyz`, 'the billing test server');
});

test.afterAll(async () => {
  await stopped(server);
  await stopped(stripe);
});

test('the free limit, an upgrade through checkout, a higher limit, and a cancel at period end', async ({ browser }) => {
  test.setTimeout(90_000);
  const { page } = await person(browser, 'payer');
  await expect(page.getByRole('link', { name: 'Plan', exact: true })).toBeVisible();
  // The free plan's one interview, then the limit.
  await warmUp(page);
  await expect(page).toHaveURL(/\/interview\//);
  await warmUp(page);
  await expect(page.getByRole('alert')).toContainText('You have used all 1 interviews of the Free plan');
  await page.goto('/account/billing');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Plans and billing', level: 1 })).toBeVisible();
  await expect(page.getByText('1 of 1 interviews this month')).toBeVisible();
  await shot(page, 'billing-free');

  // Upgrade: Stripe's checkout page (the local server's), pay, come back.
  await page.getByRole('button', { name: 'Upgrade to Pro' }).click();
  await expect(page).toHaveURL(new RegExp(`^${stripeBase}/pay/cs_`));
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page).toHaveURL(/\/account\/billing\?checkout=cs_/);
  await expect(page.getByRole('status').filter({ hasText: 'your payment went through' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Your plan: Pro' })).toBeVisible();
  await expect(page.getByText('1 of 20 interviews this month')).toBeVisible();
  await expect(page.getByRole('link', { name: /^View invoice / })).toBeVisible();
  await shot(page, 'billing-pro');
  // The limit rose.
  await warmUp(page);
  await expect(page).toHaveURL(/\/interview\//);

  // The portal: cancel at the end of the period.
  await page.goto('/account/billing');
  await hydrated(page);
  await page.getByRole('button', { name: 'Manage subscription' }).click();
  await expect(page).toHaveURL(new RegExp(`^${stripeBase}/portal/`));
  await page.getByRole('button', { name: 'Cancel plan' }).click();
  await page.getByRole('link', { name: 'Return to Viva' }).click();
  await expect(page).toHaveURL(/\/account\/billing$/);
  await expect(page.getByText(/Your Pro plan ends on \d{4}-\d{2}-\d{2}/)).toBeVisible();
  await shot(page, 'billing-cancelling');

  // The first account runs the site: its billing page shows the payment and the subscription.
  await page.goto('/dashboard');
  await hydrated(page);
  await page.getByText('Do you run this site? Set up administration').click();
  await page.getByLabel('Setup token').fill(readFileSync(join(dataDir, 'admin-setup-token'), 'utf8').trim());
  await page.getByRole('button', { name: 'Become the administrator' }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto('/admin/billing');
  await hydrated(page);
  await expect(page.getByText('Revenue: $12.00 from 1 payment.')).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: 'ends at period end' })).toBeVisible();
  await shot(page, 'admin-billing');
});

test('a referral link brings a friend; both get bonus interviews after the friend\'s first interview', async ({ browser }) => {
  test.setTimeout(90_000);
  const { page: ann } = await person(browser, 'referrer');
  await ann.goto('/account/referrals');
  await hydrated(ann);
  const link = await ann.getByRole('textbox', { name: 'Your referral link' }).inputValue();
  const code = new URL(link).searchParams.get('ref')!;
  expect(code).toMatch(/^[A-Z2-9]{10}$/);
  await shot(ann, 'referrals');

  const { page: bea } = await person(browser, 'friend', code);
  await warmUp(bea);
  await expect(bea).toHaveURL(/\/interview\//);
  await hydrated(bea);
  // One answer, the rest skipped, then the report.
  await bea.getByLabel(/^Your answer/).fill(STRONG);
  await bea.getByRole('button', { name: 'Submit answer' }).click();
  // A follow-up, when the question gets one, is answered too: the answer must be scored.
  const followUp = bea.getByRole('note').filter({ hasText: 'Follow-up' });
  const saved = bea.getByRole('status').filter({ hasText: /Answer saved — scored/ });
  await expect(followUp.or(saved).first()).toBeVisible();
  if (await followUp.isVisible()) {
    await bea.getByLabel(/^Your answer/).fill(STRONG);
    await bea.getByRole('button', { name: 'Submit answer' }).click();
    await expect(saved).toBeVisible();
  }
  const finish = bea.getByRole('button', { name: 'Finish and see the report' });
  const skip = bea.getByRole('button', { name: 'Skip this question' });
  const progress = bea.getByRole('progressbar', { name: 'Interview progress' });
  for (let i = 0; i < 8 && !(await finish.isVisible()); i++) {
    await expect(skip.or(finish)).toBeVisible();
    if (!(await skip.isVisible())) continue;
    // Each skip is awaited (the bar moves on) before the next: the last one replaces the
    // question with the finish button, and a click aimed at a vanished button never lands.
    const before = await progress.getAttribute('value');
    await skip.click();
    await expect(progress).not.toHaveAttribute('value', before ?? '');
  }
  await finish.click();
  await expect(bea.getByRole('heading', { name: 'Interview report' })).toBeVisible();
  await bea.goto('/account/billing');
  await expect(bea.getByText('You also have 2 bonus interviews')).toBeVisible();

  await ann.goto('/account/referrals');
  await expect(ann.getByText(/1 person joined with your link; 1 earned you a reward \(2 bonus interviews\)/)).toBeVisible();
  await ann.goto('/account/billing');
  await expect(ann.getByText('You also have 2 bonus interviews')).toBeVisible();
});
