// Viva's voice recorder. The microphone goes to an AudioWorklet running Viva's detector
// (Rust → wasm); only the speech segments it finds come back here. Each is kept in
// IndexedDB until the server has acknowledged it, so a dropped network or a reload loses
// nothing, and is uploaded with an idempotency key (interview, question, sequence number).
// When the person stops, the answer is handed in; it is transcribed on the server (or,
// without a transcriber, the person types what they said) and evaluated.
//
// On camera (data-camera="on"): a mirrored preview of the camera, with a choice of camera and
// microphone; the microphone track still goes through the detector as above. When the person
// chose to record (data-record-video="on"), MediaRecorder records each answer in 1-second
// chunks, kept in IndexedDB until the server acknowledges each (its own idempotency key: take
// and sequence number), then the take is finished with its chunk count and size. Recording
// off: no frame leaves the device.

import { listen, MICROPHONE, microphoneProblem, wav16k } from './listen.js';
import { AUDIO_BITS_PER_SECOND, CAMERA, TIMESLICE_MS, VIDEO_BITS_PER_SECOND, cameraProblem, describeDevice, pickRecorderType } from '../video/capture.js';

const UPLOAD = '/api/voice/segment';
const STATUS = '/api/voice/status';
const HAND_IN = '/api/voice/hand_in';
const VIDEO_CHUNK = '/api/video/chunk';
const POLICY = '/api/voice/recording_policy';
const VIDEO_FINISH = '/api/video/finish';
const MAX_BACKOFF_MS = 8000;
// How long handing in waits for the video's last chunks to be sent.
const VIDEO_WAIT_MS = 20000;
// After handing in: how often the page asks how the answer stands — often while the feedback
// is usually seconds away, then less (bench/speech.sh measures stop → feedback with it).
const STATUS_POLL_MS = 250;
const STATUS_POLL_SLOW_MS = 1000;
const STATUS_POLL_FAST_FOR_MS = 20000;

