// Runs the recorder's AudioWorklet (worklet.js + vad.wasm, the files Viva serves) over a
// labelled clip in an OfflineAudioContext at the rate in the query (as a microphone at that
// rate would deliver it) and publishes the segments the detector handed back.
const query = new URLSearchParams(location.search);
const rate = Number(query.get('rate') ?? 48000);
const clip = query.get('clip') ?? 'clip00';
const out = { rate, segments: [], levels: 0, speaking: false, error: null };
try {
  const [wav, wasm] = await Promise.all([`/${clip}.wav`, '/vad.wasm'].map((u) => fetch(u).then((r) => r.arrayBuffer())));
  const audio = await new OfflineAudioContext(1, 1, rate).decodeAudioData(wav);
  // Two seconds of silence after the clip let the last segment end on its own.
  const ctx = new OfflineAudioContext(1, audio.length + 2 * rate, rate);
  await ctx.audioWorklet.addModule('/worklet.js');
  const node = new AudioWorkletNode(ctx, 'viva-vad', {
    numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: 'explicit',
    processorOptions: { wasm },
  });
  node.port.onmessage = ({ data: m }) => {
    if (m.type === 'level') { out.levels++; out.speaking ||= m.speaking; }
    if (m.type === 'segment') out.segments.push({ start: m.start, end: m.end, samples: m.pcm.length });
  };
  const source = ctx.createBufferSource();
  source.buffer = audio;
  source.connect(node).connect(ctx.destination);
  source.start();
  await ctx.startRendering();
  await new Promise((r) => setTimeout(r, 500)); // messages posted during the render arrive
} catch (e) {
  out.error = String(e);
}
window.vivaResult = out;
