import { test, expect, Page } from '@playwright/test';
import { join } from 'node:path';
import { watchProblems, cspViolations, hydrated, recordCsp } from './helpers/page';
import { newUser, signIn } from './helpers/account';
import { expectHeardClip, launch, startVoiceInterview, WHISPER, SAID } from './helpers/voice';

// Spoken answers in real Chromium, with a labelled clip as the microphone (three utterances
// in 20 s, ../shared/audio/dev/clip00.wav). The detector runs in the page's AudioWorklet;
// only speech segments reach the server.

/** With VIVA_SHOTS=DIR, keeps a screenshot to look at (not an assertion). */
async function shot(page: Page, name: string) {
  if (process.env.VIVA_SHOTS) await page.screenshot({ path: join(process.env.VIVA_SHOTS, `${name}.png`), fullPage: true });
}

/** The segments the server holds for question 1, straight from its status server fn. */
async function serverSegments(page: Page, id: string): Promise<number[]> {
  return page.evaluate(async (id) => {
    const r = await fetch('/api/voice/status', { method: 'POST', headers: { Accept: 'application/json' }, body: new URLSearchParams({ id, position: '0' }) });
    return (await r.json()).segments.map((s: { seq: number }) => s.seq);
  }, id);
}

test('a spoken answer: the meter moves, each speech segment is captured and uploaded, transcribed, and shown in the report', async () => {
  test.setTimeout(120_000);
  const browser = await launch('clip');
  const { page } = await newUser(browser, 'voice');
  const problems = watchProblems(page);
  const id = await startVoiceInterview(page);
  const rec = page.getByRole('region', { name: 'Answer out loud' });
  await expect(rec.getByText('No speech captured yet.')).toBeVisible();
  await rec.getByRole('button', { name: 'Start recording' }).click();
  await expect.poll(async () => Number(await rec.getByRole('meter', { name: 'Input level' }).getAttribute('value')), { timeout: 10_000 }).toBeGreaterThan(-45);
  await expect(rec.getByRole('status').filter({ hasText: /^Speaking$/ })).toBeVisible({ timeout: 10_000 });
  await expect(rec.getByText('3 segments of speech captured, 3 uploaded.')).toBeVisible({ timeout: 40_000 });
  await expect(rec.getByRole('list', { name: 'Captured speech segments' }).getByRole('listitem')).toHaveCount(3);
  expect(await serverSegments(page, id)).toEqual([0, 1, 2]);
  if (WHISPER) {
    // Each segment's transcription shows as it happens.
    await expect(rec.getByRole('listitem').filter({ hasText: 'uploaded, transcribed' })).toHaveCount(3, { timeout: 30_000 });
  }
  await shot(page, 'voice-recorder');
  await rec.getByRole('button', { name: 'Stop and hand in' }).click();
  if (WHISPER) {
    // Whisper on the server transcribes the three segments; the answer (three sentences) is
    // thin, so the interviewer asks a follow-up, which has its own recorder.
    await expect(page.getByRole('note')).toContainText('Follow-up', { timeout: 60_000 });
    await expect(page.getByRole('region', { name: 'Answer out loud' }).getByText('No speech captured yet.')).toBeVisible();
    await page.getByRole('button', { name: 'Skip the follow-up' }).click();
    await expect(page.getByText('Question 2 of 3')).toBeVisible();
    await page.goto(`/interview/${id}/report`);
    await hydrated(page);
    const q1 = page.locator('section.item-report').first();
    expectHeardClip(await q1.locator('blockquote').first().innerText());
    await expect(q1.getByRole('heading', { name: 'How it sounded' })).toBeVisible();
    await expect(q1.getByRole('img', { name: /Timeline of the spoken answer: \d+ s of speech and 2 pauses/ })).toBeVisible();
    await q1.scrollIntoViewIfNeeded();
    await shot(page, 'voice-report');
  } else {
    // No transcriber on this server: the person types what they said.
    await expect(rec.getByText(/does not transcribe speech yet/)).toBeVisible();
    await rec.getByLabel('What you said').fill(SAID);
    await rec.getByRole('button', { name: 'Hand in this answer' }).click();
    await expect(page.getByText('Question 2 of 3')).toBeVisible({ timeout: 15_000 });
  }
  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
  await browser.close();
});

