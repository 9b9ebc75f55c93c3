// Viva's voice recorder. The microphone goes to an AudioWorklet running Viva's detector
// (Rust → wasm); only the speech segments it finds come back here. Each is kept in
// IndexedDB until the server has acknowledged it, so a dropped network or a reload loses
// nothing, and is uploaded with an idempotency key (interview, question, sequence number).
// When the person stops, the answer is handed in; it is transcribed on the server (or,
// without a transcriber, the person types what they said) and evaluated.

import { listen, MICROPHONE, microphoneProblem, wav16k } from './listen.js';

const UPLOAD = '/api/voice/segment';
const STATUS = '/api/voice/status';
const HAND_IN = '/api/voice/hand_in';
const MAX_BACKOFF_MS = 8000;

// ---- IndexedDB: segments not yet acknowledged ------------------------------------------
let dbPromise = null;
function openDb() {
  dbPromise ??= new Promise((resolve, reject) => {
    const r = indexedDB.open('viva-voice', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('pending', { keyPath: 'key' });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return dbPromise;
}
async function store(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction('pending', mode);
    const req = fn(t.objectStore('pending'));
    t.oncomplete = () => resolve(req?.result);
    t.onerror = () => reject(t.error);
  });
}
const putPending = (item) => store('readwrite', (s) => s.put(item));
const dropPending = (key) => store('readwrite', (s) => s.delete(key));
const allPending = () => store('readonly', (s) => s.getAll());

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
        this.say('net', r && r.status === 429
          ? `${errorMessage(data, r.status)} Your recording is kept on this device.`
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
    this.root.classList.remove('recording', 'speaking');
    this.q('level').value = -60;
    this.say('speaking', '');
    await this.pump();
    if (this.seq === 0) return this.fail('No speech was heard. Check that the right microphone is selected and try again, or type your answer below.');
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
      await sleep(1000);
      try {
        st = await post(STATUS, { id: this.interview, position: this.position });
      } catch (e) {
        this.say('net', `Waiting for the transcript (${e.message})`);
      }
    }
  }

  // The element left the page (the next question replaced it): release the microphone.
  teardown() {
    this.node?.port.postMessage('stop');
    this.stream?.getTracks().forEach((t) => t.stop());
    this.ctx?.close().catch(() => {});
  }
}

// <viva-recorder data-interview data-position data-part>: the page renders its markup
// (server-side, so it shows before any script runs); this brings it to life.
const MARKUP = (maxChars) => `<h3 id="voice-title">Answer out loud</h3>
<p class="muted">Press Start and answer as you would in the interview, then Stop. Only your speech leaves this device: silence and background noise are dropped by the browser.</p>
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
<p data-role="error" role="alert" class="error" hidden></p>
<div data-role="transcript-box" class="form" hidden>
<label for="voice-transcript">What you said</label>
<textarea id="voice-transcript" data-role="transcript" rows="6" maxlength="${Number(maxChars) || 8000}"></textarea>
<button type="button" class="button" data-role="hand-in">Hand in this answer</button>
</div>`;

class VivaRecorder extends HTMLElement {
  connectedCallback() {
    if (this.recorder) return;
    if (!this.querySelector('[data-role="start"]')) this.innerHTML = MARKUP(this.dataset.maxChars);
    this.recorder = new Recorder(this);
  }
  disconnectedCallback() {
    this.recorder?.teardown();
    this.recorder = null;
  }
}
if (!customElements.get('viva-recorder')) customElements.define('viva-recorder', VivaRecorder);
