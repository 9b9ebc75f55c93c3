//! The embedded evaluation engine: offline and deterministic. Scores an answer on relevance,
//! structure, specificity, clarity and completeness (and delivery for spoken answers), and
//! writes feedback a candidate can act on.
//!
//! Relevance and key-point coverage compare meaning through a [`Similarity`]: sentence
//! embeddings when the model is installed, otherwise the lexical measure in this file (and
//! the evaluation says so in its note).

use super::text::{content_stems, mean_sentence_words, sentences, stems_match, words};
use super::Kind;
use super::{DeliveryStats, EvalRequest, Evaluation, Scores};

pub const ENGINE_NAME: &str = "Viva embedded engine";
pub const LEXICAL_NOTE: &str =
    "Relevance was measured by shared vocabulary: the sentence-embedding model is not installed on this server (an administrator can add it with `viva models fetch`).";

/// Answers shorter than this many words cannot score above [`SHORT_ANSWER_CAP`] overall.
pub const SHORT_ANSWER_WORDS: usize = 15;
pub const SHORT_ANSWER_CAP: u8 = 30;
/// Below this many words an answer is called thin (and may get a follow-up question).
pub const THIN_ANSWER_WORDS: usize = 40;
/// The band of a comfortable speaking pace, in words per minute (the voice crate's).
pub const PACE_BAND: (f32, f32) = (
    voice::analytics::PACE_BAND.0 as f32,
    voice::analytics::PACE_BAND.1 as f32,
);

/// How similar in meaning a text is to a reference, 0–1. The embedded engine uses sentence
/// embeddings when available and falls back to [`Lexical`].
pub trait Similarity {
    /// Similarity of `answer` to each of `references` (same order), 0–1.
    fn similarities(&self, answer: &str, references: &[&str]) -> Vec<f32>;
    /// True when this measure is the lexical fallback.
    fn is_lexical(&self) -> bool;
}

/// Shared vocabulary (stems), as the fraction of a reference's content words the answer uses.
pub struct Lexical;

impl Similarity for Lexical {
    fn similarities(&self, answer: &str, references: &[&str]) -> Vec<f32> {
        let a = content_stems(answer);
        references
            .iter()
            .map(|r| coverage(&a, &content_stems(r)))
            .collect()
    }
    fn is_lexical(&self) -> bool {
        true
    }
}

/// Fraction of the distinct reference stems found (by [`stems_match`]) among the answer stems.
pub fn coverage(answer: &[String], reference: &[String]) -> f32 {
    let mut refs: Vec<&String> = reference.iter().collect();
    refs.sort();
    refs.dedup();
    if refs.is_empty() {
        return 0.0;
    }
    let hit = refs
        .iter()
        .filter(|r| answer.iter().any(|a| stems_match(a, r)))
        .count();
    hit as f32 / refs.len() as f32
}

/// Evaluates one answer with the lexical measure.
pub fn evaluate(req: &EvalRequest) -> Evaluation {
    evaluate_with(req, &Lexical)
}

