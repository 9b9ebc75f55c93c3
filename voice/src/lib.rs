//! Viva's voice pipeline. The same code runs in the browser (compiled to wasm, fed by an
//! AudioWorklet) and on the server (`viva voice segments FILE.wav`): audio at the device's
//! rate → 16 kHz → 16 ms frames → speech probability per frame → speech segments, each
//! with its audio (plus a little before and after) ready to upload as a 16 kHz WAV.

pub mod analytics;
pub mod detector;
pub mod features;
#[cfg(any(feature = "ffi", test))]
pub mod ffi;
pub mod resample;
pub mod segmenter;
pub mod wav;
// Generated weights keep the digits numpy printed.
#[allow(clippy::excessive_precision)]
mod weights;

use std::collections::VecDeque;

pub use features::{HOP, RATE};
pub use segmenter::{Config, Segment, FRAME};

/// Audio kept before a segment's first speech frame, so first syllables are not clipped (s).
pub const PRE_ROLL: f64 = 0.15;
/// Audio kept after its last speech frame (s).
pub const POST_ROLL: f64 = 0.1;

/// A finished segment and its audio (16 kHz mono, `PRE_ROLL` before to `POST_ROLL` after).
#[derive(Debug, Clone, PartialEq)]
pub struct Captured {
    pub segment: Segment,
    /// Time of `samples[0]` from the start of the stream (s).
    pub audio_start: f64,
    pub samples: Vec<i16>,
}

/// The streaming pipeline: push audio as it arrives, get segments as they end.
pub struct Pipeline {
    resampler: resample::Resampler,
    scratch: Vec<f32>,
    pending: Vec<f32>,
    detector: detector::Detector,
    segmenter: segmenter::Segmenter,
    /// 16 kHz audio; `audio[0]` is sample `audio_base` of the stream.
    audio: VecDeque<f32>,
    audio_base: usize,
    level: f32,
    frames_in: usize,
}

impl Pipeline {
    /// `rate`: the input's sample rate (8–48 kHz).
    pub fn new(rate: u32, cfg: Config) -> Self {
        Pipeline {
            resampler: resample::Resampler::new(rate, RATE),
            scratch: Vec::new(),
            pending: Vec::new(),
            detector: detector::Detector::new(),
            segmenter: segmenter::Segmenter::new(cfg),
            audio: VecDeque::new(),
            audio_base: 0,
            level: -100.0,
            frames_in: 0,
        }
    }

    /// Input level of the latest frame, dB relative to full scale (−100 for silence).
    pub fn level_db(&self) -> f32 {
        self.level
    }

    /// Whether speech is going on, as far as the detector has heard (it is 192 ms behind).
    pub fn speaking(&self) -> bool {
        self.segmenter.speaking()
    }

    /// Seconds of input consumed so far.
    pub fn position(&self) -> f64 {
        self.frames_in as f64 * FRAME
    }

    /// Feeds input samples in [-1, 1]; returns the segments that ended.
    pub fn push(&mut self, input: &[f32]) -> Vec<Captured> {
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        self.resampler.push(input, &mut out);
        let done = self.feed(&out);
        self.scratch = out;
        done
    }

    fn feed(&mut self, samples16: &[f32]) -> Vec<Captured> {
        self.audio.extend(samples16.iter().copied());
        self.pending.extend_from_slice(samples16);
        let mut done = Vec::new();
        let mut used = 0;
        while self.pending.len() - used >= HOP {
            let frame = &self.pending[used..used + HOP];
            used += HOP;
            self.frames_in += 1;
            let e = frame.iter().map(|v| v * v).sum::<f32>() / HOP as f32;
            self.level = if e > 1e-10 { 10.0 * e.log10() } else { -100.0 };
            if let Some(p) = self.detector.push(frame) {
                if let Some(s) = self.segmenter.push(p) {
                    done.push(self.capture(s));
                }
            }
        }
        self.pending.drain(..used);
        self.trim();
        done
    }

    /// Ends the stream: the segment still open, if any.
    pub fn finish(&mut self) -> Vec<Captured> {
        let mut tail = Vec::new();
        self.resampler.finish(&mut tail);
        let mut done = self.feed(&tail);
        for p in self.detector.finish() {
            if let Some(s) = self.segmenter.push(p) {
                done.push(self.capture(s));
            }
        }
        if let Some(s) = self.segmenter.finish() {
            done.push(self.capture(s));
        }
        done
    }

    fn capture(&self, s: Segment) -> Captured {
        let from = ((s.start_s() - PRE_ROLL).max(0.0) * RATE as f64) as usize;
        let to = ((s.end_s() + POST_ROLL) * RATE as f64) as usize;
        let from = from.max(self.audio_base);
        let to = to.min(self.audio_base + self.audio.len()).max(from);
        let samples = self
            .audio
            .range(from - self.audio_base..to - self.audio_base)
            .map(|v| (v.clamp(-1.0, 1.0) * 32767.0).round() as i16)
            .collect();
        Captured {
            segment: s,
            audio_start: from as f64 / RATE as f64,
            samples,
        }
    }

    /// Drops audio that no segment can still need.
    fn trim(&mut self) {
        let keep_frames = self
            .segmenter
            .open_since()
            .unwrap_or(self.frames_in.saturating_sub(detector::LOOKAHEAD + 2));
        let keep = ((keep_frames as f64 * FRAME - PRE_ROLL).max(0.0) * RATE as f64) as usize;
        if keep > self.audio_base {
            let k = (keep - self.audio_base).min(self.audio.len());
            self.audio.drain(..k);
            self.audio_base += k;
        }
    }
}

/// Speech segments of a whole recording, at any supported rate.
pub fn segments(audio: &wav::Audio, cfg: Config) -> Vec<Segment> {
    let mut p = Pipeline::new(audio.rate, cfg);
    let mut out: Vec<Segment> = audio
        .samples
        .chunks(4096)
        .flat_map(|c| p.push(c))
        .map(|c| c.segment)
        .collect();
    out.extend(p.finish().into_iter().map(|c| c.segment));
    out
}

/// `{"segments":[{"start":S,"end":S},...]}` with times in seconds.
pub fn segments_json(segments: &[Segment]) -> String {
    let items: Vec<String> = segments
        .iter()
        .map(|s| format!("{{\"start\":{:.3},\"end\":{:.3}}}", s.start_s(), s.end_s()))
        .collect();
    format!("{{\"segments\":[{}]}}", items.join(","))
}
