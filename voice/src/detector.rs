//! Voice activity detection, one probability per 16 ms frame: earshot's neural score and
//! Viva's own acoustic features, each with its mean and maximum over ±64 ms and ±192 ms,
//! go through a small classifier (one hidden layer) trained on synthetic interview clips
//! with noise, typing, music, tones, clicks and knocks (`voice/train/`). The context makes
//! the detector answer 12 frames (192 ms) after a frame has arrived.

use crate::features::{Extractor, HOP, N};
use crate::weights;

/// Frames of context on each side (and so the detector's delay in frames).
pub const LOOKAHEAD: usize = 12;
const SHORT: usize = 4;
/// Which per-frame features get context statistics (all but `low_ratio`).
const CONTEXT_OF: [usize; 6] = [0, 1, 2, 3, 5, 6];
pub const INPUTS: usize = N + 2 * 2 * CONTEXT_OF.len();
const RING: usize = 2 * LOOKAHEAD + 1;

pub struct Detector {
    earshot: Box<earshot::Detector>,
    features: Extractor,
    ring: [[f32; N]; RING],
    pushed: usize,
    frame16: [i16; HOP],
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector {
    pub fn new() -> Self {
        Detector {
            earshot: earshot::Detector::default_boxed(),
            features: Extractor::new(),
            ring: [[0.0; N]; RING],
            pushed: 0,
            frame16: [0; HOP],
        }
    }

    /// Classifier inputs for the frame `LOOKAHEAD` frames back, once there is one.
    pub fn push_inputs(&mut self, frame: &[f32]) -> Option<[f32; INPUTS]> {
        for (d, s) in self.frame16.iter_mut().zip(frame) {
            *d = (s.clamp(-1.0, 1.0) * 32767.0) as i16;
        }
        let score = self.earshot.predict_i16(&self.frame16);
        let f = self.features.push(frame, score);
        if self.pushed == 0 {
            // The stream's first frame stands in for the context before it.
            self.ring = [f; RING];
            self.pushed = LOOKAHEAD;
        }
        self.ring[self.pushed % RING] = f;
        self.pushed += 1;
        (self.pushed > 2 * LOOKAHEAD).then(|| self.inputs())
    }

    /// Flushes the last `LOOKAHEAD` frames (the last frame stands in for what follows).
    pub fn finish_inputs(&mut self) -> Vec<[f32; INPUTS]> {
        if self.pushed == 0 {
            return Vec::new();
        }
        let last = self.ring[(self.pushed - 1) % RING];
        (0..LOOKAHEAD)
            .map(|_| {
                self.ring[self.pushed % RING] = last;
                self.pushed += 1;
                self.inputs()
            })
            .collect()
    }

    fn inputs(&self) -> [f32; INPUTS] {
        // Newest frame is pushed-1; the centre is LOOKAHEAD before it.
        let at = |back: usize| &self.ring[(self.pushed - 1 - back) % RING];
        let mut x = [0f32; INPUTS];
        x[..N].copy_from_slice(at(LOOKAHEAD));
        let mut k = N;
        for half in [SHORT, LOOKAHEAD] {
            for &j in &CONTEXT_OF {
                let (mut sum, mut max) = (0f32, f32::NEG_INFINITY);
                for back in LOOKAHEAD - half..=LOOKAHEAD + half {
                    let v = at(back)[j];
                    sum += v;
                    max = max.max(v);
                }
                x[k] = sum / (2 * half + 1) as f32;
                x[k + 1] = max;
                k += 2;
            }
        }
        x
    }

    /// Speech probability of the frame `LOOKAHEAD` frames back, once there is one.
    pub fn push(&mut self, frame: &[f32]) -> Option<f32> {
        self.push_inputs(frame).map(|x| classify(&x))
    }

    /// Probabilities of the frames still held back.
    pub fn finish(&mut self) -> Vec<f32> {
        self.finish_inputs().iter().map(classify).collect()
    }
}

/// The classifier: inputs → ReLU hidden layer → logistic output.
pub fn classify(x: &[f32; INPUTS]) -> f32 {
    let mut z = weights::B2;
    for h in 0..weights::HIDDEN {
        let mut a = weights::B1[h];
        for (w, v) in weights::W1[h].iter().zip(x) {
            a += w * v;
        }
        if a > 0.0 {
            z += weights::W2[h] * a;
        }
    }
    1.0 / (1.0 + (-z).exp())
}

/// Probabilities for a whole 16 kHz signal, one per complete frame.
pub fn probabilities(samples: &[f32]) -> Vec<f32> {
    let mut d = Detector::new();
    let mut out: Vec<f32> = samples
        .chunks_exact(HOP)
        .filter_map(|f| d.push(f))
        .collect();
    out.extend(d.finish());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_probability_per_frame_in_order_of_arrival() {
        let n = 100;
        let signal: Vec<f32> = (0..n * HOP)
            .map(|i| 0.01 * ((i * 7919) % 13) as f32 / 13.0)
            .collect();
        let p = probabilities(&signal);
        assert_eq!(p.len(), n);
        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(probabilities(&[0.0; 100]).is_empty());
    }

    #[test]
    fn context_is_centred_on_its_frame() {
        // A single loud frame: its own inputs see it in the centre, and frames within ±4
        // see it in their short-window maximum but not as their own value.
        let mut d = Detector::new();
        let mut rows = Vec::new();
        for i in 0..60 {
            let loud = i == 30;
            let f: Vec<f32> = (0..HOP)
                .map(|k| {
                    if loud {
                        ((k % 16) as f32 / 8.0 - 1.0) * 0.5
                    } else {
                        0.0
                    }
                })
                .collect();
            rows.extend(d.push_inputs(&f));
        }
        rows.extend(d.finish_inputs());
        assert_eq!(rows.len(), 60);
        let energy = 1; // energy over floor; the window (32 ms) spans frames 30 and 31
        let loudest = (0..60)
            .max_by(|a, b| rows[*a][energy].total_cmp(&rows[*b][energy]))
            .unwrap();
        assert!(loudest == 30 || loudest == 31, "loudest at {loudest}");
        let short_max = N + 2 + 1; // short window, feature `energy_over_floor`, max
        assert!(rows[loudest + 3][short_max] >= rows[loudest][energy] - 1e-3);
        assert!(rows[loudest + 3][energy] < rows[loudest][energy]);
    }
}
