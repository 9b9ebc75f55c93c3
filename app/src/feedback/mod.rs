//! Evaluation of answers: the kinds of question, the scored dimensions, written feedback and
//! recommendations. The types here cross the wire to the browser; the engines run on the
//! server. Feedback knows no other feature (interview and voice build on it).
//!
//! - [`engine`]: the embedded engine — offline, deterministic, pure code (tested natively,
//!   checked against the calibration set in `app/data/calibration/`).
//! - [`hosted`]: OpenAI-compatible and Gemini engines; [`evaluator`] picks the engine and
//!   falls back to the embedded one; [`embed`] runs all-MiniLM-L6-v2 for relevance (its
//!   tokenizer.json read by Hugging Face's `tokenizers`).
//! - [`text`]: words, sentences and stems, shared with the interview planner.
//! - [`intent`]: key points derived from a question's words or kind, for questions that have
//!   none (personalised ones, and those a person brings).

/// The calibration set: in tests and the `eval_cost` example only (feature `calibration`),
/// never in the binary people run.
#[cfg(any(test, feature = "calibration"))]
pub mod calibration;
#[cfg(feature = "ssr")]
pub mod embed;
#[cfg(any(feature = "ssr", test))]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod evaluator;
#[cfg(feature = "ssr")]
pub mod hosted;
pub mod intent;
pub mod text;

use serde::{Deserialize, Serialize};

mod kind;
pub use kind::Kind;

/// Answers longer than this are refused (about 25 minutes of speech).
pub const MAX_ANSWER_CHARS: usize = 8_000;

/// Scores 0–100 on each dimension, and overall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Scores {
    /// Does the answer address the question that was asked?
    pub relevance: u8,
    /// Is it organised (a STAR story for behavioural questions; point, reasons, example,
    /// trade-offs for technical ones)?
    pub structure: u8,
    /// Numbers, named tools, concrete outcomes, the candidate's own actions.
    pub specificity: u8,
    /// Sentence length, hedges, fillers, repetition.
    pub clarity: u8,
    /// How many of the question's key points it covers.
    pub completeness: u8,
    /// Pace, pauses and fillers of a spoken answer (only when voice data exists).
    pub delivery: Option<u8>,
    pub overall: u8,
}

crate::slug_enum! {
    /// A dimension an answer is scored on.
    pub enum Dimension {
        Relevance = "relevance",
        Structure = "structure",
        Specificity = "specificity",
        Clarity = "clarity",
        Completeness = "completeness",
        /// Pace, pauses and fillers: spoken answers only.
        Delivery = "delivery",
    }
}

impl Dimension {
    pub fn label(self) -> &'static str {
        match self {
            Dimension::Relevance => "Relevance",
            Dimension::Structure => "Structure",
            Dimension::Specificity => "Specificity",
            Dimension::Clarity => "Clarity",
            Dimension::Completeness => "Completeness",
            Dimension::Delivery => "Delivery",
        }
    }
}

/// The dimensions, in the order charts and tables show them.
pub const DIMENSIONS: &[Dimension] = Dimension::ALL;

impl Scores {
    /// A dimension's score (`None` for delivery without voice).
    pub fn get(&self, d: Dimension) -> Option<u8> {
        match d {
            Dimension::Relevance => Some(self.relevance),
            Dimension::Structure => Some(self.structure),
            Dimension::Specificity => Some(self.specificity),
            Dimension::Clarity => Some(self.clarity),
            Dimension::Completeness => Some(self.completeness),
            Dimension::Delivery => self.delivery,
        }
    }
}

/// What a spoken answer's audio told us (filled by the voice work).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct DeliveryStats {
    pub speaking_secs: f32,
    pub words_per_minute: f32,
    pub pauses_over_2_5s: u32,
    pub longest_pause_secs: f32,
    pub fillers: u32,
}

/// One evaluated answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Evaluation {
    pub scores: Scores,
    pub strengths: Vec<String>,
    pub improvements: Vec<String>,
    /// An outline of a strong answer to this question.
    pub outline: Vec<String>,
    /// The one thing to practise next.
    pub next_step: String,
    /// Key points the answer covered, and those it missed.
    pub covered: Vec<String>,
    pub missed: Vec<String>,
    /// Which engine produced this ("Viva embedded engine", "OpenAI-compatible: gpt-4o-mini", …).
    pub engine: String,
    /// Shown beside the result, e.g. that relevance was measured lexically, or that a hosted
    /// engine failed and the embedded one answered instead.
    pub note: Option<String>,
}

/// What an engine is asked to judge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalRequest {
    pub question: String,
    pub kind: Kind,
    pub key_points: Vec<String>,
    pub answer: String,
    pub delivery: Option<DeliveryStats>,
}

/// Said wherever scores are shown: they are automatic, may be wrong, and decide nothing.
#[leptos::component]
pub fn AiNotice() -> impl leptos::IntoView {
    use leptos::prelude::*;
    view! {
        <p class="ai-notice" role="note">
            "Scores and feedback are produced automatically by software. They can be wrong, no person checked them, and they are practice material only — not a hiring decision. "
            <a href="/privacy#ai">"How feedback is made"</a>
        </p>
    }
}
