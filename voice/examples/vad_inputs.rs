//! Writes the detector's classifier inputs for each 16 ms frame of each WAV given, one text
//! file per WAV (`OUT_DIR/<parent>-<stem>.txt`, one row per frame): what `train/train.py`
//! learns from. `cargo run --release -p voice --example vad_inputs -- OUT_DIR A.wav B.wav …`
use voice::{detector::Detector, resample::resample, wav, HOP, RATE};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().expect("usage: vad_inputs OUT_DIR FILE.wav…");
    std::fs::create_dir_all(&out).unwrap();
    for path in args {
        let audio =
            wav::decode(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{path}: {e}"));
        let s = resample(&audio.samples, audio.rate, RATE);
        let mut d = Detector::new();
        let mut rows: Vec<_> = s
            .chunks_exact(HOP)
            .filter_map(|f| d.push_inputs(f))
            .collect();
        rows.extend(d.finish_inputs());
        let text: String = rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| format!("{v:.5}"))
                    .collect::<Vec<_>>()
                    .join(" ")
                    + "\n"
            })
            .collect();
        let p = std::path::Path::new(&path);
        let name = format!(
            "{}-{}.txt",
            p.parent()
                .and_then(|d| d.file_name())
                .unwrap()
                .to_string_lossy(),
            p.file_stem().unwrap().to_string_lossy()
        );
        std::fs::write(std::path::Path::new(&out).join(name), text).unwrap();
    }
}
