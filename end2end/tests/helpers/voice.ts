import { chromium, expect, Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hydrated } from './page';

// A labelled clip as the microphone (three utterances in 20 s, ../shared/audio/dev/clip00.wav).
export const CLIP = join(__dirname, '..', '..', '..', '..', 'shared', 'audio', 'dev', 'clip00.wav');
export const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
// What the clip says, from its label (../shared/audio/dev/clip00.json).
export const CLIP_SAID: string = JSON.parse(readFileSync(CLIP.replace(/\.wav$/, '.json'), 'utf8'))
  .speech.map((u: [number, number, string]) => u[2]).join(' ');

/** Word error rate of `heard` against `said`: (substitutions + deletions + insertions) / words
 * said, case, punctuation and hyphens ignored. Whisper on a synthetic voice hears a word or two
 * differently from run to run ("root"/"route") as the segments fall, so tests bound the rate
 * instead of naming a word. */
export function wordErrorRate(heard: string, said: string): number {
  const words = (t: string) => t.toLowerCase().replace(/-/g, '').replace(/[^a-z0-9' ]+/g, ' ').split(/\s+/).filter(Boolean);
  const h = words(heard);
  const s = words(said);
  let row = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const next = [i];
    for (let j = 1; j <= h.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (s[i - 1] === h[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return s.length === 0 ? 0 : row[h.length] / s.length;
}

/** How far a transcript of the clip may stray: the CI run where "root" was heard as "route" saw 0.17. */
export const CLIP_WER_MAX = 0.35;

/** The transcript says what the clip says, within CLIP_WER_MAX; a failure shows the transcript. */
export function expectHeardClip(transcript: string) {
  expect(wordErrorRate(transcript, CLIP_SAID), `transcript: "${transcript}"`).toBeLessThan(CLIP_WER_MAX);
}

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
