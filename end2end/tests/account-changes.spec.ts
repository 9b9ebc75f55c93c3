import { test, expect, Browser, Page, Locator } from '@playwright/test';
import { join } from 'node:path';
import { cspViolations, hydrated, recordCsp, watchProblems } from './helpers/page';
import { otpFor, messagesFor } from './helpers/mail';
import { PASSWORD, address, lastMailId, signIn, newUser } from './helpers/account';

// Changing the e-mail address and the password from the account page, as a signed-in person
// does it: the current password, then a code from the local SMTP sink (servers/smtp-sink.mjs).
// Every test makes its own accounts.

/** With VIVA_SHOTS=DIR, keeps a screenshot to look at (not an assertion). */
async function shot(page: Page, name: string) {
  if (process.env.VIVA_SHOTS) await page.screenshot({ path: join(process.env.VIVA_SHOTS, `${name}.png`), fullPage: true });
}

// Second browsers come from their own client address (TEST-NET-3; newUser uses TEST-NET-2), so
// their sign-ins do not spend the per-address limit other specs share on 127.0.0.1.
let client = 0;
async function secondBrowser(browser: Browser, email: string, password = PASSWORD) {
  const context = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': `203.0.113.${(++client % 250) + 1}` } });
  const page = await context.newPage();
  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/dashboard$/);
  return { context, page };
}

/** The account page, hydrated, and its two cards. */
async function accountPage(page: Page) {
  await page.goto('/account');
  await hydrated(page);
  return {
    emailCard: page.getByRole('region', { name: 'Change your e-mail address' }),
    passwordCard: page.getByRole('region', { name: 'Change your password' }),
  };
}

/** Asks for a change of address; the card answers the same whether or not the address is free. */
async function askToChangeEmail(card: Locator, to: string, password = PASSWORD) {
  await card.getByLabel('New e-mail address').fill(to);
  await card.getByLabel('Current password').fill(password);
  await card.getByRole('button', { name: 'E-mail a code to the new address' }).click();
}

async function expectSignedInAs(page: Page, email: string) {
  await page.goto('/dashboard');
  await expect(page.getByRole('paragraph').filter({ hasText: 'Signed in as' })).toHaveText(`Signed in as ${email}`);
}

async function expectSignInRefused(page: Page, email: string, password = PASSWORD) {
  await signIn(page, email, password);
  await expect(page.getByRole('alert')).toHaveText('The e-mail address or password is not right.');
  await expect(page).toHaveURL(/\/signin/);
}

const wrongCode = (code: string) => (code === '000000' ? '111111' : '000000');

/** Chromium logs every refused request (a 400 answer) as a console error; these tests expect
 *  exactly `refusals` of them, and no other problem. */
function expectOnlyRefusals(problems: string[], refusals: number) {
  const isRefusal = (p: string) => /^error: Failed to load resource: the server responded with a status of 400 \(Bad Request\)$/.test(p);
  expect(problems.filter((p) => !isRefusal(p))).toEqual([]);
  expect(problems.filter(isRefusal)).toHaveLength(refusals);
}

test.beforeEach(async ({ page }) => recordCsp(page));