pub fn evaluate_with(req: &EvalRequest, sim: &dyn Similarity) -> Evaluation {
    // A question nobody wrote key points for gets those of what it asks (its intent or kind).
    let derived;
    let given_points = !req.key_points.is_empty();
    let req = if req.key_points.is_empty() {
        derived = EvalRequest {
            key_points: super::intent::derive_key_points(&req.question, req.kind),
            ..req.clone()
        };
        &derived
    } else {
        req
    };
    let answer = req.answer.trim();
    let n_words = words(answer).len();
    let signals = Signals::read(answer);

    // Relevance: to the question and its key points together; completeness: point by point.
    let mut refs: Vec<&str> = vec![req.question.as_str()];
    refs.extend(req.key_points.iter().map(String::as_str));
    let joined = format!("{} {}", req.question, req.key_points.join(". "));
    refs.push(&joined);
    let sims = sim.similarities(answer, &refs);
    let (lexical, q_sim, all_sim) = (sim.is_lexical(), sims[0], sims[refs.len() - 1]);
    let kp_sims = &sims[1..refs.len() - 1];
    let covered_threshold = if lexical { 0.4 } else { 0.55 };
    let relevance_raw = if lexical {
        (0.35 * q_sim + 0.65 * all_sim) / 0.4
    } else {
        (0.5 * q_sim + 0.5 * all_sim - 0.15) / 0.45
    };
    let topical = relevance_raw.clamp(0.0, 1.0).powf(0.7);
    let credit: Vec<f32> = kp_sims
        .iter()
        .map(|s| (s / covered_threshold).min(1.0))
        .collect();
    let covered_share = credit.iter().sum::<f32>() / credit.len().max(1) as f32;
    // How far the measures of meaning can be trusted: key points written for the question,
    // or embeddings, tell what it asks; derived key points read by shared words barely do.
    let trust = match (given_points, lexical) {
        (true, _) => 1.0,
        (false, false) => DERIVED_TRUST_EMBEDDED,
        (false, true) => DERIVED_TRUST_LEXICAL,
    };
    // Does the answer do what the question asks (a story, reasons, an example)?
    let structure = structure_score(req.kind, &signals, n_words);
    let answering = answering_share(structure, &signals, n_words);
    // An answer made of the question's own words restates it rather than answering it.
    let echo = echo_share(answer, &req.question);
    let echo_excess = ((echo - ECHO_FREE) / (ECHO_FULL - ECHO_FREE)).clamp(0.0, 1.0);
    let relevance = pct(((trust * topical + (1.0 - trust) * answering)
        * (1.0 - ECHO_PENALTY * echo_excess))
        .clamp(0.0, 1.0));
    let completeness = pct(((trust * covered_share + (1.0 - trust) * answering)
        * (1.0 - ECHO_PENALTY * echo_excess))
        .clamp(0.0, 1.0));
    let covered: Vec<String> = req
        .key_points
        .iter()
        .zip(kp_sims)
        .filter(|(_, s)| **s >= covered_threshold)
        .map(|(k, _)| k.clone())
        .collect();
    let missed: Vec<String> = req
        .key_points
        .iter()
        .zip(kp_sims)
        .filter(|(_, s)| **s < covered_threshold)
        .map(|(k, _)| k.clone())
        .collect();

    let specificity = specificity_score(&signals, n_words);
    let clarity = clarity_score(answer, &signals, n_words);
    let delivery = req.delivery.as_ref().map(delivery_score);

    let mut scores = Scores {
        relevance,
        structure,
        specificity,
        clarity,
        completeness,
        delivery,
        overall: 0,
    };
    scores.overall = overall(req.kind, &scores, trust);
    if n_words < SHORT_ANSWER_WORDS {
        scores.overall = scores.overall.min(SHORT_ANSWER_CAP);
    }
    let echoes = is_echo(req.kind, echo);
    if echoes {
        scores.overall = scores.overall.min(ECHO_CAP);
    }
    let mut eval = Evaluation {
        strengths: Vec::new(),
        improvements: Vec::new(),
        outline: outline(req),
        next_step: String::new(),
        covered,
        missed,
        engine: ENGINE_NAME.into(),
        note: lexical.then(|| LEXICAL_NOTE.to_string()),
        scores,
    };
    write_feedback(&mut eval, req, &signals, n_words);
    if echoes {
        eval.improvements.insert(0, ECHO_ADVICE.to_string());
        eval.improvements.truncate(4);
        eval.strengths
            .retain(|s| !s.starts_with("You answered the question"));
    }
    eval
}

/// Trust in relevance and completeness when the key points were derived (see `evaluate_with`).
pub const DERIVED_TRUST_LEXICAL: f32 = 0.35;
pub const DERIVED_TRUST_EMBEDDED: f32 = 0.7;
/// Echo: the share of an answer's content words that are the question's own. Up to
/// `ECHO_FREE` is normal (naming the topic); at `ECHO_FULL` the answer mostly restates the
/// question, and relevance and completeness lose `ECHO_PENALTY` of their value.
pub const ECHO_FREE: f32 = 0.15;
pub const ECHO_FULL: f32 = 0.4;
pub const ECHO_PENALTY: f32 = 0.7;
/// An answer that restates the question and gives nothing of its own (no action, figure or
/// name) scores at most this overall, and is told why.
pub const ECHO_CAP: u8 = 35;
pub const ECHO_LIMIT: f32 = 0.2;
pub const ECHO_ADVICE: &str = "Your answer repeats the question instead of answering it. Say what you did (or would do), with one real example and its result, in your own words.";

