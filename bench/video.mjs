// Video answers, measured: what a real Chromium MediaRecorder makes at Viva's settings, and how
// fast a release `viva` takes it in, joins it and serves it back. Driven by bench/video.sh.
//
// usage: node bench/video.mjs record  [CAMERA=default|FILE.y4m] [SECONDS=60] OUT=FILE.webm
//        node bench/video.mjs upload  URL=http://127.0.0.1:PORT LOG=viva.log REC=FILE.webm
//                                     LONG=FILE.webm [WARM=FILE.webm] [PARALLEL=4] [LONG_CHUNK=75000]
//        (each setting as an argument KEY=VALUE or --key=value, else from the environment)
//
// record: opens a page (served here from public/) that imports /video/capture.js and records
//   SECONDS of Chromium's fake camera and microphone with exactly what the interview page
//   uses: getUserMedia(CAMERA), pickRecorderType(), VIDEO_BITS_PER_SECOND,
//   AUDIO_BITS_PER_SECOND, recorder.start(TIMESLICE_MS). CAMERA=default is Chromium's own fake
//   camera (640x480); a .y4m file is played as the camera. Writes the recording to OUT and the
//   sizes of the recorder's chunks, in order, to OUT.json; prints one JSON line.
//   Needs playwright-core (end2end/node_modules) and Chromium (CHROMIUM, /usr/bin/chromium).
//
// upload: against a viva started with --print-mail --log-format json (its log in LOG; the
//   sign-up codes are read from it): signs up PARALLEL accounts, then
//   1. (warm-up, not reported) uploads WARM, if given, to a camera interview and finishes it;
//   2. uploads REC one chunk at a time, cut where the recorder cut it (REC.json), as the
//      browser does (multipart POST /api/video/chunk), then finishes it (POST
//      /api/video/finish: join and make seekable) and plays it back;
//   3. the same by PARALLEL accounts at once, each into its own interview;
//   4. uploads LONG (a 10-minute WebM) in LONG_CHUNK-byte chunks, finishes and plays it back.
//   Playback: GET /videos/{interview}/0/answer with Range: bytes=0-1023 (206, the total size,
//   the WebM header), then ffprobe reads the duration over HTTP and ffmpeg decodes a frame
//   near the end after seeking there (HTTP range requests, the file's cues).
//   Prints one JSON line; exits 1 when anything fails.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

function settings() {
  const s = {};
  for (const a of process.argv.slice(3)) {
    const m = /^(?:--)?([A-Za-z_]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`not KEY=VALUE: ${a}`);
    s[m[1].toUpperCase()] = m[2];
  }
  return (k, d) => s[k] ?? process.env[k] ?? d;
}

const pct = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
const r2 = (x) => Math.round(x * 100) / 100;
const r3 = (x) => Math.round(x * 1000) / 1000;
const MB = 1e6;
const fail = (msg) => { throw new Error(msg); };

// --- record ------------------------------------------------------------------------------------

const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.css': 'text/css', '.wasm': 'application/wasm' };

// public/ as the site serves it, a page that imports the capture settings, and a place to post
// the recorder's chunks back to.
function pageServer() {
  const saved = new Map();
  const pub = path.join(root, 'public');
  const page = `<!doctype html><meta charset="utf-8"><title>video bench</title>
<script type="module">
import * as capture from '/video/capture.js';
window.capture = capture;
</script>`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && url.pathname === '/save') {
      const parts = [];
      req.on('data', (c) => parts.push(c));
      req.on('end', () => { saved.set(Number(url.searchParams.get('seq')), Buffer.concat(parts)); res.end('ok'); });
      return;
    }
    if (url.pathname === '/bench.html') { res.writeHead(200, { 'content-type': 'text/html' }); return res.end(page); }
    const file = path.join(pub, path.normalize(url.pathname));
    if (!file.startsWith(pub + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) { res.writeHead(404); return res.end(); }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, saved })));
}