// ---- IndexedDB: segments not yet acknowledged ------------------------------------------
let dbPromise = null;
function openDb() {
  dbPromise ??= new Promise((resolve, reject) => {
    // Version 2 added `video`: chunks of video answers not yet acknowledged.
    const r = indexedDB.open('viva-voice', 2);
    r.onupgradeneeded = () => {
      for (const name of ['pending', 'video']) {
        if (!r.result.objectStoreNames.contains(name)) r.result.createObjectStore(name, { keyPath: 'key' });
      }
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return dbPromise;
}
async function store(mode, fn, name = 'pending') {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(name, mode);
    const req = fn(t.objectStore(name));
    t.oncomplete = () => resolve(req?.result);
    t.onerror = () => reject(t.error);
  });
}
const putPending = (item) => store('readwrite', (s) => s.put(item));
const dropPending = (key) => store('readwrite', (s) => s.delete(key));
const allPending = () => store('readonly', (s) => s.getAll());
const putVideo = (item) => store('readwrite', (s) => s.put(item), 'video');
const dropVideo = (key) => store('readwrite', (s) => s.delete(key), 'video');
const allVideo = () => store('readonly', (s) => s.getAll(), 'video');
const megabytes = (n) => (n < 1e6 ? `${Math.round(n / 1e3)} KB` : `${(n / 1e6).toFixed(1)} MB`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// How each stored segment's transcription is shown.
const STATE = { queued: 'uploaded, waiting to be transcribed', transcribing: 'uploaded, transcribing', done: 'uploaded, transcribed', failed: 'uploaded, could not be transcribed', untranscribed: 'uploaded' };

// Server errors have one JSON shape: { kind, message, retry_after? } (app/src/error.rs).
function errorMessage(data, status) {
  return (data && typeof data.message === 'string' && data.message) || `The server answered ${status}.`;
}

async function post(url, fields) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) body.set(k, String(v));
  const r = await fetch(url, { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(errorMessage(data, r.status));
  return data;
}

class Recorder {
  constructor(root) {
    this.root = root;
    this.interview = root.dataset.interview;
    this.position = Number(root.dataset.position);
    this.part = root.dataset.part;
    this.q = (role) => root.querySelector(`[data-role="${role}"]`);
    this.seq = 0;
    this.offset = 0;
    this.uploaded = new Set();
    this.segments = new Map(); // seq -> { secs, state }
    this.pumping = null;
    this.q('start').addEventListener('click', () => this.start());
    this.q('stop').addEventListener('click', () => this.stop());
    this.q('hand-in').addEventListener('click', () => this.handIn(this.q('transcript').value));
    this.camera = root.dataset.camera === 'on';
    this.recordVideo = this.camera && root.dataset.recordVideo === 'on';
    if (this.camera) this.setUpCamera();
    this.restore();
  }

  say(role, text) {
    const el = this.q(role);
    el.textContent = text;
    el.hidden = !text;
  }

  fail(text) {
    this.say('error', text);
    this.q('start').disabled = false;
    this.q('stop').disabled = true;
  }

  render() {
    const list = this.q('segments');
    list.replaceChildren(
      ...[...this.segments.entries()].sort((a, b) => a[0] - b[0]).map(([seq, s]) => {
        const li = document.createElement('li');
        li.textContent = `Segment ${seq + 1} · ${s.secs.toFixed(1)} s · ${s.state}`;
        return li;
      }),
    );
    const captured = this.segments.size;
    const sent = [...this.segments.values()].filter((s) => s.state !== 'waiting to upload').length;
    this.say('counts', captured ? `${captured} segment${captured === 1 ? '' : 's'} of speech captured, ${sent} uploaded.` : 'No speech captured yet.');
  }

  // Picks up where an earlier visit left off: segments the server has, and any still queued here.
  async restore() {
    try {
      const st = await post(STATUS, { id: this.interview, position: this.position });
      for (const s of st.segments) {
        this.segments.set(s.seq, { secs: s.end - s.start, state: STATE[s.status] ?? 'uploaded' });
        this.seq = Math.max(this.seq, s.seq + 1);
        this.offset = Math.max(this.offset, s.end + 1);
      }
      const mine = (await allPending()).filter((p) => p.interview === this.interview && p.position === this.position && p.part === this.part);
      for (const p of mine) {
        this.segments.set(p.seq, { secs: p.end - p.start, state: 'waiting to upload' });
        this.seq = Math.max(this.seq, p.seq + 1);
        this.offset = Math.max(this.offset, p.end + 1);
      }
      this.render();
      if (st.answer) this.follow(st, true);
      if (mine.length) this.pump();
      this.pumpVideo();
    } catch (e) {
      this.say('net', `Could not load the recording state: ${e.message}`);
    }
  }

  async start() {
    this.say('error', '');
    if (!navigator.mediaDevices?.getUserMedia || !window.AudioWorkletNode || !window.indexedDB) {
      return this.fail('This browser cannot record here. Type your answer below instead.');
    }
    this.q('start').disabled = true;
    if (this.camStream?.getAudioTracks().length) {
      // On camera: the preview's microphone goes to the detector; the picture, if recorded,
      // to MediaRecorder.
      this.stream = new MediaStream(this.camStream.getAudioTracks().map((t) => t.clone()));
      try {
        ({ ctx: this.ctx, node: this.node } = await listen(this.stream, (m) => this.onMessage(m)));
      } catch (e) {
        this.stream.getTracks().forEach((t) => t.stop());
        return this.fail(`Recording could not start: ${e.message}. Type your answer below instead.`);
      }
      if (this.recordVideo) this.startVideo();
      this.root.classList.add('recording');
      this.q('stop').disabled = false;
      this.say('speaking', 'Listening…');
      return;
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia(MICROPHONE);
    } catch (e) {
      const why = microphoneProblem(e);
      return this.fail(e.name === 'NotAllowedError' || e.name === 'SecurityError' || e.name === 'NotFoundError' || e.name === 'OverconstrainedError'
        ? `${why}, or type your answer below.`
        : `${why}. Type your answer below instead.`);
    }
    try {
      ({ ctx: this.ctx, node: this.node } = await listen(this.stream, (m) => this.onMessage(m)));
    } catch (e) {
      this.stream.getTracks().forEach((t) => t.stop());
      return this.fail(`Recording could not start: ${e.message}. Type your answer below instead.`);
    }
    this.root.classList.add('recording');
    this.q('stop').disabled = false;
    this.say('speaking', 'Listening…');
  }

  async onMessage(m) {
    if (m.type === 'level') {
      this.q('level').value = Math.max(-60, Math.min(0, m.db));
      this.say('speaking', m.speaking ? 'Speaking' : 'Listening…');
      this.root.classList.toggle('speaking', m.speaking);
    } else if (m.type === 'segment') {
      const seq = this.seq++;
      const item = {
        key: `${this.interview}/${this.position}/${this.part}/${seq}`,
        interview: this.interview, position: this.position, part: this.part, seq,
        start: m.start + this.offset, end: m.end + this.offset, wav: wav16k(m.pcm),
      };
      this.segments.set(seq, { secs: m.end - m.start, state: 'waiting to upload' });
      this.render();
      await putPending(item);
      this.pump();
    } else if (m.type === 'stopped') {
      this.stoppedResolve?.();
    }
  }

  // Uploads queued segments in order until none is left, retrying with backoff.
  pump() {
    this.pumping ??= (async () => {
      let backoff = 500;
      for (;;) {
        const items = (await allPending())
          .filter((p) => p.interview === this.interview && p.position === this.position)
          .sort((a, b) => a.seq - b.seq);
        if (!items.length) break;
        const it = items[0];
        const form = new FormData();
        for (const k of ['interview', 'position', 'seq', 'start', 'end']) form.set(k, String(it[k]));
        form.set('audio', it.wav, `segment-${it.seq}.wav`);
        let r = null;
        try {
          r = await fetch(UPLOAD, { method: 'POST', body: form, credentials: 'same-origin', headers: { Accept: 'application/json' } });
        } catch {
          r = null;
        }
        if (r && r.ok) {
          await dropPending(it.key);
          const s = this.segments.get(it.seq);
          if (s) s.state = 'uploaded';
          this.render();
          this.watchTranscripts();
          this.say('net', '');
          backoff = 500;
          continue;
        }
        const data = r ? await r.json().catch(() => ({})) : {};
        if (r && (r.status === 401 || r.status === 404)) {
          // Signed out (or signed in as someone else) meanwhile: the recording stays on this
          // device and is sent once the owner is signed in again and reopens the question.
          this.say('error', `${errorMessage(data, r.status)} Your recording is kept on this device: sign in again and reopen this question to send it.`);
          break;
        }
        if (r && r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) {
          // The server will never take this one (e.g. the question was answered meanwhile).
          await dropPending(it.key);
          this.segments.delete(it.seq);
          this.render();
          this.say('error', errorMessage(data, r.status));
          continue;
        }
        const wait = r && r.status === 429 && data.retry_after ? data.retry_after * 1000 : backoff;
        // 429 (too fast) and 503 (the server cannot reach its database) say why themselves.
        this.say('net', r && (r.status === 429 || (r.status === 503 && data.message))
          ? `${errorMessage(data, r.status)} Retrying in ${Math.round(wait / 1000) || 1} s; your recording is kept on this device.`
          : `Connection lost: retrying in ${Math.round(wait / 1000) || 1} s. Your recording is kept on this device.`);
        await sleep(wait);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
      this.pumping = null;
    })();
    return this.pumping;
  }

  // While segments wait for their transcripts, shows each one's progress (queued,
  // transcribing, transcribed), every two seconds.
  watchTranscripts() {
    this.watching ??= (async () => {
      for (;;) {
        await sleep(2000);
        let st;
        try {
          st = await post(STATUS, { id: this.interview, position: this.position });
        } catch {
          continue;
        }
        if (st.part !== this.part || !st.transcriber) break;
        for (const seg of st.segments) {
          const s = this.segments.get(seg.seq);
          if (s && s.state !== 'waiting to upload') s.state = STATE[seg.status] ?? s.state;
        }
        this.render();
        if (st.segments.every((x) => x.status === 'done' || x.status === 'failed') && !this.root.classList.contains('recording')) break;
      }
      this.watching = null;
    })();
  }

  async stop() {
    this.q('stop').disabled = true;
    this.say('speaking', 'Finishing…');
    const stopped = new Promise((r) => (this.stoppedResolve = r));
    this.node?.port.postMessage('stop');
    await Promise.race([stopped, sleep(2000)]);
    this.stream?.getTracks().forEach((t) => t.stop());
    await this.ctx?.close().catch(() => {});
    await this.stopVideo();
    this.root.classList.remove('recording', 'speaking');
    this.q('level').value = -60;
    this.say('speaking', '');
    await this.pump();
    if (this.seq === 0) return this.fail('No speech was heard. Check that the right microphone is selected and try again, or type your answer below.');
    // The video's last chunks go before the page moves on (what is left after a while, say
    // with the network down, is sent from the device later).
    if (this.take) await Promise.race([this.pumpVideo(), sleep(VIDEO_WAIT_MS)]);
    await this.handIn(null);
  }

  async handIn(transcript) {
    this.say('error', '');
    try {
      const st = await post(HAND_IN, { id: this.interview, position: this.position, count: this.seq, transcript });
      this.follow(st);
    } catch (e) {
      this.fail(e.message);
    }
  }

  // After handing in: wait for the transcripts, or ask for the text when nobody transcribes.
  async follow(st, restoring = false) {
    const since = Date.now();
    for (;;) {
      // Done, or moved on (a thin answer gets a follow-up question, recorded as its own part).
      // (On arrival a page already shows the current part: nothing to reload.)
      if (!restoring && (st.answer === 'done' || st.part !== this.part)) {
        this.say('net', 'Answer handed in. Loading the next step…');
        location.reload();
        return;
      }
      if (st.answer === 'needs-transcript' || st.answer === 'failed') {
        this.q('transcript-box').hidden = false;
        if (!this.q('transcript').value) this.q('transcript').value = st.transcript || '';
        this.say('net', st.error || (st.transcriber ? '' : 'This server does not transcribe speech yet (its operator can set it up). Type what you said to hand the answer in.'));
        this.q('start').disabled = true;
        return;
      }
      if (st.answer !== 'transcribing' && st.answer !== 'completing') return;
      restoring = false;
      const done = st.segments.filter((s) => s.status === 'done').length;
      this.say('net', `Transcribing your answer: ${done} of ${st.segments.length} segments done.`);
      await sleep(Date.now() - since < STATUS_POLL_FAST_FOR_MS ? STATUS_POLL_MS : STATUS_POLL_SLOW_MS);
      try {
        st = await post(STATUS, { id: this.interview, position: this.position });
      } catch (e) {
        this.say('net', `Waiting for the transcript (${e.message})`);
      }
    }
  }

  // ---- On camera ------------------------------------------------------------------------

  setUpCamera() {
    this.q('camera-box').hidden = false;
    this.say('record-note', this.recordVideo
      ? 'Recording on: each answer is recorded on video so you can review it in your report.'
      : 'Recording off: the camera is a mirror for you only; no picture leaves this device.');
    if (this.recordVideo) {
      post(POLICY, {}).then((p) => this.say('record-note', `Recording on: each answer is recorded on video so you can review it in your report; it is kept ${p.retention_days} days, then deleted.`)).catch(() => {});
    }
    for (const role of ['camera-select', 'mic-select']) {
      this.q(role).addEventListener('change', () => this.openCamera());
    }
    this.q('camera-retry').addEventListener('click', () => this.openCamera());
    this.q('voice-only').addEventListener('click', () => this.voiceOnly());
    this.openCamera();
  }

  // The preview: the chosen (or default) camera and microphone, mirrored.
  async openCamera() {
    if (this.root.classList.contains('recording')) return;
    this.q('camera-problem').hidden = true;
    this.camStream?.getTracks().forEach((t) => t.stop());
    this.camStream = null;
    if (!navigator.mediaDevices?.getUserMedia) return this.cameraFailed(null);
    const video = { ...CAMERA.video };
    const audio = { ...CAMERA.audio };
    if (this.q('camera-select').value) video.deviceId = { exact: this.q('camera-select').value };
    if (this.q('mic-select').value) audio.deviceId = { exact: this.q('mic-select').value };
    this.say('camera-state', 'Starting the camera…');
    try {
      this.camStream = await navigator.mediaDevices.getUserMedia({ video, audio });
    } catch (e) {
      return this.cameraFailed(e);
    }
    const preview = this.q('preview');
    preview.srcObject = this.camStream;
    preview.play?.().catch(() => {});
    const [cam] = this.camStream.getVideoTracks();
    const [mic] = this.camStream.getAudioTracks();
    this.say('camera-state', `${describeDevice(cam)} · ${describeDevice(mic)}`);
    await this.listDevices(cam, mic);
    if (this.recordVideo && !pickRecorderType()) {
      this.say('error', 'This browser cannot record video, so your answers will not be recorded; the camera stays a mirror and your speech is still transcribed.');
    }
  }

  async listDevices(cam, mic) {
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    const fill = (role, kind, current) => {
      const sel = this.q(role);
      const mine = devices.filter((d) => d.kind === kind);
      sel.replaceChildren(...mine.map((d, i) => {
        const o = document.createElement('option');
        o.value = d.deviceId;
        o.textContent = d.label || `${kind === 'videoinput' ? 'Camera' : 'Microphone'} ${i + 1}`;
        o.selected = d.deviceId === current?.getSettings?.().deviceId;
        return o;
      }));
      sel.disabled = mine.length < 2;
    };
    fill('camera-select', 'videoinput', cam);
    fill('mic-select', 'audioinput', mic);
  }

  cameraFailed(e) {
    this.say('camera-state', '');
    const p = this.q('camera-problem');
    p.hidden = false;
    this.say('camera-problem-text', cameraProblem(e));
  }

  // The fallback: answer with the microphone alone.
  voiceOnly() {
    this.camStream?.getTracks().forEach((t) => t.stop());
    this.camStream = null;
    this.recordVideo = false;
    this.q('camera-box').hidden = true;
    this.say('record-note', 'Answering by voice: only your speech is sent.');
  }

  startVideo() {
    const type = pickRecorderType();
    if (!type || !this.camStream) return;
    this.take = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    this.videoSeq = 0;
    this.videoBytes = 0;
    let rec;
    try {
      rec = new MediaRecorder(this.camStream, { mimeType: type, videoBitsPerSecond: VIDEO_BITS_PER_SECOND, audioBitsPerSecond: AUDIO_BITS_PER_SECOND });
    } catch (e) {
      this.say('error', `Video recording could not start (${e.message}); your speech is still transcribed.`);
      return;
    }
    this.mediaRecorder = rec;
    const base = { interview: this.interview, position: this.position, part: this.part, take: this.take };
    // Chunks are stored one after another, in order, before the next is taken.
    let chain = Promise.resolve();
    rec.ondataavailable = (e) => {
      if (!e.data || !e.data.size) return;
      const seq = this.videoSeq++;
      this.videoBytes += e.data.size;
      // (The pump is started, not waited for: with the network down it waits a long time.)
      chain = chain.then(() => putVideo({ ...base, key: `${this.take}/${String(seq).padStart(5, '0')}`, kind: 'chunk', seq, data: e.data }))
        .then(() => { this.pumpVideo(); });
    };
    this.videoStored = () => chain;
    rec.start(TIMESLICE_MS);
    this.root.dataset.recorderType = rec.mimeType || type;
  }

  // Stops the recorder; once its last chunk is stored, the take's finish is queued after them.
  async stopVideo() {
    const rec = this.mediaRecorder;
    if (!rec) return;
    this.mediaRecorder = null;
    if (rec.state !== 'inactive') {
      const stopped = new Promise((r) => rec.addEventListener('stop', r, { once: true }));
      rec.stop();
      await Promise.race([stopped, sleep(3000)]);
    }
    await this.videoStored?.();
    if (!this.videoSeq) return;
    await putVideo({
      key: `${this.take}/~finish`, kind: 'finish', interview: this.interview, position: this.position, part: this.part,
      take: this.take, count: this.videoSeq, bytes: this.videoBytes,
    });
    this.pumpVideo();
  }

  // Sends queued video chunks of this interview (any question: a reload may have come between),
  // oldest first, each take's finish after its chunks, retrying with backoff.
  pumpVideo() {
    this.pumpingVideo ??= (async () => {
      let backoff = 500;
      let sent = 0;
      for (;;) {
        const items = (await allVideo()).filter((p) => p.interview === this.interview).sort((a, b) => (a.key < b.key ? -1 : 1));
        const it = items.find((p) => p.kind === 'chunk') ?? items.find((p) => p.kind === 'finish');
        this.showUpload(items, sent);
        if (!it) break;
        let r = null;
        try {
          if (it.kind === 'chunk') {
            const form = new FormData();
            for (const k of ['interview', 'position', 'part', 'take', 'seq']) form.set(k, String(it[k]));
            form.set('chunk', it.data, `chunk-${it.seq}`);
            r = await fetch(VIDEO_CHUNK, { method: 'POST', body: form, credentials: 'same-origin', headers: { Accept: 'application/json' } });
          } else {
            const body = new URLSearchParams({ id: it.interview, position: it.position, part: it.part, take: it.take, count: it.count, bytes: it.bytes });
            r = await fetch(VIDEO_FINISH, { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
          }
        } catch {
          r = null;
        }
        if (r && r.ok) {
          const data = await r.json().catch(() => ({}));
          await dropVideo(it.key);
          if (it.kind === 'chunk') sent += it.data.size;
          else this.say('video-state', data.status === 'ready'
            ? `Video saved (${Math.round(data.duration_secs ?? 0)} s): you can watch it in your report.`
            : `Video: ${data.error || data.status}`);
          backoff = 500;
          continue;
        }
        const data = r ? await r.json().catch(() => ({})) : {};
        if (r && (r.status === 401 || r.status === 404)) {
          this.say('video-state', `${errorMessage(data, r.status)} Your video is kept on this device: sign in again and reopen this interview to send it.`);
          break;
        }
        if (r && r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) {
          // Never to be taken (recording off, a limit): this take's queue goes.
          for (const p of items.filter((x) => x.take === it.take)) await dropVideo(p.key);
          this.say('video-state', errorMessage(data, r.status));
          continue;
        }
        const wait = r && r.status === 429 && data.retry_after ? data.retry_after * 1000 : backoff;
        this.say('video-state', `Video upload paused: retrying in ${Math.round(wait / 1000) || 1} s. Your video is kept on this device.`);
        await sleep(wait);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
      this.pumpingVideo = null;
    })();
    return this.pumpingVideo;
  }

  showUpload(items, sent) {
    const bar = this.q('video-upload');
    if (!bar) return;
    const left = items.filter((p) => p.kind === 'chunk').reduce((n, p) => n + p.data.size, 0);
    const total = sent + left;
    bar.hidden = total === 0 && !items.length;
    bar.max = Math.max(total, 1);
    bar.value = sent;
    if (left) this.say('video-state', `Uploading your video: ${megabytes(sent)} of ${megabytes(total)} sent.`);
    else if (items.length) this.say('video-state', 'Saving your video…');
  }

  // The element left the page (the next question replaced it): release the microphone.
  teardown() {
    if (this.mediaRecorder?.state === 'recording') this.mediaRecorder.stop();
    this.camStream?.getTracks().forEach((t) => t.stop());
    this.node?.port.postMessage('stop');
    this.stream?.getTracks().forEach((t) => t.stop());
    this.ctx?.close().catch(() => {});
  }
}

// <viva-recorder data-interview data-position data-part>: the page renders its markup
// (server-side, so it shows before any script runs); this brings it to life.
const CAMERA_MARKUP = `<div class="camera" data-role="camera-box" hidden>
<video data-role="preview" class="preview" muted playsinline autoplay aria-label="Your camera, mirrored"></video>
<div class="camera-side">
<p data-role="camera-state" role="status" class="muted" hidden></p>
<div class="field"><label for="viva-camera">Camera</label><select id="viva-camera" data-role="camera-select" disabled><option value="">Default camera</option></select></div>
<div class="field"><label for="viva-microphone">Microphone</label><select id="viva-microphone" data-role="mic-select" disabled><option value="">Default microphone</option></select></div>
<div data-role="camera-problem" class="notice" role="alert" hidden>
<p data-role="camera-problem-text"></p>
<button type="button" class="button secondary" data-role="camera-retry">Try the camera again</button>
<button type="button" class="button secondary" data-role="voice-only">Answer by voice instead</button>
</div>
</div>
</div>
<p data-role="record-note" class="hint" hidden></p>`;
const MARKUP = (maxChars, camera) => `<h3 id="voice-title">${camera ? 'Answer on camera' : 'Answer out loud'}</h3>
<p class="muted">Press Start and answer as you would in the interview, then Stop. Only your speech leaves this device for the transcript: silence and background noise are dropped by the browser.</p>
${camera ? CAMERA_MARKUP : ''}
<div class="voice-controls">
<button type="button" class="button" data-role="start">Start recording</button>
<button type="button" class="button secondary" data-role="stop" disabled>Stop and hand in</button>
</div>
<div class="voice-live">
<meter data-role="level" aria-label="Input level" min="-60" max="0" low="-45" high="-6" optimum="-20" value="-60"></meter>
<span data-role="speaking" role="status"></span>
</div>
<p data-role="counts" aria-live="polite">No speech captured yet.</p>
<ol data-role="segments" class="segments" aria-label="Captured speech segments"></ol>
<p data-role="net" role="status" hidden></p>
<progress data-role="video-upload" max="1" value="0" aria-label="Video upload" hidden></progress>
<p data-role="video-state" role="status" hidden></p>
<p data-role="error" role="alert" class="error" hidden></p>
<div data-role="transcript-box" class="form" hidden>
<label for="voice-transcript">What you said</label>
<textarea id="voice-transcript" data-role="transcript" rows="6" maxlength="${Number(maxChars) || 8000}"></textarea>
<button type="button" class="button" data-role="hand-in">Hand in this answer</button>
</div>`;

class VivaRecorder extends HTMLElement {
  connectedCallback() {
    if (this.recorder) return;
    if (!this.querySelector('[data-role="start"]')) this.innerHTML = MARKUP(this.dataset.maxChars, this.dataset.camera === 'on');
    this.recorder = new Recorder(this);
  }
  disconnectedCallback() {
    this.recorder?.teardown();
    this.recorder = null;
  }
}
if (!customElements.get('viva-recorder')) customElements.define('viva-recorder', VivaRecorder);