/// The share of `answer`'s content words that are words of `question` (0–1).
pub fn echo_share(answer: &str, question: &str) -> f32 {
    // The question speaks to the person; an answer that echoes it speaks of itself.
    let question = question
        .to_lowercase()
        .replace("yourself", "myself")
        .replace("your ", "my ");
    let (mut q, mut a) = (content_stems(&question), content_stems(answer));
    // A question of small words only ("Tell me about yourself"): every word counts.
    if q.len() < 2 {
        let all = |t: &str| {
            words(t)
                .iter()
                .map(|w| super::text::stem(w))
                .collect::<Vec<_>>()
        };
        (q, a) = (all(&question), all(answer));
    }
    if a.is_empty() || q.is_empty() {
        return 0.0;
    }
    // The same word in another form ("fail", "failing", "failure") echoes it too.
    let same = |w: &str, x: &str| {
        let (short, long) = if w.len() <= x.len() { (w, x) } else { (x, w) };
        stems_match(w, x) || (short.len() >= 4 && long.starts_with(short))
    };
    a.iter().filter(|w| q.iter().any(|x| same(w, x))).count() as f32 / a.len() as f32
}

/// Restating the question: a fifth of the answer's content words are the question's. Technical
/// answers must name the question's terms, so for them it takes twice that.
fn is_echo(kind: Kind, echo: f32) -> bool {
    let limit = match kind {
        Kind::Technical | Kind::SystemDesign => ECHO_LIMIT * 2.0,
        _ => ECHO_LIMIT,
    };
    echo >= limit
}

/// How much an answer does what its kind of question asks, 0–1: the shape its structure score
/// reads (a story with actions and a result, or reasons with an example and trade-offs), less
/// what general claims take away. Read from its wording only.
fn answering_share(structure: u8, s: &Signals, n_words: usize) -> f32 {
    let shape = structure as f32 / 100.0;
    let generic = (s.generic as f32 * 100.0 / n_words.max(1) as f32 * 0.08).min(0.4);
    (shape - generic).clamp(0.0, 1.0)
}

/// The overall score from the dimensions, weighted by the kind of question (stories weigh
/// structure and specificity more; technical answers weigh completeness and relevance).
pub fn overall(kind: Kind, s: &Scores, trust: f32) -> u8 {
    let w = Weights::for_kind(kind);
    // Less trusted relevance and completeness weigh less; structure and specificity take it.
    let moved = (1.0 - trust) * 0.5 * (w.relevance + w.completeness);
    let (wr, wc) = (
        w.relevance * (1.0 - (1.0 - trust) * 0.5),
        w.completeness * (1.0 - (1.0 - trust) * 0.5),
    );
    let share = w.structure + w.specificity;
    let mut o = wr * s.relevance as f32
        + (w.structure + moved * w.structure / share) * s.structure as f32
        + (w.specificity + moved * w.specificity / share) * s.specificity as f32
        + w.clarity * s.clarity as f32
        + wc * s.completeness as f32;
    if let Some(d) = s.delivery {
        o = 0.9 * o + 0.1 * d as f32;
    }
    // An answer far from the question cannot be rescued by its style (when relevance is known).
    if s.relevance < 35 && trust >= 1.0 {
        o = o.min(s.relevance as f32 + 20.0);
    }
    o.round().clamp(0.0, 100.0) as u8
}

fn pct(x: f32) -> u8 {
    (x * 100.0).round().clamp(0.0, 100.0) as u8
}

struct Weights {
    relevance: f32,
    structure: f32,
    specificity: f32,
    clarity: f32,
    completeness: f32,
}

impl Weights {
    fn for_kind(kind: Kind) -> Weights {
        if kind.wants_story() {
            Weights {
                relevance: 0.2,
                structure: 0.2,
                specificity: 0.2,
                clarity: 0.15,
                completeness: 0.25,
            }
        } else {
            Weights {
                relevance: 0.25,
                structure: 0.15,
                specificity: 0.15,
                clarity: 0.15,
                completeness: 0.3,
            }
        }
    }
}

/// What the answer's wording shows, counted once and used by several dimensions.
#[derive(Debug, Default)]
pub struct Signals {
    pub situation: bool,
    pub task: bool,
    /// First-person action statements ("I rewrote", "we migrated").
    pub actions: usize,
    pub own_actions: usize,
    pub result: bool,
    pub reflection: bool,
    pub numbers: usize,
    pub named: usize,
    pub outcomes: usize,
    pub generic: usize,
    pub fillers: usize,
    pub hedges: usize,
    pub reasons: bool,
    pub example: bool,
    pub tradeoff: bool,
    pub sequence: usize,
    pub repeated_trigrams: f32,
}