test.describe('changing the e-mail address', () => {
  test('the code goes to the new address; afterwards only the new address signs in', async ({ browser }) => {
    const me = await newUser(browser, 'mover');
    const problems = watchProblems(me.page);
    const other = await secondBrowser(browser, me.email);
    const fresh = address('moved');

    const { emailCard } = await accountPage(me.page);
    const sessions = me.page.getByRole('region', { name: 'Where you are signed in' }).getByRole('listitem');
    await expect(sessions).toHaveCount(2);
    const oldBefore = await lastMailId(me.email);
    await askToChangeEmail(emailCard, fresh);
    await expect(emailCard.getByRole('status').first()).toHaveText('If the address is free, a code is on its way to it.');

    // The code went to the new address, and only there.
    const { code } = await otpFor(fresh);
    const [mail] = await messagesFor(fresh);
    expect(mail.subject).toBe('Your Viva code');
    expect(mail.text).toContain('change your e-mail address');
    expect((await messagesFor(me.email)).filter((m) => m.id > oldBefore && /code/.test(m.subject))).toEqual([]);

    await emailCard.getByLabel('Code from the new address').fill(code);
    await emailCard.getByRole('button', { name: 'Change address' }).click();
    await expect(emailCard.getByRole('status').filter({ hasText: 'Your address is now' })).toHaveText(`Your address is now ${fresh}.`);
    await shot(me.page, 'account-email-changed');

    // The old address is told, with the new one.
    await expect.poll(async () => (await messagesFor(me.email)).filter((m) => m.id > oldBefore).map((m) => m.subject), { timeout: 15_000 })
      .toContain('Your Viva e-mail address was changed');
    const notice = (await messagesFor(me.email)).find((m) => m.subject === 'Your Viva e-mail address was changed')!;
    expect(notice.text).toContain(fresh);

    // This browser stays signed in, as the new address; every other device was signed out.
    await me.page.reload();
    await hydrated(me.page);
    await expect(sessions).toHaveCount(1);
    await expect(sessions).toContainText('(this browser)');
    await expectSignedInAs(me.page, fresh);
    await other.page.goto('/dashboard');
    await expect(other.page).toHaveURL(/\/signin\?next=/);

    // Signed out, the old address no longer signs in; the new one does (same password).
    await me.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await expect(me.page).toHaveURL(/\/signin$/);
    await expectSignInRefused(me.page, me.email);
    await signIn(me.page, fresh);
    await expect(me.page).toHaveURL(/\/dashboard$/);
    await expect(me.page.getByRole('paragraph').filter({ hasText: 'Signed in as' })).toHaveText(`Signed in as ${fresh}`);

    expectOnlyRefusals(problems, 1); // the old address signing in
    expect(await cspViolations(me.page)).toEqual([]);
    await other.context.close();
    await me.context.close();
  });

  test('a wrong current password or a wrong code changes nothing', async ({ browser }) => {
    const me = await newUser(browser, 'stayer');
    const fresh = address('not-yet');
    const { emailCard } = await accountPage(me.page);

    // Without the right password, no code goes anywhere.
    await askToChangeEmail(emailCard, fresh, 'not my password at all');
    await expect(emailCard.getByRole('alert')).toHaveText('Your current password is not right.');
    // Nor to the address it already has.
    await askToChangeEmail(emailCard, me.email);
    await expect(emailCard.getByRole('alert')).toHaveText('That is already your e-mail address.');

    await askToChangeEmail(emailCard, fresh);
    await expect(emailCard.getByRole('status').first()).toHaveText('If the address is free, a code is on its way to it.');
    const { code } = await otpFor(fresh);

    // A wrong code says so, with the tries left, and the address stays.
    await emailCard.getByLabel('Code from the new address').fill(wrongCode(code));
    await emailCard.getByRole('button', { name: 'Change address' }).click();
    await expect(emailCard.getByRole('alert')).toHaveText('That code is not right. 4 tries left.');
    await expect(emailCard.getByRole('status').filter({ hasText: 'Your address is now' })).toHaveCount(0);
    await shot(me.page, 'account-email-wrong-code');

    await expectSignedInAs(me.page, me.email);
    const stranger = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': '203.0.113.251' } });
    const check = await stranger.newPage();
    await expectSignInRefused(check, fresh);
    await signIn(check, me.email);
    await expect(check).toHaveURL(/\/dashboard$/);
    await stranger.close();
    await me.context.close();
  });

  test('an address another account uses: the same answer, no e-mail to it, and no change', async ({ browser }) => {
    // The app does not tell whether an address has an account: for a taken address the answer
    // reads as for a free one, the code is stored but never sent, so it cannot be confirmed.
    const owner = await newUser(browser, 'owner');
    const me = await newUser(browser, 'taker');
    const ownerBefore = await lastMailId(owner.email);
    const myBefore = await lastMailId(me.email);

    const { emailCard, passwordCard } = await accountPage(me.page);
    await askToChangeEmail(emailCard, owner.email.toUpperCase());
    await expect(emailCard.getByRole('status').first()).toHaveText('If the address is free, a code is on its way to it.');
    await expect(emailCard.getByRole('alert')).toHaveCount(0);

    // Something sent after it arrives (a code to my own address) while the owner gets nothing.
    await passwordCard.getByLabel('Current password').fill(PASSWORD);
    await passwordCard.getByRole('button', { name: 'E-mail me a code' }).click();
    await otpFor(me.email, myBefore);
    expect((await messagesFor(owner.email)).filter((m) => m.id > ownerBefore)).toEqual([]);

    // No code can be confirmed: a guess is just a wrong code, and nothing changed.
    await emailCard.getByLabel('Code from the new address').fill('123456');
    await emailCard.getByRole('button', { name: 'Change address' }).click();
    await expect(emailCard.getByRole('alert')).toHaveText('That code is not right. 4 tries left.');
    await expectSignedInAs(me.page, me.email);
    await expectSignedInAs(owner.page, owner.email);
    await owner.context.close();
    await me.context.close();
  });

  test('an address taken while its code was on the way is refused with a reason', async ({ browser }) => {
    // Both ask for the same free address, each gets a code there; the first to confirm gets it.
    const first = await newUser(browser, 'first');
    const second = await newUser(browser, 'second');
    const wanted = address('wanted');

    const a = await accountPage(first.page);
    await askToChangeEmail(a.emailCard, wanted);
    const codeA = await otpFor(wanted);
    const b = await accountPage(second.page);
    await askToChangeEmail(b.emailCard, wanted);
    const codeB = await otpFor(wanted, codeA.id);

    await a.emailCard.getByLabel('Code from the new address').fill(codeA.code);
    await a.emailCard.getByRole('button', { name: 'Change address' }).click();
    await expect(a.emailCard.getByRole('status').filter({ hasText: 'Your address is now' })).toHaveText(`Your address is now ${wanted}.`);

    await b.emailCard.getByLabel('Code from the new address').fill(codeB.code);
    await b.emailCard.getByRole('button', { name: 'Change address' }).click();
    await expect(b.emailCard.getByRole('alert')).toHaveText('That address now belongs to another account.');
    await expectSignedInAs(second.page, second.email);
    await expectSignedInAs(first.page, wanted);
    await first.context.close();
    await second.context.close();
  });
});

