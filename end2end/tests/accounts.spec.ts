import { test, expect, Page, Browser } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { watchProblems, cspViolations, hydrated, recordCsp } from './helpers/page';
import { otpFor, messagesFor, failNext } from './helpers/mail';
import { PASSWORD, address, lastMailId, signUp, fillSignUp, confirm, signIn, newUser } from './helpers/account';

// Accounts as a new user meets them: every e-mail goes through the real local SMTP sink that
// playwright.config.ts starts, and OIDC sign-in goes to the local OpenID provider it starts.
// Tests share one server and run in file order; each uses its own address.

test.beforeEach(async ({ page }) => recordCsp(page));

// The sign-up form hydrates in a task of its own, after the rest of the page
// (app::ui::Later): once the page says it is interactive, the form answers in
// place, as the browser's code makes it (without it, the browser would post the form and leave).
test('the sign-up form opened directly answers in place once the page is interactive', async ({ browser }) => {
  const context = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': '198.51.100.252' } });
  const page = await context.newPage();
  await recordCsp(page);
  await page.goto('/signup');
  await hydrated(page);
  await fillSignUp(page, address('grace'), 'Grace Example', 'not a code!');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('A referral code has only letters, digits and dashes (at most 32).');
  await expect(page).toHaveURL(/\/signup$/);
  await expect(page.getByLabel('Your name')).toHaveValue('Grace Example');
  expect(await cspViolations(page)).toEqual([]);
  await context.close();
});

test('sign up, confirm with the e-mailed code, land on the dashboard, sign out and back in', async ({ page }) => {
  const problems = watchProblems(page);
  const email = address('ada');
  await signUp(page, email, 'Ada Lovelace');

  // The e-mail really went out over SMTP (the outbox sends it moments after the sign-up), with
  // the product name and a 6-digit code.
  await otpFor(email);
  const [mail] = await messagesFor(email);
  expect(mail.subject).toContain('Viva');
  expect(mail.text).toMatch(/\b\d{6}\b/);
  expect(mail.html).toContain('<');

  // Confirming the address signs in: the dashboard, with its first-run guide.
  await confirm(page, email);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome, Ada Lovelace');
  await expect(page.getByRole('link', { name: 'Start practising' })).toBeVisible();

  // The session cookies are HttpOnly and SameSite=Strict; scripts cannot read them.
  const cookies = await page.context().cookies();
  const session = cookies.filter((c) => /access|refresh/.test(c.name));
  expect(session.length).toBe(2);
  for (const c of session) {
    expect(c.httpOnly).toBe(true);
    expect(c.sameSite).toBe('Strict');
  }
  expect(await page.evaluate(() => document.cookie)).not.toMatch(/access|refresh/);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/signin$/);
  // A signed-out visit to the dashboard is sent to sign in, and back afterwards.
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/signin\?next=%2Fdashboard/);
  await hydrated(page);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome, Ada Lovelace');

  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});

test('the first account becomes administrator with the setup token and can manage people', async ({ page }) => {
  // The previous test made the first account on this fresh install; it has not claimed admin yet.
  const email = (await messagesFor()).map((m) => m.to[0]).find((to) => to.startsWith('ada.'));
  expect(email).toBeTruthy();
  await signIn(page, email!);
  await expect(page).toHaveURL(/\/dashboard$/);
  await hydrated(page);
  // The one-time setup token the server left in its data directory (only the operator has it).
  const token = readFileSync(join(process.env.VIVA_E2E_DATA_DIR!, 'admin-setup-token'), 'utf8').trim();
  await page.getByText('Do you run this site? Set up administration').click();
  await page.getByLabel('Setup token').fill(token);
  await page.getByRole('button', { name: 'Become the administrator' }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Administration');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })).toBeVisible();
  await expect(page.getByRole('cell', { name: email! })).toBeVisible();
  // The outbox shows the e-mail that went out.
  await page.getByRole('link', { name: 'Outbox' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: email! }).getByText('sent', { exact: true })).toBeVisible();
});

