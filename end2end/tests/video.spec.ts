import { test, expect, Page, Browser, chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { watchProblems, cspViolations, hydrated } from './helpers/page';
import { newUser } from './helpers/account';
import { ARGS, SAID, WHISPER } from './helpers/voice';

// Answers on camera in real Chromium. The fake camera plays a clip made offline with Debian's
// ffmpeg (testsrc2, .y4m) and the fake microphone an espeak-ng sentence (.wav), made by
// end2end/fixtures/make-camera.sh. The microphone still goes through the wasm detector (only
// speech is sent for the transcript); with recording on, MediaRecorder's chunks are uploaded,
// joined and made seekable on the server, and the report plays them back.

const CAMERA_DIR = process.env.VIVA_CAMERA_DIR ?? join(homedir(), '.cache', 'viva', 'camera');

test.beforeAll(() => {
  execFileSync('bash', [join(__dirname, '..', 'fixtures', 'make-camera.sh'), CAMERA_DIR], { stdio: 'inherit' });
});

function launchCamera(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      ...ARGS,
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${join(CAMERA_DIR, 'camera.y4m')}`,
      `--use-file-for-fake-audio-capture=${join(CAMERA_DIR, 'camera.wav')}%noloop`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** With VIVA_SHOTS=DIR, keeps a screenshot to look at (not an assertion). */
async function shot(page: Page, name: string) {
  if (process.env.VIVA_SHOTS) await page.screenshot({ path: join(process.env.VIVA_SHOTS, `${name}.png`), fullPage: true });
}

async function startCameraInterview(page: Page, record: boolean) {
  await page.goto('/practice');
  await hydrated(page);
  await page.getByLabel('Role', { exact: true }).selectOption('nurse');
  await page.getByLabel('Behavioural', { exact: true }).check();
  await page.getByLabel(/^Number of questions/).fill('3');
  await page.getByLabel('On camera (camera and microphone)').check();
  const keep = page.getByLabel(/Record my answers on video for review — kept \d+ days/);
  await expect(keep).toBeVisible();
  await keep.setChecked(record);
  await shot(page, 'video-setup');
  await page.getByRole('button', { name: 'Start interview' }).click();
  await expect(page).toHaveURL(/\/interview\/[a-z0-9]{20}$/);
  await hydrated(page);
  return page.url().split('/').pop()!;
}

/** Where the server says the video of question 1 stands (null: none). Asked from the page; a
 * hand-in moves the page on, and an ask caught by that navigation is asked again once the
 * next page has loaded. */
async function videoStatus(page: Page, id: string) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await page.evaluate(async (id) => {
        const r = await fetch('/api/video/status', { method: 'POST', headers: { Accept: 'application/json' }, body: new URLSearchParams({ id, position: '0', part: 'answer' }) });
        return r.json();
      }, id);
    } catch (e) {
      if (attempt >= 3 || !String(e).includes('Execution context was destroyed')) throw e;
      await page.waitForLoadState();
    }
  }
}

/** Records the sentence (the fake microphone plays it once) and stops. */
async function answerOnCamera(page: Page) {
  const rec = page.getByRole('region', { name: 'Answer on camera' });
  await expect(rec.getByRole('status').filter({ hasText: /camera\.y4m/ })).toBeVisible({ timeout: 15_000 });
  await rec.getByRole('button', { name: 'Start recording' }).click();
  await expect(rec.getByRole('status').filter({ hasText: /^Speaking$/ })).toBeVisible({ timeout: 15_000 });
  await expect(rec.getByText(/^[1-3] segments? of speech captured, [1-3] uploaded\.$/)).toBeVisible({ timeout: 20_000 });
  // The sentence ends at 5.6 s of the clip; a little silence after it.
  await page.waitForTimeout(2_500);
  return rec;
}

test('an answer on camera: preview, chunks uploaded with progress, transcript, and the video seeks from its timeline in the report', async () => {
  test.setTimeout(150_000);
  const browser = await launchCamera();
  const { page } = await newUser(browser, 'camera');
  const problems = watchProblems(page);
  const id = await startCameraInterview(page, true);
  const rec = page.getByRole('region', { name: 'Answer on camera' });
  await expect(rec.getByLabel('Your camera, mirrored')).toBeVisible();
  await expect(rec.getByRole('button', { name: 'Answer by voice instead' })).toBeHidden();
  await expect(rec.getByText(/Recording on: each answer is recorded on video/)).toBeVisible();
  await expect(rec.getByLabel('Camera', { exact: true })).toBeVisible();
  await expect(rec.getByLabel('Microphone', { exact: true })).toBeVisible();
  // Slow the chunk uploads a little, so the progress can be seen.
  await page.route('**/api/video/chunk', async (route) => {
    await new Promise((r) => setTimeout(r, 400));
    await route.continue();
  });
  await answerOnCamera(page);
  await expect(rec.getByText(/Uploading your video: [\d.]+ [KM]B of [\d.]+ [KM]B sent\./)).toBeVisible({ timeout: 10_000 });
  await expect(rec.getByRole('progressbar', { name: 'Video upload' })).toBeVisible();
  await shot(page, 'video-recording');
  await rec.getByRole('button', { name: 'Stop and hand in' }).click();
  if (WHISPER) {
    // Transcribed by Whisper: the answer is evaluated (a thin answer gets a follow-up: skipped).
    await expect(page.getByText(/Question 2 of 3|Follow-up/)).toBeVisible({ timeout: 60_000 });
    if (await page.getByRole('button', { name: 'Skip the follow-up' }).isVisible()) {
      await page.getByRole('button', { name: 'Skip the follow-up' }).click();
    }
  } else {
    await expect(rec.getByText(/does not transcribe speech yet/)).toBeVisible({ timeout: 30_000 });
    await rec.getByLabel('What you said').fill(SAID);
    await rec.getByRole('button', { name: 'Hand in this answer' }).click();
  }
  await expect(page.getByText('Question 2 of 3')).toBeVisible({ timeout: 30_000 });
  const st = await videoStatus(page, id);
  expect(st.status).toBe('ready');
  expect(st.duration_secs).toBeGreaterThan(5);
  // The report shows the answers so far.
  await page.goto(`/interview/${id}/report`);
  await hydrated(page);
  const video = page.getByLabel('Your recorded answer to question 1, on video');
  await expect(video).toBeVisible();
  await video.scrollIntoViewIfNeeded();
  // Seekable: a finite duration from the file's own header, and a range of it to seek in.
  const meta = await video.evaluate(async (v: HTMLVideoElement) => {
    if (v.readyState < 1) await new Promise((r) => v.addEventListener('loadedmetadata', r, { once: true }));
    return { duration: v.duration, seekable: v.seekable.length ? v.seekable.end(0) : 0 };
  });
  expect(Number.isFinite(meta.duration)).toBe(true);
  expect(meta.duration).toBeGreaterThan(5);
  expect(meta.seekable).toBeGreaterThan(5);
  // A mark on the timeline (the first stretch of speech) moves the video there.
  const timeline = page.getByRole('group', { name: /Timeline of the answer/ });
  const mark = timeline.getByRole('button', { name: /^Speech from 0:0\d/ }).first();
  const label = (await mark.getAttribute('aria-label'))!;
  const from = Number(label.match(/Speech from 0:0(\d)/)![1]);
  await mark.click();
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 10_000 }).toBeGreaterThanOrEqual(from);
  await shot(page, 'video-report');
  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
  await browser.close();
});

test('recording off: the camera is a mirror only and no video byte is sent', async () => {
  test.setTimeout(90_000);
  const browser = await launchCamera();
  const { page } = await newUser(browser, 'cameraoff');
  const sent: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/video/')) sent.push(r.url());
  });
  const id = await startCameraInterview(page, false);
  const rec = page.getByRole('region', { name: 'Answer on camera' });
  await expect(rec.getByText(/Recording off: the camera is a mirror for you only/)).toBeVisible();
  await answerOnCamera(page);
  await rec.getByRole('button', { name: 'Stop and hand in' }).click();
  await expect(page.getByText(/does not transcribe speech yet|Question 2 of 3|Follow-up/)).toBeVisible({ timeout: 60_000 });
  expect(sent).toEqual([]);
  expect(await videoStatus(page, id)).toBeNull();
  await browser.close();
});

test('the network drops mid-answer: video chunks wait on the device and each arrives once', async () => {
  test.setTimeout(120_000);
  const browser = await launchCamera();
  const { page } = await newUser(browser, 'cameranet');
  const id = await startCameraInterview(page, true);
  const rec = page.getByRole('region', { name: 'Answer on camera' });
  let cut = true;
  const seqs: string[] = [];
  await page.route('**/api/video/chunk', async (route) => {
    if (cut) return route.abort('internetdisconnected');
    const seq = /name="seq"\r\n\r\n(\d+)/.exec(route.request().postDataBuffer()?.toString('latin1') ?? '')?.[1];
    if (seq) seqs.push(seq);
    return route.continue();
  });
  await answerOnCamera(page);
  await expect(rec.getByText(/Video upload paused: retrying in \d+ s\. Your video is kept on this device\./)).toBeVisible({ timeout: 15_000 });
  cut = false;
  await expect.poll(async () => (await videoStatus(page, id))?.chunks ?? 0, { timeout: 30_000 }).toBeGreaterThan(3);
  await rec.getByRole('button', { name: 'Stop and hand in' }).click();
  await expect.poll(async () => (await videoStatus(page, id))?.status, { timeout: 40_000 }).toBe('ready');
  const st = await videoStatus(page, id);
  // Every chunk the server holds came through once, in order; none was sent twice.
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(seqs.map(Number)).toEqual([...Array(st.chunks).keys()]);
  await browser.close();
});

test('a reload while video chunks wait on the device: they are sent when the page comes back', async () => {
  test.setTimeout(90_000);
  const browser = await launchCamera();
  const { page } = await newUser(browser, 'camerareload');
  const id = await startCameraInterview(page, true);
  await page.route('**/api/video/chunk', (route) => route.abort('internetdisconnected'));
  await answerOnCamera(page);
  const queued = await page.evaluate(() => new Promise<number>((resolve) => {
    const r = indexedDB.open('viva-voice');
    r.onsuccess = () => {
      const q = r.result.transaction('video').objectStore('video').count();
      q.onsuccess = () => resolve(q.result);
    };
  }));
  expect(queued).toBeGreaterThan(2);
  expect(await videoStatus(page, id)).toBeNull();
  await page.unroute('**/api/video/chunk');
  await page.reload();
  await hydrated(page);
  await expect.poll(async () => (await videoStatus(page, id))?.chunks ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(queued);
  await browser.close();
});

test('camera refused: a clear message with the ways forward, and typing still works', async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [...ARGS, '--use-fake-device-for-media-stream', '--deny-permission-prompts'],
  });
  const { page } = await newUser(browser, 'cameradeny');
  await startCameraInterview(page, true);
  const rec = page.getByRole('region', { name: 'Answer on camera' });
  await expect(rec.getByRole('alert')).toContainText('Camera access was refused');
  await expect(rec.getByRole('alert')).toContainText('or answer by voice or by typing instead');
  await shot(page, 'video-refused');
  await rec.getByRole('button', { name: 'Answer by voice instead' }).click();
  await expect(rec.getByLabel('Your camera, mirrored')).toBeHidden();
  await expect(rec.getByText('Answering by voice: only your speech is sent.')).toBeVisible();
  await page.getByLabel('Or type your answer').fill(SAID);
  await page.getByRole('button', { name: 'Submit answer' }).click();
  await expect(page.getByText('Question 2 of 3')).toBeVisible({ timeout: 15_000 });
  await browser.close();
});