test.describe('changing the password', () => {
  test('wrong current password and weak new passwords are refused; a change signs out every device', async ({ browser }) => {
    const me = await newUser(browser, 'rekey');
    const problems = watchProblems(me.page);
    const other = await secondBrowser(browser, me.email);
    const { passwordCard } = await accountPage(me.page);

    // The wrong current password sends no code.
    const before = await lastMailId(me.email);
    await passwordCard.getByLabel('Current password').fill('not my password at all');
    await passwordCard.getByRole('button', { name: 'E-mail me a code' }).click();
    await expect(passwordCard.getByRole('alert')).toHaveText('Your current password is not right.');

    await passwordCard.getByLabel('Current password').fill(PASSWORD);
    await passwordCard.getByRole('button', { name: 'E-mail me a code' }).click();
    await expect(passwordCard.getByRole('status').first()).toHaveText('A code is on its way to your address.');
    const { code, id } = await otpFor(me.email, before);
    expect((await messagesFor(me.email)).find((m) => m.id === id)!.text).toContain('change your password');

    // Too short: the browser does not send the form at all…
    const newPassword = passwordCard.getByLabel('New password');
    await passwordCard.getByLabel('6-digit code').fill(code);
    await newPassword.fill('short');
    await passwordCard.getByRole('button', { name: 'Change password' }).click();
    expect(await newPassword.evaluate((e: HTMLInputElement) => e.validity.tooShort)).toBe(true);
    expect(await newPassword.evaluate((e: HTMLInputElement) => e.validationMessage)).not.toBe('');
    await expect(me.page).toHaveURL(/\/account$/);
    await expect(passwordCard.getByRole('alert')).toHaveCount(0);
    // …and the server refuses it too when sent anyway, before it spends the code.
    const direct = await me.page.evaluate(async (c) => {
      const r = await fetch('/api/auth/finish_password_change', {
        method: 'POST',
        headers: { Accept: 'application/json' },
        body: new URLSearchParams({ code: c, new_password: 'short' }),
      });
      return { status: r.status, body: await r.text() };
    }, code);
    expect(direct.status).toBe(400);
    expect(JSON.parse(direct.body).message).toBe('Use at least 8 characters — a few words make a strong, memorable password.');

    // Long enough but easy to guess: refused with the reason.
    await newPassword.fill('password1');
    await passwordCard.getByRole('button', { name: 'Change password' }).click();
    await expect(passwordCard.getByRole('alert')).toContainText('This password is too easy to guess');
    await shot(me.page, 'account-password-weak');

    // The same code still works with a good password; every session ends, this one too.
    const fresh = 'amber glacier whistles quietly';
    await newPassword.fill(fresh);
    await passwordCard.getByRole('button', { name: 'Change password' }).click();
    await expect(me.page).toHaveURL(/\/signin\?changed=1$/);
    await expect(me.page.getByRole('status').filter({ hasText: 'Your password is changed' }))
      .toHaveText('Your password is changed and every device was signed out. Sign in with the new password.');
    await expect.poll(async () => (await messagesFor(me.email)).filter((m) => m.id > id).map((m) => m.subject), { timeout: 15_000 })
      .toContain('Your Viva password was changed');

    await other.page.goto('/dashboard');
    await expect(other.page).toHaveURL(/\/signin\?next=/);
    await me.page.goto('/dashboard');
    await expect(me.page).toHaveURL(/\/signin\?next=/);

    // The old password fails; the new one signs in.
    await expectSignInRefused(me.page, me.email);
    await signIn(me.page, me.email, fresh);
    await expect(me.page).toHaveURL(/\/dashboard$/);

    // The wrong current password, the short one sent directly, the weak one, the old password.
    expectOnlyRefusals(problems, 4);
    expect(await cspViolations(me.page)).toEqual([]);
    await other.context.close();
    await me.context.close();
  });
});