test('a refused e-mail stays in the outbox with its error and is retried', async ({ page, browser, baseURL }) => {
  // Moving the server's clock needs a test build (`cargo test --features server/test-clock`,
  // which .ci/run uses); skip against a plain release build.
  const probe = await fetch(`${baseURL}/__test/clock/advance?secs=0`, { method: 'POST' });
  test.skip(probe.status === 404, 'needs a test-clock build of viva');

  const admin = (await messagesFor()).map((m) => m.to[0]).find((to) => to.startsWith('ada.'))!;
  await signIn(page, admin);
  await expect(page).toHaveURL(/\/dashboard$/);

  const email = address('retry');
  await failNext(email, 1, 451);
  const other = await browser.newContext();
  const newcomer = await other.newPage();
  await signUp(newcomer, email);

  // The outbox tries at once and the sink refuses: the message then waits, pending, for its
  // retry (a look while the attempt is still under way shows it "sending").
  const item = page.getByRole('listitem').filter({ hasText: email });
  await expect(async () => {
    await page.goto('/admin/outbox');
    await expect(item.getByText('pending')).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await item.getByText('Your Viva code').click(); // opens the details
  await expect(item).toContainText('451');
  // Admins see that a code was sent, never the code itself.
  await expect(item).toContainText('••••••');

  // After the retry delay the worker sends it again, and the code arrives.
  await fetch(`${baseURL}/__test/clock/advance?secs=60`, { method: 'POST' });
  const { code } = await otpFor(email);
  expect(code).toMatch(/^\d{6}$/);
  await page.reload();
  await expect(page.getByRole('listitem').filter({ hasText: email }).getByText('sent', { exact: true })).toBeVisible();
  await other.close();
});

test('a wrong code five times locks that code, and a new code works', async ({ page }) => {
  const email = address('lock');
  await signUp(page, email);
  const first = await otpFor(email);
  const wrong = first.code === '000000' ? '111111' : '000000';
  await hydrated(page);
  const alert = page.getByRole('alert');
  // Anyone can reach this page, so every failure reads the same (it tells nothing about the
  // address or the tries left).
  for (let i = 0; i < 5; i++) {
    await page.getByLabel('6-digit code').fill(wrong);
    await page.getByRole('button', { name: 'Confirm address' }).click();
    await expect(alert).toContainText('That code did not work');
  }
  // The right code no longer works: the code is locked.
  await page.getByLabel('6-digit code').fill(first.code);
  await page.getByRole('button', { name: 'Confirm address' }).click();
  await expect(alert).toContainText('ask for a new code');
  await expect(page).toHaveURL(/\/verify/);

  // A locked code holds no cooldown: a new code goes out at once and confirms the address.
  await page.getByRole('button', { name: 'Send a new code' }).click();
  await expect(page.getByText('a new code is on its way')).toBeVisible();
  const second = await otpFor(email, first.id);
  await page.getByLabel('6-digit code').fill(second.code);
  await page.getByRole('button', { name: 'Confirm address' }).click();
  await expect(page).toHaveURL(/\/dashboard\?welcome=1$/);
});

test('password reset by e-mailed code signs out every device', async ({ browser }) => {
  const a = await newUser(browser, 'reset');
  const b = await browser.newContext();
  const bPage = await b.newPage();
  await signIn(bPage, a.email);
  await expect(bPage).toHaveURL(/\/dashboard$/);

  const after = await lastMailId(a.email);
  await bPage.context().clearCookies();
  await bPage.goto('/reset');
  await hydrated(bPage);
  await bPage.getByRole('textbox', { name: 'E-mail address' }).first().fill(a.email);
  await bPage.getByRole('button', { name: 'E-mail me a code' }).click();
  await expect(bPage.getByText('If this address has an account, a code is on its way.')).toBeVisible();
  const { code } = await otpFor(a.email, after);
  await bPage.locator('#r-email2').fill(a.email);
  await bPage.getByLabel('6-digit code').fill(code);
  const fresh = 'violet harbour sixteen lanterns';
  await bPage.getByLabel('New password').fill(fresh);
  await bPage.getByRole('button', { name: 'Set new password' }).click();
  // The code and the new password sign this browser in.
  await expect(bPage).toHaveURL(/\/dashboard\?reset=1$/);
  await expect(bPage.getByText('Your password is changed and you are signed in.')).toBeVisible();
  await bPage.getByRole('button', { name: 'Sign out', exact: true }).click();

  // The other device was signed out by the reset.
  await a.page.goto('/dashboard');
  await expect(a.page).toHaveURL(/\/signin\?next=/);
  // The old password no longer works; the new one does.
  await signIn(bPage, a.email);
  await expect(bPage.getByRole('alert')).toContainText(/not right|incorrect|do not match/i);
  await signIn(bPage, a.email, fresh);
  await expect(bPage).toHaveURL(/\/dashboard$/);
  await a.context.close();
  await b.close();
});

test('sign out everywhere ends the session in a second browser', async ({ browser }) => {
  const a = await newUser(browser, 'everywhere');
  const b = await browser.newContext();
  const bPage = await b.newPage();
  await signIn(bPage, a.email);
  await expect(bPage).toHaveURL(/\/dashboard$/);

  // Both sessions are listed on the account page.
  await a.page.goto('/account');
  const signedIn = a.page.getByRole('region', { name: 'Where you are signed in' }).getByRole('listitem');
  await expect(signedIn).toHaveCount(2);
  await expect(signedIn.filter({ hasText: 'this browser' })).toHaveCount(1);

  await a.page.goto('/dashboard');
  await a.page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(a.page).toHaveURL(/\/signin$/);
  await bPage.goto('/dashboard');
  await expect(bPage).toHaveURL(/\/signin\?next=/);
  await a.context.close();
  await b.close();
});

test('a provider login links to an existing account only from a browser signed in to it', async ({ browser }) => {
  const a = await newUser(browser, 'sso');
  const ssoAs = async (page: Page, email: string) => {
    await page.getByRole('link', { name: 'Continue with Test SSO' }).click();
    // The provider's own login page (another origin, real HTTP).
    await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:3927\//);
    await page.getByLabel('E-mail').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  // The provider is not Google: its word on the address alone does not open Ada's account.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/signin');
  await ssoAs(page, a.email);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('We could not sign you in');
  await expect(page.getByRole('alert')).toContainText('sign in with your password first');

  // Signed in with her password, Ada links it from her account page.
  await a.page.goto('/account');
  await ssoAs(a.page, a.email);
  await expect(a.page).toHaveURL(/\/account$/);
  await a.context.close();

  await context.close();

  // From then on it signs her in from any browser (a fresh one: the provider has no session there).
  const later = await browser.newContext();
  const again = await later.newPage();
  await again.goto('/signin');
  await ssoAs(again, a.email);
  await expect(again).toHaveURL(/\/dashboard$/);
  await expect(again.getByRole('heading', { level: 1 })).toHaveText('Welcome, Ada Example');
  await later.close();

  // A new address becomes a new, confirmed account.
  const other = await browser.newContext();
  const p2 = await other.newPage();
  await p2.goto('/signin');
  await ssoAs(p2, address('grace'));
  await expect(p2).toHaveURL(/\/dashboard$/);
  await expect(p2.getByRole('heading', { level: 1 })).toContainText('Welcome, Grace');
  await expect(p2.getByText('not confirmed')).toHaveCount(0);
  await other.close();
});

test('sign-in refuses a forged ID token, a replayed nonce and an unconfirmed provider address', async ({ page }) => {
  const control = (q: string) => fetch(`http://127.0.0.1:3927/__control?${q}`, { method: 'POST' });
  const ssoAs = async (email: string) => {
    await page.context().clearCookies();
    await page.goto('/signin');
    await page.getByRole('link', { name: 'Continue with Test SSO' }).click();
    await page.getByLabel('E-mail').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  try {
    // Signed with a key the provider does not publish.
    await control('tamper=1');
    await ssoAs(address('forged'));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('We could not sign you in');
    await expect(page.getByRole('alert')).toContainText('ID token');
    // Validly signed, but not for the nonce this browser's sign-in sent.
    await control('wrong_nonce=1');
    await ssoAs(address('nonce'));
    await expect(page.getByRole('alert')).toContainText('did not answer as expected (ID token)');
    // The provider does not vouch for the address.
    await ssoAs(address('unverified'));
    await expect(page.getByRole('alert')).toContainText('did not confirm an e-mail address');
    // None of these made a session.
    await page.goto('/dashboard');
    await expect(page).toHaveURL(/\/signin\?next=/);
  } finally {
    await control('reset=1');
  }
});

test('an admin finds a person, makes them admin and back, and disables them', async ({ page, browser }) => {
  const person = await newUser(browser, 'managed');
  const admin = (await messagesFor()).map((m) => m.to[0]).find((to) => to.startsWith('ada.'))!;
  await signIn(page, admin);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/admin');
  await hydrated(page);
  await page.getByLabel('Search people').fill(person.email);
  await page.getByRole('button', { name: 'Search' }).click();
  const rows = page.getByRole('row').filter({ hasText: person.email });
  await expect(rows).toHaveCount(1);
  await expect(page.getByRole('row')).toHaveCount(2); // the header and the one match

  await rows.getByRole('button', { name: 'Make Ada Example an admin' }).click();
  await expect(rows.getByRole('cell', { name: 'admin', exact: true })).toBeVisible();
  await rows.getByRole('button', { name: 'Make Ada Example a user' }).click();
  await expect(rows.getByRole('cell', { name: 'user', exact: true })).toBeVisible();

  await rows.getByRole('button', { name: 'Disable Ada Example' }).click();
  await expect(rows.getByRole('cell', { name: 'disabled', exact: true })).toBeVisible();
  // Their open session ends, and they cannot sign in again.
  await person.page.goto('/dashboard');
  await expect(person.page).toHaveURL(/\/signin\?next=/);
  await signIn(person.page, person.email);
  await expect(person.page.getByRole('alert')).toBeVisible();
  await expect(person.page).toHaveURL(/\/signin/);
  await person.context.close();
});

test('a person corrects their name, job and experience on the account page', async ({ browser }) => {
  const { page } = await newUser(browser, 'fixer');
  await page.goto('/account');
  await hydrated(page);
  const card = page.getByRole('region', { name: 'Your details' });
  await card.getByLabel('Your name').fill('Grace Hopper');
  await card.getByLabel('Job you are preparing for').fill('Engineering manager');
  await card.getByLabel('Experience level').selectOption('lead');
  await card.getByRole('button', { name: 'Save details' }).click();
  await expect(card.getByText('Your details are saved.')).toBeVisible();
  if (process.env.VIVA_SHOTS) await card.screenshot({ path: `${process.env.VIVA_SHOTS}/account-details.png` });
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('region', { name: 'Your details' }).getByLabel('Your name')).toHaveValue('Grace Hopper');
  await expect(page.getByRole('region', { name: 'Your details' }).getByLabel('Experience level')).toHaveValue('lead');
});
