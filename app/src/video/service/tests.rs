//! Video answers against a real SurrealDB (a temp dir each) and a real file blob store: chunks
//! stored once each in any order, refused ones leave nothing, a finished recording is one
//! seekable file, and everything goes with its interview, account or retention.

use super::*;
use crate::billing::service::Payments;

const CHROME: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/video/chrome-vp8-opus.webm"
));
/// Where Chromium's recorder cut its 1-second slices of CHROME.
const CHROME_SLICES: [usize; 4] = [12817, 16452, 20567, 5039];
const CHROME_MP4: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/video/chrome.mp4"
));
const PNG: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/video/not-video.png"
));

fn slices(file: &[u8], sizes: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = 0;
    for &n in sizes {
        out.push(file[at..at + n].to_vec());
        at += n;
    }
    assert_eq!(at, file.len());
    out
}

struct World {
    _dir: tempfile::TempDir,
    db: Db,
    blobs: Blobs,
    desk: crate::interview::desk::Desk,
    pay: Payments,
}

impl World {
    async fn new() -> World {
        let (dir, db) = crate::db::temp().await;
        crate::interview::service::sync_bank(&db, 1_000)
            .await
            .unwrap();
        for id in ["ann", "bob"] {
            db.query(
                "CREATE type::record('user', $id) SET email = $email, name = 'Test', password_hash = 'x', role = 'user',
                     job_role = 'Backend developer', experience = 'mid', email_verified = true, disabled = false,
                     terms_version = '1', terms_accepted_at = 0, age_confirmed_at = 0, created_at = 0",
            )
            .bind(("id", id))
            .bind(("email", format!("{id}@example.org")))
            .await
            .unwrap()
            .check()
            .unwrap();
        }
        World {
            _dir: dir,
            db,
            blobs: crate::blob::for_tests(),
            desk: crate::interview::desk::Desk {
                evaluator: std::sync::Arc::new(crate::feedback::evaluator::Evaluator::default()),
            },
            pay: Payments::default(),
        }
    }

    fn up(&self, now: i64) -> Upload<'_> {
        Upload {
            db: &self.db,
            blobs: &self.blobs,
            desk: &self.desk,
            payments: &self.pay,
            retention_days: 90,
            now,
        }
    }

    /// A new interview of `uid`'s, recording on video as chosen.
    async fn interview(&self, uid: &str, record: bool) -> String {
        let id = crate::interview::service::warm_up(&self.db, uid, 1_000)
            .await
            .unwrap();
        choose(&self.db, uid, &id, record, 1_000).await.unwrap();
        id
    }

    async fn count(&self, table: &str) -> i64 {
        let mut r = self
            .db
            .query(format!("RETURN count(SELECT id FROM {table})"))
            .await
            .unwrap();
        r.take::<Option<i64>>(0).unwrap().unwrap_or(0)
    }

    fn files(&self) -> usize {
        crate::blob::files_for_tests(&self.blobs)
    }
}

fn take<'a>(uid: &'a str, id: &'a str, take: &'a str) -> Take<'a> {
    Take {
        user: uid,
        interview: id,
        position: 0,
        part: Part::Answer,
        take,
    }
}

