//! On the real model, fetched by `viva models fetch` into `$VIVA_MODELS_DIR` (`.ci/run` does
//! this and sets `VIVA_REQUIRE_MODELS=1`, so there these tests cannot be skipped).

use super::*;
use crate::feedback::engine;
use crate::feedback::EvalRequest;
use crate::interview::model::Kind;

fn model() -> Option<Embedder> {
    let Some(dir) = std::env::var_os("VIVA_MODELS_DIR") else {
        assert!(
            std::env::var("VIVA_REQUIRE_MODELS").is_err(),
            "VIVA_REQUIRE_MODELS is set but VIVA_MODELS_DIR is not"
        );
        eprintln!("skipped: set VIVA_MODELS_DIR to a folder filled by `viva models fetch`");
        return None;
    };
    Some(Embedder::load(&PathBuf::from(dir).join(MODEL_DIR)).expect("the model loads"))
}

#[test]
fn the_tokenizer_matches_the_reference_ids() {
    let Some(m) = model() else { return };
    // Ids from the Hugging Face `tokenizers` library with the package's tokenizer.json.
    let cases: &[(&str, &[u32])] = &[
        (
            "I led the migration to PostgreSQL, cutting p99 latency by 40%.",
            &[
                101, 1045, 2419, 1996, 9230, 2000, 2695, 17603, 2015, 4160, 2140, 1010, 6276, 1052,
                2683, 2683, 2397, 9407, 2011, 2871, 1003, 1012, 102,
            ],
        ),
        (
            "Café naïve résumé — don't stop! Übermäßig “quoted” text…",
            &[
                101, 7668, 15743, 13746, 1517, 2123, 1005, 1056, 2644, 999, 19169, 2863, 19310,
                8004, 1523, 9339, 1524, 3793, 1529, 102,
            ],
        ),
        (
            "Tell me about a time you resolved a conflict within your team.",
            &[
                101, 2425, 2033, 2055, 1037, 2051, 2017, 10395, 1037, 4736, 2306, 2115, 2136, 1012,
                102,
            ],
        ),
        (
            "数据 analysis with pandas/NumPy & SQL (2019–2023)",
            &[
                101, 100, 100, 4106, 2007, 25462, 2015, 1013, 16371, 8737, 2100, 1004, 29296, 1006,
                10476, 1516, 16798, 2509, 1007, 102,
            ],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(m.token_ids(text).unwrap(), *want, "{text}");
    }
}

#[test]
fn embeddings_are_unit_vectors_that_put_paraphrases_together() {
    let Some(m) = model() else { return };
    let v = m
        .embed(&[
            "I cut our build time from 20 minutes to 5 by caching dependencies.",
            "I made the CI pipeline four times faster.",
            "My favourite food is fresh pasta with basil.",
        ])
        .unwrap();
    assert_eq!(v[0].len(), 384);
    for e in &v {
        assert!((cosine(e, e) - 1.0).abs() < 1e-4);
    }
    let (close, far) = (cosine(&v[0], &v[1]), cosine(&v[0], &v[2]));
    assert!(close > far + 0.2, "paraphrase {close} vs unrelated {far}");
}

#[test]
fn with_the_model_relevance_is_semantic() {
    let Some(m) = model() else { return };
    let req = |answer: &str| EvalRequest {
        question: "How do you handle a disagreement with a colleague?".into(),
        kind: Kind::Behavioural,
        key_points: vec![
            "listening to the other person's view".into(),
            "finding common ground".into(),
            "the outcome".into(),
        ],
        answer: answer.into(),
        delivery: None,
    };
    // No shared words with the key points, same meaning.
    let on = engine::evaluate_with(&req("When a teammate and I clashed over a design, I first heard out her reasons, then we agreed on what mattered most to both of us, and we shipped a compromise that users liked."), &m);
    let off = engine::evaluate_with(
        &req("I enjoy hiking in the mountains on weekends and I am learning to play the guitar."),
        &m,
    );
    assert_eq!(
        on.note, None,
        "no lexical-fallback note when the model is loaded"
    );
    assert!(
        on.scores.relevance > off.scores.relevance + 30,
        "{:?} vs {:?}",
        on.scores,
        off.scores
    );
}

#[test]
fn with_the_model_the_question_banks_calibration_holds() {
    let Some(m) = model() else { return };
    let (wins, total, misses) = crate::feedback::calibration::accuracy(&m);
    for miss in &misses {
        println!("  miss {miss}");
    }
    println!(
        "calibration with embeddings: {wins}/{total} = {:.1} %",
        wins as f32 * 100.0 / total as f32
    );
    assert!(wins as f32 / total as f32 >= 0.9, "{wins}/{total}");
}

#[test]
fn with_the_model_calibration_holds_on_questions_outside_the_bank() {
    let Some(m) = model() else { return };
    // Questions outside the bank, with and without key points; the held-out half never tuned on.
    // (The tuning set too with VIVA_CALIBRATION_ALL=1: some minutes on 2 cores.)
    use crate::feedback::calibration::{report, Set};
    let sets: &[Set] = if std::env::var_os("VIVA_CALIBRATION_ALL").is_some() {
        &[Set::Tuning, Set::HeldOut]
    } else {
        &[Set::HeldOut]
    };
    let mut failed = Vec::new();
    for (set, kp, wins, total, misses) in report(&m, sets) {
        let share = wins as f32 / total as f32;
        println!(
            "embeddings, {set:?}, {}: {wins}/{total} = {:.1} %",
            if kp {
                "key points given"
            } else {
                "key points derived"
            },
            share * 100.0
        );
        for miss in &misses {
            println!("  miss {miss}");
        }
        if share < 0.9 {
            failed.push(format!("{set:?} kp={kp}: {wins}/{total}"));
        }
    }
    assert!(failed.is_empty(), "{failed:?}");
}

#[test]
fn references_are_embedded_once_and_give_what_embedding_them_gives() {
    let Some(m) = model() else { return };
    let answer = "I listened to her reasons first. Then we agreed on what mattered to both of us.";
    let refs = ["listening to the other person's view", "the outcome"];
    let first = m.similarities(answer, &refs);
    assert_eq!(m.references.lock().unwrap().len(), 2);
    // The same figures as embedding everything afresh.
    let ps = passages(answer);
    let mut texts: Vec<&str> = ps.iter().map(String::as_str).collect();
    texts.extend_from_slice(&refs);
    let v = m.embed(&texts).unwrap();
    let (pv, rv) = v.split_at(ps.len());
    for (got, r) in first.iter().zip(rv) {
        let want = pv
            .iter()
            .map(|p| cosine(p, r))
            .fold(f32::MIN, f32::max)
            .max(0.0);
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }
    // Kept: the second answer to the question reads them from memory, and a new one is added.
    let kept = m.references.lock().unwrap()[refs[0]].clone();
    let second = m.similarities("Something else entirely.", &[refs[0], "common ground"]);
    assert_eq!(second.len(), 2);
    assert_eq!(m.references.lock().unwrap()[refs[0]], kept);
    assert_eq!(m.references.lock().unwrap().len(), 3);
}

#[test]
fn a_full_map_of_references_starts_again() {
    let mut map = HashMap::new();
    for t in ["a", "b", "c"] {
        keep(&mut map, t, &[1.0], 3);
    }
    assert_eq!(map.len(), 3);
    keep(&mut map, "b", &[2.0], 3); // already there: replaced, nothing dropped
    assert_eq!((map.len(), map["b"][0]), (3, 2.0));
    keep(&mut map, "d", &[1.0], 3);
    assert_eq!(map.len(), 1);
    assert!(map.contains_key("d"));
}
