import { chromium, expect, Page } from '@playwright/test';
import { join } from 'node:path';
import { hydrated } from './page';

// A labelled clip as the microphone (three utterances in 20 s, ../shared/audio/dev/clip00.wav).
export const CLIP = join(__dirname, '..', '..', '..', '..', 'shared', 'audio', 'dev', 'clip00.wav');
export const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
// .ci/run fetches the models, so there the server transcribes with Whisper tiny.en.
export const WHISPER = !!process.env.VIVA_MODELS_DIR;
export const SAID = `In my last role I led the ward handover redesign. Handovers took forty minutes and details were lost.
I mapped each step with the nurses, we moved to a written summary, and I trained twelve colleagues. As a result handovers
took twenty minutes and incident reports fell by a third within two months.`;

export function launch(mic: 'clip' | 'denied') {
  const media = mic === 'clip'
    ? ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${CLIP}%noloop`]
    : ['--use-fake-device-for-media-stream', '--deny-permission-prompts'];
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: [...ARGS, ...media] });
}

export async function startVoiceInterview(page: Page) {
  await page.goto('/practice');
  await hydrated(page);
  await page.getByLabel('Role', { exact: true }).selectOption('nurse');
  await page.getByLabel('Behavioural', { exact: true }).check();
  await page.getByLabel(/^Number of questions/).fill('3');
  await page.getByLabel('Speaking (microphone)').check();
  await page.getByRole('button', { name: 'Start interview' }).click();
  await expect(page).toHaveURL(/\/interview\/[a-z0-9]{20}$/);
  await hydrated(page);
  // The interview page's own module and its data arrive after the navigation.
  await expect(page.getByRole('region', { name: 'Answer out loud' }).getByRole('button', { name: 'Start recording' })).toBeVisible();
  return page.url().split('/').pop()!;
}