fn msg(r: Result<impl std::fmt::Debug, AppError>) -> String {
    match r {
        Err(AppError::BadRequest(m)) => m,
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[tokio::test]
async fn chunks_in_any_order_and_twice_make_one_seekable_recording() {
    let w = World::new().await;
    let id = w.interview("ann", true).await;
    let parts = slices(CHROME, &CHROME_SLICES);
    let t = take("ann", &id, "t1");
    // Out of order, and one sent twice (a lost acknowledgement).
    for seq in [2usize, 0, 3, 0, 1] {
        let ack = chunk(&w.up(1_001), t, seq as u32, parts[seq].clone())
            .await
            .unwrap();
        assert_eq!(ack.duplicate, seq == 0 && ack.chunks == 3, "{seq} {ack:?}");
    }
    // The same number with other bytes is refused: it cannot be the same chunk.
    assert!(msg(chunk(&w.up(1_001), t, 1, vec![1, 2, 3]).await).contains("already arrived"));
    assert_eq!(w.count("video_chunk").await, 4);
    // Announced wrongly: refused, nothing lost.
    assert!(msg(finish(&w.up(1_002), t, 5, CHROME.len() as u64).await)
        .contains("4 of the recording's 5"));
    assert!(msg(finish(&w.up(1_002), t, 4, 7).await).contains("not the 7 announced"));
    let v = finish(&w.up(1_002), t, 4, CHROME.len() as u64)
        .await
        .unwrap();
    assert_eq!(v.status, VideoStatus::Ready);
    let secs = v.duration_secs.unwrap();
    assert!((secs - 3.19).abs() < 0.1, "{secs}");
    assert_eq!(v.mime.as_deref(), Some("video/webm"));
    // One file, seekable: it indexes again with the same length and now carries cues; the
    // chunks are gone (at the next reaping, their files too).
    let (key, mime) = playable(&w.db, "ann", &id, 0, Part::Answer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mime, "video/webm");
    let file = w.blobs.get(&key).await.unwrap().unwrap();
    assert_eq!(file.len() as u64, v.bytes);
    let mut again = container::WebmIndexer::new();
    again.feed(&file).unwrap();
    let again = again.finish().unwrap();
    assert!((again.duration_secs() - secs).abs() < 1e-6);
    assert_eq!(
        again.plan().iter().map(Piece::len).sum::<u64>(),
        file.len() as u64
    );
    assert_eq!(w.count("video_chunk").await, 0);
    assert_eq!(w.files(), 1, "only the recording is left, at once");
    // Finishing again, and a chunk sent again after it, change nothing.
    assert_eq!(
        finish(&w.up(1_003), t, 4, CHROME.len() as u64)
            .await
            .unwrap(),
        v
    );
    assert!(
        chunk(&w.up(1_003), t, 3, parts[3].clone())
            .await
            .unwrap()
            .duplicate
    );
    // Someone else's: nothing to see or play, no chunk lands in it.
    assert!(playable(&w.db, "bob", &id, 0, Part::Answer)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        status(&w.db, &w.desk, "bob", &id, 0, Part::Answer).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        chunk(&w.up(1_004), take("bob", &id, "t9"), 0, parts[0].clone()).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        finish(&w.up(1_004), take("bob", &id, "t1"), 4, CHROME.len() as u64).await,
        Err(AppError::NotFound)
    ));
    // Their own question, a take that never started: said so.
    assert!(msg(finish(&w.up(1_004), take("ann", &id, "none"), 1, 1).await).contains("No chunk"));
}

#[tokio::test]
async fn what_is_not_a_whole_video_is_refused_and_nothing_stays() {
    let w = World::new().await;
    let id = w.interview("ann", true).await;
    let parts = slices(CHROME, &CHROME_SLICES);
    // A PNG declared as video: its bytes say otherwise.
    let m = msg(chunk(&w.up(1_001), take("ann", &id, "png"), 0, PNG.to_vec()).await);
    assert!(m.contains("neither WebM nor MP4"), "{m}");
    // Too big, empty, a bad take name, past the chunk count.
    let m = msg(chunk(
        &w.up(1_001),
        take("ann", &id, "big"),
        1,
        vec![0; MAX_CHUNK_BYTES + 1],
    )
    .await);
    assert!(m.contains(&MAX_CHUNK_BYTES.to_string()), "{m}");
    assert!(msg(chunk(&w.up(1_001), take("ann", &id, "e"), 1, vec![]).await).contains("empty"));
    assert!(msg(chunk(&w.up(1_001), take("ann", &id, "../x"), 1, vec![1]).await).contains("take"));
    assert!(
        msg(chunk(&w.up(1_001), take("ann", &id, "n"), MAX_CHUNKS, vec![1]).await)
            .contains(&MAX_CHUNKS.to_string())
    );
    assert_eq!(w.count("video_recording").await, 0);
    assert_eq!(w.count("video_chunk").await, 0);
    assert_eq!(w.files(), 0);

    // Cut short: the last slice never came, and the count says three. Refused with the
    // reason; the recording is marked failed and its chunks go.
    let t = take("ann", &id, "cut");
    for (seq, c) in parts.iter().take(3).enumerate() {
        chunk(&w.up(1_001), t, seq as u32, c.clone()).await.unwrap();
    }
    let sent: u64 = parts.iter().take(3).map(|c| c.len() as u64).sum();
    let m = msg(finish(&w.up(1_002), t, 3, sent).await);
    assert!(
        m.contains("cut short") && m.contains("Nothing was kept"),
        "{m}"
    );
    let v = status(&w.db, &w.desk, "ann", &id, 0, Part::Answer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.status, VideoStatus::Failed);
    assert!(v.error.unwrap().contains("cut short"));
    assert_eq!(w.count("video_chunk").await, 0);
    crate::blob::reap(&w.db, &w.blobs).await.unwrap();
    assert_eq!(w.files(), 0);
    assert!(playable(&w.db, "ann", &id, 0, Part::Answer)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn recording_off_keeps_no_video_and_mp4_is_taken_as_made() {
    let w = World::new().await;
    let off = w.interview("ann", false).await;
    let m = msg(chunk(
        &w.up(1_001),
        take("ann", &off, "t"),
        0,
        CHROME[..4096].to_vec(),
    )
    .await);
    assert!(m.contains("recording is off"), "{m}");
    assert_eq!(w.count("video_recording").await, 0);
    assert_eq!(w.files(), 0);

    // What Debian's Chromium makes when asked for video/mp4: fragmented MP4, VP9 and Opus.
    let id = w.interview("ann", true).await;
    let t = take("ann", &id, "mp4");
    let half = CHROME_MP4.len() / 2;
    chunk(&w.up(1_001), t, 0, CHROME_MP4[..half].to_vec())
        .await
        .unwrap();
    chunk(&w.up(1_001), t, 1, CHROME_MP4[half..].to_vec())
        .await
        .unwrap();
    let v = finish(&w.up(1_002), t, 2, CHROME_MP4.len() as u64)
        .await
        .unwrap();
    assert_eq!(v.status, VideoStatus::Ready);
    assert_eq!(v.mime.as_deref(), Some("video/mp4"));
    assert!((v.duration_secs.unwrap() - 3.2).abs() < 0.1);
    let (key, mime) = playable(&w.db, "ann", &id, 0, Part::Answer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mime, "video/mp4");
    assert_eq!(w.blobs.get(&key).await.unwrap().unwrap(), CHROME_MP4);
    assert_eq!(ready(&w.db, "ann", &id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn recordings_go_with_their_interview_account_and_time() {
    let w = World::new().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = w.interview("ann", true).await;
        let t = take("ann", &id, "t");
        chunk(&w.up(1_001), t, 0, CHROME.to_vec()).await.unwrap();
        finish(&w.up(1_001), t, 1, CHROME.len() as u64)
            .await
            .unwrap();
        ids.push(id);
    }
    // A take never finished (the page was closed for good).
    let id = w.interview("ann", true).await;
    chunk(
        &w.up(1_001),
        take("ann", &id, "left"),
        0,
        CHROME[..9000].to_vec(),
    )
    .await
    .unwrap();
    crate::blob::reap(&w.db, &w.blobs).await.unwrap();
    assert_eq!(w.files(), 4);
    assert_eq!(kept(&w.db, "ann").await.unwrap().len(), 3);

    // The interview goes: its recording goes.
    w.db.query("DELETE type::record('interview', $id)")
        .bind(("id", ids[0].clone()))
        .await
        .unwrap()
        .check()
        .unwrap();
    crate::blob::reap(&w.db, &w.blobs).await.unwrap();
    assert_eq!(w.files(), 3);
    // The answer is answered afresh: its recording goes.
    delete_for_item(&w.db, "ann", &ids[1], 0).await.unwrap();
    crate::blob::reap(&w.db, &w.blobs).await.unwrap();
    assert_eq!(w.files(), 2);
    // Abandoned a day ago: goes; the kept one stays until its retention runs out.
    assert_eq!(sweep(&w.db, 1_001 + ABANDONED_SECS).await.unwrap(), 1);
    crate::blob::reap(&w.db, &w.blobs).await.unwrap();
    assert_eq!(w.files(), 1);
    assert_eq!(sweep(&w.db, 1_000 + 89 * 86_400).await.unwrap(), 0);
    assert_eq!(sweep(&w.db, 1_001 + 90 * 86_400).await.unwrap(), 1);
    crate::blob::reap(&w.db, &w.blobs).await.unwrap();
    assert_eq!(w.files(), 0);
    assert_eq!(w.count("video_recording").await, 0);

    // The account goes: everything of video with it.
    let id = w.interview("ann", true).await;
    chunk(&w.up(1_001), take("ann", &id, "t"), 0, CHROME.to_vec())
        .await
        .unwrap();
    w.db.query(ERASE_USER)
        .bind(("user", surrealdb::types::RecordId::new("user", "ann")))
        .await
        .unwrap()
        .check()
        .unwrap();
    crate::blob::reap(&w.db, &w.blobs).await.unwrap();
    assert_eq!(w.files(), 0);
    assert_eq!(
        w.count("video_chunk").await + w.count("video_choice").await,
        0
    );
}

/// What Firefox and Chromium (fake camera) really record is accepted, whatever the slicing.
#[tokio::test]
async fn recordings_from_each_browser_are_taken() {
    let w = World::new().await;
    for (name, file) in [
        (
            "firefox",
            &include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/video/firefox.webm"
            ))[..],
        ),
        (
            "chromium",
            &include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/video/chromium.webm"
            ))[..],
        ),
    ] {
        let id = w.interview("ann", true).await;
        let t = take("ann", &id, name);
        for (seq, c) in file.chunks(16 * 1024).enumerate() {
            chunk(&w.up(1_001), t, seq as u32, c.to_vec())
                .await
                .unwrap();
        }
        let n = file.len().div_ceil(16 * 1024) as u32;
        let v = finish(&w.up(1_002), t, n, file.len() as u64).await.unwrap();
        assert_eq!(v.status, VideoStatus::Ready, "{name}");
        let secs = v.duration_secs.unwrap();
        assert!((2.0..4.0).contains(&secs), "{name}: {secs}");
    }
}

/// With billing on: a plan without video refuses the first chunk (402, naming the plan); one
/// with video counts its seconds against the month's minutes, and a recording past them is
/// refused when finished, nothing kept.
#[tokio::test]
async fn video_follows_the_plan() {
    use crate::billing::service::{Billing, Payments};
    let plans = |video: bool| {
        let f: crate::billing::model::PlansFile = toml::from_str(&format!(
            r#"
            [free]
            spoken_minutes_per_month = 1
            video = {video}
            [[plans]]
            id = "pro"
            name = "Pro"
            price = 1200
            currency = "USD"
            stripe_price = "price_pro"
            "#
        ))
        .unwrap();
        Payments(Some(std::sync::Arc::new(Billing {
            catalog: f.into_catalog(true, false).unwrap(),
            stripe: None,
            razorpay: None,
        })))
    };
    let mut w = World::new().await;
    w.pay = plans(false);
    let id = w.interview("ann", true).await;
    match chunk(&w.up(1_001), take("ann", &id, "t"), 0, CHROME.to_vec()).await {
        Err(AppError::QuotaReached(m)) => assert!(m.contains("does not include video"), "{m}"),
        other => panic!("expected a 402, got {other:?}"),
    }
    assert_eq!(w.count("video_recording").await, 0);

    w.pay = plans(true);
    let t = take("ann", &id, "t");
    chunk(&w.up(1_001), t, 0, CHROME.to_vec()).await.unwrap();
    // 58 of the minute's 60 s are spent already: 3.2 s more do not fit.
    crate::billing::service::spend(
        &w.pay,
        &w.db,
        "ann",
        crate::billing::Meter::VideoSeconds,
        58,
        1_001,
    )
    .await
    .unwrap();
    match finish(&w.up(1_002), t, 1, CHROME.len() as u64).await {
        Err(AppError::QuotaReached(m)) => assert!(m.contains("minutes of video"), "{m}"),
        other => panic!("expected a 402, got {other:?}"),
    }
    let v = status(&w.db, &w.desk, "ann", &id, 0, Part::Answer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.status, VideoStatus::Failed);
    assert!(playable(&w.db, "ann", &id, 0, Part::Answer)
        .await
        .unwrap()
        .is_none());
    assert_eq!(w.files(), 0, "nothing kept");
}
