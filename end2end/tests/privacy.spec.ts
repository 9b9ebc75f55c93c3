import { test, expect } from '@playwright/test';
import { join } from 'node:path';
import { hydrated, recordCsp } from './helpers/page';
import { otpFor, messagesFor } from './helpers/mail';
import { PASSWORD, lastMailId, signIn, newUser } from './helpers/account';

// Deleting an account from its page: a code by e-mail and the password, then everything goes
// and the address cannot sign in again.

test('a person deletes their account from the page and cannot sign in again', async ({ browser }) => {
  const { page, email } = await newUser(browser, 'leaver');
  await recordCsp(page);
  await page.goto('/account');
  await hydrated(page);
  await page.getByRole('link', { name: 'Delete my account…' }).click();
  await expect(page).toHaveURL(/\/account\/delete$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Delete my account', level: 1 })).toBeVisible();
  if (process.env.VIVA_SHOTS) await page.screenshot({ path: join(process.env.VIVA_SHOTS, 'delete-account.png'), fullPage: true });

  const before = await lastMailId(email);
  await page.getByRole('button', { name: 'E-mail me a code' }).click();
  await expect(page.getByText(/We sent a 6-digit code/)).toBeVisible();
  const { code } = await otpFor(email, before);
  await page.getByLabel('6-digit code').fill(code);
  // Without the password nothing is deleted.
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.getByRole('alert')).toContainText('password');
  await page.getByLabel(/Current password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/\?deleted=1$/);

  // The last e-mail says so; the address no longer signs in.
  await expect.poll(async () => (await messagesFor(email)).some((m: { subject: string }) => m.subject.includes('was deleted')), { timeout: 15_000 }).toBe(true);
  await signIn(page, email);
  await expect(page.getByRole('alert')).toContainText('not right');
});
