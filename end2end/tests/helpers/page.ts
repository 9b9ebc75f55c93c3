import { expect, Page, ConsoleMessage } from '@playwright/test';

/** Collects console errors and warnings for a whole test; assert it empty at the end. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

/** Records Content-Security-Policy violations on every page the test opens. */
export async function recordCsp(page: Page) {
  await page.addInitScript(() => {
    (window as any).__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as any).__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as any).__cspViolations ?? []);
}

/** Waits until the wasm bundle has hydrated the whole page: `<html data-hydrated>` is set when
 *  the last part is interactive (a member page's own module loads after the header hydrated),
 *  and the theme toggle (on every page) is enabled only then. */
export async function hydrated(page: Page) {
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', '');
  await expect(page.getByRole('button', { name: /^(Dark|Light) theme$/ })).toBeEnabled();
}
