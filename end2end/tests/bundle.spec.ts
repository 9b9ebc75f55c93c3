import { test, expect, Page, Request, Route } from '@playwright/test';
import { watchProblems, cspViolations, hydrated, recordCsp } from './helpers/page';
import { newUser } from './helpers/account';

// The browser bundle is split (app/src/shell/lazy.rs): the landing page's code stays in the main
// module; the other public pages', the try-it panel's, the member pages' and the admin pages'
// are fetched when the first of them is opened (the admin pages' only by an admin).

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

test('a visitor\'s landing page downloads the main module alone; the other public pages and the try-it panel load theirs', async ({ page }) => {
  const problems = watchProblems(page);
  const reqs = bundleRequests(page);
  await page.goto('/');
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  expect(lazyModules(reqs)).toEqual([]);
  // What went over the wire (brotli): the glue, the main module and the lazy pages' loader.
  let bytes = 0;
  for (const r of reqs) bytes += (await r.sizes()).responseBodySize;
  expect(reqs.length).toBe(3);
  expect(bytes).toBeLessThan(Number(process.env.VIVA_FIRST_LOAD_BUDGET ?? 150_000));
  console.log(`landing page: ${bytes} bytes of bundle`);
  // The try-it panel's code (in the public pages' module) comes when the pointer or the focus
  // comes near its form.
  const panel = page.getByRole('region', { name: 'Try one question now' });
  await panel.getByLabel('Role').focus();
  await expect.poll(() => lazyModules(reqs).some((f) => f.startsWith('split_public_page'))).toBe(true);
  // Another public page: nothing more, and never a member's or an admin's module.
  const before = lazyModules(reqs).length;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Privacy' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Privacy');
  await page.waitForLoadState('networkidle');
  const loaded = lazyModules(reqs);
  expect(loaded.length).toBe(before);
  expect(loaded.filter((f) => /^split_(member|admin)_page/.test(f))).toEqual([]);
  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});

test('a public page opened directly hydrates from the public pages\' module', async ({ page }) => {
  const problems = watchProblems(page);
  const reqs = bundleRequests(page);
  await page.goto('/signin');
  await hydrated(page);
  const loaded = lazyModules(reqs);
  expect(loaded.some((f) => f.startsWith('split_public_page'))).toBe(true);
  expect(loaded.filter((f) => /^split_(member|admin)_page/.test(f))).toEqual([]);
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  expect(problems).toEqual([]);
});

test('a page opened directly fetches the module it waits for beside the main module, and nothing else', async ({ page }) => {
  const problems = watchProblems(page);
  const preloaded = () => page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => (e as PerformanceResourceTiming).initiatorType === 'link' && e.name.endsWith('.wasm'))
    .map((e) => new URL(e.name).pathname.split('/').pop()));
  for (const path of ['/privacy', '/terms', '/contact', '/signup', '/verify', '/signin', '/reset']) {
    await page.goto(path);
    await hydrated(page);
    // Asked for by the page script (a preload), not only once the main module had hydrated.
    await expect.poll(preloaded, path).toEqual(expect.arrayContaining(['split_public_page.wasm']));
    expect((await preloaded()).filter((f) => /^split_(member|admin)_page/.test(f!)), path).toEqual([]);
  }
  // A preload the page did not use would be a console warning, a few seconds after the load.
  await page.waitForTimeout(3500);
  expect(problems).toEqual([]);
  // The landing page and the 404 page wait for no module (the 404 page's own status is a
  // console error, so it comes last).
  for (const path of ['/', '/no/such/page']) {
    await page.goto(path);
    await hydrated(page);
    expect(await preloaded(), path).toEqual([]);
  }
});

test('a public page paints from its HTML and style sheet alone: no script or wasm blocks it', async ({ page }) => {
  for (const path of ['/', '/privacy', '/signin']) {
    await page.goto(path);
    await hydrated(page);
    // Resource Timing's renderBlockingStatus (Chromium): what the first paint had to wait for.
    const entries = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => ({
        path: new URL(e.name).pathname,
        blocking: (e as PerformanceResourceTiming & { renderBlockingStatus?: string }).renderBlockingStatus,
      })));
    const blocking = entries.filter((e) => e.blocking === 'blocking').map((e) => e.path);
    expect(blocking, path).toEqual([expect.stringMatching(/^\/pkg\/(?:[^/]+\/)?viva\.css$/)]);
    // The glue and the main module were fetched, after the paint and without holding it.
    for (const file of [/\/viva\.js$/, /\/viva\.wasm$/]) {
      const e = entries.find((e) => file.test(e.path));
      expect(e, `${path}: ${file}`).toBeDefined();
      expect(e!.blocking, `${path}: ${file}`).toBe('non-blocking');
    }
  }
});

