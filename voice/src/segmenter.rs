//! Turns frame probabilities into speech segments: hysteresis (start at `ON`, keep going
//! while at least `OFF`), a hangover so short pauses inside a sentence do not split it, a
//! minimum length so a lone cough-length blip is dropped, and a maximum length, at which a
//! long answer is cut at its quietest frame of the last few seconds.

use crate::features::{HOP, RATE};

/// Seconds per frame.
pub const FRAME: f64 = HOP as f64 / RATE as f64;

/// Segmenter settings; `Default` holds the values the accuracy test measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// A segment starts at a frame at least this likely to be speech…
    pub on: f32,
    /// …and continues while frames are at least this likely.
    pub off: f32,
    /// Seconds below `off` before a segment ends.
    pub hangover: f64,
    /// Segments shorter than this (seconds) are dropped.
    pub min_speech: f64,
    /// Longest segment (seconds); longer speech is split.
    pub max_segment: f64,
    /// How far back (seconds) from the maximum to look for the quietest frame to split at.
    pub split_search: f64,
}

pub const ON: f32 = 0.5;
pub const OFF: f32 = 0.4;
pub const HANGOVER: f64 = 0.2;
pub const MIN_SPEECH: f64 = 0.2;
pub const MAX_SEGMENT: f64 = 20.0;
pub const SPLIT_SEARCH: f64 = 4.0;

impl Default for Config {
    fn default() -> Self {
        Config {
            on: ON,
            off: OFF,
            hangover: HANGOVER,
            min_speech: MIN_SPEECH,
            max_segment: MAX_SEGMENT,
            split_search: SPLIT_SEARCH,
        }
    }
}

/// Speech from frame `start` up to, not including, frame `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
}

impl Segment {
    pub fn start_s(&self) -> f64 {
        self.start as f64 * FRAME
    }
    pub fn end_s(&self) -> f64 {
        self.end as f64 * FRAME
    }
    pub fn duration(&self) -> f64 {
        self.end_s() - self.start_s()
    }
}

pub struct Segmenter {
    cfg: Config,
    frame: usize,
    open: Option<Open>,
}

struct Open {
    start: usize,
    last_voiced: usize,
    probs: Vec<f32>, // since `start`
}

fn frames(seconds: f64) -> usize {
    (seconds / FRAME).round() as usize
}

impl Segmenter {
    pub fn new(cfg: Config) -> Self {
        Segmenter {
            cfg,
            frame: 0,
            open: None,
        }
    }

    /// Whether a segment is open (the person is speaking, as far as the detector has heard).
    pub fn speaking(&self) -> bool {
        self.open.is_some()
    }

    /// Frame index where the open segment started, if one is open.
    pub fn open_since(&self) -> Option<usize> {
        self.open.as_ref().map(|o| o.start)
    }

    fn keep(&self, s: Segment) -> Option<Segment> {
        (s.end > s.start && s.duration() + 1e-9 >= self.cfg.min_speech).then_some(s)
    }

    /// The next frame's probability; returns a segment when one has ended.
    pub fn push(&mut self, p: f32) -> Option<Segment> {
        let t = self.frame;
        self.frame += 1;
        let cfg = self.cfg;
        let Some(open) = self.open.as_mut() else {
            if p >= cfg.on {
                self.open = Some(Open {
                    start: t,
                    last_voiced: t,
                    probs: vec![p],
                });
            }
            return None;
        };
        open.probs.push(p);
        if p >= cfg.off {
            open.last_voiced = t;
        } else if (t - open.last_voiced) as f64 * FRAME > cfg.hangover {
            let s = Segment {
                start: open.start,
                end: open.last_voiced + 1,
            };
            self.open = None;
            return self.keep(s);
        }
        if open.probs.len() >= frames(cfg.max_segment) {
            // Cut at the quietest frame of the last `split_search` seconds.
            let from = open.probs.len().saturating_sub(frames(cfg.split_search));
            let (k, _) = open
                .probs
                .iter()
                .enumerate()
                .skip(from)
                .min_by(|a, b| a.1.total_cmp(b.1))
                .unwrap();
            let s = Segment {
                start: open.start,
                end: open.start + k,
            };
            let rest = open.probs.split_off(k + 1);
            let start = open.start + k + 1;
            let last_voiced = open.last_voiced.max(start);
            self.open = Some(Open {
                start,
                last_voiced,
                probs: rest,
            });
            return self.keep(s);
        }
        None
    }

