//! Speech recognition quality and speed on labelled clips: each clip goes through the
//! browser's segmenter, each segment through embedded Whisper, and the clip's transcript is
//! compared with what was said, transcribed one segment at a time and a clip's segments
//! together. Prints word error rate by SNR and the real-time factor of each.
//!
//! `cargo run --release -p server --example stt_wer -- MODELS_DIR/whisper ../shared/audio/dev`

use std::time::Instant;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word-level edit distance.
fn errors(truth: &[String], heard: &[String]) -> usize {
    let mut prev: Vec<usize> = (0..=heard.len()).collect();
    for (i, t) in truth.iter().enumerate() {
        let mut cur = vec![i + 1; heard.len() + 1];
        for (j, h) in heard.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(t != h))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[heard.len()]
}

/// Word counts, errors and time spent, by SNR, for one way of transcribing.
#[derive(Default)]
struct Tally {
    by_snr: std::collections::BTreeMap<String, (usize, usize)>,
    spent: f64,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let model = args.next().expect("usage: stt_wer WHISPER_DIR CLIP_DIR");
    let dir = args.next().expect("usage: stt_wer WHISPER_DIR CLIP_DIR");
    let w = app::voice::whisper::Whisper::load(std::path::Path::new(&model))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut clips: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    clips.sort();
    // One segment at a time (an idle node transcribes each as it arrives), and an answer's
    // segments together (what a busy node's workers find queued, and what is left at hand-in).
    let (mut single, mut together) = (Tally::default(), Tally::default());
    let mut speech_secs = 0.0;
    println!("| clip | SNR | words | errors one by one | errors together |\n|---|---|---|---|---|");
    for js in clips {
        let t: serde_json::Value = serde_json::from_slice(&std::fs::read(&js).unwrap()).unwrap();
        let audio = voice::wav::decode(&std::fs::read(js.with_extension("wav")).unwrap()).unwrap();
        let mut p = voice::Pipeline::new(audio.rate, voice::Config::default());
        let mut segs = p.push(&audio.samples);
        segs.extend(p.finish());
        let pcm: Vec<Vec<f32>> = segs
            .iter()
            .map(|s| s.samples.iter().map(|v| *v as f32 / 32768.0).collect())
            .collect();
        speech_secs += pcm.iter().map(|p| p.len()).sum::<usize>() as f64 / 16_000.0;
        let t0 = Instant::now();
        let one_by_one: Vec<String> = pcm.iter().map(|p| w.transcribe(p).unwrap()).collect();
        single.spent += t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let refs: Vec<&[f32]> = pcm.iter().map(Vec::as_slice).collect();
        let packed = w.transcribe_many(&refs).unwrap();
        together.spent += t0.elapsed().as_secs_f64();
        let truth: String = t["speech"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u[2].as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        let tw = words(&truth);
        let snr = t["snr_db"]
            .as_f64()
            .map(|s| format!("{s:.0} dB"))
            .unwrap_or_else(|| "clean".into());
        let mut row = Vec::new();
        for (heard, tally) in [
            (one_by_one.join(" "), &mut single),
            (packed.join(" "), &mut together),
        ] {
            if std::env::var_os("VERBOSE").is_some() {
                eprintln!("truth: {truth}\nheard: {heard}\n");
            }
            let e = errors(&tw, &words(&heard));
            let entry = tally.by_snr.entry(snr.clone()).or_default();
            entry.0 += tw.len();
            entry.1 += e;
            row.push(e);
        }
        println!(
            "| {} | {snr} | {} | {} | {} |",
            js.file_stem().unwrap().to_string_lossy(),
            tw.len(),
            row[0],
            row[1]
        );
    }
    println!("\n| SNR | WER one by one | WER together |\n|---|---|---|");
    let wer = |t: &Tally, key: Option<&String>| {
        let (n, e) = t
            .by_snr
            .iter()
            .filter(|(k, _)| key.is_none_or(|x| *k == x))
            .fold((0, 0), |a, (_, v)| (a.0 + v.0, a.1 + v.1));
        e as f64 / n as f64
    };
    for snr in single.by_snr.keys() {
        println!(
            "| {snr} | {:.3} | {:.3} |",
            wer(&single, Some(snr)),
            wer(&together, Some(snr))
        );
    }
    println!(
        "| all | {:.3} | {:.3} |",
        wer(&single, None),
        wer(&together, None)
    );
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "\n{}: {speech_secs:.1} s of speech segments on {cores} cores",
        w.name
    );
    println!(
        "one by one: {:.1} s, real-time factor {:.3}",
        single.spent,
        single.spent / speech_secs
    );
    println!(
        "together:   {:.1} s, real-time factor {:.3}",
        together.spent,
        together.spent / speech_secs
    );
}
