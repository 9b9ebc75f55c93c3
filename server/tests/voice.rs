//! `viva voice segments`: the browser's segmenter on a file, from the real binary.
mod support;

use support::run_to_exit;

const CLIP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/audio/dev/clip00.wav");

#[tokio::test]
async fn segments_of_a_labelled_clip_match_its_utterances() {
    let out = run_to_exit(&["voice", "segments", CLIP]).await;
    assert!(out.status.success(), "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let segs = v["segments"].as_array().unwrap();
    // clip00.json: utterances at 1.321–5.849, 6.628–11.722, 13.429–18.085 s.
    let truth = [(1.321, 5.849), (6.628, 11.722), (13.429, 18.085)];
    assert_eq!(segs.len(), 3, "{v}");
    for (s, (a, b)) in segs.iter().zip(truth) {
        let (start, end) = (s["start"].as_f64().unwrap(), s["end"].as_f64().unwrap());
        assert!((start - a).abs() < 0.1 && (end - b).abs() < 0.15, "{start}–{end} vs {a}–{b}");
    }
}

#[tokio::test]
async fn files_it_cannot_read_exit_with_code_2_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let not_wav = dir.path().join("answer.mp3");
    std::fs::write(&not_wav, b"ID3\x04\x00\x00\x00\x00\x00\x00 not a wav").unwrap();
    let mut hi_rate = std::fs::read(CLIP).unwrap();
    hi_rate[24..28].copy_from_slice(&96_000u32.to_le_bytes());
    let hi = dir.path().join("hi.wav");
    std::fs::write(&hi, hi_rate).unwrap();
    let missing = dir.path().join("missing.wav");
    for (path, says) in [(&not_wav, "not a WAV file"), (&hi, "96000 Hz"), (&missing, "cannot read")] {
        let out = run_to_exit(&["voice", "segments", path.to_str().unwrap()]).await;
        assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
        assert!(out.stderr.contains(says), "{} should say {says}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}
