// Time until a page opened directly is interactive (`<html data-hydrated>`), on a slow line and
// a slow CPU: Chromium with Lighthouse's mobile conditions (150 ms round trip, 1.6 Mbit/s down,
// 750 kbit/s up, CPU 4x slower), a fresh cache each load. Against running servers; for an A/B,
// give two and they take turns.
//
// usage: node bench/first_load.mjs [ROUNDS=5] URL [URL2] -- PATH...
//   e.g. node bench/first_load.mjs 5 http://127.0.0.1:3941 http://127.0.0.1:3942 -- /signin /practice
// Prints, per server and path, the median and the spread of: first paint (FCP), the main
// module's response end, the last lazy module's response end, and data-hydrated (all ms from
// the navigation's start). Needs playwright-core (end2end/node_modules) and Chromium
// (CHROMIUM, /usr/bin/chromium). Signed-in paths need COOKIE (a Cookie header) in the
// environment.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 5;
const cut = args.indexOf('--');
const bases = cut < 0 ? [] : args.slice(0, cut);
const paths = cut < 0 ? [] : args.slice(cut + 1);
if (bases.length === 0 || paths.length === 0) {
  console.error('usage: node bench/first_load.mjs [ROUNDS] URL [URL2] -- PATH...');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function load(base, path) {
  const context = await browser.newContext();
  if (process.env.COOKIE) await context.setExtraHTTPHeaders({ Cookie: process.env.COOKIE });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  // The moment the bundle marks the page interactive, on the page's own clock.
  await page.addInitScript(() => {
    new MutationObserver((_, o) => {
      if (document.documentElement.hasAttribute('data-hydrated')) {
        window.__hydratedAt = performance.now();
        o.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
  });
  await page.goto(base + path);
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 60_000 });
  const t = await page.evaluate(() => {
    const res = performance.getEntriesByType('resource');
    const end = (re) => Math.max(0, ...res.filter((e) => re.test(e.name)).map((e) => e.responseEnd));
    return {
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
      main: end(/\/viva\.wasm$/),
      lazy: end(/\/(split|chunk)_[^/]*\.wasm$/),
      hydrated: window.__hydratedAt,
    };
  });
  await context.close();
  return t;
}

const results = {};
for (let r = 0; r < rounds; r++) {
  for (const base of bases) {
    for (const path of paths) {
      const key = `${base} ${path}`;
      (results[key] ??= []).push(await load(base, path));
    }
  }
}
await browser.close();

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log(`| server, page | first paint | main module in | last lazy module in | interactive (${rounds} loads: median, min–max) |`);
console.log('|---|---|---|---|---|');
for (const [key, runs] of Object.entries(results)) {
  const col = (k) => Math.round(median(runs.map((x) => x[k])));
  const h = runs.map((x) => x.hydrated);
  console.log(`| ${key} | ${col('fcp')} | ${col('main')} | ${col('lazy') || '–'} | ${col('hydrated')} (${Math.round(Math.min(...h))}–${Math.round(Math.max(...h))}) |`);
}
