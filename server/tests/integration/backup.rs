//! `viva backup` and `viva restore`: seed an installation (accounts, an interview answered by
//! voice with its recording kept), back it up, wipe it, restore it, and use it: sign in, open
//! the report, play the recording, keep a session made before the backup.

use crate::support;

use support::{get, kept_spoken_answer, me, run_to_exit, Viva, SITE};

const ANSWER: &str = "On the night shift I rebuilt our handover checklist with twelve nurses; missed \
    medication doses fell from nine a month to one within a quarter, and I learned to measure first.";

#[tokio::test]
async fn a_backup_restores_into_an_empty_data_dir_and_everything_works_there() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let file = dir.path().join("viva-backup.zip");
    let file_s = file.to_str().unwrap();

    // Seed: two people; one answers by voice and keeps the recording (one public address for
    // both starts: support::SITE).
    let v = Viva::start_in(data_s, SITE).await;
    let jar = v.account("vera@example.org", "Vera Lindqvist").await;
    let other = v.account("olaf@example.org", "Olaf Strand").await;
    let (id, wav) = kept_spoken_answer(&v, &jar, ANSWER).await;
    let recording = format!("/recordings/{id}/0/answer");
    assert_eq!(
        get(&v, &recording, &jar)
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
        wav
    );
    let report = format!("/interview/{id}/report");
    let before = get(&v, &report, &jar).await.text().await.unwrap();
    assert!(
        before.contains("handover checklist"),
        "the report shows the answer"
    );

    // While Viva runs, its embedded database is its own: the backup says so and writes nothing.
    let out = run_to_exit(&["backup", file_s, "--data-dir", data_s]).await;
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("stop it first"), "{}", out.stderr);
    assert!(!file.exists());
    v.stop().await;

    let out = run_to_exit(&["backup", file_s, "--data-dir", data_s]).await;
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout.contains("1 recordings"), "{}", out.stdout);
    let meta = std::fs::metadata(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            meta.permissions().mode() & 0o077,
            0,
            "the backup is the owner's only"
        );
    }
    assert!(meta.len() > wav.len() as u64);

    // Restoring over a data dir that holds a database is refused unless told.
    let out = run_to_exit(&["restore", file_s, "--data-dir", data_s]).await;
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    // Something that is not a backup is refused and changes nothing.
    let junk = dir.path().join("junk.zip");
    std::fs::write(&junk, b"PK not really").unwrap();
    let empty = dir.path().join("empty");
    let out = run_to_exit(&[
        "restore",
        junk.to_str().unwrap(),
        "--data-dir",
        empty.to_str().unwrap(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("not a Viva backup"), "{}", out.stderr);
    assert!(!empty.join("db").exists());

    // Wipe, restore, use.
    std::fs::remove_dir_all(&data).unwrap();
    let out = run_to_exit(&["restore", file_s, "--data-dir", data_s]).await;
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout.contains("1 recordings"), "{}", out.stdout);
    let v = Viva::start_in(data_s, SITE).await;
    // The session made before the backup still holds (its row and the signing key came back).
    let me = me(&v, &jar).await;
    assert_eq!(me["email"], "vera@example.org", "{me}");
    let jar = v.sign_in("vera@example.org").await;
    let after = get(&v, &report, &jar).await;
    assert_eq!(after.status(), 200, "{:?}", after.headers().get("location"));
    assert!(after.text().await.unwrap().contains("handover checklist"));
    let res = get(&v, &recording, &jar).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.bytes().await.unwrap().to_vec(),
        wav,
        "the recording plays as before"
    );
    assert_eq!(
        get(&v, &recording, &other).await.status(),
        404,
        "and only for its owner"
    );
    let olaf = v.sign_in("olaf@example.org").await;
    assert!(!olaf.is_empty());
    v.stop().await;

    // --force replaces a database that is there.
    let out = run_to_exit(&["restore", file_s, "--force", "--data-dir", data_s]).await;
    assert!(out.status.success(), "{}", out.stderr);
}