    /// Ends the stream, closing an open segment at its last voiced frame.
    pub fn finish(&mut self) -> Option<Segment> {
        let open = self.open.take()?;
        self.keep(Segment {
            start: open.start,
            end: open.last_voiced + 1,
        })
    }
}

/// Segments of a whole sequence of probabilities.
pub fn segment(probs: &[f32], cfg: Config) -> Vec<Segment> {
    let mut s = Segmenter::new(cfg);
    let mut out: Vec<Segment> = probs.iter().filter_map(|p| s.push(*p)).collect();
    out.extend(s.finish());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs(spec: &[(f32, f64)]) -> Vec<f32> {
        spec.iter()
            .flat_map(|(p, secs)| std::iter::repeat_n(*p, frames(*secs)))
            .collect()
    }

    #[test]
    fn hysteresis_and_hangover_keep_a_sentence_whole() {
        // Speech, a dip to 0.45 (above OFF), a 0.1 s pause (within the hangover), speech.
        let p = probs(&[
            (0.0, 1.0),
            (0.9, 1.0),
            (0.45, 0.3),
            (0.9, 0.5),
            (0.1, 0.1),
            (0.9, 0.5),
            (0.0, 1.0),
        ]);
        let s = segment(&p, Config::default());
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(
            (s[0].start_s() - 1.0).abs() < 0.02 && (s[0].end_s() - 3.4).abs() < 0.02,
            "{s:?}"
        );
    }

    #[test]
    fn a_pause_longer_than_the_hangover_splits() {
        let p = probs(&[(0.9, 1.0), (0.1, 0.5), (0.9, 1.0)]);
        let s = segment(&p, Config::default());
        assert_eq!(s.len(), 2);
        assert!((s[0].end_s() - 1.0).abs() < 0.02 && (s[1].start_s() - 1.5).abs() < 0.02);
    }

    #[test]
    fn blips_shorter_than_the_minimum_are_dropped() {
        let p = probs(&[(0.0, 1.0), (0.9, 0.1), (0.0, 1.0), (0.9, 0.3), (0.0, 1.0)]);
        let s = segment(&p, Config::default());
        assert_eq!(s.len(), 1);
        assert!((s[0].duration() - 0.3).abs() < 0.02);
    }

    #[test]
    fn long_speech_is_split_at_its_quietest_point() {
        // 30 s of speech with a slight dip (still speech) at 17 s.
        let p = probs(&[(0.9, 17.0), (0.6, 0.048), (0.9, 13.0)]);
        let s = segment(&p, Config::default());
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s.iter().all(|x| x.duration() <= MAX_SEGMENT));
        assert!(
            (s[0].end_s() - 17.0).abs() < 0.05,
            "cut at {}",
            s[0].end_s()
        );
        assert!(s[1].start_s() > s[0].end_s() && s[1].start_s() - s[0].end_s() < 0.05);
        assert!((s[1].end_s() - 30.048).abs() < 0.05);
    }

    #[test]
    fn speech_running_to_the_end_is_closed_by_finish() {
        let p = probs(&[(0.0, 0.5), (0.9, 1.0)]);
        let mut sg = Segmenter::new(Config::default());
        assert!(p.iter().all(|v| sg.push(*v).is_none()));
        assert!(sg.speaking());
        let s = sg.finish().unwrap();
        assert!((s.end_s() - 1.5).abs() < 0.02);
        assert!(!sg.speaking());
    }
}
