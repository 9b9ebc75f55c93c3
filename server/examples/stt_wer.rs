//! Speech recognition quality and speed on labelled clips: each clip goes through the
//! browser's segmenter, each segment through embedded Whisper, and the clip's transcript is
//! compared with what was said. Prints word error rate by SNR and the real-time factor.
//!
//! `cargo run --release -p server --example stt_wer -- MODELS_DIR/whisper ../shared/audio/dev`

use std::time::Instant;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| w.chars().filter(|c| c.is_alphanumeric() || *c == '\'').collect::<String>().to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word-level edit distance.
fn errors(truth: &[String], heard: &[String]) -> usize {
    let mut prev: Vec<usize> = (0..=heard.len()).collect();
    for (i, t) in truth.iter().enumerate() {
        let mut cur = vec![i + 1; heard.len() + 1];
        for (j, h) in heard.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(t != h)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[heard.len()]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let model = args.next().expect("usage: stt_wer WHISPER_DIR CLIP_DIR");
    let dir = args.next().expect("usage: stt_wer WHISPER_DIR CLIP_DIR");
    let w = app::voice::whisper::Whisper::load(std::path::Path::new(&model)).unwrap_or_else(|e| panic!("{e}"));
    let mut clips: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    clips.sort();
    let mut by_snr: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let (mut speech_secs, mut spent) = (0.0, 0.0);
    println!("| clip | SNR | words | errors | WER |\n|---|---|---|---|---|");
    for js in clips {
        let t: serde_json::Value = serde_json::from_slice(&std::fs::read(&js).unwrap()).unwrap();
        let audio = voice::wav::decode(&std::fs::read(js.with_extension("wav")).unwrap()).unwrap();
        let mut p = voice::Pipeline::new(audio.rate, voice::Config::default());
        let mut segs = p.push(&audio.samples);
        segs.extend(p.finish());
        let mut heard = String::new();
        for s in &segs {
            let pcm: Vec<f32> = s.samples.iter().map(|v| *v as f32 / 32768.0).collect();
            let t0 = Instant::now();
            let text = w.transcribe(&pcm).unwrap();
            spent += t0.elapsed().as_secs_f64();
            speech_secs += pcm.len() as f64 / 16_000.0;
            heard.push_str(&text);
            heard.push(' ');
        }
        let truth: String = t["speech"].as_array().unwrap().iter().map(|u| u[2].as_str().unwrap()).collect::<Vec<_>>().join(" ");
        let (tw, hw) = (words(&truth), words(&heard));
        if std::env::var_os("VERBOSE").is_some() {
            eprintln!("truth: {truth}\nheard: {heard}\n");
        }
        let e = errors(&tw, &hw);
        let snr = t["snr_db"].as_f64().map(|s| format!("{s:.0} dB")).unwrap_or_else(|| "clean".into());
        println!("| {} | {snr} | {} | {e} | {:.3} |", js.file_stem().unwrap().to_string_lossy(), tw.len(), e as f64 / tw.len() as f64);
        let entry = by_snr.entry(snr).or_default();
        entry.0 += tw.len();
        entry.1 += e;
    }
    println!("\n| SNR | WER |\n|---|---|");
    let (mut n, mut e) = (0, 0);
    for (snr, (words, errs)) in &by_snr {
        println!("| {snr} | {:.3} |", *errs as f64 / *words as f64);
        n += words;
        e += errs;
    }
    println!("| all | {:.3} |", e as f64 / n as f64);
    println!("\n{}: {:.1} s of segments transcribed in {:.1} s on {} cores: real-time factor {:.3}", w.name, speech_secs, spent, std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1), spent / speech_secs);
}
