//! For `bench/run.sh`: what the embedded evaluation engine costs and how well it ranks.
//! Evaluates every answer of the calibration set (strong and weak) many times and prints, as
//! a Markdown section: median and p99 time per evaluation, calibration accuracy, and the
//! question bank's size by role and by kind.

use std::time::{Duration, Instant};

use app::feedback::{calibration, engine, EvalRequest};
use app::interview::{
    bank,
    model::{Kind, ROLES},
};

fn main() {
    let reqs: Vec<(EvalRequest, EvalRequest)> =
        calibration::pairs().iter().map(|p| p.requests()).collect();
    let (wins, _, _) = calibration::accuracy(&engine::Lexical);

    let rounds = 20;
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..rounds {
        for (s, w) in &reqs {
            for r in [s, w] {
                let t = Instant::now();
                std::hint::black_box(engine::evaluate(r));
                times.push(t.elapsed());
            }
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    let us = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);

    println!("### Embedded evaluation engine\n");
    println!("| what | figure |\n|---|---|");
    println!(
        "| evaluations timed | {} (the {} calibration answers × {rounds}) |",
        times.len(),
        reqs.len() * 2
    );
    println!("| time per answer, median | {} |", us(at(0.5)));
    println!("| time per answer, p99 | {} |", us(at(0.99)));
    println!(
        "| calibration: strong answer scored higher | {wins} of {} pairs ({:.1} %) |",
        reqs.len(),
        wins as f64 * 100.0 / reqs.len() as f64
    );
    println!("\nRelevance here is the lexical measure.\n");

    // With the sentence-embedding model (VIVA_MODELS_DIR filled by `viva models fetch`): the
    // same, embedding included.
    if let Some(dir) = std::env::var_os("VIVA_MODELS_DIR") {
        let load = || {
            app::feedback::embed::Embedder::load(
                &std::path::Path::new(&dir).join(app::feedback::embed::MODEL_DIR),
            )
            .expect("embedding model")
        };
        let (wins, _, _) = calibration::accuracy(&load());
        // The model keeps the vectors of a question's references (key points): the first answer
        // to a question embeds them, later ones read them. Each answer timed both ways: two
        // rounds on a freshly loaded model, the strong answers first in one and the weak in
        // the other.
        let (mut first, mut later): (Vec<Duration>, Vec<Duration>) = (Vec::new(), Vec::new());
        for strong_first in [true, false] {
            let model = load();
            for (s, w) in &reqs {
                let (a, b) = if strong_first { (s, w) } else { (w, s) };
                for (r, into) in [(a, &mut first), (b, &mut later)] {
                    let t = Instant::now();
                    std::hint::black_box(engine::evaluate_with(r, &model));
                    into.push(t.elapsed());
                }
            }
        }
        let pct = |times: &mut Vec<Duration>, q: f64| {
            times.sort();
            times[((times.len() as f64 - 1.0) * q).round() as usize]
        };
        println!("| with all-MiniLM-L6-v2 (embedding included) | figure |\n|---|---|");
        println!("| evaluations timed | {} |", first.len() + later.len());
        println!(
            "| first answer to a question, median / p99 | {} / {} |",
            us(pct(&mut first, 0.5)),
            us(pct(&mut first, 0.99))
        );
        println!(
            "| a later answer to it (key points kept), median / p99 | {} / {} |",
            us(pct(&mut later, 0.5)),
            us(pct(&mut later, 0.99))
        );
        println!(
            "| calibration: strong answer scored higher | {wins} of {} pairs ({:.1} %) |\n",
            reqs.len(),
            wins as f64 * 100.0 / reqs.len() as f64
        );
    }

    let questions = bank::load().expect("bank");
    println!("### Question bank: {} questions\n", questions.len());
    println!("| role | questions |\n|---|---|");
    for (slug, label) in ROLES {
        println!(
            "| {label} | {} |",
            questions
                .iter()
                .filter(|q| q.roles.iter().any(|r| r == slug))
                .count()
        );
    }
    println!("\n| kind | questions |\n|---|---|");
    for &k in Kind::ALL {
        println!(
            "| {} | {} |",
            k.label(),
            questions.iter().filter(|q| q.kind == k).count()
        );
    }
    println!();
}
