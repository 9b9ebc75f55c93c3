import { test, expect } from '@playwright/test';
import { watchProblems, cspViolations, hydrated, recordCsp } from './helpers/page';

test.beforeEach(async ({ page }) => recordCsp(page));

test('the landing page renders before hydration, without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const res = await page.goto('/');
  expect(res?.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Practise interviews out loud');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Privacy' })).toBeVisible();
  // The way in works without JavaScript: sign-up, and the try-it form posts like any form.
  await expect(page.getByRole('link', { name: 'Start practising — free' })).toHaveAttribute('href', '/signup');
  const panel = page.getByRole('region', { name: 'Try one question now' });
  await expect(panel.getByRole('button', { name: 'Give me a question' })).toBeVisible();
  await context.close();
});

test('the landing page becomes interactive after hydration', async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto('/');
  await hydrated(page);
  const panel = page.getByRole('region', { name: 'Try one question now' });
  await panel.getByRole('button', { name: 'Give me a question' }).click();
  await expect(panel.getByRole('button', { name: 'Another question' })).toBeVisible();
  await expect(panel.getByLabel('Your answer')).toBeEditable();
  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});

test('the try-it panel works on the landing page reached from another page in the browser', async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto('/privacy');
  await hydrated(page);
  // The browser renders the landing page itself this time: the first form is there all the same.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
  await expect(page).toHaveURL(/\/$/);
  const panel = page.getByRole('region', { name: 'Try one question now' });
  await panel.getByLabel('Role').selectOption('nurse');
  await panel.getByRole('button', { name: 'Give me a question' }).click();
  await expect(panel.locator('#try-question-text')).toHaveText(/\w{3}/);
  await expect(panel.getByLabel('Role')).toHaveValue('nurse');
  expect(problems).toEqual([]);
});

test('the try-it panel loads its code on the way and answers the keyboard', async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto('/');
  await hydrated(page);
  const panel = page.getByRole('region', { name: 'Try one question now' });
  // The first form is the server's HTML until the visitor asks: the rest of the panel is
  // fetched when the focus arrives, and the role chosen carries over.
  await panel.getByLabel('Role').selectOption('nurse');
  await panel.getByLabel('Role').focus();
  await page.keyboard.press('Tab');
  await expect(panel.getByRole('button', { name: 'Give me a question' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(panel.locator('#try-question-text')).toHaveText(/\w{3}/);
  await expect(panel.getByLabel('Role')).toHaveValue('nurse');
  // The focus stays on the button that was pressed (now the panel's own).
  await expect(panel.getByRole('button', { name: 'Another question' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(panel.getByLabel('Your answer')).toBeEditable();
  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});

test('on a slow line the try-it button says its question is on the way, and a second press waits too', async ({ page }) => {
  const problems = watchProblems(page);
  // The public pages' module is held back until the button was pressed twice.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route(/\/split_public_page[^/]*\.wasm$/, async (route) => { await held; await route.continue(); });
  const asked: string[] = [];
  page.on('request', (r) => { if (r.method() === 'POST' && /try/i.test(r.url())) asked.push(r.url()); });
  await page.goto('/');
  await hydrated(page);
  const panel = page.getByRole('region', { name: 'Try one question now' });
  const button = panel.getByRole('button', { name: 'Give me a question' });
  await button.click();
  const waiting = panel.getByRole('button', { name: 'Getting a question…' });
  await expect(waiting).toHaveAttribute('aria-busy', 'true');
  await waiting.click();
  expect(asked).toEqual([]);
  release();
  await expect(panel.locator('#try-question-text')).toHaveText(/\w{3}/);
  await expect(panel.getByRole('button', { name: 'Another question' })).toBeVisible();
  // One question asked, by the panel once its code was in (a second press sent nothing).
  expect(asked.length).toBe(1);
  expect(problems).toEqual([]);
});

test('offline, the try-it panel says its question could not be fetched, and the button works again', async ({ page }) => {
  let offline = true;
  await page.route(/\/split_public_page[^/]*\.wasm$/, (route) => (offline ? route.abort('internetdisconnected') : route.continue()));
  await page.goto('/');
  await hydrated(page);
  const panel = page.getByRole('region', { name: 'Try one question now' });
  await panel.getByRole('button', { name: 'Give me a question' }).click();
  await expect(panel.getByRole('alert')).toContainText('could not be fetched');
  const button = panel.getByRole('button', { name: 'Give me a question' });
  await expect(button).not.toHaveAttribute('aria-busy', 'true');
  offline = false;
  await button.click();
  await expect(panel.locator('#try-question-text')).toHaveText(/\w{3}/);
  await expect(panel.getByText('could not be fetched')).toHaveCount(0);
});

test('the theme toggle switches theme and the choice survives a reload', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  await hydrated(page);
  const html = page.locator('html');
  await expect(html).toHaveAttribute('data-theme', 'light');
  const toggle = page.getByRole('button', { name: 'Dark theme' });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await page.reload();
  // Set before first paint by the early script, not after hydration.
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Dark theme' })).toHaveAttribute('aria-pressed', 'true');
});

test('the system colour scheme is followed until the person chooses', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('unknown addresses show the 404 page', async ({ page }) => {
  const res = await page.goto('/no/such/page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'We could not find that page' })).toBeVisible();
  await page.getByRole('link', { name: 'Go to the home page' }).click();
  await expect(page).toHaveURL('/');
});

test('the contact form sends a message, by keyboard', async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto('/contact');
  await hydrated(page);
  await page.getByLabel('Your name').fill('Ada Lovelace');
  await page.getByLabel('E-mail address').fill('ada@example.org');
  await page.getByLabel('Message').fill('Could Viva practise analyst interviews too?');
  await page.getByLabel('Message').press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toContainText('your message was sent');
  expect(problems).toEqual([]);
});

for (const path of ['/', '/privacy', '/contact']) {
  test(`no console errors or CSP violations on ${path}`, async ({ page }) => {
    const problems = watchProblems(page);
    await page.goto(path);
    await page.waitForLoadState('networkidle');
    // Keyboard users reach the skip link first.
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
    expect(problems).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
  });
}
