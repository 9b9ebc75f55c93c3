import { test, expect, Page, Request } from '@playwright/test';
import { watchProblems, cspViolations, hydrated, recordCsp } from './helpers/page';
import { newUser } from './helpers/account';

// The browser bundle is split at the pages behind the sign-in (app/src/shell/lazy.rs): a
// visitor downloads the public pages' code only; a member page's module is fetched when that
// page is opened or navigated to.

test.beforeEach(async ({ page }) => recordCsp(page));

/** The bundle's requests a page makes: the glue, the main module, the loader, lazy modules. */
function bundleRequests(page: Page): Request[] {
  const seen: Request[] = [];
  page.on('requestfinished', (r) => {
    if (/\/pkg\/[^/]+\//.test(new URL(r.url()).pathname)) seen.push(r);
  });
  return seen;
}

const lazyModules = (reqs: Request[]) =>
  reqs.map((r) => new URL(r.url()).pathname.split('/').pop()!).filter((f) => /^(split|chunk)_.*\.wasm$/.test(f));

test('a visitor downloads no member page code, and little of the rest', async ({ page }) => {
  const problems = watchProblems(page);
  const reqs = bundleRequests(page);
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Privacy' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Privacy');
  await page.waitForLoadState('networkidle');
  expect(lazyModules(reqs)).toEqual([]);
  // What went over the wire (brotli): the glue, the main module and the lazy pages' loader.
  let bytes = 0;
  for (const r of reqs) bytes += (await r.sizes()).responseBodySize;
  expect(reqs.length).toBe(3);
  expect(bytes).toBeLessThan(Number(process.env.VIVA_FIRST_LOAD_BUDGET ?? 300_000));
  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});

test('a member page opened directly hydrates from its module, and navigating loads the next', async ({ browser }) => {
  const { context, page } = await newUser(browser, 'lazy');
  const problems = watchProblems(page);
  const reqs = bundleRequests(page);
  await page.goto('/practice');
  await hydrated(page);
  // The page's own module (and those it shares with other pages) follow the main module.
  await page.waitForLoadState('networkidle');
  expect(lazyModules(reqs).some((f) => f.startsWith('split___practice_view'))).toBe(true);
  expect(lazyModules(reqs).some((f) => f.startsWith('split___history_view'))).toBe(false);
  // Interactive: the form's controls answer.
  await expect(page.getByRole('button', { name: /Start/ }).first()).toBeEnabled();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Progress' }).click();
  await expect(page).toHaveURL(/\/history$/);
  await expect(page).toHaveTitle(/History and progress/);
  expect(lazyModules(reqs).some((f) => f.startsWith('split___history_view'))).toBe(true);
  // Back to a public page and on to another member page: no full reload, no error.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Practise interviews out loud');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
  await context.close();
});
