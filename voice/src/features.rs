//! Acoustic features of one 16 ms frame (256 samples at 16 kHz), over a 32 ms Hann window:
//! what tells speech from the noises a microphone also hears. Speech changes its spectrum
//! every few tens of milliseconds and is voiced (periodic) much of the time; a tone or
//! music holds its spectrum, typing, clicks and knocks are flat, aperiodic bursts.

pub const RATE: u32 = 16_000;
/// Samples per frame (16 ms).
pub const HOP: usize = 256;
const WIN: usize = 512;
const BINS: usize = WIN / 2 + 1; // 31.25 Hz each
/// Speech band used for energy and shape: 94 Hz – 4 kHz.
const BAND: std::ops::Range<usize> = 3..128;
/// Coarse bands for the spectral-change measure, and how far back it looks (96 ms).
const COARSE: usize = 16;
const CHANGE_LAG: usize = 6;
/// Frames over which the noise floor is the running minimum of the energy (2 s).
pub const FLOOR_FRAMES: usize = 125;

/// Per-frame features, before context. Order matters: the classifier's weights follow it.
pub const NAMES: [&str; 7] = [
    "earshot",
    "energy_over_floor",
    "log_flatness",
    "peak3",
    "low_ratio",
    "change",
    "periodicity",
];
pub const N: usize = NAMES.len();

/// In-place radix-2 FFT of a fixed size.
pub struct Fft {
    n: usize,
    cos: Vec<f32>,
    sin: Vec<f32>,
    rev: Vec<u32>,
}

impl Fft {
    pub fn new(n: usize) -> Self {
        assert!(n.is_power_of_two());
        let bits = n.trailing_zeros();
        let rev = (0..n as u32)
            .map(|i| i.reverse_bits() >> (32 - bits))
            .collect();
        let ang = |k: usize| 2.0 * std::f64::consts::PI * k as f64 / n as f64;
        Fft {
            n,
            cos: (0..n / 2).map(|k| ang(k).cos() as f32).collect(),
            sin: (0..n / 2).map(|k| -ang(k).sin() as f32).collect(),
            rev,
        }
    }

