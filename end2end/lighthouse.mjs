// Lighthouse audits of pages of a running Viva, in Debian's Chromium (mobile profile, its
// default). Starts no server: `node lighthouse.mjs http://127.0.0.1:3999 /privacy /terms`.
// Prints each page's scores and, under a score below 100, the audits that failed with the
// elements they failed on. Exits 1 when any score is below 100 (or a page could not be audited).
// LH_CATEGORIES: which (default accessibility,seo — what CI checks; the timing-dependent
// performance score is for bench/lighthouse.sh). LH_COOKIE: a Cookie header (signed-in pages).
// LH_JSON: a file to write every score to. LH_RUNS: audits per page (default 1), the median reported.
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import { writeFileSync } from 'node:fs';

const categories = (process.env.LH_CATEGORIES ?? 'accessibility,seo').split(',');
const scores = {};
const runs = Math.max(1, Number(process.env.LH_RUNS ?? 1));

const [base, ...paths] = process.argv.slice(2);
if (!base || paths.length === 0) {
  console.error('usage: node lighthouse.mjs BASE_URL PATH...  (e.g. http://127.0.0.1:3999 /privacy /terms)');
  process.exit(2);
}

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  chromeFlags: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

let failed = false;
try {
  for (const path of paths) {
    const url = new URL(path, base).href;
    // LH_RUNS audits of the page; the one reported is the median by the first category's score
    // (performance varies from run to run by several points on one machine).
    const lhrs = [];
    let failedRun = null;
    for (let attempt = 0; lhrs.length < runs && attempt < runs + 2; attempt++) {
      const { lhr } = await lighthouse(url, {
        port: chrome.port,
        logLevel: 'error',
        onlyCategories: categories,
        ...(process.env.LH_COOKIE ? { extraHeaders: { Cookie: process.env.LH_COOKIE } } : {}),
      });
      // A failed recording (NO_NAVSTART and the like) scores nothing: run again, twice at most.
      if (lhr.runtimeError) {
        console.log(`${path}: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
        failedRun = lhr;
        continue;
      }
      lhrs.push(lhr);
    }
    if (lhrs.length === 0) lhrs.push(failedRun);
    const first = (l) => Object.values(l.categories)[0]?.score ?? -1;
    lhrs.sort((a, b) => first(a) - first(b));
    const lhr = lhrs[Math.floor(lhrs.length / 2)];
    if (lhrs.length > 1) {
      console.log(`${path}  ${lhrs.length} runs: ${lhrs.map(l => Math.round(first(l) * 100)).join(', ')} (median reported)`);
    }
    scores[path] = { metrics: {
      fcp_ms: lhr.audits['first-contentful-paint']?.numericValue,
      lcp_ms: lhr.audits['largest-contentful-paint']?.numericValue,
      tbt_ms: lhr.audits['total-blocking-time']?.numericValue,
      transfer_bytes: lhr.audits['total-byte-weight']?.numericValue,
    } };
    // How fast this machine ran Lighthouse's own CPU benchmark (its scores scale with it: a
    // page's blocking time is what its tasks took here, times four).
    scores[path].benchmark_index = lhr.environment?.benchmarkIndex;
    if (categories.includes('performance')) console.log(`${path}  benchmark index: ${Math.round(lhr.environment?.benchmarkIndex ?? 0)}`);
    const lcp = lhr.audits['largest-contentful-paint-element']?.details?.items?.[0]?.items?.[0]?.node;
    if (lcp && categories.includes('performance')) console.log(`${path}  LCP element: ${lcp.snippet}`);
    // The main thread's long tasks (what the total blocking time counts: each beyond 50 ms).
    if (categories.includes('performance')) {
      for (const t of lhr.audits['long-tasks']?.details?.items ?? []) {
        console.log(`${path}  long task at ${Math.round(t.startTime)} ms: ${Math.round(t.duration)} ms  ${t.url ?? ''}`);
      }
    }
    for (const category of Object.values(lhr.categories)) {
      const score = category.score === null ? null : Math.round(category.score * 100);
      console.log(`${path}  ${category.title}: ${score ?? 'no score'}`);
      scores[path][category.id] = score;
      if (score === 100) continue;
      failed = true;
      // The audits that count towards the score and did not pass.
      for (const ref of category.auditRefs) {
        const audit = lhr.audits[ref.id];
        if (ref.weight === 0 || audit.score === null || audit.score >= 1) continue;
        console.log(`  - ${audit.id}: ${audit.title}${audit.explanation ? ` (${audit.explanation})` : ''}`);
        for (const item of audit.details?.items ?? []) {
          if (item.node) console.log(`      ${item.node.snippet}  [${item.node.selector}]`);
          else if (item.source?.url) console.log(`      ${item.source.url}:${item.source.line ?? ''}`);
        }
      }
    }
  }
} finally {
  await chrome.kill();
}
if (process.env.LH_JSON) writeFileSync(process.env.LH_JSON, JSON.stringify(scores, null, 1));
process.exit(failed ? 1 : 0);