async function record(get) {
  const camera = get('CAMERA', 'default');
  const seconds = Number(get('SECONDS', 60));
  const out = get('OUT') || fail('OUT=FILE.webm is needed');
  if (camera !== 'default' && !fs.existsSync(camera)) fail(`no camera file ${camera}`);
  const require = createRequire(path.join(root, 'end2end', 'package.json'));
  const { chromium } = require('playwright-core');
  const { server, saved } = await pageServer();
  const base = `http://127.0.0.1:${server.address().port}`;
  const args = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  ];
  if (camera !== 'default') args.push(`--use-file-for-fake-video-capture=${camera}`);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(`${base}/bench.html`);
    await page.waitForFunction(() => window.capture, null, { timeout: 10_000 });
    const r = await page.evaluate(async (seconds) => {
      const { CAMERA, pickRecorderType, VIDEO_BITS_PER_SECOND, AUDIO_BITS_PER_SECOND, TIMESLICE_MS } = window.capture;
      const stream = await navigator.mediaDevices.getUserMedia(CAMERA);
      const type = pickRecorderType();
      if (!type) throw new Error('MediaRecorder can record none of RECORDER_TYPES');
      const v = stream.getVideoTracks()[0].getSettings(), a = stream.getAudioTracks()[0]?.getSettings() ?? {};
      const rec = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: VIDEO_BITS_PER_SECOND, audioBitsPerSecond: AUDIO_BITS_PER_SECOND });
      const chunks = [];
      rec.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
      const stopped = new Promise((r) => rec.addEventListener('stop', r, { once: true }));
      const t0 = performance.now();
      rec.start(TIMESLICE_MS);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      rec.stop();
      await stopped;
      const ms = performance.now() - t0;
      for (const t of stream.getTracks()) t.stop();
      for (const [i, c] of chunks.entries()) {
        const res = await fetch(`/save?seq=${i}`, { method: 'POST', body: c });
        if (!res.ok) throw new Error(`saving chunk ${i}: ${res.status}`);
      }
      return {
        type, mime: rec.mimeType, chunk_type: chunks[0]?.type ?? '', ms, sizes: chunks.map((c) => c.size),
        video: { width: v.width, height: v.height, frame_rate: v.frameRate, device: stream.getVideoTracks()[0].label },
        audio: { sample_rate: a.sampleRate, channels: a.channelCount },
        asked: { video_bps: VIDEO_BITS_PER_SECOND, audio_bps: AUDIO_BITS_PER_SECOND, timeslice_ms: TIMESLICE_MS, camera: CAMERA.video },
      };
    }, seconds);
    if (problems.length) fail(`page errors: ${problems.join('; ')}`);
    if (saved.size !== r.sizes.length) fail(`${saved.size} of ${r.sizes.length} chunks came back`);
    const bufs = r.sizes.map((n, i) => {
      const b = saved.get(i);
      if (!b || b.length !== n) fail(`chunk ${i}: ${b?.length} bytes back, ${n} recorded`);
      return b;
    });
    const file = Buffer.concat(bufs);
    fs.writeFileSync(out, file);
    fs.writeFileSync(`${out}.json`, JSON.stringify({ mime: r.chunk_type || r.mime, sizes: r.sizes }));
    // What went into the file (no decoding: packets are counted).
    const probe = spawnSync('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_name,width,height,nb_read_packets', '-of', 'json', out], { encoding: 'utf8' });
    if (probe.status !== 0) fail(`ffprobe could not read the recording: ${probe.stderr}`);
    const streams = JSON.parse(probe.stdout).streams;
    const vs = streams.find((s) => s.width), as = streams.find((s) => !s.width);
    const secs = r.ms / 1000;
    const res = {
      camera: camera === 'default' ? 'Chromium fake camera' : path.basename(camera),
      mime: r.mime, ...r.video, audio: r.audio, asked: r.asked,
      recorded_s: r2(secs), bytes: file.length, chunks: r.sizes.length,
      bytes_per_min: Math.round(file.length / secs * 60), kbit_per_s: r2(file.length * 8 / secs / 1000),
      mean_chunk: Math.round(file.length / r.sizes.length), first_chunk: r.sizes[0],
      max_chunk: Math.max(...r.sizes), min_chunk: Math.min(...r.sizes),
      codecs: streams.map((s) => s.codec_name).join('+'),
      coded: vs ? `${vs.width}x${vs.height}` : '?', video_frames: Number(vs?.nb_read_packets ?? 0),
      fps_in_file: r2(Number(vs?.nb_read_packets ?? 0) / secs), audio_packets: Number(as?.nb_read_packets ?? 0),
      out,
    };
    if (!res.chunks || !res.bytes) fail('the recorder gave nothing');
    if (!res.video_frames) fail('the recording has no video frames');
    return res;
  } finally {
    await browser.close();
    server.close();
  }
}