const SITUATION: &[&str] = &[
    "when i was",
    "at my last",
    "at my previous",
    "in my previous",
    "in my last",
    "in my current",
    "at my current",
    "last year",
    "years ago",
    "months ago",
    "a while ago",
    "we were",
    "we had",
    "our team",
    "the team",
    "at the time",
    "there was",
    "i was working",
    "while working",
    "i worked",
    "i joined",
    "one time",
    "once,",
    "the situation",
    "the context",
    "in my first",
    "during my",
    "on a project",
    "a project",
    "a client",
    "a customer",
    "a patient",
    "a student",
    "a colleague",
    "my manager",
];
const TASK: &[&str] = &[
    "my role",
    "my job was",
    "my task",
    "i was responsible",
    "i was asked",
    "i needed to",
    "i had to",
    "the goal",
    "our goal",
    "the aim",
    "objective",
    "responsible for",
    "deadline",
    "we needed to",
    "needed to",
    "the challenge",
    "the problem was",
    "my responsibility",
    "i owned",
    "was tasked",
    "i was in charge",
];
const RESULT: &[&str] = &[
    "as a result",
    "result",
    "outcome",
    "in the end",
    "ended up",
    "which meant",
    "led to",
    "reduced",
    "increased",
    "improved",
    "grew",
    "saved",
    "cut ",
    "dropped",
    "fell",
    "rose",
    "delivered",
    "launched",
    "shipped",
    "on time",
    "percent",
    "%",
    "achieved",
    "resolved",
    "went from",
    "signed",
    "closed the",
    "won",
    "promoted",
    "recovered",
    "succeeded",
    "successful",
    "the feedback",
    "thanked",
    "renewed",
    "passed",
];
const REFLECTION: &[&str] = &[
    "learned",
    "learnt",
    "lesson",
    "next time",
    "differently",
    "since then",
    "taught me",
    "now i always",
    "i now",
    "takeaway",
    "in hindsight",
    "looking back",
    "i realised",
    "i realized",
];
const OUTCOME_WORDS: &[&str] = &[
    "reduced",
    "increased",
    "improved",
    "grew",
    "saved",
    "cut",
    "dropped",
    "fell",
    "rose",
    "delivered",
    "launched",
    "shipped",
    "achieved",
    "resolved",
    "doubled",
    "halved",
    "tripled",
    "won",
    "closed",
    "recovered",
    "raised",
    "lowered",
    "shortened",
    "boosted",
    "retained",
];
const GENERIC: &[&str] = &[
    "team player",
    "hard worker",
    "hard-working",
    "people person",
    "passionate",
    "go above and beyond",
    "outside the box",
    "detail-oriented",
    "detail oriented",
    "perfectionist",
    "i always",
    "i never",
    "everyone",
    "in general",
    "generally",
    "usually",
    "typically",
    "best practices",
    "best practice",
    "it depends on the situation",
    "i believe that",
    "i would say",
    "things like that",
    "stuff like that",
    "and so on",
    "at the end of the day",
    "synergy",
    "very important",
    "really important",
    "the key is",
    "good communication",
    "communicate well",
    "i try to",
    "i would just",
    "i would probably",
    "whatever it takes",
];
const HEDGES: &[&str] = &[
    "i think",
    "i guess",
    "maybe",
    "probably",
    "sort of",
    "kind of",
    "i suppose",
    "perhaps",
    "not sure",
    "i'm not sure",
    "might be",
    "or something",
    "somehow",
    "a bit",
    "i feel like",
];
const REASONS: &[&str] = &[
    "because",
    "so that",
    "which means",
    "this means",
    "that means",
    "since ",
    "therefore",
    "the reason",
    "in order to",
    "which lets",
    "which allows",
];
const EXAMPLE: &[&str] = &[
    "for example",
    "for instance",
    "e.g.",
    "such as",
    "in my last",
    "in my previous",
    "we used",
    "i used",
    "at my",
    "once ",
    "last year",
    "imagine",
];
const TRADEOFF: &[&str] = &[
    "trade-off",
    "tradeoff",
    "trade off",
    "however",
    "on the other hand",
    "downside",
    "drawback",
    "depends on",
    "whereas",
    "the cost",
    "instead of",
    "rather than",
    "at the expense",
    "pros and cons",
    "risk",
    "but ",
    "unless",
    "versus",
    " vs ",
];
const SEQUENCE: &[&str] = &[
    "first",
    "second",
    "third",
    "then ",
    "next,",
    "finally",
    "after that",
    "step",
    "lastly",
    "to start",
    "to begin",
];
const IRREGULAR_ACTIONS: &[&str] = &[
    "built",
    "wrote",
    "set",
    "ran",
    "met",
    "led",
    "made",
    "took",
    "spoke",
    "sat",
    "chose",
    "brought",
    "began",
    "put",
    "sent",
    "told",
    "gave",
    "found",
    "drew",
    "kept",
    "held",
    "taught",
    "sought",
    "rewrote",
    "rebuilt",
    "went",
    "did",
    "paid",
    "split",
    "cut",
    "shut",
    "won",
    "proposed",
    "created",
    "organised",
    "organized",
    "called",
    "asked",
    "worked",
    "started",
    "decided",
    "reached",
    "pulled",
    "pushed",
    "reviewed",
    "tested",
    "measured",
    "mapped",
    "broke",
    "dug",
    "stepped",
    "wrote",
    "drafted",
    "ran",
    "set up",
    "walked",
    "listened",
];
const NUMBER_WORDS: &[&str] = &[
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "dozen",
    "half",
    "double",
    "twice",
    "percent",
];

