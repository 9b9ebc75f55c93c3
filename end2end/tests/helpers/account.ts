import { expect, Page, Browser } from '@playwright/test';
import { hydrated, recordCsp } from './page';
import { otpFor, messagesFor } from './mail';

// Accounts as a new user makes them, through the real pages and the local SMTP sink.

export const PASSWORD = 'copper kettle orbits tuesday';
/** Spec files run two at a time (playwright.config.ts): which of the two workers this is. */
const worker = Number(process.env.TEST_PARALLEL_INDEX ?? 0) % 2;
let seq = 0;
export const address = (who: string) => `${who}.${Date.now()}.${worker}-${seq++}@example.org`;


/** The id of the newest message to `email`, so a later code is not confused with an earlier one. */
export async function lastMailId(email: string): Promise<number> {
  const list = await messagesFor(email);
  return list.length ? list[list.length - 1].id : 0;
}

export async function signUp(page: Page, email: string, name = 'Ada Example', referral?: string) {
  await page.goto(referral ? `/signup?ref=${referral}` : '/signup');
  await hydrated(page);
  await fillSignUp(page, email, name);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/verify\?email=/);
}

/** Fills in the sign-up form on an interactive /signup (a referral code typed in if given). */
export async function fillSignUp(page: Page, email: string, name: string, referralCode?: string) {
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Job you are preparing for').fill('Backend engineer');
  await page.getByLabel('Experience level').selectOption('senior');
  if (referralCode !== undefined) await page.getByLabel('Referral code (optional)').fill(referralCode);
  await page.getByLabel('I am 16 or older').check();
  await page.getByLabel(/I agree to the terms/).check();
}

export async function confirm(page: Page, email: string) {
  const { code } = await otpFor(email);
  await hydrated(page);
  await page.getByLabel('6-digit code').fill(code);
  await page.getByRole('button', { name: 'Confirm address' }).click();
  // The right code signs the person in: no second sign-in.
  await expect(page).toHaveURL(/\/dashboard\?welcome=1$/);
  await expect(page.getByRole('heading', { name: 'Your address is confirmed — you are signed in' })).toBeVisible();
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto('/signin');
  await hydrated(page);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Each new user comes from its own address (TEST-NET-2, via the proxy header the server
 *  trusts with --behind-proxy), as real people do: the suite makes more accounts than the
 *  per-address sign-up limit allows from one address in an hour. Each of the two workers has
 *  its own half of the range. */
let client = 0;
const nextAddress = () => `198.51.100.${worker * 125 + (++client % 125) + 1}`;

export async function newUser(browser: Browser, who: string) {
  const context = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': nextAddress() } });
  const page = await context.newPage();
  await recordCsp(page);
  const email = address(who);
  await signUp(page, email);
  await confirm(page, email);
  return { context, page, email };
}

