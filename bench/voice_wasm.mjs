// Speed of the voice pipeline (resampler, detector, segmenter) compiled to wasm32, run by
// Node over labelled clips in 128-sample blocks, as an AudioWorklet would feed it.
// usage: node bench/voice_wasm.mjs VOICE.wasm CLIP_DIR [RATE]
// Prints the real-time factor (processing time / audio duration) and the segments found.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [wasmPath, dir] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const x = instance.exports;

function readWav(buf) {
  // 16-bit PCM mono, as the clips are; the Rust side reads every other kind.
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let i = 12, rate = 0, data = null;
  while (i + 8 <= buf.length) {
    const id = buf.toString('ascii', i, i + 4), size = dv.getUint32(i + 4, true);
    if (id === 'fmt ') rate = dv.getUint32(i + 12, true);
    if (id === 'data') { data = new Int16Array(buf.buffer.slice(buf.byteOffset + i + 8, buf.byteOffset + i + 8 + size)); break; }
    i += 8 + size + (size & 1);
  }
  return { rate, samples: Float32Array.from(data, (v) => v / 32768) };
}

const files = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort();
let audioSeconds = 0, ms = 0, segments = 0;
for (const f of files) {
  const { rate, samples } = readWav(readFileSync(join(dir, f)));
  const t0 = process.hrtime.bigint();
  const h = x.vad_new(rate);
  for (let o = 0; o < samples.length; o += 128) {
    const block = samples.subarray(o, o + 128);
    const p = x.vad_input(h, block.length);
    new Float32Array(x.memory.buffer, p, block.length).set(block);
    segments += x.vad_push(h, block.length);
  }
  segments += x.vad_finish(h);
  x.vad_free(h);
  ms += Number(process.hrtime.bigint() - t0) / 1e6;
  audioSeconds += samples.length / rate;
}
const rtf = ms / 1000 / audioSeconds;
console.log(JSON.stringify({ clips: files.length, audio_s: +audioSeconds.toFixed(1), ms: +ms.toFixed(1), rtf: +rtf.toFixed(5), times_real_time: Math.round(1 / rtf), segments }));