// --- upload ------------------------------------------------------------------------------------

const PW = 'tangerine-Velvet-harbour-42';

function request(agent, url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(url, { method, agent, headers: body ? { 'content-length': body.length, ...headers } : headers, timeout: 600_000 }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

const form = (fields) => Buffer.from(new URLSearchParams(fields).toString());

class Site {
  constructor(base, log) {
    this.base = base.replace(/\/$/, '');
    this.log = log;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }
  // A form POST as the site's own pages send it (Origin, Accept: JSON).
  async post(p, cookie, body, type = 'application/x-www-form-urlencoded') {
    const headers = { accept: 'application/json', origin: this.base, 'content-type': type };
    if (cookie) headers.cookie = cookie;
    return request(this.agent, this.base + p, { method: 'POST', headers, body });
  }
  async get(p, cookie, headers = {}) {
    return request(this.agent, this.base + p, { headers: { cookie, ...headers } });
  }
  // The one-time code printed by --print-mail to an address, from the log (JSON lines).
  async code(email) {
    for (let i = 0; i < 300; i++) {
      for (const line of fs.readFileSync(this.log, 'utf8').split('\n').reverse()) {
        if (!line.includes(email) || !line.includes('Your code to')) continue;
        // JSON lines keep the e-mail's line breaks as \n: the code still stands alone.
        const m = /(?<!\d)(\d{6})(?!\d)/.exec(line.slice(line.indexOf('Your code to')));
        if (m) return m[1];
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    fail(`no code for ${email} in ${this.log} within 30 s (is viva running with --print-mail --log-format json?)`);
  }
  // Signs up, confirms with the e-mailed code, signs in; returns the Cookie header.
  async account(email, name) {
    const ok = (r, what) => { if (r.status >= 400) fail(`${what}: ${r.status} ${r.body.toString().slice(0, 300)}`); };
    ok(await this.post('/api/auth/sign_up', '', form({
      'form[name]': name, 'form[email]': email, 'form[password]': PW, 'form[job_role]': 'Backend engineer',
      'form[experience]': 'senior', 'form[age_confirmed]': 'on', 'form[accept_terms]': 'on',
    })), `sign-up of ${email}`);
    const code = await this.code(email);
    ok(await this.post('/api/auth/verify_email', '', form({ email, code })), `verifying ${email}`);
    const r = await this.post('/api/auth/sign_in', '', form({ email, password: PW }));
    ok(r, `sign-in of ${email}`);
    const cookie = (r.headers['set-cookie'] || []).map((c) => c.split(';')[0]).filter((c) => !c.endsWith('=')).join('; ');
    if (!cookie) fail(`sign-in of ${email} set no cookie`);
    const me = await this.post('/api/auth/me', cookie, Buffer.alloc(0));
    if (me.status !== 200 || !me.body.toString().includes(email)) fail(`not signed in as ${email}: ${me.status} ${me.body.toString().slice(0, 200)}`);
    return cookie;
  }
  // A one-question interview on camera with recording on; its id.
  async cameraInterview(cookie) {
    const r = await this.post('/api/interview/start', cookie, form([
      ['setup[role]', 'nurse'], ['setup[difficulty]', '2'], ['setup[count]', '3'],
      ['setup[kinds][]', 'behavioural'], ['setup[mode]', 'video'], ['setup[record_video]', 'on'],
    ]));
    const text = r.body.toString();
    let id = null;
    try { id = JSON.parse(text); } catch { /* a redirect */ }
    if (typeof id !== 'string') id = r.headers.location?.split('/').pop() ?? null;
    if (r.status >= 400 || !id) fail(`starting a camera interview: ${r.status} ${text.slice(0, 300)}`);
    return id;
  }
  // Chunk `seq` of a take, as the browser's FormData sends it.
  async chunk(cookie, id, take, seq, bytes, mime) {
    const boundary = `----VivaBench${Math.random().toString(36).slice(2)}`;
    const head = [['interview', id], ['position', '0'], ['part', 'answer'], ['take', take], ['seq', String(seq)]]
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('')
      + `--${boundary}\r\nContent-Disposition: form-data; name="chunk"; filename="chunk-${seq}"\r\nContent-Type: ${mime}\r\n\r\n`;
    const body = Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    return this.post('/api/video/chunk', cookie, body, `multipart/form-data; boundary=${boundary}`);
  }
  async finish(cookie, id, take, count, bytes) {
    return this.post('/api/video/finish', cookie, form({ id, position: '0', part: 'answer', take, count: String(count), bytes: String(bytes) }));
  }
}

function slices(file, sizes) {
  const buf = fs.readFileSync(file);
  let at = 0;
  const out = sizes.map((n) => buf.subarray(at, (at += n)));
  if (at !== buf.length) fail(`${file}: the chunk sizes add up to ${at} bytes, the file has ${buf.length}`);
  return out;
}

const newTake = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

// Uploads the chunks in order, one at a time (the next after the previous was acknowledged).
async function uploadTake(site, cookie, id, chunks, mime) {
  const take = newTake(), lat = [];
  const t0 = process.hrtime.bigint();
  for (const [seq, c] of chunks.entries()) {
    const r = await site.chunk(cookie, id, take, seq, c, mime);
    if (r.status !== 200) fail(`chunk ${seq} of ${chunks.length} (${c.length} bytes): ${r.status} ${r.body.toString().slice(0, 300)}`);
    const ack = JSON.parse(r.body.toString());
    if (ack.duplicate || ack.seq !== seq || ack.chunks !== seq + 1) fail(`chunk ${seq}: unexpected acknowledgement ${r.body}`);
    lat.push(r.ms);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { take, lat, secs, bytes: chunks.reduce((n, c) => n + c.length, 0), count: chunks.length };
}

function uploadFigures(runs, secs) {
  const lat = runs.flatMap((r) => r.lat).sort((a, b) => a - b);
  const bytes = runs.reduce((n, r) => n + r.bytes, 0), count = runs.reduce((n, r) => n + r.count, 0);
  return {
    uploads: runs.length, chunks: count, bytes, seconds: r3(secs),
    mb_per_s: r2(bytes / MB / secs), chunks_per_s: r2(count / secs),
    p50_ms: r2(pct(lat, 50)), p90_ms: r2(pct(lat, 90)), p99_ms: r2(pct(lat, 99)), max_ms: r2(lat.at(-1)),
    // Chunk 0 opens the take (the question's open part, recording on, the plan): apart.
    first_chunk_ms: runs.map((r) => r2(r.lat[0])),
  };
}

async function finish(site, cookie, id, up) {
  const r = await site.finish(cookie, id, up.take, up.count, up.bytes);
  if (r.status !== 200) fail(`finish: ${r.status} ${r.body.toString().slice(0, 300)}`);
  const view = JSON.parse(r.body.toString());
  if (view.status !== 'ready') fail(`finish: not ready: ${r.body}`);
  return { ms: r.ms, view };
}

async function play(site, cookie, id, up, { ms, view }) {
  const url = `/videos/${id}/0/answer`;
  const head = await site.get(url, cookie, { range: 'bytes=0-1023' });
  const total = Number(/^bytes 0-1023\/(\d+)$/.exec(head.headers['content-range'] || '')?.[1]);
  if (head.status !== 206) fail(`GET ${url} with Range: ${head.status}, not 206`);
  if (total !== view.bytes) fail(`Content-Range says ${head.headers['content-range']}, finish said ${view.bytes} bytes`);
  if (head.body.length !== 1024 || head.body.readUInt32BE(0) !== 0x1a45dfa3) fail('the first 1024 bytes are not a WebM header');
  // Plays over HTTP as a browser would: the length from the file, then a seek near the end.
  const headers = `Cookie: ${cookie}\r\n`;
  const probe = spawnSync('ffprobe', ['-v', 'error', '-headers', headers, '-show_entries', 'format=duration', '-of', 'csv=p=0', site.base + url], { encoding: 'utf8' });
  const probed = Number(probe.stdout.trim());
  if (probe.status !== 0 || !(probed > 0)) fail(`ffprobe over HTTP: ${probe.stderr || probe.stdout}`);
  const at = Math.max(0, Math.floor(probed) - 5);
  const seek = spawnSync('ffmpeg', ['-v', 'error', '-headers', headers, '-ss', String(at), '-i', site.base + url, '-frames:v', '1', '-f', 'null', '-'], { encoding: 'utf8' });
  if (seek.status !== 0) fail(`ffmpeg could not seek to ${at} s and decode a frame over HTTP: ${seek.stderr}`);
  return {
    finish_ms: r2(ms), status: view.status, duration_s: view.duration_secs, uploaded_bytes: up.bytes,
    stored_bytes: view.bytes, range_status: head.status, content_range: head.headers['content-range'],
    ffprobe_duration_s: probed, seek_decoded_at_s: at,
  };
}

function peakRss(pid) {
  try { return Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024; } catch { return null; }
}

const finishAndPlay = async (site, cookie, id, up) => play(site, cookie, id, up, await finish(site, cookie, id, up));

async function upload(get) {
  const site = new Site(get('URL') || fail('URL is needed'), get('LOG') || fail('LOG is needed'));
  const rec = get('REC') || fail('REC=FILE.webm (with FILE.webm.json) is needed');
  const long = get('LONG') || fail('LONG=FILE.webm is needed');
  const warm = get('WARM');
  const parallel = Number(get('PARALLEL', 4));
  const longChunk = Number(get('LONG_CHUNK', 75_000));
  const pid = get('VIVA_PID');
  const meta = JSON.parse(fs.readFileSync(`${rec}.json`, 'utf8'));
  const chunks = slices(rec, meta.sizes);
  const mime = meta.mime || 'video/webm';

  const run = Date.now().toString(36);
  const cookies = [];
  for (let i = 0; i < parallel; i++) cookies.push(await site.account(`bench${i}-${run}@example.org`, `Bench ${i}`));
  const out = { parallel };

  if (warm) {
    const w = JSON.parse(fs.readFileSync(`${warm}.json`, 'utf8'));
    const id = await site.cameraInterview(cookies[0]);
    const up = await uploadTake(site, cookies[0], id, slices(warm, w.sizes), w.mime || mime);
    out.warm = await finishAndPlay(site, cookies[0], id, up);
  }

  // One person.
  {
    const id = await site.cameraInterview(cookies[0]);
    const up = await uploadTake(site, cookies[0], id, chunks, mime);
    out.single = uploadFigures([up], up.secs);
    out.finish60 = await finishAndPlay(site, cookies[0], id, up);
  }

  // Several at once, each into their own interview.
  {
    const ids = [];
    for (const c of cookies) ids.push(await site.cameraInterview(c));
    const t0 = process.hrtime.bigint();
    const ups = await Promise.all(cookies.map((c, i) => uploadTake(site, c, ids[i], chunks, mime)));
    out.many = uploadFigures(ups, Number(process.hrtime.bigint() - t0) / 1e9);
    const t1 = process.hrtime.bigint();
    const done = await Promise.all(cookies.map((c, i) => finish(site, c, ids[i], ups[i])));
    out.many_finish = {
      wall_ms: r2(Number(process.hrtime.bigint() - t1) / 1e6),
      max_ms: r2(Math.max(...done.map((d) => d.ms))), each_ms: done.map((d) => r2(d.ms)),
    };
    for (const [i, c] of cookies.entries()) await play(site, c, ids[i], ups[i], done[i]);
  }

  // Ten minutes.
  {
    const buf = fs.readFileSync(long);
    const parts = [];
    for (let at = 0; at < buf.length; at += longChunk) parts.push(buf.subarray(at, at + longChunk));
    const id = await site.cameraInterview(cookies[0]);
    const up = await uploadTake(site, cookies[0], id, parts, 'video/webm');
    out.long_upload = uploadFigures([up], up.secs);
    out.long = await finishAndPlay(site, cookies[0], id, up);
  }
  if (pid) out.viva_peak_rss_bytes = peakRss(pid);
  return out;
}

const cmd = process.argv[2];
const get = settings();
try {
  let res;
  if (cmd === 'record') res = await record(get);
  else if (cmd === 'upload') res = await upload(get);
  else fail('usage: node bench/video.mjs record|upload KEY=VALUE… (see the top of this file)');
  console.log(JSON.stringify(res));
} catch (e) {
  console.error(`video.mjs ${cmd}: FAILED: ${e.stack || e}`);
  process.exit(1);
}
