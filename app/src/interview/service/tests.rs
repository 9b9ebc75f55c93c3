use std::collections::HashSet;

use super::super::model::*;
use super::super::types::*;
use super::*;
use crate::db::Db;
use crate::feedback::engine;
use crate::feedback::evaluator::Evaluator;
use crate::AppError;

async fn fresh() -> (tempfile::TempDir, Db) {
    let (dir, db) = crate::db::temp().await;
    sync_bank(&db, 1_000).await.unwrap();
    (dir, db)
}

async fn user(db: &Db, id: &str, verified: bool) {
    db.query(
        "CREATE type::record('user', $id) SET email = $email, name = 'Test', password_hash = 'x', role = 'user', job_role = 'Backend developer',
             experience = 'mid', email_verified = $v, disabled = false, terms_version = '1', terms_accepted_at = 0, age_confirmed_at = 0, created_at = 0",
    )
    .bind(("id", id.to_string()))
    .bind(("email", format!("{id}@example.org")))
    .bind(("v", verified))
    .await
    .unwrap()
    .check()
    .unwrap();
}

fn setup(role: &str, count: u8) -> Setup {
    Setup {
        record_video: false,
        role: role.into(),
        kinds: vec![],
        difficulty: 2,
        count,
        company: None,
        job_description: None,
        mode: AnswerMode::Text,
        timer_secs: None,
        focus: vec![],
    }
}

const STRONG: &str = "At my last company our nightly data import took six hours and often failed, which left 300 analysts without fresh numbers. \
    I was responsible for the pipeline, so my goal was to make it reliable and finish before 7 am. I measured each stage, found that one \
    unindexed join took 70% of the time, added the index and split the load into parallel batches. As a result the import dropped to \
    50 minutes and had no failures for three months. I learned to measure before changing anything.";

#[tokio::test]
async fn the_bank_loads_once_and_reloads_only_when_it_changes() {
    let (_d, db) = fresh().await;
    let n = bank_size(&db).await.unwrap();
    assert!(n >= 500, "{n}");
    assert_eq!(
        sync_bank(&db, 2_000).await.unwrap(),
        0,
        "an unchanged bank is not written again"
    );
    // A changed fingerprint (an edited file) reloads everything and retires what disappeared.
    db.query("UPDATE bank_state:main SET fingerprint = 'old'; CREATE question:gone SET text = 'x', roles = ['general'], kind = 'behavioural', difficulty = 1, competencies = [], key_points = [], retired = false").await.unwrap().check().unwrap();
    assert_eq!(sync_bank(&db, 3_000).await.unwrap() as i64, n);
    let mut r = db
        .query("SELECT VALUE retired FROM ONLY question:gone")
        .await
        .unwrap();
    assert_eq!(r.take::<Option<bool>>(0).unwrap(), Some(true));
    assert_eq!(bank_size(&db).await.unwrap(), n);
}