test('a member page opened directly hydrates from the members\' module, which serves the next page too', async ({ browser }) => {
  const { context, page } = await newUser(browser, 'lazy');
  const problems = watchProblems(page);
  const reqs = bundleRequests(page);
  await page.goto('/practice');
  await hydrated(page);
  // The members' module was asked for by the page script, beside the main module.
  expect(await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => (e as PerformanceResourceTiming).initiatorType === 'link')
    .map((e) => new URL(e.name).pathname.split('/').pop()))).toContain('split_member_page.wasm');
  const loaded = () => lazyModules(reqs);
  expect(loaded().some((f) => f.startsWith('split_member_page'))).toBe(true);
  expect(loaded().some((f) => f.startsWith('split_admin_page'))).toBe(false);
  // Interactive: the set-up form answers (the warm-up's role field is filled from the profile).
  await expect(page.getByRole('button', { name: 'Start interview' })).toBeEnabled();
  const before = loaded().length;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Progress' }).click();
  await expect(page).toHaveURL(/\/history$/);
  await expect(page).toHaveTitle(/History and progress/);
  // Back to a public page and on to another member page: no full reload, nothing more to load.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Practise interviews out loud');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page).toHaveTitle(/Dashboard/);
  expect(loaded().length).toBe(before);
  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
  await context.close();
});

test('from a public page, the first member page loads the members\' module on the way', async ({ browser }) => {
  const { context, page } = await newUser(browser, 'lazynav');
  await page.goto('/privacy');
  await hydrated(page);
  const problems = watchProblems(page);
  const reqs = bundleRequests(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Practise' }).click();
  await expect(page).toHaveURL(/\/practice$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Practise an interview' })).toBeVisible();
  expect(lazyModules(reqs).some((f) => f.startsWith('split_member_page'))).toBe(true);
  expect(problems).toEqual([]);
  await context.close();
});

test('after a move between pages the menu asks again who is signed in, from the landing page too', async ({ browser }) => {
  const { context, page } = await newUser(browser, 'menu');
  await page.goto('/');
  await hydrated(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Dashboard' })).toBeVisible();
  // Signed out behind the page's back (another tab, an expired session): the landing page's
  // bundle has no code to ask; the public pages' module, loaded for the next page, brings it.
  await context.clearCookies();
  await nav.getByRole('link', { name: 'Privacy' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Privacy');
  await expect(nav.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Dashboard' })).toHaveCount(0);
  await context.close();
});

// A page's module refused twice (the router's preload, then the page's view tries once more):
// the page the link leads to is loaded afresh, as a plain link would be, in a new document.
const refusals: [string, (route: Route) => Promise<void>][] = [
  // The server was upgraded meanwhile: this tab's bundle directory has no members' module.
  ['a tab left open across an upgrade loads the new version when it opens a member page',
    (route) => route.fulfill({ status: 404, body: 'not found' })],
  ['a page whose module cannot be fetched (offline) is loaded afresh, as a plain link would be',
    (route) => route.abort('internetdisconnected')],
];
for (const [name, refuse] of refusals) {
  test(name, async ({ browser }) => {
    const { context, page } = await newUser(browser, 'refused');
    await page.goto('/privacy');
    await hydrated(page);
    await page.evaluate(() => { (window as unknown as { before?: boolean }).before = true; });
    let refused = 0;
    await page.route(/\/pkg\/[^/]+\/split_member_page/, (route) => {
      refused++;
      return refuse(route);
    }, { times: 2 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Practise' }).click();
    await expect(page).toHaveURL(/\/practice$/);
    // Loaded afresh: the page is there and interactive.
    await expect(page.getByRole('heading', { level: 1, name: 'Practise an interview' })).toBeVisible();
    await hydrated(page);
    await expect(page.getByRole('button', { name: 'Start interview' })).toBeEnabled();
    expect(refused).toBe(2);
    // A new document, not the old one stuck half-way.
    expect(await page.evaluate(() => (window as unknown as { before?: boolean }).before)).toBeUndefined();
    await context.close();
  });
}

test('a page opened directly whose module cannot be fetched stays as the server rendered it, without reloading', async ({ page }) => {
  let refused = 0;
  await page.route(/\/pkg\/[^/]+\/split_public_page/, (route) => {
    refused++;
    return route.abort('internetdisconnected');
  });
  await page.goto('/signin');
  await page.evaluate(() => { (window as unknown as { before?: boolean }).before = true; });
  await expect.poll(() => refused).toBe(2);
  await page.waitForLoadState('networkidle');
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { before?: boolean }).before)).toBe(true);
});
