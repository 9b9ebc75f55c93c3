import { test, expect, chromium } from '@playwright/test';
import { newUser } from './helpers/account';
import { ARGS } from './helpers/voice';
import { createServer, Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import { baseURL } from '../playwright.config';
import { Firefox } from '../browsers/firefox';
import { WebKit } from '../browsers/webkit';

// Video answers beyond Chromium: a harness page (end2end/browsers/record.html) records 2.5 s
// with MediaRecorder the way capture.js, as Viva serves it, says (the type pickRecorderType
// chooses, its bit rates and time slice), from a canvas and a WebAudio tone, as these headless
// browsers have no camera. The recording is POSTed back here and checked.

const HARNESS = join(__dirname, '..', 'browsers');

let server: Server;
let origin = '';
let uploaded: { type: string; body: Buffer } | null = null;
test.beforeAll(async () => {
  server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/record.html' || path === '/record.js') {
        res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(readFileSync(join(HARNESS, path)));
      } else if (path === '/capture.js') {
        // Exactly the file the running Viva serves.
        const r = await fetch(`${baseURL}/video/capture.js`);
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? '' }).end(Buffer.from(await r.arrayBuffer()));
      } else if (path === '/upload' && req.method === 'POST') {
        const body: Buffer[] = [];
        for await (const c of req) body.push(c as Buffer);
        uploaded = { type: new URL(req.url!, origin).searchParams.get('type') ?? '', body: Buffer.concat(body) };
        res.writeHead(201).end();
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

test('Firefox records a video answer as WebM (VP8 and Opus) that it can play back', async () => {
  test.setTimeout(60_000);
  uploaded = null;
  // Firefox's own fake camera and microphone (getUserMedia, as Viva's recorder uses them): a
  // WebAudio tone instead stays "suspended" in headless Firefox and sometimes records nothing.
  const firefox = await Firefox.launch({
    'media.navigator.streams.fake': true,
    'media.navigator.permission.disabled': true,
  });
  try {
    await firefox.goto(`${origin}/record.html?source=camera`);
    const got = await firefox.waitFor('vivaRecording', 30_000);
    const where = JSON.stringify(got);
    expect(got.error, where).toBeNull();
    expect(got.requested, where).toBe('video/webm;codecs=vp8,opus');
    expect(got.mimeType, where).toBe('video/webm;codecs=vp8,opus');
    expect(got.bytes, where).toBeGreaterThan(10_000);
    expect(got.head.slice(0, 8), where).toBe('1A45DFA3'); // EBML: a WebM file
    // The picture at the size capture.js's CAMERA asks for, in 1-second slices.
    expect(got.playable?.width, where).toBe(640);
    expect(got.chunks.length, where).toBeGreaterThanOrEqual(2);
    expect(got.playable?.duration, where).toBeGreaterThan(2);
    expect(uploaded?.body.length).toBe(got.bytes);
    expect(uploaded?.type).toBe('video/webm;codecs=vp8,opus');
  } finally {
    await firefox.close();
  }
  // Viva takes Firefox's file as a video answer: uploaded in slices, finished, seekable.
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
  const { page } = await newUser(browser, 'firefoxvideo');
  const result = await page.evaluate(async (b64) => {
    const file = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const setup = new URLSearchParams({ 'setup[role]': 'nurse', 'setup[difficulty]': '2', 'setup[count]': '3', 'setup[kinds][]': 'behavioural', 'setup[mode]': 'video', 'setup[record_video]': 'on' });
    const started = await fetch('/api/interview/start', { method: 'POST', body: setup, headers: { Accept: 'application/json' }, redirect: 'manual' });
    const id = started.headers.get('location')?.split('/').pop() ?? (await started.json());
    const slice = 16 * 1024;
    let seq = 0;
    for (let at = 0; at < file.length; at += slice, seq++) {
      const form = new FormData();
      for (const [k, v] of Object.entries({ interview: id, position: '0', part: 'answer', take: 'firefox', seq: String(seq) })) form.set(k, v);
      form.set('chunk', new Blob([file.slice(at, at + slice)], { type: 'video/webm' }), `c${seq}`);
      const r = await fetch('/api/video/chunk', { method: 'POST', body: form, headers: { Accept: 'application/json' } });
      if (!r.ok) return { error: await r.text() };
    }
    const done = await fetch('/api/video/finish', { method: 'POST', headers: { Accept: 'application/json' },
      body: new URLSearchParams({ id, position: '0', part: 'answer', take: 'firefox', count: String(seq), bytes: String(file.length) }) });
    return done.json();
  }, uploaded!.body.toString('base64'));
  expect(result.status, JSON.stringify(result)).toBe('ready');
  expect(result.duration_secs).toBeGreaterThan(2);
  await browser.close();
});

test('WebKit chooses MP4 (H.264 and AAC) for a video answer', async () => {
  test.setTimeout(60_000);
  // The MiniBrowser lets the tone's AudioContext run only with autoplay allowed.
  const webkit = await WebKit.launch(['--autoplay-policy=allow']);
  try {
    await webkit.goto(`${origin}/record.html`);
    // The choice is published when the recorder starts (or the whole result, if it failed
    // before): Debian 12's WebKitGTK 2.50 with GStreamer 1.22 starts the recorder but its
    // encoding pipeline never links (GStreamer: "streaming stopped, reason not-linked"), and on
    // a loaded machine it can then stall past any wait (CI, 2026-12-05: nothing in 30 s).
    const got = await webkit.waitUntil('JSON.stringify(window.vivaRecording ?? window.vivaStarted ?? null)', 30_000);
    const where = JSON.stringify(got);
    expect(got.error ?? null, where).toBeNull();
    expect(got.supported['video/webm'], where).toBe(false);
    expect(got.requested, where).toBe('video/mp4;codecs=avc1,mp4a');
    expect(got.mimeType, where).toMatch(/^video\/mp4/);
    // The recording itself is empty here (Safari records); its size is noted so that a fixed
    // WebKitGTK is noticed.
    const done = await webkit.waitFor('vivaRecording', 15_000).catch(() => null);
    test.info().annotations.push({ type: 'webkit-bytes', description: done ? String(done.bytes) : 'the recorder did not finish in 15 s' });
  } finally {
    await webkit.close();
  }
});
