//! Streaming sample-rate conversion to 16 kHz (or any rate): a windowed-sinc filter
//! (Blackman window, 8 zero crossings, cut-off at 90 % of the lower Nyquist frequency) read
//! from a precomputed table, so it works for any ratio — 44.1 kHz as well as 48 kHz.

const ZEROS: f64 = 8.0;
/// Table entries per input sample of kernel offset.
const STEPS: usize = 128;

pub struct Resampler {
    step: f64,       // input samples per output sample
    half: f64,       // kernel half-width in input samples
    scale: f64,      // table entries per input sample of offset
    table: Vec<f32>, // kernel at offsets -half ..= half, `scale` entries per input sample
    buf: Vec<f32>,   // input not yet consumed, buf[0] is input sample `base`
    base: u64,
    next: u64, // index of the next output sample
    passthrough: bool,
}

impl Resampler {
    pub fn new(from: u32, to: u32) -> Self {
        let step = from as f64 / to as f64;
        let cutoff = 0.9 * (from.min(to) as f64) / 2.0; // Hz
        let fc = 2.0 * cutoff / from as f64; // normalised to the input rate (1 = Nyquist·2)
        let half = ZEROS / fc;
        let scale = STEPS as f64;
        // The kernel over offsets -half..=half, STEPS entries per input sample.
        let n = (2.0 * half * scale).ceil() as usize + 2;
        let table = (0..n)
            .map(|i| {
                let d = (i as f64 / scale - half).abs();
                if d > half {
                    return 0.0;
                }
                let x = std::f64::consts::PI * fc * d;
                let sinc = if d == 0.0 { 1.0 } else { x.sin() / x };
                let w = d / half; // 0 at the centre, 1 at the edge
                let blackman = 0.42
                    + 0.5 * (std::f64::consts::PI * w).cos()
                    + 0.08 * (2.0 * std::f64::consts::PI * w).cos();
                (fc * sinc * blackman) as f32
            })
            .collect();
        Resampler {
            step,
            half,
            scale,
            table,
            buf: Vec::new(),
            base: 0,
            next: 0,
            passthrough: from == to,
        }
    }

    /// Feeds input samples; appends every output sample that can now be computed to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.passthrough {
            out.extend_from_slice(input);
            return;
        }
        self.buf.extend_from_slice(input);
        self.drain(out);
    }

    /// Ends the stream: the remaining output, as if silence followed.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        if self.passthrough {
            return;
        }
        let end = self.base + self.buf.len() as u64;
        let pad = self.half.ceil() as usize + 1;
        self.buf.extend(std::iter::repeat_n(0.0, pad));
        // Outputs up to the last input sample's time.
        while (self.next as f64 * self.step) < end as f64 {
            if !self.one(out) {
                break;
            }
        }
    }

    fn one(&mut self, out: &mut Vec<f32>) -> bool {
        let t = self.next as f64 * self.step; // position in input samples
        let hi = (t + self.half).floor() as i64;
        if hi >= (self.base + self.buf.len() as u64) as i64 {
            return false;
        }
        let lo = ((t - self.half).ceil() as i64).max(self.base as i64);
        // Table position of tap `lo` (offset lo - t, shifted by `half`); each later tap is
        // exactly `STEPS` entries further, with the same fraction between entries.
        let pos = ((lo as f64 - t) + self.half) * self.scale;
        let mut j = pos.floor().max(0.0) as usize;
        let f = (pos - pos.floor()) as f32;
        let g = 1.0 - f;
        let mut acc = 0f32;
        let x = &self.buf[(lo as u64 - self.base) as usize..=(hi as u64 - self.base) as usize];
        for v in x {
            if j + 1 >= self.table.len() {
                break;
            }
            acc += v * (self.table[j] * g + self.table[j + 1] * f);
            j += STEPS;
        }
        out.push(acc);
        self.next += 1;
        true
    }

    fn drain(&mut self, out: &mut Vec<f32>) {
        while self.one(out) {}
        // Drop input that no later output needs.
        let t = self.next as f64 * self.step;
        let keep_from = ((t - self.half).floor() as i64 - 1).max(0) as u64;
        if keep_from > self.base {
            let k = ((keep_from - self.base) as usize).min(self.buf.len());
            self.buf.drain(..k);
            self.base += k as u64;
        }
    }
}

/// Resamples a whole signal.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    let mut r = Resampler::new(from, to);
    let mut out = Vec::with_capacity((samples.len() as f64 * to as f64 / from as f64) as usize + 8);
    r.push(samples, &mut out);
    r.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, secs: f64) -> Vec<f32> {
        (0..(rate as f64 * secs) as usize)
            .map(|i| {
                (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin() as f32 * 0.5
            })
            .collect()
    }
    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    }

    #[test]
    fn length_follows_the_ratio_at_common_device_rates() {
        for from in [8_000, 22_050, 32_000, 44_100, 48_000] {
            let out = resample(&vec![0.0; from as usize * 2], from, 16_000);
            assert!(
                (out.len() as i64 - 32_000).abs() <= 1,
                "{from}: {}",
                out.len()
            );
        }
    }

    #[test]
    fn a_tone_in_the_passband_keeps_its_level_and_frequency() {
        for from in [44_100, 48_000, 8_000] {
            let out = resample(&sine(440.0, from, 1.0), from, 16_000);
            let mid = &out[2_000..14_000];
            assert!(
                (rms(mid) - 0.5 / 2f32.sqrt()).abs() < 0.01,
                "{from}: rms {}",
                rms(mid)
            );
            // Compare with an ideal 440 Hz sine at 16 kHz (same phase: time 0 maps to time 0).
            let ideal = sine(440.0, 16_000, 1.0);
            let err: f32 = mid
                .iter()
                .zip(&ideal[2_000..14_000])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(err < 0.01, "{from}: max error {err}");
        }
    }

    #[test]
    fn frequencies_above_the_new_nyquist_are_removed() {
        // 12 kHz cannot exist at 16 kHz; without a low-pass it would alias to 4 kHz.
        let out = resample(&sine(12_000.0, 48_000, 1.0), 48_000, 16_000);
        assert!(
            rms(&out[1_000..15_000]) < 0.005,
            "aliasing: rms {}",
            rms(&out[1_000..15_000])
        );
    }

    #[test]
    fn streaming_in_odd_chunks_equals_one_call() {
        let x = sine(300.0, 44_100, 0.5);
        let whole = resample(&x, 44_100, 16_000);
        let mut r = Resampler::new(44_100, 16_000);
        let mut out = Vec::new();
        for c in x.chunks(137) {
            r.push(c, &mut out);
        }
        r.finish(&mut out);
        assert_eq!(out.len(), whole.len());
        assert!(out.iter().zip(&whole).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    #[test]
    fn same_rate_is_untouched() {
        let x = sine(300.0, 16_000, 0.1);
        assert_eq!(resample(&x, 16_000, 16_000), x);
    }
}
