import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cspViolations, hydrated, recordCsp } from './helpers/page';
import { newUser } from './helpers/account';
import { launch, startVoiceInterview, WHISPER, SAID } from './helpers/voice';

// "Your data": the download of everything, and recordings kept or dropped as the person chose.

async function shot(page: Page, name: string) {
  if (process.env.VIVA_SHOTS) await page.screenshot({ path: join(process.env.VIVA_SHOTS, `${name}.png`), fullPage: true });
}

test('a person downloads their data: progress, then a ZIP holding data.json', async ({ browser }, info) => {
  const { page, email } = await newUser(browser, 'exporter');
  await recordCsp(page);
  await page.goto('/account');
  await hydrated(page);
  await page.getByRole('link', { name: 'Your data…' }).click();
  await expect(page).toHaveURL(/\/account\/data$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Your data', level: 1 })).toBeVisible();
  await expect(page.getByText('No download prepared yet.')).toBeVisible();
  await page.getByRole('button', { name: 'Prepare my download' }).click();
  const link = page.getByRole('link', { name: /Download my data \(ZIP, [\d.]+ [KM]B\)/ });
  await expect(link).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText(/Available until \d{4}-\d{2}-\d{2}/)).toBeVisible();
  await shot(page, 'data-page');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toMatch(/^viva-data-\d{4}-\d{2}-\d{2}\.zip$/);
  const file = info.outputPath('export.zip');
  await download.saveAs(file);
  // Opened as a ZIP by another program (Python's zipfile): data.json names this account.
  const out = execFileSync('python3', ['-c',
    'import json,sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); d=json.loads(z.read("data.json")); print(d["schema"], d["account"]["email"], len(z.namelist()))',
    file]).toString().trim().split(' ');
  expect(out[0]).toBe('viva-export');
  expect(out[1]).toBe(email);
  // Asking again while nothing is running makes a new one; the page never offers two at once.
  await page.getByRole('button', { name: 'Prepare my download' }).click();
  await expect(page.getByRole('link', { name: /Download my data/ })).toBeVisible({ timeout: 20_000 });
  expect(await cspViolations(page)).toEqual([]);
});

/** Records the clip as the first answer and hands it in (typed when nobody transcribes). */
async function answerByVoice(page: Page) {
  const rec = page.getByRole('region', { name: 'Answer out loud' });
  await rec.getByRole('button', { name: 'Start recording' }).click();
  await expect(rec.getByText('3 segments of speech captured, 3 uploaded.')).toBeVisible({ timeout: 40_000 });
  await rec.getByRole('button', { name: 'Stop and hand in' }).click();
  if (WHISPER) {
    await expect(page.getByRole('note')).toContainText('Follow-up', { timeout: 60_000 });
  } else {
    await rec.getByLabel('What you said').fill(SAID);
    await rec.getByRole('button', { name: 'Hand in this answer' }).click();
    await expect(page.getByText('Question 2 of 3')).toBeVisible({ timeout: 15_000 });
  }
}

test('recordings: dropped once the answer is scored, unless the person keeps them; kept ones play in the report', async () => {
  test.setTimeout(150_000);
  const browser = await launch('clip');
  const { page } = await newUser(browser, 'recorder');

  // Not kept (the default): the recorder says so; after hand-in the report has no player.
  let id = await startVoiceInterview(page);
  await expect(page.getByText(/Your recordings are deleted as soon as each answer is transcribed and scored/)).toBeVisible();
  await answerByVoice(page);
  await page.goto(`/interview/${id}/report`);
  await hydrated(page);
  await expect(page.locator('section.item-report').first().getByRole('heading', { name: 'How it sounded' })).toBeVisible();
  await expect(page.getByLabel(/Your recorded answer/)).toHaveCount(0);
  const gone = await page.evaluate(async (id) => (await fetch(`/recordings/${id}/0/answer`)).status, id);
  expect(gone).toBe(404);

  // Kept: chosen on the data page, said by the recorder, playable in the report.
  await page.goto('/account/data');
  await hydrated(page);
  await page.getByRole('button', { name: /^Keep my recordings for \d+ days$/ }).click();
  await expect(page.getByText(/Your recordings are kept for \d+ days/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Stop keeping my recordings' })).toBeVisible();
  id = await startVoiceInterview(page);
  await expect(page.getByText(/Your recordings are kept for \d+ days/)).toBeVisible();
  await answerByVoice(page);
  await page.goto(`/interview/${id}/report`);
  await hydrated(page);
  const player = page.getByLabel('Your recorded answer to question 1');
  await expect(player).toBeVisible();
  const seconds = await player.evaluate((a: HTMLAudioElement) => new Promise<number>((done, fail) => {
    a.addEventListener('loadedmetadata', () => done(a.duration), { once: true });
    a.addEventListener('error', () => fail(new Error(`audio error ${a.error?.code}`)), { once: true });
    a.preload = 'metadata';
    a.load();
  }));
  expect(seconds).toBeGreaterThan(3);
  await player.scrollIntoViewIfNeeded();
  await shot(page, 'report-recording');

  // Stopping deletes what was kept.
  await page.goto('/account/data');
  await hydrated(page);
  await page.getByRole('button', { name: 'Stop keeping my recordings' }).click();
  await expect(page.getByText(/Your recordings are deleted as soon as/)).toBeVisible();
  const after = await page.evaluate(async (id) => (await fetch(`/recordings/${id}/0/answer`)).status, id);
  expect(after).toBe(404);
  await browser.close();
});
