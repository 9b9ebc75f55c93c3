//! Voice from the real binary: `viva voice segments` (the browser's segmenter on a file), and
//! spoken answers over real HTTP (segment uploads, handing in, hosted transcription).
use crate::support;

use support::run_to_exit;

/// A labelled clip from ../shared/audio. The crate's folder is read when the test runs (cargo
/// sets it), not when it was compiled: a build cache made in another checkout stays valid.
fn clip() -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    format!("{dir}/../../shared/audio/dev/clip00.wav")
}

#[tokio::test]
async fn segments_of_a_labelled_clip_match_its_utterances() {
    let out = run_to_exit(&["voice", "segments", &clip()]).await;
    assert!(out.status.success(), "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let segs = v["segments"].as_array().unwrap();
    // clip00.json: utterances at 1.321–5.849, 6.628–11.722, 13.429–18.085 s.
    let truth = [(1.321, 5.849), (6.628, 11.722), (13.429, 18.085)];
    assert_eq!(segs.len(), 3, "{v}");
    for (s, (a, b)) in segs.iter().zip(truth) {
        let (start, end) = (s["start"].as_f64().unwrap(), s["end"].as_f64().unwrap());
        assert!(
            (start - a).abs() < 0.1 && (end - b).abs() < 0.15,
            "{start}–{end} vs {a}–{b}"
        );
    }
}

#[tokio::test]
async fn files_it_cannot_read_exit_with_code_2_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let not_wav = dir.path().join("answer.mp3");
    std::fs::write(&not_wav, b"ID3\x04\x00\x00\x00\x00\x00\x00 not a wav").unwrap();
    let mut hi_rate = std::fs::read(clip()).unwrap();
    hi_rate[24..28].copy_from_slice(&96_000u32.to_le_bytes());
    let hi = dir.path().join("hi.wav");
    std::fs::write(&hi, hi_rate).unwrap();
    let missing = dir.path().join("missing.wav");
    for (path, says) in [
        (&not_wav, "not a WAV file"),
        (&hi, "96000 Hz"),
        (&missing, "cannot read"),
    ] {
        let out = run_to_exit(&["voice", "segments", path.to_str().unwrap()]).await;
        assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
        assert!(
            out.stderr.contains(says),
            "{} should say {says}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
}

// ---------------------------------------------------------------------------------------
// Voice answers over real HTTP: the upload server fn, handing in, transcription.

use support::{json, multipart, post, upload, voice_interview, voice_status as status, Viva};

/// The speech segments the browser would send for a labelled clip (same pipeline, natively).
fn clip_segments() -> Vec<(f64, f64, Vec<u8>)> {
    let audio = voice::wav::decode(&std::fs::read(clip()).unwrap()).unwrap();
    let mut p = voice::Pipeline::new(audio.rate, voice::Config::default());
    let mut out = p.push(&audio.samples);
    out.extend(p.finish());
    out.into_iter()
        .map(|c| {
            (
                c.segment.start_s(),
                c.segment.end_s(),
                voice::wav::encode_i16(16_000, &c.samples),
            )
        })
        .collect()
}

const SAID: &str = "In my last role I led the ward handover redesign. The situation was that handovers took forty minutes and details were lost. \
    I mapped each step with the nurses, we moved to a written summary, and I trained twelve colleagues. As a result handovers took twenty minutes \
    and incident reports fell by a third within two months.";

#[tokio::test]
async fn segments_are_stored_once_for_their_owner_and_bad_ones_are_refused() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ann@example.org", "Ann").await;
    let id = voice_interview(&v, &jar).await;
    let segs = clip_segments();
    assert_eq!(segs.len(), 3, "clip00 has three utterances");
    let (s0, e0, a0) = &segs[0];

    let r = upload(&v, &jar, &id, 0, *s0, *e0, a0).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        json(r).await,
        serde_json::json!({ "seq": 0, "duplicate": false })
    );
    let again = json(upload(&v, &jar, &id, 0, *s0, *e0, a0).await).await;
    assert_eq!(
        again["duplicate"], true,
        "a retried upload is acknowledged, not stored twice"
    );
    let st = status(&v, &jar, &id).await;
    assert_eq!(st["segments"].as_array().unwrap().len(), 1);
    assert_eq!(
        st["segments"][0]["status"], "untranscribed",
        "no transcriber is configured"
    );
    assert_eq!(st["transcriber"], serde_json::Value::Null);

    // Someone else, and nobody: as if the interview did not exist / not signed in.
    let bob = v.account("bob@example.org", "Bob").await;
    assert_eq!(upload(&v, &bob, &id, 1, *s0, *e0, a0).await.status(), 404);
    assert_eq!(
        post(&v, "/api/voice/status", &bob)
            .form(&[("id", id.as_str()), ("position", "0")])
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(upload(&v, "", &id, 1, *s0, *e0, a0).await.status(), 401);

    // Bad segments: each refused with what to send instead, nothing stored.
    let mut hi_rate = voice::wav::encode_i16(48_000, &vec![0i16; 4_800]);
    hi_rate[40..44].copy_from_slice(&(9_600u32).to_le_bytes());
    let long = voice::wav::encode_i16(16_000, &vec![0i16; 16_000 * 61]);
    let cases: Vec<(Vec<u8>, f64, f64, u16, &str)> = vec![
        (hi_rate, 0.0, 0.1, 400, "send 16000 Hz mono 16-bit"),
        (
            b"PK\x03\x04 this is a zip".to_vec(),
            0.0,
            1.0,
            400,
            "not a WAV file",
        ),
        (
            voice::wav::encode_i16(16_000, &[]),
            0.0,
            1.0,
            400,
            "no samples",
        ),
        (a0.clone(), 3.0, 2.0, 400, "start before end"),
        (long, 0.0, 61.0, 400, "larger than 1921024 bytes"),
    ];
    for (i, (audio, start, end, code, says)) in cases.into_iter().enumerate() {
        let r = upload(&v, &jar, &id, 10 + i as u32, start, end, &audio).await;
        assert_eq!(r.status().as_u16(), code, "case {i}");
        let text = r.text().await.unwrap();
        assert!(text.contains(says), "case {i}: {text} should say {says}");
    }
    let (ct, body) = multipart(&[("interview", id.clone()), ("position", "0".into())], a0);
    let r = post(&v, "/api/voice/segment", &jar)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("no \\\"seq\\\" field"));
    assert_eq!(
        status(&v, &jar, &id).await["segments"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "a refused segment was stored"
    );

    // Handing in before every segment has arrived says how many are missing.
    let r = post(&v, "/api/voice/hand_in", &jar)
        .form(&[("id", id.as_str()), ("position", "0"), ("count", "3")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("1 of 3 segments have arrived"));
    for (seq, (s, e, a)) in segs.iter().enumerate().skip(1) {
        assert_eq!(
            upload(&v, &jar, &id, seq as u32, *s, *e, a).await.status(),
            200
        );
    }
    // No transcriber: the answer waits for the person to type what they said.
    let st = json(
        post(&v, "/api/voice/hand_in", &jar)
            .form(&[("id", id.as_str()), ("position", "0"), ("count", "3")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st["answer"], "needs-transcript", "{st}");
    let st = json(
        post(&v, "/api/voice/hand_in", &jar)
            .form(&[
                ("id", id.as_str()),
                ("position", "0"),
                ("count", "3"),
                ("transcript", SAID),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st["answer"], "done", "{st}");
    let iv = json(
        post(&v, "/api/interview/get", &jar)
            .form(&[("id", id.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let item = &iv["items"][0];
    assert_eq!(item["status"], "answered", "{item}");
    assert!(
        item["evaluation"]["scores"]["delivery"].as_u64().is_some(),
        "a spoken answer has a delivery score: {item}"
    );
    // The recording is closed once handed in.
    assert_eq!(upload(&v, &jar, &id, 3, 20.0, 21.0, a0).await.status(), 400);

    // Answering afresh deletes the earlier recording.
    let r = post(&v, "/api/interview/retry", &jar)
        .form(&[("id", id.as_str()), ("position", "0")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    let st = status(&v, &jar, &id).await;
    assert!(st["segments"].as_array().unwrap().is_empty(), "{st}");
    assert_eq!(st["answer"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_hosted_transcriber_turns_the_segments_into_the_evaluated_answer() {
    hosted_round_trip(false).await;
}

#[tokio::test]
async fn gemini_transcribes_the_segments_too() {
    hosted_round_trip(true).await;
}

async fn hosted_round_trip(gemini: bool) {
    let parts = vec![
        "In my last role I led the ward handover redesign because handovers took forty minutes.",
        "I mapped each step with the nurses, we moved to a written summary, and um I trained twelve colleagues.",
        "As a result handovers took twenty minutes and incident reports fell by a third within two months.",
    ];
    let (url, seen) =
        support::stt::transcription_server(parts.clone(), gemini, support::stt::Hold::default())
            .await;
    let v = if gemini {
        Viva::start(&[
            "--stt-provider",
            "gemini",
            "--stt-url",
            &url,
            "--stt-model",
            "gemini-test",
            "--stt-api-key",
            "test-key",
        ])
        .await
    } else {
        Viva::start(&[
            "--stt-provider",
            "openai",
            "--stt-url",
            &url,
            "--stt-model",
            "whisper-1",
        ])
        .await
    };
    let jar = v.account("ann@example.org", "Ann").await;
    support::allow_hosted_ai(&v, &jar, true).await;
    let id = voice_interview(&v, &jar).await;
    for (seq, (s, e, a)) in clip_segments().iter().enumerate() {
        assert_eq!(
            upload(&v, &jar, &id, seq as u32, *s, *e, a).await.status(),
            200
        );
    }
    let st = json(
        post(&v, "/api/voice/hand_in", &jar)
            .form(&[("id", id.as_str()), ("position", "0"), ("count", "3")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        st["transcriber"].as_str().unwrap().contains(if gemini {
            "gemini-test"
        } else {
            "whisper-1"
        }),
        "{st}"
    );
    let mut done = false;
    for _ in 0..100 {
        let st = status(&v, &jar, &id).await;
        if st["answer"] == "done" {
            done = true;
            break;
        }
        assert_ne!(st["answer"], "needs-transcript", "{st}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        done,
        "the answer was not evaluated after its transcripts arrived"
    );
    assert_eq!(seen.lock().unwrap().len(), 3, "one request per segment");
    let iv = json(
        post(&v, "/api/interview/get", &jar)
            .form(&[("id", id.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let item = &iv["items"][0];
    assert_eq!(
        item["answer"].as_str().unwrap(),
        parts.join(" "),
        "the transcripts in order"
    );
    assert!(item["evaluation"]["scores"]["delivery"].as_u64().is_some());
    if gemini {
        return;
    }
    // Someone who keeps their answers on this server: nothing of theirs reaches the service
    // (transcribed here when a Whisper model is present, else typed).
    let bo = v.account("bo@example.org", "Bo").await;
    support::allow_hosted_ai(&v, &bo, false).await;
    let id = voice_interview(&v, &bo).await;
    for (seq, (s, e, a)) in clip_segments().iter().enumerate() {
        assert_eq!(
            upload(&v, &bo, &id, seq as u32, *s, *e, a).await.status(),
            200
        );
    }
    post(&v, "/api/voice/hand_in", &bo)
        .form(&[("id", id.as_str()), ("position", "0"), ("count", "3")])
        .send()
        .await
        .unwrap();
    let mut settled = false;
    for _ in 0..300 {
        let st = status(&v, &bo, &id).await;
        if st["answer"] == "done" || st["answer"] == "needs-transcript" {
            settled = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(settled, "the kept-here answer settled");
    assert_eq!(
        seen.lock().unwrap().len(),
        3,
        "no request for a person who keeps their answers here"
    );
}

#[tokio::test]
async fn segments_wait_for_more_of_their_answer_and_go_together_after_the_gathering_time() {
    let parts = vec!["First part.", "Second part.", "Third part."];
    let (url, seen) =
        support::stt::transcription_server(parts.clone(), false, support::stt::Hold::default())
            .await;
    let v = Viva::start(&[
        "--stt-provider",
        "openai",
        "--stt-url",
        &url,
        "--stt-model",
        "whisper-1",
    ])
    .await;
    let jar = v.account("gus@example.org", "Gus").await;
    support::allow_hosted_ai(&v, &jar, true).await;
    let id = voice_interview(&v, &jar).await;
    for (seq, (s, e, a)) in clip_segments().iter().enumerate() {
        assert_eq!(
            upload(&v, &jar, &id, seq as u32, *s, *e, a).await.status(),
            200
        );
    }
    // Just uploaded, a few seconds of speech, not handed in: they wait for company (the workers
    // were woken by each upload and look again every 2 s).
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let st = status(&v, &jar, &id).await;
    assert!(
        st["segments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "queued"),
        "{st}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing is sent before the gathering time"
    );
    // Once the oldest has waited GATHER_SECS, the answer's segments go, all of them.
    v.advance(app::voice::transcribe::GATHER_SECS).await;
    let mut transcribed = false;
    for _ in 0..50 {
        let st = status(&v, &jar, &id).await;
        if st["segments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "done")
        {
            transcribed = true;
            assert_eq!(st["transcript"].as_str().unwrap(), parts.join(" "), "{st}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        transcribed,
        "the segments were not transcribed after the gathering time"
    );
    assert_eq!(seen.lock().unwrap().len(), 3);
}

/// A 16 kHz mono 16-bit WAV of `samples` with a `junk` chunk of `junk_len` bytes before its
/// data, as a client may send one.
fn wav_with_junk(samples: &[i16], junk_len: usize) -> Vec<u8> {
    let plain = voice::wav::encode_i16(16_000, samples);
    let mut w = plain[..36].to_vec();
    w.extend_from_slice(b"junk");
    w.extend_from_slice(&(junk_len as u32).to_le_bytes());
    w.resize(w.len() + junk_len, 0);
    w.extend_from_slice(&plain[36..]);
    let riff = (w.len() - 8) as u32;
    w[4..8].copy_from_slice(&riff.to_le_bytes());
    w
}

#[tokio::test]
async fn only_the_audio_of_a_segment_is_kept_and_a_file_of_mostly_padding_is_refused() {
    let (url, seen) = support::stt::transcription_server(
        vec!["Hello there."],
        false,
        support::stt::Hold::default(),
    )
    .await;
    let v = Viva::start(&[
        "--stt-provider",
        "openai",
        "--stt-url",
        &url,
        "--stt-model",
        "whisper-1",
    ])
    .await;
    let jar = v.account("ann@example.org", "Ann").await;
    support::allow_hosted_ai(&v, &jar, true).await;
    let id = voice_interview(&v, &jar).await;

    // 1.9 MB of padding around one sample: refused, with what to send instead; nothing stored.
    let padded = wav_with_junk(&[5], 1_900_000);
    assert!(
        padded.len() <= app::voice::model::MAX_SEGMENT_BYTES,
        "the test file must pass the size limit"
    );
    let r = upload(&v, &jar, &id, 0, 0.0, 0.5, &padded).await;
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("Only 2 of the audio segment's") && text.contains("send a plain WAV file"),
        "{text}"
    );
    assert!(status(&v, &jar, &id).await["segments"]
        .as_array()
        .unwrap()
        .is_empty());

    // A second of audio with a little metadata: accepted, and what is kept (and so what the
    // transcriber is sent) is a fresh 44-byte header and the samples, nothing else.
    let samples: Vec<i16> = (0..16_000)
        .map(|i| ((i % 64) * 200 - 6_400) as i16)
        .collect();
    let r = upload(&v, &jar, &id, 0, 0.0, 1.0, &wav_with_junk(&samples, 300)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let st = json(
        post(&v, "/api/voice/hand_in", &jar)
            .form(&[("id", id.as_str()), ("position", "0"), ("count", "1")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(st["transcriber"].is_string(), "{st}");
    let mut sent = None;
    for _ in 0..100 {
        if let Some((_, body)) = seen.lock().unwrap().first() {
            sent = Some(body.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let body = sent.expect("the segment was not sent for transcription within 10 s");
    let start = body
        .windows(4)
        .position(|w| w == b"RIFF")
        .expect("a WAV in the upload");
    // The file is the last part: it ends where the closing boundary begins.
    let end = body
        .windows(4)
        .rposition(|w| w == b"\r\n--")
        .expect("the end of the file part");
    let stored = &body[start..end];
    assert_eq!(stored.len(), voice::wav::HEADER_LEN + 2 * samples.len());
    assert_eq!(stored, voice::wav::encode_i16(16_000, &samples).as_slice());
}

/// The Whisper model `viva models fetch` prepared, when this run has one (`.ci/run` does,
/// and sets VIVA_REQUIRE_MODELS so the test cannot be skipped there).
fn whisper_dir() -> Option<String> {
    match std::env::var("VIVA_MODELS_DIR") {
        Ok(d) => Some(format!("{d}/whisper")),
        Err(_) => {
            assert!(
                std::env::var("VIVA_REQUIRE_MODELS").is_err(),
                "VIVA_REQUIRE_MODELS is set but VIVA_MODELS_DIR is not"
            );
            eprintln!("skipped: set VIVA_MODELS_DIR to a folder filled by `viva models fetch`");
            None
        }
    }
}

#[tokio::test]
async fn embedded_whisper_transcribes_the_spoken_answer() {
    let Some(model) = whisper_dir() else { return };
    let v = Viva::start(&["--whisper-model", &model]).await;
    let jar = v.account("ann@example.org", "Ann").await;
    let id = voice_interview(&v, &jar).await;
    for (seq, (s, e, a)) in clip_segments().iter().enumerate() {
        assert_eq!(
            upload(&v, &jar, &id, seq as u32, *s, *e, a).await.status(),
            200
        );
    }
    let st = json(
        post(&v, "/api/voice/hand_in", &jar)
            .form(&[("id", id.as_str()), ("position", "0"), ("count", "3")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        st["transcriber"]
            .as_str()
            .unwrap()
            .contains("Whisper tiny.en"),
        "{st}"
    );
    let mut answer = None;
    for _ in 0..300 {
        let iv = json(
            post(&v, "/api/interview/get", &jar)
                .form(&[("id", id.as_str())])
                .send()
                .await
                .unwrap(),
        )
        .await;
        if iv["items"][0]["status"] != "pending" {
            answer = iv["items"][0]["answer"].as_str().map(str::to_lowercase);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let answer = answer.expect("the spoken answer was not transcribed and handed in within 60 s");
    // clip00.json: what was said (espeak-ng voice, no noise).
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(clip().replace(".wav", ".json")).unwrap()).unwrap();
    let words: Vec<String> = truth["speech"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| {
            u[2].as_str()
                .unwrap()
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|c: char| !c.is_alphanumeric())
                        .to_lowercase()
                })
                .collect::<Vec<_>>()
        })
        .filter(|w| w.len() > 3)
        .collect();
    let heard = words.iter().filter(|w| answer.contains(w.as_str())).count();
    // tiny.en on a synthetic voice: most words, not all (a broken model hears none).
    assert!(
        heard * 10 >= words.len() * 7,
        "only {heard} of {} words heard in {answer:?}",
        words.len()
    );
}
