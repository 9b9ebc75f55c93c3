// The camera and the recorder settings for video answers, shared by the pages that record.
// No dependencies and no build step: served as is at /video/capture.js.

// The containers and codecs to ask MediaRecorder for, best first: WebM with VP8 and Opus
// (Chrome, Edge, Firefox), VP9, any WebM, then MP4 (Safari records H.264 and AAC).
export const RECORDER_TYPES = [
  'video/webm;codecs=vp8,opus',
  'video/webm;codecs=vp9,opus',
  'video/webm',
  'video/mp4;codecs=avc1,mp4a',
  'video/mp4',
];

// The first type of RECORDER_TYPES the browser says it can record, or '' when it can record
// none (or has no MediaRecorder): then nothing should be recorded, rather than guessed.
// `isSupported` is for tests; by default the browser is asked.
export function pickRecorderType(isSupported = (t) => typeof MediaRecorder !== 'undefined' && MediaRecorder.isTypeSupported(t)) {
  for (const type of RECORDER_TYPES) {
    try {
      if (isSupported(type) === true) return type;
    } catch {
      // A browser that throws on a type it does not know: try the next.
    }
  }
  return '';
}

// What getUserMedia is asked for: a modest camera (a talking head needs no more, and the
// upload stays small) and the microphone with the browser's own clean-up on. `ideal` lets
// any camera start; the browser picks its nearest mode.
export const CAMERA = {
  video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } },
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
};

// MediaRecorder's budget: about 5 MB a minute in all.
export const VIDEO_BITS_PER_SECOND = 600_000;
export const AUDIO_BITS_PER_SECOND = 64_000;
// recorder.start(TIMESLICE_MS): a chunk each second, uploaded as it comes.
export const TIMESLICE_MS = 1000;

const FALLBACK = 'or answer by voice or by typing instead.';

// Why the camera did not start, for people: one sentence per kind of getUserMedia failure,
// each ending with the other ways to answer. `error` may be missing (no API at all).
export function cameraProblem(error) {
  const name = error?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return `Camera access was refused. Allow the camera and microphone for this site (the camera icon or the site settings in the address bar) and press Start again, ${FALLBACK}`;
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') {
    return `No camera was found. Connect one and press Start again, ${FALLBACK}`;
  }
  if (name === 'NotReadableError' || name === 'AbortError' || name === 'TrackStartError') {
    return `The camera could not be started: another app may be using it. Close that app and press Start again, ${FALLBACK}`;
  }
  if (!error || name === 'TypeError' || !globalThis.navigator?.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined') {
    return `This browser cannot record video. Use a recent Chrome, Edge, Firefox or Safari, ${FALLBACK}`;
  }
  return `The camera could not be started (${error.message || name}). Press Start to try again, ${FALLBACK}`;
}

// A name to show for the device behind a track: its label (empty until camera access has
// been allowed), else a plain word for its kind.
export function describeDevice(track) {
  const label = track?.label?.trim();
  if (label) return label;
  return track?.kind === 'audio' ? 'Microphone' : 'Camera';
}
