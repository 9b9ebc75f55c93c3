import { test, expect, Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { watchProblems, cspViolations, hydrated, recordCsp } from './helpers/page';
import { newUser, signIn } from './helpers/account';
import { textPdf } from './helpers/pdf';

// Interview practice as a new user meets it: set up, answer, get a follow-up, finish, read
// the report, find it in history; resume after a reload and from a second device.

test.beforeEach(async ({ page }) => recordCsp(page));

const STRONG = `At my last company our nightly data import took six hours and often failed, which left 300 analysts
without fresh numbers in the morning. I was responsible for the pipeline, so my goal was to make it reliable and finish
before 7 am. I measured each stage with tracing and found that one unindexed join took 70% of the time. I added the index,
split the load into parallel batches and added an alert on failures. As a result the import dropped to 50 minutes and ran
without a failure for three months. I learned to measure before changing anything.`;

async function answer(page: Page, text: string) {
  await page.getByLabel(/^Your answer/).fill(text);
  await page.getByRole('button', { name: 'Submit answer' }).click();
}

test('set up a 3-question interview, answer with a follow-up, finish, read the report and see it in history', async ({ browser }) => {
  const { page, context } = await newUser(browser, 'practice');
  const problems = watchProblems(page);
  await page.getByRole('link', { name: 'Practise an interview' }).click();
  await expect(page).toHaveURL(/\/practice$/);
  await hydrated(page);
  await page.getByLabel('Role', { exact: true }).selectOption('backend-engineer');
  await page.getByLabel('Behavioural', { exact: true }).check();
  await page.getByLabel(/^Number of questions/).fill('3');
  await page.getByLabel('Company (optional)').fill('Acme Data');
  await page.getByRole('button', { name: 'Start interview' }).click();
  await expect(page).toHaveURL(/\/interview\/[a-z0-9]{20}$/);
  await hydrated(page);
  await expect(page.getByText('Question 1 of 3')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Backend engineer interview · Acme Data');

  // A thin answer: the interviewer asks one follow-up, then moves on.
  await answer(page, 'I fixed a slow job once.');
  await expect(page.getByRole('note')).toContainText('Follow-up');
  await expect(page.getByText('Question 1 of 3')).toBeVisible();
  await answer(page, STRONG);
  await expect(page.getByRole('status').filter({ hasText: /Answer saved — scored \d+\/100/ })).toBeVisible();
  await expect(page.getByText('Question 2 of 3')).toBeVisible();

  await answer(page, STRONG);
  await expect(page.getByText('Question 3 of 3')).toBeVisible();
  await page.getByRole('button', { name: 'Skip this question' }).click();
  await expect(page.getByRole('heading', { name: 'All questions are done' })).toBeVisible();
  await page.getByRole('button', { name: 'Finish and see the report' }).click();

  await expect(page).toHaveURL(/\/interview\/[a-z0-9]{20}\/report$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Interview report' })).toBeVisible();
  await expect(page.getByRole('img', { name: /Scores by dimension, overall \d+/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Recommendations' })).toBeVisible();
  await expect(page.getByText('Skipped.', { exact: true })).toBeVisible();
  await expect(page.getByText('Evaluated by Viva embedded engine')).toBeVisible();
  // Every answered question has its feedback; the follow-up and its answer are shown.
  await expect(page.getByRole('heading', { name: 'Follow-up' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Strengths' })).toHaveCount(2);

  // Markdown download, with the scores and answers in it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download as Markdown' }).click()]);
  const md = readFileSync(await download.path(), 'utf8');
  expect(md).toContain('# Mock interview report — Backend engineer');
  expect(md).toMatch(/## Overall score: \d+\/100/);
  expect(md).toContain('I added the index');

  // Opened directly, the page carries the report and its Markdown once: the data hydration
  // reads leaves both out (the page's HTML has them), and the download works after hydration.
  const reportUrl = page.url();
  const html = await (await page.request.get(reportUrl)).text();
  expect(html.split('Outline of a strong answer').length - 1).toBe(2);
  expect(html.split('data:text/markdown').length - 1).toBe(1);
  await page.goto(reportUrl);
  await hydrated(page);
  const [again] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download as Markdown' }).click()]);
  expect(readFileSync(await again.path(), 'utf8')).toBe(md);

  await page.getByRole('link', { name: 'History and progress' }).click();
  await expect(page).toHaveURL(/\/history$/);
  const row = page.getByRole('row').filter({ hasText: 'Backend engineer' });
  await expect(row).toContainText('2 of 3');
  await expect(row.getByRole('link', { name: 'Report' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Weakest competencies' })).toBeVisible();
  await expect(page.getByRole('button', { name: /^Practise / }).first()).toBeVisible();

  // Back to the report from the history: this time the browser asks for it (its HTML is the
  // server's either way).
  await row.getByRole('link', { name: 'Report' }).click();
  await expect(page).toHaveURL(/\/interview\/[a-z0-9]{20}\/report$/);
  await expect(page.getByRole('heading', { name: 'Interview report' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Strengths' })).toHaveCount(2);
  await expect(page.getByRole('button', { name: 'Print' })).toBeVisible();
  await page.getByRole('link', { name: 'Practise again' }).click();
  await expect(page).toHaveURL(/\/practice$/);

  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
  await context.close();
});

test('an interview resumes after a reload and on a second device; nobody else can open it', async ({ browser }) => {
  const { page, context, email } = await newUser(browser, 'resume');
  await page.goto('/practice');
  await hydrated(page);
  await page.getByRole('button', { name: 'Start a quick warm-up' }).click();
  await expect(page).toHaveURL(/\/interview\/[a-z0-9]{20}$/);
  const url = page.url();
  await hydrated(page);
  await answer(page, STRONG);
  await expect(page.getByText('Question 2 of 3')).toBeVisible();
  const question2 = await page.locator('#q-text').textContent();

  await page.reload();
  await expect(page.getByText('Question 2 of 3')).toBeVisible();
  await expect(page.locator('#q-text')).toHaveText(question2!);

  // The same person on another device.
  const other = await browser.newContext();
  const second = await other.newPage();
  await signIn(second, email);
  await expect(second).toHaveURL(/\/dashboard$/);
  await second.goto(url);
  await expect(second.getByText('Question 2 of 3')).toBeVisible();
  await expect(second.locator('#q-text')).toHaveText(question2!);
  await other.close();

  // Someone else gets "not found", with a 404.
  const stranger = await newUser(browser, 'stranger');
  const res = await stranger.page.goto(url);
  expect(res?.status()).toBe(404);
  await expect(stranger.page.getByText('Question 2 of 3')).toHaveCount(0);
  await stranger.context.close();
  await context.close();
});

test('practice pages need a signed-in person', async ({ page }) => {
  for (const path of ['/practice', '/history', '/profile']) {
    await page.goto(path);
    await expect(page).toHaveURL(new RegExp(`/signin\\?next=${encodeURIComponent(path).replace(/\//g, '%2F')}`));
  }
});

test('a resume PDF is read, its skills join the profile, and it can be deleted; a non-PDF is refused', async ({ browser }) => {
  const { page, context } = await newUser(browser, 'resume-pdf');
  const problems = watchProblems(page);
  await page.goto('/profile');
  await hydrated(page);
  const upload = page.getByLabel('Resume (PDF, up to 5 MB)');

  await upload.setInputFiles({ name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('These are plain notes, not a PDF at all.') });
  await page.getByRole('button', { name: 'Upload resume' }).click();
  await expect(page.getByRole('alert')).toContainText('This file is not a PDF');

  await upload.setInputFiles({
    name: 'Priya Raman CV.pdf',
    mimeType: 'application/pdf',
    buffer: textPdf([
      'Priya Raman - Backend Engineer',
      'Six years building payment APIs in Rust and Python at Finch Ltd.',
      'Skills: PostgreSQL, Kafka, Docker, Kubernetes and AWS.',
      'Led the move of the ledger service to PostgreSQL, cutting p99 latency by 40 percent.',
    ]),
  });
  await page.getByRole('button', { name: 'Upload resume' }).click();
  await expect(page.getByText('Your resume was read.')).toBeVisible();
  await expect(page.getByText(/^Priya Raman CV\.pdf · \d+ KB/)).toBeVisible();
  await expect(page.getByText(/Skills found \(added to your skills below\): .*PostgreSQL/)).toBeVisible();
  await expect(page.getByLabel('Skills (comma-separated)')).toHaveValue(/Kafka/);
  // The text Viva keeps is there to see.
  await page.getByText('The text we keep from it').click();
  await expect(page.getByLabel('The text of your resume that Viva keeps')).toContainText('Led the move of the ledger service to PostgreSQL');

  await page.getByRole('button', { name: 'Delete resume' }).click();
  await expect(page.getByText('No resume yet.')).toBeVisible();
  expect(problems.filter((p) => !p.includes('400'))).toEqual([]);
  await context.close();
});

test('one interview is deleted from the history after a confirmation step', async ({ browser }) => {
  const { page } = await newUser(browser, 'tidy');
  await page.goto('/practice');
  await hydrated(page);
  await page.getByRole('button', { name: 'Start a quick warm-up' }).click();
  await expect(page).toHaveURL(/\/interview\/[a-z0-9]{20}$/);
  await page.goto('/history');
  await hydrated(page);
  const table = page.getByRole('table');
  await expect(table.getByRole('row')).toHaveCount(2);
  // Nothing goes on the first click: the confirmation opens first.
  await table.getByText('Delete…').click();
  if (process.env.VIVA_SHOTS) await page.screenshot({ path: `${process.env.VIVA_SHOTS}/history-delete.png`, fullPage: true });
  await table.getByRole('button', { name: /Delete the interview of .* for good/ }).click();
  await expect(page.getByText('No interviews yet.')).toBeVisible();
  await page.reload();
  await expect(page.getByText('No interviews yet.')).toBeVisible();
});