fn count_phrases(hay: &str, list: &[&str]) -> usize {
    list.iter().map(|p| count_phrase(hay, p)).sum()
}

/// Occurrences of `phrase` in `hay` (both lower case) at word starts.
fn count_phrase(hay: &str, phrase: &str) -> usize {
    let mut n = 0;
    let mut from = 0;
    while let Some(pos) = hay[from..].find(phrase) {
        let at = from + pos;
        let starts_word = at == 0
            || !hay[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric());
        let first_is_word = phrase.chars().next().is_some_and(|c| c.is_alphanumeric());
        let last_is_word = phrase.chars().last().is_some_and(|c| c.is_alphanumeric());
        let end = at + phrase.len();
        let ends_word = !last_is_word
            || end >= hay.len()
            || !hay[end..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric());
        if (starts_word || !first_is_word) && ends_word {
            n += 1;
        }
        from = end.max(at + 1);
        while from < hay.len() && !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    n
}

impl Signals {
    pub fn read(answer: &str) -> Signals {
        let lower = answer.to_lowercase().replace('’', "'");
        let ws = words(answer);
        let mut s = Signals {
            situation: count_phrases(&lower, SITUATION) > 0,
            task: count_phrases(&lower, TASK) > 0,
            result: count_phrases(&lower, RESULT) > 0,
            reflection: count_phrases(&lower, REFLECTION) > 0,
            outcomes: ws
                .iter()
                .filter(|w| OUTCOME_WORDS.contains(&w.as_str()))
                .count(),
            generic: count_phrases(&lower, GENERIC),
            // The one filler rule, the same as the speech analytics of a spoken answer.
            fillers: voice::analytics::fillers(answer).len(),
            hedges: count_phrases(&lower, HEDGES),
            reasons: count_phrases(&lower, REASONS) > 0,
            example: count_phrases(&lower, EXAMPLE) > 0,
            tradeoff: count_phrases(&lower, TRADEOFF) > 0,
            sequence: count_phrases(&lower, SEQUENCE),
            ..Default::default()
        };
        // Actions: "I <verb>ed", "we <irregular>", "I then <verb>ed".
        for (i, w) in ws.iter().enumerate() {
            if w == "i" || w == "we" {
                let mut j = i + 1;
                if ws.get(j).is_some_and(|x| {
                    matches!(
                        x.as_str(),
                        "then"
                            | "also"
                            | "quickly"
                            | "immediately"
                            | "personally"
                            | "first"
                            | "finally"
                    )
                }) {
                    j += 1;
                }
                if let Some(v) = ws.get(j) {
                    let is_action = (v.ends_with("ed")
                        && v.len() > 4
                        && !matches!(
                            v.as_str(),
                            "needed"
                                | "wanted"
                                | "liked"
                                | "loved"
                                | "hoped"
                                | "tried"
                                | "used"
                                | "seemed"
                        ))
                        || IRREGULAR_ACTIONS.contains(&v.as_str());
                    if is_action {
                        s.actions += 1;
                        if w == "i" {
                            s.own_actions += 1;
                        }
                    }
                }
            }
        }
        s.numbers = ws
            .iter()
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&w.as_str()))
            .count()
            + lower.matches('%').count();
        // Named things: capitalised words that do not open a sentence (and are not "I").
        for sentence in sentences(answer) {
            for (i, raw) in sentence.split_whitespace().enumerate() {
                let w: String = raw
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '+' || *c == '#')
                    .collect();
                if i > 0
                    && w.len() > 1
                    && w.chars().next().is_some_and(|c| c.is_uppercase())
                    && !matches!(w.as_str(), "I" | "I'm" | "I've" | "I'd")
                {
                    s.named += 1;
                }
            }
        }
        // Repetition: share of word trigrams seen before.
        if ws.len() >= 12 {
            let tri: Vec<String> = ws.windows(3).map(|t| t.join(" ")).collect();
            let mut seen = std::collections::HashSet::new();
            let rep = tri.iter().filter(|t| !seen.insert(t.as_str())).count();
            s.repeated_trigrams = rep as f32 / tri.len() as f32;
        }
        s
    }
}