#[tokio::test]
async fn an_interview_runs_from_start_to_report_and_history() {
    let (_d, db) = fresh().await;
    user(&db, "ann", true).await;
    let id = start(&db, "ann", setup("backend-engineer", 3), 10_000)
        .await
        .unwrap();
    let v = get(&db, "ann", &id).await.unwrap();
    assert_eq!(v.items.len(), 3);
    assert_eq!(v.current, Some(0));
    assert!(!v.finished);

    // A thin answer gets exactly one follow-up; its answer is judged with the first.
    match answer(
        &db,
        &Evaluator::default(),
        "ann",
        &id,
        0,
        "I fixed it quickly.",
        None,
        10_010,
    )
    .await
    .unwrap()
    {
        AnswerOutcome::FollowUp(q) => assert!(q.len() > 20),
        other => panic!("expected a follow-up, got {other:?}"),
    }
    let v = get(&db, "ann", &id).await.unwrap();
    assert_eq!(v.items[0].status, ItemStatus::FollowUp);
    assert_eq!(
        v.current,
        Some(0),
        "still on the question until the follow-up is answered"
    );
    assert!(matches!(
        answer(
            &db,
            &Evaluator::default(),
            "ann",
            &id,
            0,
            STRONG,
            None,
            10_020
        )
        .await
        .unwrap(),
        AnswerOutcome::Evaluated(_)
    ));
    // Answering it again is refused with a message; retry makes it answerable again.
    let again = answer(
        &db,
        &Evaluator::default(),
        "ann",
        &id,
        0,
        STRONG,
        None,
        10_021,
    )
    .await
    .unwrap_err();
    assert!(again.to_string().contains("already answered"), "{again}");

    // A strong answer is evaluated at once; the third question is skipped.
    assert!(matches!(
        answer(
            &db,
            &Evaluator::default(),
            "ann",
            &id,
            1,
            STRONG,
            None,
            10_030
        )
        .await
        .unwrap(),
        AnswerOutcome::Evaluated(_)
    ));
    skip(&db, &Evaluator::default(), "ann", &id, 2, 10_040)
        .await
        .unwrap();
    let v = get(&db, "ann", &id).await.unwrap();
    assert_eq!(v.current, None);
    assert_eq!(v.items[0].follow_up_answer.as_deref(), Some(STRONG));
    assert!(v.items[1].evaluation.is_some());
    assert_eq!(v.items[2].status, ItemStatus::Skipped);

    retry(&db, "ann", &id, 2).await.unwrap();
    assert_eq!(get(&db, "ann", &id).await.unwrap().current, Some(2));
    answer(
        &db,
        &Evaluator::default(),
        "ann",
        &id,
        2,
        STRONG,
        None,
        10_050,
    )
    .await
    .unwrap();

    finish(&db, "ann", &id, 10_100).await.unwrap();
    let rep = report(&db, "ann", &id).await.unwrap();
    assert!(rep.interview.finished);
    assert!(rep.scores.overall > 0);
    assert!(!rep.recommendations.is_empty());
    assert_eq!(rep.engines, vec![engine::ENGINE_NAME.to_string()]);
    assert!(answer(
        &db,
        &Evaluator::default(),
        "ann",
        &id,
        2,
        STRONG,
        None,
        10_200
    )
    .await
    .unwrap_err()
    .to_string()
    .contains("finished"));

    let h = history(&db, "ann").await.unwrap();
    assert_eq!(h.sessions.len(), 1);
    assert_eq!(h.sessions[0].answered, 3);
    assert_eq!(
        h.sessions[0].scores.as_ref().map(|s| s.overall),
        Some(rep.scores.overall)
    );
    assert!(!h.competencies.is_empty());
}

