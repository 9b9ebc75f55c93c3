//! The calibration set: pairs of a strong and a weak answer to one question. An engine is
//! calibrated when it scores the strong one higher in at least 90 % of pairs. Used by the
//! tests and by `bench/run.sh`.
//!
//! - `pairs.toml`: questions like the bank's, with key points (tuned on);
//! - `open.toml`: questions outside the bank (weakness, motivation, failure, 90 days, lay
//!   explanations…), half marked `split = "held-out"`: never tuned on, only measured.
//!
//! Each pair is measured with its key points and without them (then the engine derives them).

use serde::Deserialize;

use super::engine::{evaluate_with, Similarity};
use super::EvalRequest;
use super::Kind;

pub const PAIRS_TOML: &str = include_str!("../../data/calibration/pairs.toml");
pub const OPEN_TOML: &str = include_str!("../../data/calibration/open.toml");

#[derive(Debug, Deserialize)]
pub struct Pair {
    pub id: String,
    pub question: String,
    pub kind: String,
    pub key_points: Vec<String>,
    pub strong: String,
    pub weak: String,
    pub weakness: String,
    /// `tuning` or `held-out` (`open.toml`); pairs.toml is all tuning.
    #[serde(default)]
    pub split: Option<String>,
}

#[derive(Deserialize)]
struct File {
    pair: Vec<Pair>,
}

pub fn pairs() -> Vec<Pair> {
    toml::from_str::<File>(PAIRS_TOML)
        .expect("the calibration set parses")
        .pair
}

/// The pairs of questions outside the bank (`open.toml`).
pub fn open_pairs() -> Vec<Pair> {
    toml::from_str::<File>(OPEN_TOML)
        .expect("the open calibration set parses")
        .pair
}

/// Which pairs a figure is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Set {
    /// pairs.toml and the tuning half of open.toml.
    Tuning,
    /// The held-out half of open.toml.
    HeldOut,
}

pub fn set(which: Set) -> Vec<Pair> {
    let open = open_pairs().into_iter();
    match which {
        Set::Tuning => pairs()
            .into_iter()
            .chain(open.filter(|p| p.split.as_deref() == Some("tuning")))
            .collect(),
        Set::HeldOut => open
            .filter(|p| p.split.as_deref() == Some("held-out"))
            .collect(),
    }
}

/// Like [`accuracy`], over `pairs`, with their key points or (`key_points` false) without.
pub fn accuracy_of(
    pairs: &[Pair],
    sim: &dyn Similarity,
    key_points: bool,
) -> (usize, usize, Vec<String>) {
    let mut misses = Vec::new();
    for p in pairs {
        let (mut s, mut w) = p.requests();
        if !key_points {
            s.key_points.clear();
            w.key_points.clear();
        }
        let (s, w) = (evaluate_with(&s, sim), evaluate_with(&w, sim));
        if s.scores.overall <= w.scores.overall {
            misses.push(format!(
                "{} ({}): strong {:?} weak {:?}",
                p.id, p.weakness, s.scores, w.scores
            ));
        }
    }
    (pairs.len() - misses.len(), pairs.len(), misses)
}

/// The figures of a measure over `sets`: (set, with key points) → wins of total.
pub fn report(sim: &dyn Similarity, sets: &[Set]) -> Vec<(Set, bool, usize, usize, Vec<String>)> {
    let mut out = Vec::new();
    for &which in sets {
        let pairs = set(which);
        for kp in [true, false] {
            let (w, t, m) = accuracy_of(&pairs, sim, kp);
            out.push((which, kp, w, t, m));
        }
    }
    out
}

impl Pair {
    /// The evaluation requests for the strong and the weak answer.
    pub fn requests(&self) -> (EvalRequest, EvalRequest) {
        let kind = self
            .kind
            .parse::<Kind>()
            .unwrap_or_else(|e| panic!("{}: {e}", self.id));
        let r = |a: &str| EvalRequest {
            question: self.question.clone(),
            kind,
            key_points: self.key_points.clone(),
            answer: a.to_string(),
            delivery: None,
        };
        (r(&self.strong), r(&self.weak))
    }
}

/// Pairs where the strong answer scored higher, of all pairs, and a line for each miss.
pub fn accuracy(sim: &dyn Similarity) -> (usize, usize, Vec<String>) {
    let all = pairs();
    let mut misses = Vec::new();
    for p in &all {
        let (s, w) = p.requests();
        let (s, w) = (evaluate_with(&s, sim), evaluate_with(&w, sim));
        if s.scores.overall <= w.scores.overall {
            misses.push(format!(
                "{} ({}): strong {:?} weak {:?}",
                p.id, p.weakness, s.scores, w.scores
            ));
        }
    }
    (all.len() - misses.len(), all.len(), misses)
}