fn structure_score(kind: Kind, s: &Signals, n_words: usize) -> u8 {
    let story = 22.0 * s.situation as u8 as f32
        + 13.0 * s.task as u8 as f32
        + (10.0 * s.actions as f32).min(30.0)
        + 25.0 * s.result as u8 as f32
        + 10.0 * s.reflection as u8 as f32;
    let reasoning = 20.0 * s.reasons as u8 as f32
        + 20.0 * s.example as u8 as f32
        + 20.0 * s.tradeoff as u8 as f32
        + (8.0 * s.sequence as f32).min(20.0)
        + if n_words >= 60 {
            20.0
        } else {
            20.0 * n_words as f32 / 60.0
        };
    let raw = match kind {
        Kind::Behavioural | Kind::Situational => story.max(0.8 * reasoning),
        Kind::CultureFit | Kind::RoleSpecific => story.max(reasoning),
        Kind::Technical | Kind::SystemDesign => reasoning.max(0.8 * story),
    };
    let length = (n_words as f32 / THIN_ANSWER_WORDS as f32).min(1.0);
    (raw * length).round().clamp(0.0, 100.0) as u8
}

fn specificity_score(s: &Signals, n_words: usize) -> u8 {
    let raw = (12.0 * s.numbers as f32).min(35.0)
        + (6.0 * s.named as f32).min(25.0)
        + (6.0 * s.own_actions as f32 + 3.0 * (s.actions - s.own_actions) as f32).min(25.0)
        + (8.0 * s.outcomes as f32).min(15.0)
        + 10.0 * s.example as u8 as f32;
    let generic_rate = s.generic as f32 * 100.0 / n_words.max(1) as f32;
    let penalty = (generic_rate * 8.0).min(40.0);
    let length = (n_words as f32 / THIN_ANSWER_WORDS as f32).min(1.0);
    ((raw - penalty) * length).round().clamp(0.0, 100.0) as u8
}

fn clarity_score(answer: &str, s: &Signals, n_words: usize) -> u8 {
    let mut score = 100.0f32;
    let msl = mean_sentence_words(answer);
    if msl > 24.0 {
        score -= ((msl - 24.0) * 2.5).min(35.0);
    } else if msl < 6.0 {
        score -= 15.0;
    }
    let per100 = |n: usize| n as f32 * 100.0 / n_words.max(1) as f32;
    score -= (per100(s.fillers) * 6.0).min(35.0);
    score -= (per100(s.hedges) * 4.0).min(25.0);
    if s.repeated_trigrams > 0.04 {
        score -= ((s.repeated_trigrams - 0.04) * 300.0).min(20.0);
    }
    if n_words < 25 {
        score -= 25.0;
    } else if n_words > 450 {
        score -= 10.0;
    }
    score.round().clamp(0.0, 100.0) as u8
}

/// Delivery of a spoken answer: pace in the comfortable band, few long pauses, few fillers.
pub fn delivery_score(d: &DeliveryStats) -> u8 {
    let mut score = 100.0f32;
    let (lo, hi) = PACE_BAND;
    if d.words_per_minute < lo {
        score -= ((lo - d.words_per_minute) * 0.8).min(40.0);
    } else if d.words_per_minute > hi {
        score -= ((d.words_per_minute - hi) * 0.8).min(40.0);
    }
    score -= (d.pauses_over_2_5s as f32 * 8.0).min(30.0);
    let minutes = (d.speaking_secs / 60.0).max(0.25);
    score -= (d.fillers as f32 / minutes * 3.0).min(30.0);
    score.round().clamp(0.0, 100.0) as u8
}