#[tokio::test]
async fn nobody_reads_or_changes_another_persons_interview() {
    let (_d, db) = fresh().await;
    user(&db, "ann", true).await;
    user(&db, "bob", true).await;
    let id = start(&db, "ann", setup("nurse", 3), 10_000).await.unwrap();
    assert_eq!(get(&db, "bob", &id).await.unwrap_err(), AppError::NotFound);
    assert_eq!(
        report(&db, "bob", &id).await.unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(
        answer(
            &db,
            &Evaluator::default(),
            "bob",
            &id,
            0,
            STRONG,
            None,
            10_001
        )
        .await
        .unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(
        skip(&db, &Evaluator::default(), "bob", &id, 0, 10_001)
            .await
            .unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(
        finish(&db, "bob", &id, 10_001).await.unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(
        retry(&db, "bob", &id, 0).await.unwrap_err(),
        AppError::NotFound
    );
    assert!(history(&db, "bob").await.unwrap().sessions.is_empty());
    // Nothing of Bob's attempts reached Ann's interview.
    let v = get(&db, "ann", &id).await.unwrap();
    assert!(v
        .items
        .iter()
        .all(|i| i.status == ItemStatus::Pending && i.answer.is_none()));
    assert!(!v.finished);
    // Malformed ids are simply not found.
    assert_eq!(
        get(&db, "ann", "'; DELETE interview; --")
            .await
            .unwrap_err(),
        AppError::NotFound
    );
}

#[tokio::test]
async fn unverified_accounts_cannot_start_and_bad_answers_store_nothing() {
    let (_d, db) = fresh().await;
    user(&db, "eve", false).await;
    let e = start(&db, "eve", setup("sales", 3), 10_000)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Confirm your e-mail"), "{e}");
    let mut r = db
        .query("RETURN count(SELECT id FROM interview)")
        .await
        .unwrap();
    assert_eq!(r.take::<Option<i64>>(0).unwrap(), Some(0));

    user(&db, "ann", true).await;
    let id = start(&db, "ann", setup("sales", 3), 10_000).await.unwrap();
    assert_eq!(
        answer(&db, &Evaluator::default(), "ann", &id, 0, "   ", None, 1)
            .await
            .unwrap_err()
            .status_code(),
        400
    );
    assert_eq!(
        answer(
            &db,
            &Evaluator::default(),
            "ann",
            &id,
            0,
            &"x".repeat(20_000),
            None,
            1
        )
        .await
        .unwrap_err()
        .status_code(),
        400
    );
    assert_eq!(
        answer(&db, &Evaluator::default(), "ann", &id, 7, STRONG, None, 1)
            .await
            .unwrap_err(),
        AppError::NotFound
    );
    let v = get(&db, "ann", &id).await.unwrap();
    assert!(
        v.items.iter().all(|i| i.answer.is_none()),
        "a refused answer was half-stored"
    );
}

#[tokio::test]
async fn recent_questions_are_not_repeated_and_profiles_round_trip() {
    let (_d, db) = fresh().await;
    user(&db, "ann", true).await;
    // No profile yet: /practice starts from the job given at sign-up.
    assert_eq!(
        practice_defaults(&db, "ann").await.unwrap(),
        PracticeDefaults {
            role: "backend-engineer".into(),
            company: String::new()
        }
    );
    save_profile(
        &db,
        "ann",
        ProfileForm {
            background: "Ten years in logistics.".into(),
            target_role: "data-analyst".into(),
            target_companies: "Acme, Globex".into(),
            skills: "SQL, Tableau".into(),
        },
        5,
    )
    .await
    .unwrap();
    let p = load_profile(&db, "ann").await.unwrap();
    assert_eq!(p.target_roles, vec!["data-analyst"]);
    assert_eq!(p.skills, vec!["SQL", "Tableau"]);
    assert_eq!(p.job_title, "Backend developer");
    assert!(p.resume.is_none());
    assert_eq!(
        practice_defaults(&db, "ann").await.unwrap(),
        PracticeDefaults {
            role: "data-analyst".into(),
            company: "Acme".into()
        },
        "the profile's first target role and company"
    );
    let bad = save_profile(
        &db,
        "ann",
        ProfileForm {
            target_role: "wizard".into(),
            ..Default::default()
        },
        6,
    )
    .await
    .unwrap_err();
    assert_eq!(bad.status_code(), 400);
    assert_eq!(
        load_profile(&db, "ann").await.unwrap().skills,
        vec!["SQL", "Tableau"],
        "a refused profile changed nothing"
    );

    let a = start(&db, "ann", setup("data-analyst", 6), 10_000)
        .await
        .unwrap();
    let b = start(&db, "ann", setup("data-analyst", 6), 10_100)
        .await
        .unwrap();
    let first: HashSet<String> = get(&db, "ann", &a)
        .await
        .unwrap()
        .items
        .iter()
        .filter(|i| !i.personalised)
        .map(|i| i.text.clone())
        .collect();
    let second = get(&db, "ann", &b).await.unwrap();
    assert!(
        second
            .items
            .iter()
            .filter(|i| !i.personalised)
            .all(|i| !first.contains(&i.text)),
        "a recent question was asked again"
    );
    assert!(
        second
            .items
            .iter()
            .any(|i| i.personalised && (i.text.contains("SQL") || i.text.contains("Tableau"))),
        "no personalised question"
    );
    // The warm-up uses the profile's target role.
    let w = warm_up(&db, "ann", 10_200).await.unwrap();
    assert_eq!(get(&db, "ann", &w).await.unwrap().role, "data-analyst");
}

#[tokio::test]
async fn a_resume_is_read_replaced_and_deleted_and_a_refused_one_stores_nothing() {
    use crate::interview::resume::test_pdf::{bytes, pdf, RESUME};
    let (_d, db) = fresh().await;
    user(&db, "ann", true).await;
    save_profile(
        &db,
        "ann",
        ProfileForm {
            skills: "Figma".into(),
            ..Default::default()
        },
        5,
    )
    .await
    .unwrap();

    // Refused: a scan, and a ZIP. Nothing is stored.
    let e = save_resume(&db, "ann", "scan.pdf", bytes(pdf(RESUME, false)), 10)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("scanned image"), "{e}");
    let e = save_resume(
        &db,
        "ann",
        "cv.pdf",
        b"PK\x03\x04 word/document.xml".to_vec(),
        10,
    )
    .await
    .unwrap_err();
    assert_eq!(e.status_code(), 400);
    assert!(load_profile(&db, "ann").await.unwrap().resume.is_none());

    let info = save_resume(&db, "ann", "Priya CV.pdf", bytes(pdf(RESUME, true)), 20)
        .await
        .unwrap();
    assert_eq!(info.file_name, "Priya CV.pdf");
    assert!(info.skills.contains(&"PostgreSQL".to_string()));
    let p = load_profile(&db, "ann").await.unwrap();
    assert_eq!(
        p.resume.as_ref().map(|r| r.file_name.as_str()),
        Some("Priya CV.pdf")
    );
    assert!(
        p.resume.as_ref().unwrap().text.contains("PostgreSQL"),
        "the kept text is shown to its owner"
    );
    assert_eq!(p.skills[0], "Figma", "typed skills stay first");
    assert!(
        p.skills.contains(&"Kafka".to_string()),
        "found skills join the profile: {:?}",
        p.skills
    );

    // Replaced: one resume per person.
    save_resume(&db, "ann", "second.pdf", bytes(pdf(&["Ann Example - Teacher", "Lesson planning, safeguarding and classroom management for ten years in primary schools."], true)), 30).await.unwrap();
    let mut r = db.query("SELECT VALUE text FROM resume").await.unwrap();
    let texts: Vec<String> = r.take(0).unwrap();
    assert_eq!(texts.len(), 1);
    assert!(texts[0].contains("Teacher") && !texts[0].contains("Priya"));

    // Deleted: really gone from the database.
    delete_resume(&db, "ann").await.unwrap();
    assert!(load_profile(&db, "ann").await.unwrap().resume.is_none());
    let mut r = db
        .query("RETURN count(SELECT id FROM resume)")
        .await
        .unwrap();
    assert_eq!(r.take::<Option<i64>>(0).unwrap(), Some(0));
}

#[tokio::test]
async fn audio_goes_with_its_interview_and_its_account() {
    let (_dir, db) = fresh().await;
    user(&db, "ann", true).await;
    let wav = voice::wav::encode_i16(16_000, &vec![300i16; 8_000]);
    let count = |db: Db| async move {
        let mut r = db
            .query("RETURN array::len((SELECT VALUE id FROM voice_segment))")
            .await
            .unwrap();
        let n: Option<i64> = r.take(0).unwrap();
        n.unwrap_or(-1)
    };
    let desk = super::super::desk::Desk {
        evaluator: std::sync::Arc::new(crate::feedback::evaluator::Evaluator::default()),
    };
    let blobs = crate::blob::for_tests();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = warm_up(&db, "ann", 1_000).await.unwrap();
        for seq in 0..2 {
            let ack = crate::voice::service::upload(
                &db,
                &desk,
                crate::voice::service::Keeping {
                    blobs: &blobs,
                    retention_days: 90,
                },
                crate::voice::model::Question {
                    user: "ann",
                    interview: &id,
                    position: 0,
                },
                crate::voice::model::Segment {
                    seq,
                    start: seq as f64,
                    end: seq as f64 + 0.5,
                    wav: wav.clone(),
                },
                false,
                1_001,
            )
            .await
            .unwrap();
            assert!(!ack.duplicate);
        }
        ids.push(id);
    }
    assert_eq!(count(db.clone()).await, 4);
    db.query("DELETE type::record('interview', $id)")
        .bind(("id", ids[0].clone()))
        .await
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(
        count(db.clone()).await,
        2,
        "deleting an interview deletes its audio"
    );
    db.query("DELETE user:ann").await.unwrap().check().unwrap();
    assert_eq!(
        count(db.clone()).await,
        0,
        "deleting an account deletes its audio"
    );
    // Their files went too, at the next reaping: every path that deletes a row frees its blob.
    assert_eq!(crate::blob::waiting(&db).await.unwrap(), 4);
    assert_eq!(crate::blob::reap(&db, &blobs).await.unwrap(), 4);
    assert_eq!(crate::blob::waiting(&db).await.unwrap(), 0);
    assert_eq!(
        crate::blob::files_for_tests(&blobs),
        0,
        "no recording file is left"
    );
}

/// Evaluations are objects with a type: one that no longer decodes (a renamed field, a damaged
/// row) is an error, never an answer silently shown without its feedback. Unknown states too.
#[tokio::test]
async fn a_stored_evaluation_or_state_that_does_not_decode_is_an_error() {
    let (_d, db) = fresh().await;
    user(&db, "ann", true).await;
    let id = start(&db, "ann", setup("backend-engineer", 3), 10_000)
        .await
        .unwrap();
    let strong = "In my last role our deploys failed every week and the team lost a day each time. \
        I owned the fix: I mapped every failure from the last quarter, added contract tests between the \
        services, put a canary stage in front of production and trained the six engineers on the new \
        checks. As a result failures fell from four a month to none within a quarter, and we shipped \
        twice as often.";
    answer(
        &db,
        &Evaluator::default(),
        "ann",
        &id,
        0,
        strong,
        None,
        10_010,
    )
    .await
    .unwrap();
    let v = get(&db, "ann", &id).await.unwrap();
    let stored = v.items[0].evaluation.clone().expect("an evaluation");
    assert!(stored.scores.overall > 0);
    // The evaluation is an object in the database, not text.
    let mut r = db
        .query("SELECT VALUE type::is_object(evaluation) FROM interview_item WHERE position = 0")
        .await
        .unwrap();
    assert_eq!(r.take::<Vec<bool>>(0).unwrap(), [true]);
    db.query("UPDATE interview_item SET evaluation = { grade: 'A' } WHERE position = 0")
        .await
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(get(&db, "ann", &id).await.unwrap_err(), AppError::Internal);
    // A state the app does not know is an error naming it, not "pending".
    use surrealdb::types::SurrealValue;
    let e = ItemStatus::from_value("archived".to_string().into_value()).unwrap_err();
    assert!(
        e.to_string().contains("unknown ItemStatus \"archived\""),
        "{e}"
    );
}

/// One interview goes with its answers and recordings; someone else's is a 404 and stays.
#[tokio::test]
async fn an_interview_is_deleted_with_its_answers_and_audio_only_by_its_owner() {
    let (_d, db) = fresh().await;
    user(&db, "ann", true).await;
    user(&db, "bob", true).await;
    let id = start(&db, "ann", setup("backend-engineer", 3), 10_000)
        .await
        .unwrap();
    db.query("CREATE voice_segment SET user = user:ann, interview = type::record('interview', $id), position = 0, part = 'answer', seq = 0,
                 start_s = 0.0, end_s = 1.0, secs = 1.0, audio = <bytes> 'abc', bytes = 3, status = 'untranscribed', transcript = NONE,
                 error = NONE, attempts = 0, lease_until = 0, created_at = 0")
        .bind(("id", id.clone()))
        .await
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(
        delete(&db, "bob", &id, 9_000).await,
        Err(AppError::NotFound)
    );
    assert!(get(&db, "ann", &id).await.is_ok());
    delete(&db, "ann", &id, 9_000).await.unwrap();
    assert_eq!(get(&db, "ann", &id).await.unwrap_err(), AppError::NotFound);
    let mut r = db
        .query("RETURN array::len(SELECT VALUE id FROM interview_item); RETURN array::len(SELECT VALUE id FROM voice_segment);")
        .await
        .unwrap();
    assert_eq!(r.take::<Option<i64>>(0).unwrap(), Some(0));
    assert_eq!(r.take::<Option<i64>>(1).unwrap(), Some(0));
    assert_eq!(
        delete(&db, "ann", &id, 9_000).await,
        Err(AppError::NotFound)
    );
}

/// Recordings: dropped once their answer is scored (the default), kept when the person
/// chooses, for the retention period; turning keeping off deletes what is kept; audio of an
/// answer never handed in goes a day later.
#[tokio::test]
async fn recordings_are_dropped_once_scored_unless_kept() {
    use crate::voice::model::{Part, Question, Segment, UNKEPT_AUDIO_SECS};
    use crate::voice::service as vs;
    let (_dir, db) = fresh().await;
    user(&db, "ann", true).await;
    let desk = super::super::desk::Desk {
        evaluator: std::sync::Arc::new(Evaluator::default()),
    };
    let nobody = crate::voice::transcribe::Transcriber::None;
    let wav = voice::wav::encode_i16(16_000, &vec![300i16; 8_000]);
    let text = "In my last role our deploys failed every week and the team lost a day each time. \
        I owned the fix: I mapped every failure, added contract tests and a canary stage, and \
        failures fell from four a month to none within a quarter.";
    let with_audio = |db: Db| async move {
        let mut r = db
            .query("RETURN [count(SELECT id FROM voice_segment WHERE audio_key != NONE), count(SELECT id FROM voice_segment)]")
            .await
            .unwrap();
        let n: Vec<i64> = r.take(0).unwrap();
        n
    };
    // Records two segments of the first question of a new interview; hands them in when asked.
    let blobs = &crate::blob::for_tests();
    let record = |db: Db, now: i64, hand_in: bool| {
        let desk = &desk;
        let wav = wav.clone();
        let nobody = &nobody;
        async move {
            let id = warm_up(&db, "ann", now).await.unwrap();
            let q = Question {
                user: "ann",
                interview: &id,
                position: 0,
            };
            for seq in 0..2 {
                let seg = Segment {
                    seq,
                    start: seq as f64,
                    end: seq as f64 + 0.5,
                    wav: wav.clone(),
                };
                vs::upload(
                    &db,
                    desk,
                    vs::Keeping {
                        blobs,
                        retention_days: 90,
                    },
                    q,
                    seg,
                    false,
                    now,
                )
                .await
                .unwrap();
            }
            if hand_in {
                vs::hand_in(&db, desk, q, 2, Some(text.into()), nobody, now + 1)
                    .await
                    .unwrap();
            }
            id
        }
    };
    assert!(!vs::policy(&db, "ann", 90).await.unwrap().keep);
    let first = record(db.clone(), 1_000, true).await;
    assert_eq!(
        with_audio(db.clone()).await,
        vec![0, 2],
        "scored: the audio is gone, the rows stay"
    );
    assert!(vs::kept_parts(&db, "ann", &first).await.unwrap().is_empty());
    assert!(vs::recording(&db, blobs, "ann", &first, 0, Part::Answer)
        .await
        .unwrap()
        .is_none());

    vs::set_keep(&db, "ann", true, 2_000).await.unwrap();
    assert!(vs::policy(&db, "ann", 90).await.unwrap().keep);
    let kept = record(db.clone(), 3_000, true).await;
    assert_eq!(with_audio(db.clone()).await, vec![2, 4]);
    assert_eq!(
        vs::kept_parts(&db, "ann", &kept).await.unwrap(),
        vec![(0, Part::Answer)]
    );
    let wav_back = vs::recording(&db, blobs, "ann", &kept, 0, Part::Answer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        voice::wav::decode(&wav_back).unwrap().samples.len(),
        16_000,
        "both segments, one file"
    );
    assert!(
        vs::recording(&db, blobs, "bob", &kept, 0, Part::Answer)
            .await
            .unwrap()
            .is_none(),
        "only its owner's"
    );
    // Kept for 90 days, then swept.
    assert_eq!(vs::sweep(&db, 3_000 + 89 * 86_400).await.unwrap(), 0);
    assert_eq!(vs::sweep(&db, 3_000 + 90 * 86_400).await.unwrap(), 2);
    assert_eq!(with_audio(db.clone()).await, vec![0, 4]);

    // Turning keeping off deletes what is kept.
    record(db.clone(), 4_000, true).await;
    assert_eq!(with_audio(db.clone()).await, vec![2, 6]);
    assert_eq!(vs::set_keep(&db, "ann", false, 5_000).await.unwrap(), 2);
    assert_eq!(with_audio(db.clone()).await, vec![0, 6]);

    // Not kept and never handed in: a day later.
    record(db.clone(), 6_000, false).await;
    assert_eq!(
        vs::sweep(&db, 6_000 + UNKEPT_AUDIO_SECS - 1).await.unwrap(),
        0
    );
    assert_eq!(vs::sweep(&db, 6_000 + UNKEPT_AUDIO_SECS).await.unwrap(), 2);
    assert_eq!(with_audio(db.clone()).await, vec![0, 8]);
}

#[tokio::test]
async fn answers_handed_in_and_interviews_finished_outside_a_request_forget_the_kept_history() {
    // The transcription workers hand spoken answers in with no request of the person's around
    // them: the service itself forgets what the memo kept of the person's interviews.
    let _turn = crate::memo::exclusive().await;
    let (_d, db) = fresh().await;
    user(&db, "memo-ivy", true).await;
    let id = start(&db, "memo-ivy", setup("backend-engineer", 2), 10_000)
        .await
        .unwrap();
    let kept = |now: i64| {
        let db = db.clone();
        async move {
            crate::memo::read("memo-ivy", crate::memo::Read::History, now, || {
                history(&db, "memo-ivy")
            })
            .await
            .unwrap()
        }
    };
    assert_eq!(kept(10_001).await.sessions[0].answered, 0);
    let before = crate::memo::counts();
    assert_eq!(kept(10_002).await.sessions[0].answered, 0);
    assert_eq!(
        crate::memo::counts().0,
        before.0 + 1,
        "kept: read from the memo"
    );
    answer(
        &db,
        &Evaluator::default(),
        "memo-ivy",
        &id,
        0,
        STRONG,
        None,
        10_003,
    )
    .await
    .unwrap();
    assert_eq!(
        kept(10_004).await.sessions[0].answered,
        1,
        "the answer shows at once"
    );
    assert!(!kept(10_005).await.sessions[0].finished);
    finish(&db, "memo-ivy", &id, 10_006).await.unwrap();
    assert!(
        kept(10_007).await.sessions[0].finished,
        "finishing shows at once"
    );
}
