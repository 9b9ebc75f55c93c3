//! Video answers from the real binary over real HTTP: chunk uploads (in order or not, twice,
//! cut short, too big, not a video), finishing, owner-only playback with byte ranges, and the
//! same against an S3-speaking store (moto, started by the test).
use crate::support;

use support::{interview_id, json, post, Viva};

const CHROME: &[u8] = include_bytes!("../../../app/tests/fixtures/video/chrome-vp8-opus.webm");
/// Where Chromium's recorder cut its 1-second slices of CHROME.
const SLICES: [usize; 4] = [12817, 16452, 20567, 5039];
const PNG: &[u8] = include_bytes!("../../../app/tests/fixtures/video/not-video.png");

fn slices() -> Vec<&'static [u8]> {
    let mut at = 0;
    SLICES
        .iter()
        .map(|&n| {
            let s = &CHROME[at..at + n];
            at += n;
            s
        })
        .collect()
}

/// Starts a three-question interview on camera, recording on or off; returns its id.
async fn camera_interview(v: &Viva, jar: &str, record: bool) -> String {
    let mut setup = vec![
        ("setup[role]", "nurse"),
        ("setup[difficulty]", "2"),
        ("setup[count]", "3"),
        ("setup[kinds][]", "behavioural"),
        ("setup[mode]", "video"),
    ];
    if record {
        setup.push(("setup[record_video]", "on"));
    }
    interview_id(
        post(v, "/api/interview/start", jar)
            .form(&setup)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Posts chunk `seq` of take `take` as the recorder does (declared `content_type`).
async fn chunk(
    v: &Viva,
    jar: &str,
    id: &str,
    take: &str,
    seq: u32,
    bytes: &[u8],
    content_type: &str,
) -> reqwest::Response {
    let boundary = "vivavideoboundary42";
    let mut body = Vec::new();
    for (k, val) in [
        ("interview", id.to_string()),
        ("position", "0".into()),
        ("part", "answer".into()),
        ("take", take.into()),
        ("seq", seq.to_string()),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{val}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"chunk\"; filename=\"c{seq}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    post(v, "/api/video/chunk", jar)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn finish(
    v: &Viva,
    jar: &str,
    id: &str,
    take: &str,
    count: usize,
    bytes: usize,
) -> reqwest::Response {
    post(v, "/api/video/finish", jar)
        .form(&[
            ("id", id),
            ("position", "0"),
            ("part", "answer"),
            ("take", take),
            ("count", &count.to_string()),
            ("bytes", &bytes.to_string()),
        ])
        .send()
        .await
        .unwrap()
}

fn get(v: &Viva, path: &str, jar: &str) -> reqwest::RequestBuilder {
    support::client().get(v.url(path)).header("cookie", jar)
}

/// Files under a directory, recursively.
fn files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        files(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Uploads CHROME as take `take` (its slices in the order given) and finishes it.
async fn record(v: &Viva, jar: &str, id: &str, take: &str, order: &[usize]) -> serde_json::Value {
    let parts = slices();
    for &i in order {
        let r = chunk(v, jar, id, take, i as u32, parts[i], "video/webm").await;
        assert_eq!(r.status(), 200, "chunk {i}: {}", r.text().await.unwrap());
    }
    let r = finish(v, jar, id, take, SLICES.len(), CHROME.len()).await;
    assert_eq!(r.status(), 200);
    json(r).await
}

/// Plays the answer back: whole, and a byte range; checks it is the seekable file.
async fn plays_back(v: &Viva, jar: &str, id: &str) -> Vec<u8> {
    let url = format!("/videos/{id}/0/answer");
    let whole = get(v, &url, jar).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "video/webm");
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let file = whole.bytes().await.unwrap().to_vec();
    // The rewrite adds a sized Segment, SeekHead, Duration and Cues to what Chromium made.
    assert!(file.len() > CHROME.len() && file.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]));
    let cues = [0x1C, 0x53, 0xBB, 0x6B];
    assert!(file.windows(4).any(|w| w == cues), "the file has cues");
    let part = get(v, &url, jar)
        .header("range", "bytes=100-1123")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-1123/{}", file.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &file[100..1124]);
    let past = get(v, &url, jar)
        .header("range", format!("bytes={}-", file.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);
    file
}

#[tokio::test]
async fn a_video_answer_is_uploaded_in_chunks_and_plays_back_to_its_owner_only() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ann@example.org", "Ann").await;
    let id = camera_interview(&v, &jar, true).await;
    // Out of order, one sent twice.
    let parts = slices();
    let r = chunk(&v, &jar, &id, "take1", 2, parts[2], "video/webm").await;
    assert_eq!(r.status(), 200);
    let ack = json(chunk(&v, &jar, &id, "take1", 2, parts[2], "video/webm").await).await;
    assert_eq!(ack["duplicate"], true, "{ack}");
    let done = record(&v, &jar, &id, "take1", &[0, 3, 1]).await;
    assert_eq!(done["status"], "ready", "{done}");
    let secs = done["duration_secs"].as_f64().unwrap();
    assert!((secs - 3.19).abs() < 0.1, "{secs}");
    plays_back(&v, &jar, &id).await;
    let st = json(
        post(&v, "/api/video/status", &jar)
            .form(&[("id", id.as_str()), ("position", "0"), ("part", "answer")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st["status"], "ready");

    // Someone else: no playback, no upload into it, no status; nobody signed in: 401.
    let bob = v.account("bob@example.org", "Bob").await;
    let url = format!("/videos/{id}/0/answer");
    assert_eq!(get(&v, &url, &bob).send().await.unwrap().status(), 404);
    assert_eq!(get(&v, &url, "").send().await.unwrap().status(), 401);
    assert_eq!(
        chunk(&v, &bob, &id, "bob", 0, parts[0], "video/webm")
            .await
            .status(),
        404
    );
    assert_eq!(
        post(&v, "/api/video/status", &bob)
            .form(&[("id", id.as_str()), ("position", "0"), ("part", "answer")])
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        get(&v, &format!("/videos/{id}/0/follow-up"), &jar)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn chunks_that_are_not_a_whole_video_are_refused_and_leave_nothing() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ann@example.org", "Ann").await;
    let id = camera_interview(&v, &jar, true).await;
    let blobs = v.data_dir().join("blobs");
    let said = |r: serde_json::Value| r["message"].as_str().unwrap_or_default().to_string();

    // A PNG with a video content type: its bytes are what count.
    let r = chunk(&v, &jar, &id, "png", 0, PNG, "video/webm").await;
    assert_eq!(r.status(), 400);
    assert!(said(json(r).await).contains("neither WebM nor MP4"));
    // Too big for a chunk.
    let big = vec![0u8; app::video::model::MAX_CHUNK_BYTES + 1];
    let r = chunk(&v, &jar, &id, "big", 1, &big, "video/webm").await;
    assert!(r.status() == 400 || r.status() == 413, "{}", r.status());
    assert_eq!(files(&blobs), 0, "nothing was stored");

    // Cut short: the last slice never arrives, and the recorder announces three.
    let parts = slices();
    for (i, p) in parts.iter().take(3).enumerate() {
        assert_eq!(
            chunk(&v, &jar, &id, "cut", i as u32, p, "video/webm")
                .await
                .status(),
            200
        );
    }
    let sent: usize = SLICES[..3].iter().sum();
    let r = finish(&v, &jar, &id, "cut", 4, sent).await;
    assert_eq!(r.status(), 400, "one chunk is missing");
    assert!(said(json(r).await).contains("3 of the recording's 4"));
    let r = finish(&v, &jar, &id, "cut", 3, sent).await;
    assert_eq!(r.status(), 400);
    assert!(said(json(r).await).contains("cut short"));
    assert_eq!(
        get(&v, &format!("/videos/{id}/0/answer"), &jar)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // Recording off: the camera is a mirror; no video is taken.
    let off = camera_interview(&v, &jar, false).await;
    let r = chunk(&v, &jar, &off, "t", 0, parts[0], "video/webm").await;
    assert_eq!(r.status(), 400);
    assert!(said(json(r).await).contains("recording is off"));
}

/// Starts moto's S3 server (end2end/servers/s3-server.sh) on a free port; returns its URL and
/// the process (killed when dropped).
async fn s3_server() -> (String, tokio::process::Child) {
    use tokio::io::AsyncBufReadExt;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../end2end/servers/s3-server.sh"
    );
    let mut child = tokio::process::Command::new("bash")
        .arg(script)
        .arg(port.to_string())
        .env("BUCKET", "viva-test")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("end2end/servers/s3-server.sh (moto; .ci/tools.sh --browser installs it)");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Ok(Some(l)) = lines.next_line().await {
            if let Some(url) = l.strip_prefix("S3 ready ") {
                return url.trim().to_string();
            }
        }
        panic!("the S3 server ended before it was ready");
    })
    .await
    .expect("the S3 server is ready within 60 s");
    (ready, child)
}

/// The bucket's listing (ListObjectsV2) under `prefix`, as XML.
async fn listing(s3: &str, prefix: &str) -> String {
    support::client()
        .get(format!("{s3}/viva-test?list-type=2&prefix={prefix}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn recordings_and_speech_go_to_an_s3_compatible_store() {
    let (s3, _server) = s3_server().await;
    let store = format!("s3://viva-test/node?endpoint={s3}&allow_http=true&region=us-east-1");
    let creds = [
        ("AWS_ACCESS_KEY_ID", "viva-test"),
        ("AWS_SECRET_ACCESS_KEY", "viva-test-secret"),
    ];
    let v = Viva::start_with_env(&["--blob-store", &store], &creds).await;
    let jar = v.account("ann@example.org", "Ann").await;
    let id = camera_interview(&v, &jar, true).await;
    let done = record(&v, &jar, &id, "s3take", &[0, 1, 2, 3]).await;
    assert_eq!(done["status"], "ready", "{done}");
    let file = plays_back(&v, &jar, &id).await;
    // In the bucket, under the prefix; nothing under the data directory.
    let list = listing(&s3, "node/").await;
    assert!(list.contains(".webm</Key>"), "{list}");
    assert!(
        list.contains(&format!("<Size>{}</Size>", file.len())),
        "{list}"
    );
    assert_eq!(files(&v.data_dir().join("blobs")), 0);
    // A speech segment lands there too.
    let wav = voice::wav::encode_i16(16_000, &vec![900i16; 16_000]);
    let r = support::upload(&v, &jar, &id, 0, 0.5, 1.5, &wav).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let list = listing(&s3, "node/voice/").await;
    assert!(list.contains(".wav</Key>"), "{list}");
}
