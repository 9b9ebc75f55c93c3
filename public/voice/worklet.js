// Viva's voice detector in the audio thread: Rust compiled to wasm (voice/src/ffi.rs) gets
// every render quantum of the microphone, resamples it to 16 kHz, finds speech and hands
// back finished speech segments (16 kHz mono 16-bit samples). Silence never leaves here.
class VivaVad extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const module = new WebAssembly.Module(options.processorOptions.wasm);
    this.x = new WebAssembly.Instance(module, {}).exports;
    this.h = this.x.vad_new(sampleRate);
    this.sinceLevel = 0;
    this.done = false;
    this.port.onmessage = (e) => {
      if (e.data === 'stop' && !this.done) {
        this.flush(this.x.vad_finish(this.h));
        this.x.vad_free(this.h);
        this.done = true;
        this.port.postMessage({ type: 'stopped' });
      }
    };
    this.port.postMessage({ type: 'ready', rate: sampleRate });
  }

  flush(n) {
    const x = this.x;
    for (let i = 0; i < n; i++) {
      const len = x.vad_segment_audio_len(this.h, i);
      const pcm = new Int16Array(x.memory.buffer, x.vad_segment_audio(this.h, i), len).slice();
      this.port.postMessage(
        { type: 'segment', start: x.vad_segment_start(this.h, i), end: x.vad_segment_end(this.h, i), pcm },
        [pcm.buffer],
      );
    }
  }

  process(inputs) {
    if (this.done) return false;
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    const n = channels[0].length;
    const x = this.x;
    const buf = new Float32Array(x.memory.buffer, x.vad_input(this.h, n), n);
    if (channels.length === 1) {
      buf.set(channels[0]);
    } else {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (const c of channels) s += c[i];
        buf[i] = s / channels.length;
      }
    }
    const ended = x.vad_push(this.h, n);
    if (ended) this.flush(ended);
    this.sinceLevel += n;
    if (this.sinceLevel >= sampleRate / 20) {
      this.sinceLevel = 0;
      this.port.postMessage({ type: 'level', db: x.vad_level(this.h), speaking: x.vad_speaking(this.h) === 1 });
    }
    return true;
  }
}

registerProcessor('viva-vad', VivaVad);
