import { test, expect } from '@playwright/test';
import { createServer, Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import { baseURL } from '../playwright.config';
import { Firefox } from '../browsers/firefox';
import { WebKit } from '../browsers/webkit';

// The voice detector beyond Chromium: the recorder's AudioWorklet (worklet.js) and the wasm
// detector (vad.wasm), as Viva serves them, run over labelled clips in Firefox ESR and in
// WebKit (WebKitGTK, Safari's engine) at the rates microphones deliver (48 and 44.1 kHz). A
// harness page (end2end/browsers/) renders each clip through the worklet in an
// OfflineAudioContext (these headless browsers have no audio device to run a live one) and
// reports the segments; they must match what was said.

const CLIPS = join(__dirname, '..', '..', '..', 'shared', 'audio', 'dev');
const HARNESS = join(__dirname, '..', 'browsers');

let server: Server;
let origin = '';
test.beforeAll(async () => {
  server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/harness.html' || path === '/harness.js') {
        res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(readFileSync(join(HARNESS, path)));
      } else if (/^\/clip\d\d\.wav$/.test(path)) {
        res.writeHead(200, { 'content-type': 'audio/wav' }).end(readFileSync(join(CLIPS, path)));
      } else if (path === '/worklet.js' || path === '/vad.wasm') {
        // Exactly the files the running Viva serves.
        const r = await fetch(`${baseURL}/voice${path}`);
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? '' }).end(Buffer.from(await r.arrayBuffer()));
      } else {
        res.writeHead(404).end();
      }
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.afterAll(() => server?.close());

interface Browser {
  goto(url: string): Promise<void>;
  waitFor(name: string, ms: number): Promise<any>;
  close(): Promise<void>;
}

async function detectorFindsEveryUtterance(browser: Browser) {
  const errors: number[] = [];
  try {
    for (const clip of ['clip00', 'clip03', 'clip07', 'clip12']) {
      const truth = JSON.parse(readFileSync(join(CLIPS, `${clip}.json`), 'utf8'));
      const said: [number, number][] = truth.speech.map((u: [number, number, string]) => [u[0], u[1]]);
      for (const rate of [48000, 44100]) {
        await browser.goto(`${origin}/harness.html?rate=${rate}&clip=${clip}`);
        const got = await browser.waitFor('vivaResult', 30_000);
        const where = `${clip} (SNR ${truth.snr_db ?? 'clean'}) at ${rate} Hz: ${JSON.stringify(got)}`;
        expect(got.error, where).toBeNull();
        expect(got.speaking, where).toBe(true);
        expect(got.segments.length, where).toBe(said.length);
        got.segments.forEach((s: { start: number; end: number; samples: number }, i: number) => {
          // Each boundary within the 0.2 s the accuracy bar ignores (plus a frame or two).
          expect(Math.abs(s.start - said[i][0]), where).toBeLessThan(0.25);
          expect(Math.abs(s.end - said[i][1]), where).toBeLessThan(0.25);
          errors.push(Math.abs(s.start - said[i][0]), Math.abs(s.end - said[i][1]));
          // 16 kHz audio of the speech plus its pre- and post-roll (0.25 s).
          expect(s.samples / 16000, where).toBeGreaterThan(s.end - s.start);
          expect(s.samples / 16000, where).toBeLessThan(s.end - s.start + 0.3);
        });
      }
    }
    // Median boundary error, as in the accuracy bar (≤ 50 ms).
    errors.sort((a, b) => a - b);
    expect(errors[Math.floor(errors.length / 2)]).toBeLessThanOrEqual(0.05);
  } finally {
    await browser.close();
  }
}

test('Firefox runs the voice detector in its AudioWorklet: every utterance of the clips, at 48 and 44.1 kHz', async () => {
  test.setTimeout(120_000);
  await detectorFindsEveryUtterance(await Firefox.launch());
});

test('WebKit runs the voice detector in its AudioWorklet: every utterance of the clips, at 48 and 44.1 kHz', async () => {
  test.setTimeout(120_000);
  await detectorFindsEveryUtterance(await WebKit.launch());
});