test('the network drops mid-answer: segments wait on the device and each arrives exactly once', async () => {
  test.setTimeout(90_000);
  const browser = await launch('clip');
  const { page } = await newUser(browser, 'voicenet');
  const id = await startVoiceInterview(page);
  const rec = page.getByRole('region', { name: 'Answer out loud' });
  // Cut the upload route before recording: the first segments cannot leave.
  await page.route('**/api/voice/segment', (route) => route.abort('internetdisconnected'));
  await rec.getByRole('button', { name: 'Start recording' }).click();
  await expect(rec.getByText(/Connection lost: retrying in \d+ s\. Your recording is kept on this device\./)).toBeVisible({ timeout: 20_000 });
  await expect(rec.getByText(/^[12] segments? of speech captured, 0 uploaded\.$/)).toBeVisible();
  await page.waitForTimeout(3_000);
  await page.unroute('**/api/voice/segment');
  await expect(rec.getByText('3 segments of speech captured, 3 uploaded.')).toBeVisible({ timeout: 40_000 });
  expect(await serverSegments(page, id)).toEqual([0, 1, 2]);
  await browser.close();
});

test('microphone permission refused: a clear message, and typing still works', async () => {
  const browser = await launch('denied');
  const { page } = await newUser(browser, 'voicedeny');
  await recordCsp(page);
  await startVoiceInterview(page);
  const rec = page.getByRole('region', { name: 'Answer out loud' });
  await rec.getByRole('button', { name: 'Start recording' }).click();
  await expect(rec.getByRole('alert')).toContainText('Microphone access was refused');
  await expect(rec.getByRole('button', { name: 'Start recording' })).toBeEnabled();
  await page.getByLabel('Or type your answer').fill(SAID);
  await page.getByRole('button', { name: 'Submit answer' }).click();
  await expect(page.getByText('Question 2 of 3')).toBeVisible({ timeout: 15_000 });
  await browser.close();
});

test('a reload while a segment waits on the device loses nothing: it is sent when the page comes back', async () => {
  test.setTimeout(90_000);
  const browser = await launch('clip');
  const { page } = await newUser(browser, 'voicereload');
  const id = await startVoiceInterview(page);
  await page.route('**/api/voice/segment', (route) => route.abort('internetdisconnected'));
  await page.getByRole('region', { name: 'Answer out loud' }).getByRole('button', { name: 'Start recording' }).click();
  // The first segment is captured and kept on the device (the upload queue has started on it).
  await expect(page.getByText(/Connection lost: retrying in \d+ s\./)).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText('1 segment of speech captured, 0 uploaded.')).toBeVisible();
  await page.unroute('**/api/voice/segment');
  await page.reload();
  await hydrated(page);
  const rec = page.getByRole('region', { name: 'Answer out loud' });
  await expect(rec.getByText('1 segment of speech captured, 1 uploaded.')).toBeVisible({ timeout: 20_000 });
  expect(await serverSegments(page, id)).toEqual([0]);
  await browser.close();
});

test('signed out mid-answer: the recording stays on the device, the page says why, and it is sent after signing in again', async () => {
  test.setTimeout(90_000);
  const browser = await launch('clip');
  const { page, email } = await newUser(browser, 'voicesignout');
  const id = await startVoiceInterview(page);
  const url = page.url();
  // The session ends (cookies gone) before the first segment is sent: the server answers 401.
  await page.context().clearCookies();
  const rec = page.getByRole('region', { name: 'Answer out loud' });
  await rec.getByRole('button', { name: 'Start recording' }).click();
  await expect(rec.getByText(/Please sign in to continue\. Your recording is kept on this device: sign in again/)).toBeVisible({ timeout: 20_000 });
  await expect(rec.getByText(/^[123] segments? of speech captured, 0 uploaded\.$/)).toBeVisible();
  await signIn(page, email);
  await expect(page).toHaveURL(/\/dashboard/);
  await page.goto(url);
  await hydrated(page);
  await expect.poll(async () => (await serverSegments(page, id)).length, { timeout: 30_000 }).toBeGreaterThan(0);
  await browser.close();
});
