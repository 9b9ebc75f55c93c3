// What a page's long tasks are made of: loads one page in Chromium with the CPU 4× slower (as
// Lighthouse's mobile profile), records a trace until the page is interactive, and prints each
// main-thread task over 50 ms with the trace events that took most of it — for a hydration task,
// `wasm.CompileLazy` is V8 compiling a wasm function the first time it is called (its count is
// the number of distinct functions the task ran), `FunctionCall` the wasm itself.
//
//   node bench/long_tasks.mjs URL [COOKIE]     (TOP=N events per task, default 10;
//                                               TRACE=FILE keeps the trace, for chrome://tracing)
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [url, cookie] = process.argv.slice(2);
if (!url) {
  console.error('usage: node bench/long_tasks.mjs URL [COOKIE]');
  process.exit(2);
}
const top = Number(process.env.TOP ?? 10);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext(cookie ? { extraHTTPHeaders: { Cookie: cookie } } : {});
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
await browser.startTracing(page, {
  categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.wasm',
    'disabled-by-default-v8.compile', 'blink', 'toplevel'],
});
await page.goto(url);
const interactive = await page.waitForSelector('html[data-hydrated]', { timeout: 30_000 })
  .then(() => true, () => false);
await page.waitForTimeout(1000);
const trace = await browser.stopTracing();
await browser.close();
if (!interactive) console.log('the page never became interactive (no data-hydrated within 30 s)');
if (process.env.TRACE) writeFileSync(process.env.TRACE, trace);

const events = JSON.parse(trace.toString()).traceEvents;
const main = new Set(events
  .filter(e => e.name === 'thread_name' && e.args.name === 'CrRendererMain')
  .map(e => `${e.pid}:${e.tid}`));
const onMain = events.filter(e => e.ph === 'X' && main.has(`${e.pid}:${e.tid}`));
const start = (events.find(e => e.name === 'navigationStart') ?? onMain[0]).ts;
const isTask = e => e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask';
const long = onMain.filter(e => isTask(e) && e.dur > 50_000);
// The outermost tasks only (a task may run nested ones).
const outer = long.filter(t => !long.some(o => o !== t && o.ts <= t.ts && o.ts + o.dur >= t.ts + t.dur));
for (const task of outer) {
  const inside = onMain.filter(e => e !== task && e.ts >= task.ts && e.ts + e.dur <= task.ts + task.dur);
  const byName = new Map();
  for (const e of inside) {
    if (isTask(e)) continue;
    const [ms, n] = byName.get(e.name) ?? [0, 0];
    byName.set(e.name, [ms + e.dur / 1000, n + 1]);
  }
  const script = inside.find(e => e.args?.data?.url)?.args.data.url ?? '';
  console.log(`task at ${Math.round((task.ts - start) / 1000)} ms: ${Math.round(task.dur / 1000)} ms  ${script}`);
  for (const [name, [ms, n]] of [...byName].sort((a, b) => b[1][0] - a[1][0]).slice(0, top)) {
    console.log(`  ${ms.toFixed(1).padStart(7)} ms  ×${n}  ${name}`);
  }
}
