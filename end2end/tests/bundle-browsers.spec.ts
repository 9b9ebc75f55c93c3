import { test } from '@playwright/test';
import { newUser } from './helpers/account';
import { baseURL } from '../playwright.config';
import { Firefox } from '../browsers/firefox';
import { WebKit } from '../browsers/webkit';

// The split bundle beyond Chromium: Firefox ESR and WebKitGTK hydrate a public page from the
// main module; Firefox also a member page from the members' module (loaded before it
// hydrates: the server's HTML is taken over, not drawn twice). WebKitGTK keeps no Secure
// cookie for http://127.0.0.1 (Chromium and Firefox treat the loopback as secure), so it
// cannot be signed in here: its member page is not tried.

const HYDRATED = `JSON.stringify(document.documentElement.hasAttribute('data-hydrated') || null)`;
const PRACTICE = `JSON.stringify(document.documentElement.hasAttribute('data-hydrated') ? {
  h1: [...document.querySelectorAll('h1')].map((h) => h.textContent),
  members: performance.getEntriesByType('resource').some((e) => /split_member_page/.test(e.name)),
  admins: performance.getEntriesByType('resource').some((e) => /split_admin_page/.test(e.name)),
} : null)`;

for (const name of ['Firefox', 'WebKit'] as const) {
  test(`${name} hydrates a visitor's page and a member's page from the split bundle`, async ({ browser }) => {
    test.setTimeout(90_000);
    const { context, page } = await newUser(browser, `split${name}`);
    const cookies = await context.cookies();
    await page.close();
    const other = name === 'Firefox' ? await Firefox.launch() : await WebKit.launch();
    try {
      await other.goto(`${baseURL}/`);
      await other.waitUntil(HYDRATED, 30_000);
      const members = await other.waitUntil(`JSON.stringify(performance.getEntriesByType('resource').some((e) => /split_member_page/.test(e.name)))`, 5_000);
      test.expect(members).toBe(false);
      if (!(other instanceof Firefox)) return;
      for (const c of cookies) await other.setCookie(c);
      await other.goto(`${baseURL}/practice`);
      const got = await other.waitUntil(PRACTICE, 30_000);
      test.expect(got).toEqual({ h1: ['Practise an interview'], members: true, admins: false });
    } finally {
      await other.close();
      await context.close();
    }
  });
}
