//! Accuracy of the voice segmenter on labelled clips, at 16 kHz and resampled to 44.1 and
//! 48 kHz. Clips: `VIVA_VOICE_CLIPS` (a folder of clipNN.wav + clipNN.json), by default the
//! workspace's `../shared/audio/dev`. Bars (issue "Voice answers"): utterance recall 1.0,
//! utterance precision ≥ 0.98, frame F1 ≥ 0.995 (10 ms frames, 0.2 s around each true
//! boundary ignored), median boundary error ≤ 50 ms, no segment made of a non-speech event.
//!
//! `cargo test --release -p voice --test accuracy -- --nocapture` prints the figures.

use std::path::PathBuf;

use serde_json::Value;
use voice::{resample::resample, segments, wav, Config};

struct Clip {
    name: String,
    audio: wav::Audio,
    speech: Vec<(f64, f64)>,
    events: Vec<(f64, f64, String)>,
}

fn clips() -> Vec<Clip> {
    let dir = std::env::var_os("VIVA_VOICE_CLIPS")
        .map(PathBuf::from)
        // The crate's folder as cargo gives it at run time (a cached build may come from another checkout).
        .unwrap_or_else(|| {
            PathBuf::from(
                std::env::var_os("CARGO_MANIFEST_DIR")
                    .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
            )
            .join("../../shared/audio/dev")
        });
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "labelled clips not found at {} ({e}); set VIVA_VOICE_CLIPS",
                dir.display()
            )
        })
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no clipNN.json in {}", dir.display());
    names
        .into_iter()
        .map(|js| {
            let t: Value = serde_json::from_slice(&std::fs::read(&js).unwrap()).unwrap();
            let audio = wav::decode(&std::fs::read(js.with_extension("wav")).unwrap()).unwrap();
            let pair = |v: &Value| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
            Clip {
                name: js.file_stem().unwrap().to_string_lossy().into(),
                audio,
                speech: t["speech"].as_array().unwrap().iter().map(pair).collect(),
                events: t["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| {
                        (
                            v[0].as_f64().unwrap(),
                            v[1].as_f64().unwrap(),
                            v[2].as_str().unwrap().to_string(),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Debug, Default)]
struct Score {
    utterances: usize,
    found: usize,
    segments: usize,
    true_segments: usize,
    tp: usize,
    fp: usize,
    fn_: usize,
    boundary_errors: Vec<f64>,
    event_only: Vec<String>,
}

impl Score {
    fn add(&mut self, clip: &Clip, hyp: &[(f64, f64)]) {
        let n = (clip.audio.duration() * 100.0).ceil() as usize;
        let idx = |t: f64| ((t * 100.0).round().max(0.0) as usize).min(n);
        let (mut r, mut h, mut ignore) = (vec![false; n], vec![false; n], vec![false; n]);
        for &(s, e) in &clip.speech {
            r[idx(s)..idx(e)].iter_mut().for_each(|v| *v = true);
            for b in [s, e] {
                ignore[idx(b - 0.2)..idx(b + 0.2)]
                    .iter_mut()
                    .for_each(|v| *v = true);
            }
        }
        for &(s, e) in hyp {
            h[idx(s)..idx(e)].iter_mut().for_each(|v| *v = true);
        }
        for i in (0..n).filter(|i| !ignore[*i]) {
            match (r[i], h[i]) {
                (true, true) => self.tp += 1,
                (false, true) => self.fp += 1,
                (true, false) => self.fn_ += 1,
                _ => {}
            }
        }
        for &(s, e) in &clip.speech {
            self.utterances += 1;
            let over: Vec<_> = hyp.iter().filter(|(a, b)| *a < e && *b > s).collect();
            if !over.is_empty() {
                self.found += 1;
                self.boundary_errors
                    .push((over.iter().map(|x| x.0).fold(f64::MAX, f64::min) - s).abs());
                self.boundary_errors
                    .push((over.iter().map(|x| x.1).fold(f64::MIN, f64::max) - e).abs());
            }
        }
        for &(a, b) in hyp {
            self.segments += 1;
            if clip.speech.iter().any(|(s, e)| a < *e && b > *s) {
                self.true_segments += 1;
            } else {
                let kinds: Vec<&str> = clip
                    .events
                    .iter()
                    .filter(|(s, e, _)| a < *e && b > *s)
                    .map(|x| x.2.as_str())
                    .collect();
                self.event_only
                    .push(format!("{} {a:.2}–{b:.2} s {kinds:?}", clip.name));
            }
        }
    }
    fn recall(&self) -> f64 {
        self.found as f64 / self.utterances as f64
    }
    fn precision(&self) -> f64 {
        self.true_segments as f64 / self.segments.max(1) as f64
    }
    fn f1(&self) -> f64 {
        2.0 * self.tp as f64 / (2 * self.tp + self.fp + self.fn_) as f64
    }
    fn median_ms(&self) -> f64 {
        let mut v = self.boundary_errors.clone();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return f64::INFINITY;
        }
        1000.0
            * if v.len() % 2 == 1 {
                v[v.len() / 2]
            } else {
                (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
            }
    }
}

#[test]
fn segments_meet_the_accuracy_bar_at_every_rate() {
    let clips = clips();
    let mut failures = Vec::new();
    for rate in [16_000u32, 44_100, 48_000] {
        let mut score = Score::default();
        for clip in &clips {
            let audio = if rate == clip.audio.rate {
                clip.audio.clone()
            } else {
                wav::Audio {
                    rate,
                    channels: 1,
                    samples: resample(&clip.audio.samples, clip.audio.rate, rate),
                }
            };
            let hyp: Vec<(f64, f64)> = segments(&audio, Config::default())
                .iter()
                .map(|s| (s.start_s(), s.end_s()))
                .collect();
            score.add(clip, &hyp);
        }
        println!(
            "{rate} Hz, {} clips, {} utterances: recall {:.3}, precision {:.3} ({} segments), frame F1 {:.4}, median boundary error {:.0} ms",
            clips.len(),
            score.utterances,
            score.recall(),
            score.precision(),
            score.segments,
            score.f1(),
            score.median_ms()
        );
        if score.recall() < 1.0 {
            failures.push(format!(
                "{rate} Hz: utterance recall {:.3} < 1.0",
                score.recall()
            ));
        }
        if score.precision() < 0.98 {
            failures.push(format!(
                "{rate} Hz: utterance precision {:.3} < 0.98",
                score.precision()
            ));
        }
        if score.f1() < 0.995 {
            failures.push(format!("{rate} Hz: frame F1 {:.4} < 0.995", score.f1()));
        }
        if score.median_ms() > 50.0 {
            failures.push(format!(
                "{rate} Hz: median boundary error {:.0} ms > 50 ms",
                score.median_ms()
            ));
        }
        if !score.event_only.is_empty() {
            failures.push(format!(
                "{rate} Hz: segments with no speech: {:?}",
                score.event_only
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
