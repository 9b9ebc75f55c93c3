// The microphone through Viva's detector (Rust → wasm in an AudioWorklet): only the speech
// segments it finds come back, as 16 kHz PCM. Shared by the interview recorder and the
// landing page's try-it panel.

let wasmBytes = null;

// The microphone as both ask for it: one channel, the browser's own clean-up on.
export const MICROPHONE = { audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } };

// Connects `stream` to the detector; `onMessage` gets { type: 'level' | 'segment' | 'stopped' }.
export async function listen(stream, onMessage) {
  const ctx = new AudioContext();
  wasmBytes ??= await fetch('/voice/vad.wasm').then((r) => {
    if (!r.ok) throw new Error(`the voice detector did not load (${r.status})`);
    return r.arrayBuffer();
  });
  await ctx.audioWorklet.addModule('/voice/worklet.js');
  const node = new AudioWorkletNode(ctx, 'viva-vad', {
    numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: 'explicit',
    processorOptions: { wasm: wasmBytes.slice(0) },
  });
  node.port.onmessage = (e) => onMessage(e.data);
  const source = ctx.createMediaStreamSource(stream);
  source.connect(node).connect(ctx.destination); // the node outputs silence
  if (ctx.state === 'suspended') await ctx.resume();
  return { ctx, node };
}

// Why the microphone did not start, for people.
export function microphoneProblem(e) {
  return e.name === 'NotAllowedError' || e.name === 'SecurityError'
    ? 'Microphone access was refused. Allow the microphone for this site in your browser settings and press Start again'
    : e.name === 'NotFoundError' || e.name === 'OverconstrainedError'
      ? 'No microphone was found. Connect one and press Start again'
      : `The microphone could not be started (${e.message})`;
}

// WAV: 16 kHz mono 16-bit.
export function wav16k(pcm) {
  const buf = new ArrayBuffer(44 + pcm.length * 2);
  const v = new DataView(buf);
  const text = (o, s) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
  text(0, 'RIFF'); v.setUint32(4, 36 + pcm.length * 2, true); text(8, 'WAVEfmt ');
  v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
  v.setUint32(24, 16000, true); v.setUint32(28, 32000, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
  text(36, 'data'); v.setUint32(40, pcm.length * 2, true);
  new Int16Array(buf, 44).set(pcm);
  return new Blob([buf], { type: 'audio/wav' });
}
