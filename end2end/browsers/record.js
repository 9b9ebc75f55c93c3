// Records a short answer the way Viva's video recorder does (capture.js, the file Viva serves:
// the type it picks, its bit rates and time slice), from a stream made without camera or
// microphone: a canvas with something moving on it and a WebAudio tone. The recording is
// POSTed to the harness server at /upload and a summary is published as window.vivaRecording:
//   { supported: {type: bool}, requested, mimeType, chunks: [sizes], emptyChunks, bytes, head (hex of the
//     first 16 bytes), upload (HTTP status), playable: {width, height, duration} | null, error }
// and, just before the recorder is stopped, window.vivaStarted = { supported, requested, mimeType }.
// The tone needs a running AudioContext: Chromium only with --autoplay-policy=no-user-gesture-required
// (else it records nothing, waiting for audio), the MiniBrowser with --autoplay-policy=allow.
// Headless Firefox keeps it suspended and still records, in one chunk at the end.
// Query: ms (how long to record, default 2500), audio=0 (picture only), source=camera (the
// browser's camera and microphone through getUserMedia(CAMERA), for browsers started with fake
// or mock devices, instead of the canvas and the tone), type=T (ask MediaRecorder for T instead
// of what pickRecorderType chooses).
import { RECORDER_TYPES, pickRecorderType, CAMERA, VIDEO_BITS_PER_SECOND, AUDIO_BITS_PER_SECOND, TIMESLICE_MS, describeDevice } from '/capture.js';

const query = new URLSearchParams(location.search);
const ms = Number(query.get('ms') ?? 2500);
const withAudio = query.get('audio') !== '0';
const fromCamera = query.get('source') === 'camera';
const out = { supported: {}, requested: '', mimeType: '', chunks: [], emptyChunks: 0, bytes: 0, head: '', upload: null, playable: null, error: null };

// A square crossing the canvas and a frame counter, redrawn 15 times a second.
function movingPicture() {
  const canvas = document.getElementById('picture');
  const g = canvas.getContext('2d');
  let frame = 0;
  const timer = setInterval(() => {
    frame++;
    g.fillStyle = `hsl(${(frame * 7) % 360} 60% 40%)`;
    g.fillRect(0, 0, 320, 240);
    g.fillStyle = '#fff';
    g.fillRect((frame * 8) % 280, 100, 40, 40);
    g.font = '24px sans-serif';
    g.fillText(String(frame), 10, 30);
  }, 1000 / 15);
  return { stream: canvas.captureStream(15), stop: () => clearInterval(timer) };
}

// A 440 Hz tone as a microphone would deliver it.
async function tone() {
  const ctx = new AudioContext();
  const osc = ctx.createOscillator();
  const dest = ctx.createMediaStreamDestination();
  osc.frequency.value = 440;
  osc.connect(dest);
  osc.start();
  if (ctx.state === 'suspended') await Promise.race([ctx.resume(), new Promise((r) => setTimeout(r, 1000))]);
  out.audioContext = ctx.state;
  return { stream: dest.stream, stop: () => ctx.close() };
}

// Whether the browser can play the recording back: its size and duration once loaded.
function playable(blob) {
  return new Promise((resolve) => {
    const v = document.createElement('video');
    v.muted = true;
    const done = (value) => { URL.revokeObjectURL(v.src); resolve(value); };
    v.onloadedmetadata = () => done({ width: v.videoWidth, height: v.videoHeight, duration: Number.isFinite(v.duration) ? v.duration : String(v.duration) });
    v.onerror = () => done({ error: v.error ? `${v.error.code} ${v.error.message}` : 'error' });
    setTimeout(() => done(null), 5000);
    v.src = URL.createObjectURL(blob);
  });
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();

const stops = [];
try {
  if (typeof MediaRecorder === 'undefined') throw new Error('this browser has no MediaRecorder');
  for (const t of RECORDER_TYPES) out.supported[t] = MediaRecorder.isTypeSupported(t);
  out.requested = query.get('type') ?? pickRecorderType();
  if (!out.requested) throw new Error('MediaRecorder supports none of the types capture.js asks for');

  const tracks = [];
  if (fromCamera) {
    const camera = await navigator.mediaDevices.getUserMedia(withAudio ? CAMERA : { video: CAMERA.video });
    tracks.push(...camera.getTracks());
    out.devices = tracks.map(describeDevice);
  } else {
    const picture = movingPicture();
    stops.push(picture.stop);
    tracks.push(...picture.stream.getVideoTracks());
  }
  if (withAudio && !fromCamera) {
    const sound = await tone();
    stops.push(sound.stop);
    tracks.push(...sound.stream.getAudioTracks());
  }
  const stream = new MediaStream(tracks);
  const recorder = new MediaRecorder(stream, {
    mimeType: out.requested, videoBitsPerSecond: VIDEO_BITS_PER_SECOND, audioBitsPerSecond: AUDIO_BITS_PER_SECOND,
  });
  const chunks = [];
  const stopped = new Promise((resolve, reject) => {
    // Empty chunks are counted apart (WebKitGTK hands only those when its encoder fails).
    recorder.ondataavailable = (e) => { if (e.data.size > 0) { chunks.push(e.data); out.chunks.push(e.data.size); } else out.emptyChunks++; };
    recorder.onerror = (e) => reject(e.error ?? new Error('MediaRecorder error'));
    recorder.onstop = resolve;
  });
  recorder.start(TIMESLICE_MS);
  await new Promise((r) => setTimeout(r, ms));
  // What the browser chose, published before the recorder is stopped: WebKitGTK's can stall
  // there (see video-browsers.spec.ts), and the choice is what most checks are about.
  window.vivaStarted = { supported: out.supported, requested: out.requested, mimeType: recorder.mimeType };
  recorder.stop();
  await Promise.race([stopped, new Promise((_, reject) => setTimeout(() => reject(new Error('the recorder did not stop within 5 s')), 5000))]);
  out.mimeType = recorder.mimeType;
  stream.getTracks().forEach((t) => t.stop());

  const blob = new Blob(chunks, { type: recorder.mimeType || out.requested });
  out.bytes = blob.size;
  out.head = hex(new Uint8Array(await blob.slice(0, 16).arrayBuffer()));
  out.playable = await playable(blob);
  const r = await fetch(`/upload?type=${encodeURIComponent(blob.type)}`, { method: 'POST', body: blob });
  out.upload = r.status;
} catch (e) {
  out.error = `${e.name}: ${e.message}`;
} finally {
  stops.forEach((stop) => stop());
}
window.vivaRecording = out;