/// An outline of a strong answer, built from the question's kind and key points.
fn outline(req: &EvalRequest) -> Vec<String> {
    let kp = &req.key_points;
    let mut out = Vec::new();
    if req.kind.wants_story() {
        out.push(
            "Situation: one or two sentences of context — where you were, what was at stake."
                .to_string(),
        );
        out.push("Task: what you personally had to achieve, and by when.".to_string());
        for k in kp {
            out.push(format!("Action: {}", sentence_case(k)));
        }
        out.push(
            "Result: what changed, with a number if you have one (time, money, quality, people)."
                .to_string(),
        );
        out.push("Reflection: what you learned and what you do differently now.".to_string());
    } else {
        out.push("Open with a direct answer in one sentence.".to_string());
        for k in kp {
            out.push(sentence_case(k));
        }
        out.push("Give a short example from your own work.".to_string());
        out.push("Close with the trade-offs and when you would choose differently.".to_string());
    }
    out
}

fn sentence_case(s: &str) -> String {
    let mut c = s.trim().chars();
    match c.next() {
        Some(f) => {
            let mut out: String = f.to_uppercase().collect();
            out.push_str(c.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

fn write_feedback(e: &mut Evaluation, req: &EvalRequest, s: &Signals, n_words: usize) {
    let sc = e.scores.clone();
    let story = req.kind.wants_story();
    // Strengths: what is genuinely good, most convincing first.
    let mut strengths: Vec<(u8, String)> = Vec::new();
    if sc.relevance >= 65 {
        strengths.push((
            sc.relevance,
            "You answered the question that was asked and stayed on it.".into(),
        ));
    }
    if sc.completeness >= 60 && !e.covered.is_empty() {
        strengths.push((
            sc.completeness,
            format!(
                "You covered {} of the {} points interviewers look for, including {}.",
                e.covered.len(),
                req.key_points.len(),
                lower_first(&e.covered[0])
            ),
        ));
    }
    if story && s.result && s.situation && sc.structure >= 65 {
        strengths.push((
            sc.structure,
            "Your story has a clear shape: context, what you did, and how it ended.".into(),
        ));
    } else if !story && sc.structure >= 65 {
        strengths.push((
            sc.structure,
            "Your explanation is well organised, with reasons and an example.".into(),
        ));
    }
    if s.numbers > 0 && sc.specificity >= 55 {
        strengths.push((
            sc.specificity,
            "Concrete figures make your impact easy to believe.".into(),
        ));
    } else if s.own_actions >= 2 && sc.specificity >= 55 {
        strengths.push((
            sc.specificity,
            "You made your own part clear with \"I\" statements about what you did.".into(),
        ));
    }
    if sc.clarity >= 80 && n_words >= THIN_ANSWER_WORDS {
        strengths.push((sc.clarity, "Clear, direct sentences without filler.".into()));
    }
    strengths.sort_by_key(|s| std::cmp::Reverse(s.0));
    e.strengths = strengths.into_iter().take(3).map(|(_, t)| t).collect();
    if e.strengths.is_empty() {
        e.strengths.push(if n_words >= SHORT_ANSWER_WORDS {
            "You gave an answer and kept going — the raw material is there to build on.".into()
        } else {
            "You made a start; now give it the detail it needs.".into()
        });
    }

    // Improvements: the weakest dimensions, each with the concrete change to make.
    let mut todo: Vec<(u8, String)> = Vec::new();
    if n_words < THIN_ANSWER_WORDS {
        todo.push((0, format!("Your answer is {n_words} words. Aim for 150–300: enough for context, your actions and the result.")));
    }
    if sc.relevance < 60 {
        todo.push((sc.relevance, "Answer what the question asks for: lead with your answer in your own words, then back it with one real example.".into()));
    }
    if !e.missed.is_empty() && sc.completeness < 80 {
        let list: Vec<String> = e.missed.iter().take(3).map(|m| lower_first(m)).collect();
        todo.push((
            sc.completeness,
            format!("Cover what you left out: {}.", list.join("; ")),
        ));
    }
    if story && !s.result {
        todo.push((sc.structure.min(40), "Say how it ended: the result, ideally with a number (time saved, % improved, people helped), and what you learned.".into()));
    } else if story && !s.situation {
        todo.push((
            sc.structure,
            "Set the scene first: one or two sentences on where you were and what was at stake."
                .into(),
        ));
    } else if !story && !s.example && sc.structure < 70 {
        todo.push((
            sc.structure,
            "Back your explanation with a short example from your own work.".into(),
        ));
    } else if !story && !s.tradeoff && sc.structure < 80 {
        todo.push((
            sc.structure + 5,
            "Name the trade-offs: what your approach costs and when you would choose differently."
                .into(),
        ));
    }
    if sc.specificity < 55 {
        let hint = if s.generic > 0 {
            "Replace general claims (\"I always…\", \"team player\") with one real example: names, numbers, tools, dates."
        } else {
            "Add specifics: the numbers, the tools you used and the outcome you measured."
        };
        todo.push((sc.specificity, hint.into()));
    }
    if s.actions > 0 && s.own_actions * 2 < s.actions {
        todo.push((
            50,
            "Say \"I\", not only \"we\": interviewers need to hear what you did yourself.".into(),
        ));
    }
    if sc.clarity < 70 {
        let hint = if s.fillers >= 3 {
            format!("Cut the fillers (\"um\", \"like\", \"you know\": {} here). A short pause sounds more confident.", s.fillers)
        } else if s.hedges >= 3 {
            "Drop the hedges (\"I think\", \"maybe\", \"sort of\") and state what you did."
                .to_string()
        } else {
            "Use shorter sentences: one idea each.".to_string()
        };
        todo.push((sc.clarity, hint));
    }
    if let (Some(d), Some(ds)) = (sc.delivery, req.delivery.as_ref()) {
        if d < 70 {
            let (lo, hi) = PACE_BAND;
            let hint = if ds.words_per_minute > hi {
                format!("Slow down: you spoke at {:.0} words a minute; {lo:.0}–{hi:.0} is easier to follow.", ds.words_per_minute)
            } else if ds.words_per_minute < lo {
                format!("Pick up the pace a little: {:.0} words a minute; {lo:.0}–{hi:.0} keeps listeners with you.", ds.words_per_minute)
            } else {
                "Plan your answer's shape before you speak to avoid long pauses.".to_string()
            };
            todo.push((d, hint));
        }
    }
    todo.sort_by_key(|t| t.0);
    let mut seen = std::collections::HashSet::new();
    e.improvements = todo
        .into_iter()
        .map(|(_, t)| t)
        .filter(|t| seen.insert(t.clone()))
        .take(4)
        .collect();

    let weakest = [
        ("relevance", sc.relevance),
        ("structure", sc.structure),
        ("specificity", sc.specificity),
        ("clarity", sc.clarity),
        ("completeness", sc.completeness),
    ]
    .into_iter()
    .min_by_key(|(_, v)| *v)
    .map(|(k, _)| k)
    .unwrap_or("structure");
    e.next_step = match weakest {
        "relevance" => "Practise restating the question in your first sentence, then answer it directly.".into(),
        "structure" if story => "Practise three stories from your work in the STAR shape — situation, task, action, result — out loud, two minutes each.".into(),
        "structure" => "Practise answering technical questions as: direct answer, how it works, an example, trade-offs.".into(),
        "specificity" => "Write down five achievements with a number attached to each, and use them in your answers.".into(),
        "clarity" => "Record yourself answering and cut every filler and hedge on the second take.".into(),
        _ => "Before answering, list the three or four points the interviewer is likely looking for, then cover each.".into(),
    };
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Why an answer is thin enough to deserve one follow-up question, if it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Thin {
    TooShort,
    NoResult,
    NoSpecifics,
}

/// The offline follow-up rule: at most one follow-up per question, when the answer is too
/// short, tells a story without its result, or has no specifics.
pub fn thin_answer(kind: Kind, answer: &str) -> Option<Thin> {
    let n = words(answer).len();
    let s = Signals::read(answer);
    if n < THIN_ANSWER_WORDS {
        return Some(Thin::TooShort);
    }
    if kind.wants_story() && !s.result {
        return Some(Thin::NoResult);
    }
    if s.numbers == 0 && s.named == 0 && s.own_actions == 0 && !s.example {
        return Some(Thin::NoSpecifics);
    }
    None
}

/// The follow-up question the interviewer asks for a thin answer.
pub fn follow_up_question(thin: Thin, kind: Kind) -> String {
    match (thin, kind.wants_story()) {
        (Thin::TooShort, true) => "Could you take me through that in more detail — what was the situation, what did you do yourself, and how did it turn out?".into(),
        (Thin::TooShort, false) => "Could you go a little deeper — how does it work, and can you give an example from your own experience?".into(),
        (Thin::NoResult, _) => "How did it turn out in the end? What was the result, and what did you learn from it?".into(),
        (Thin::NoSpecifics, _) => "Can you make that concrete — a specific example, with the numbers, tools or people involved?".into(),
    }
}

#[cfg(test)]
mod tests;
