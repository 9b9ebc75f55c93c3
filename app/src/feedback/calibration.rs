//! The calibration set (`app/data/calibration/pairs.toml`): pairs of a strong and a weak
//! answer to one question. An engine is calibrated when it scores the strong one higher in at
//! least 90 % of pairs. Used by the tests and by `bench/run.sh`.

use serde::Deserialize;

use super::engine::{evaluate_with, Similarity};
use super::EvalRequest;
use super::Kind;

pub const PAIRS_TOML: &str = include_str!("../../data/calibration/pairs.toml");

#[derive(Debug, Deserialize)]
pub struct Pair {
    pub id: String,
    pub question: String,
    pub kind: String,
    pub key_points: Vec<String>,
    pub strong: String,
    pub weak: String,
    pub weakness: String,
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