    /// Power spectrum (n/2 + 1 bins) of a real signal; `re`/`im` are scratch of length n.
    pub fn power(&self, x: &[f32], re: &mut [f32], im: &mut [f32], out: &mut [f32]) {
        let n = self.n;
        for i in 0..n {
            re[i] = x[self.rev[i] as usize];
            im[i] = 0.0;
        }
        let mut len = 2;
        while len <= n {
            let step = n / len;
            let h = len / 2;
            for s in (0..n).step_by(len) {
                for k in 0..h {
                    let (c, si) = (self.cos[k * step], self.sin[k * step]);
                    let (a, b) = (s + k, s + k + h);
                    let tr = re[b] * c - im[b] * si;
                    let ti = re[b] * si + im[b] * c;
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
            len *= 2;
        }
        for k in 0..=n / 2 {
            out[k] = re[k] * re[k] + im[k] * im[k];
        }
    }
}

pub struct Extractor {
    fft: Fft,
    window: Vec<f32>,
    buf: Vec<f32>,
    windowed: Vec<f32>,
    re: Vec<f32>,
    im: Vec<f32>,
    power: Vec<f32>,
    coarse: Vec<[f32; COARSE]>, // ring of the last CHANGE_LAG + 1 frames
    energies: Vec<f32>,         // ring for the noise floor
    frames: usize,
    half: Vec<f32>, // the window at 8 kHz, for periodicity
}

impl Default for Extractor {
    fn default() -> Self {
        Self::new()
    }
}

impl Extractor {
    pub fn new() -> Self {
        let window = (0..WIN)
            .map(|i| {
                (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / WIN as f64).cos()) as f32
            })
            .collect();
        Extractor {
            fft: Fft::new(WIN),
            window,
            buf: vec![0.0; WIN],
            windowed: vec![0.0; WIN],
            re: vec![0.0; WIN],
            im: vec![0.0; WIN],
            power: vec![0.0; BINS],
            coarse: vec![[0.0; COARSE]; CHANGE_LAG + 1],
            energies: vec![f32::INFINITY; FLOOR_FRAMES],
            frames: 0,
            half: vec![0.0; WIN / 2],
        }
    }

    /// Features of the window that ends with this frame (`HOP` samples in [-1, 1]);
    /// `earshot` is the neural detector's score for the same frame.
    pub fn push(&mut self, frame: &[f32], earshot: f32) -> [f32; N] {
        debug_assert_eq!(frame.len(), HOP);
        self.buf.copy_within(HOP.., 0);
        self.buf[WIN - HOP..].copy_from_slice(frame);
        for i in 0..WIN {
            self.windowed[i] = self.buf[i] * self.window[i];
        }
        self.fft
            .power(&self.windowed, &mut self.re, &mut self.im, &mut self.power);
        let p = &self.power;

        let band = &p[BAND];
        let nb = band.len() as f32;
        let sum: f32 = band.iter().sum::<f32>() + 1e-9;
        let energy = (sum / nb + 1e-10).ln();
        let log_geo = band.iter().map(|v| (v + 1e-10).ln()).sum::<f32>() / nb;
        let log_flatness = log_geo - (sum / nb).ln();
        let (mut a, mut b, mut c) = (0f32, 0f32, 0f32); // three largest bins
        for &v in band {
            if v > a {
                (a, b, c) = (v, a, b);
            } else if v > b {
                (b, c) = (v, b);
            } else if v > c {
                c = v;
            }
        }
        let peak3 = (a + b + c) / sum;
        let total: f32 = p[1..].iter().sum::<f32>() + 1e-9;
        let low_ratio = p[1..8].iter().sum::<f32>() / total;

        // Spectral change against the frame CHANGE_LAG hops ago, on coarse log bands.
        let slot = self.frames % (CHANGE_LAG + 1);
        let mut coarse = [0f32; COARSE];
        for (j, v) in coarse.iter_mut().enumerate() {
            let lo = BAND.start + j * 8;
            *v = (p[lo..lo + 8].iter().sum::<f32>() + 1e-9).ln();
        }
        let old = if self.frames >= CHANGE_LAG {
            self.coarse[(self.frames - CHANGE_LAG) % (CHANGE_LAG + 1)]
        } else {
            self.coarse[0]
        };
        let old = if self.frames == 0 { coarse } else { old };
        let change = coarse
            .iter()
            .zip(old.iter())
            .map(|(x, y)| (x - y).abs())
            .sum::<f32>()
            / COARSE as f32;
        self.coarse[slot] = coarse;

        // Noise floor: the quietest frame of the last two seconds.
        self.energies[self.frames % FLOOR_FRAMES] = energy;
        let floor = self.energies.iter().copied().fold(f32::INFINITY, f32::min);
        let energy_over_floor = energy - floor;

        let periodicity = self.periodicity();
        self.frames += 1;
        [
            earshot,
            energy_over_floor,
            log_flatness,
            peak3,
            low_ratio,
            change,
            periodicity,
        ]
    }

    /// Voicing: the highest normalised autocorrelation of the window (at 8 kHz) for pitch
    /// periods of 2.5–12.5 ms (80–400 Hz).
    fn periodicity(&mut self) -> f32 {
        for i in 0..WIN / 2 {
            self.half[i] = 0.5 * (self.buf[2 * i] + self.buf[2 * i + 1]);
        }
        let x = &self.half;
        let n = x.len();
        // Prefix sums of squares give each lag's energies in O(1).
        let mut sq = vec![0f32; n + 1];
        for i in 0..n {
            sq[i + 1] = sq[i] + x[i] * x[i];
        }
        let mut best = 0f32;
        for lag in 20..100 {
            let m = n - lag;
            let mut c = 0f32;
            for i in 0..m {
                c += x[i] * x[i + lag];
            }
            let e1 = sq[m];
            let e2 = sq[n] - sq[lag];
            let r = c / ((e1 * e2).sqrt() + 1e-9);
            if r > best {
                best = r;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(signal: &[f32]) -> Vec<[f32; N]> {
        let mut e = Extractor::new();
        signal.chunks_exact(HOP).map(|f| e.push(f, 0.0)).collect()
    }
    fn noise(n: usize, seed: u64, amp: f32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 2.0 * amp
            })
            .collect()
    }

    #[test]
    fn the_fft_finds_a_tone_in_its_bin() {
        let f = Fft::new(64);
        let x: Vec<f32> = (0..64)
            .map(|i| (2.0 * std::f32::consts::PI * 5.0 * i as f32 / 64.0).cos())
            .collect();
        let (mut re, mut im, mut p) = (vec![0.0; 64], vec![0.0; 64], vec![0.0; 33]);
        f.power(&x, &mut re, &mut im, &mut p);
        assert!((p[5] - 32.0 * 32.0).abs() < 1.0);
        assert!(p
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != 5)
            .all(|(_, v)| *v < 1e-3));
    }

    #[test]
    fn a_tone_is_peaky_and_periodic_and_noise_is_flat_and_aperiodic() {
        let tone: Vec<f32> = (0..16_000)
            .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 220.0 * i as f32 / 16_000.0).sin())
            .collect();
        let t = frames(&tone)[30];
        let n = frames(&noise(16_000, 7, 0.3))[30];
        let (flat, peak, per) = (2, 3, 6);
        assert!(
            t[flat] < n[flat] - 3.0,
            "tone flatness {} noise {}",
            t[flat],
            n[flat]
        );
        assert!(t[peak] > 0.5 && n[peak] < 0.2);
        assert!(
            t[per] > 0.9 && n[per] < 0.5,
            "periodicity tone {} noise {}",
            t[per],
            n[per]
        );
        // A steady tone does not change; its spectral change is far below a switch of sounds.
        assert!(t[5] < 0.5);
    }

    #[test]
    fn energy_is_measured_above_the_running_floor() {
        let mut s = noise(16_000, 3, 0.001);
        s.extend(noise(8_000, 4, 0.2));
        let f = frames(&s);
        assert!(f[40][1] < 1.0, "quiet part sits on the floor: {}", f[40][1]);
        assert!(f[80][1] > 5.0, "loud part is far above it: {}", f[80][1]);
    }
}
