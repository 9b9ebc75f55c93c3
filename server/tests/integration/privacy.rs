//! Deleting an account reaches every table: after it, a dump of the whole database holds
//! neither the person's id, address, name nor anything they wrote. The same through the page's
//! server functions and `viva admin delete-user`.

use crate::support;

use support::{
    client, dump, json, kept_spoken_answer, post, run_to_exit, upload, voice_interview, Viva, PW,
};

/// An answer only this person wrote (so the scan can tell it apart).
fn answer_of(name: &str) -> String {
    format!("At the {name} clinic I rebuilt the night handover checklist with twelve nurses; \
        missed medication doses fell from nine a month to one within a quarter, and I learned to measure first.")
}

/// An account that has used the product: an interview with an answer, a profile, a contact
/// message, a wrong sign-in (a rate-limit counter keyed by the address), sessions.
async fn busy_account(v: &Viva, email: &str, name: &str) -> (String, String) {
    let jar = v.account(email, name).await;
    let res = post(v, "/api/interview/start", &jar)
        .form(&[
            ("setup[role]", "nurse"),
            ("setup[difficulty]", "2"),
            ("setup[count]", "3"),
            ("setup[kinds][]", "behavioural"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let hist = json(
        post(v, "/api/interview/history", &jar)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = hist["sessions"][0]["id"].as_str().unwrap().to_string();
    let res = post(v, "/api/interview/answer", &jar)
        .form(&[
            ("id", id.as_str()),
            ("position", "0"),
            ("answer", answer_of(name).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = post(v, "/api/contact", &jar)
        .form(&[
            ("input[name]", name),
            ("input[email]", email),
            (
                "input[message]",
                "Please tell me how my answers are scored.",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = post(v, "/api/auth/sign_in", "")
        .form(&[("email", email), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let me = json(post(v, "/api/auth/me", &jar).send().await.unwrap()).await;
    assert_eq!(me["email"], email);
    (jar, id)
}

fn assert_gone(dump: &str, needles: &[&str]) {
    for n in needles {
        let found: Vec<&str> = dump
            .lines()
            .filter(|l| l.contains(n))
            .map(|l| l.split(':').next().unwrap_or(""))
            .collect();
        assert!(
            found.is_empty(),
            "{n:?} is still in the database, in {found:?}"
        );
    }
}

#[tokio::test]
async fn deleting_an_account_leaves_nothing_of_the_person() {
    let dir = tempfile::tempdir().unwrap();
    let v = Viva::start_in(dir.path().to_str().unwrap(), &[]).await;
    let (jar, _) = busy_account(&v, "rosa@example.org", "Rosalind Quill").await;
    // Someone else stays untouched.
    let (other, _) = busy_account(&v, "otto@example.org", "Otto Bright").await;

    // Without the code and the password nothing happens.
    assert_eq!(delete_with(&v, &jar, "000000").await.status(), 400);
    let (mark, code) = deletion_code(&v, &jar, "rosa@example.org").await;
    let res = post(&v, "/api/privacy/delete_account", &jar)
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "the password is asked for");
    assert!(json(res).await["message"]
        .as_str()
        .unwrap()
        .contains("password"));
    assert_deleted(delete_with(&v, &jar, &code).await);

    // Signed out everywhere; the last e-mail arrives and its row goes.
    let res = post(&v, "/api/auth/me", &jar).send().await.unwrap();
    assert_eq!(json(res).await, serde_json::Value::Null);
    let last = v.mail.wait_for("rosa@example.org", mark + 1).await;
    assert!(last.subject.contains("was deleted"), "{}", last.subject);
    let me = json(post(&v, "/api/auth/me", &other).send().await.unwrap()).await;
    assert_eq!(me["email"], "otto@example.org");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    v.stop().await;

    let all = dump(dir.path()).await;
    assert_gone(
        &all,
        &["rosa@example.org", "Rosalind", "Rosalind Quill clinic"],
    );
    assert!(
        all.contains("otto@example.org"),
        "the other account was touched"
    );
    assert!(
        all.contains("account_deleted"),
        "the deletion is in the audit log"
    );

    // The operator's path: `viva admin delete-user`, on the stopped server's data.
    // (The dump above opened the store in this process; its lock goes with a moment's delay,
    // which the command waits out.)
    let exit = run_to_exit(&[
        "admin",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "delete-user",
        "otto@example.org",
    ])
    .await;
    assert!(exit.status.success(), "{}", exit.stderr);
    let all = dump(dir.path()).await;
    assert_gone(
        &all,
        &["otto@example.org", "Otto Bright", "Otto Bright clinic"],
    );
}

/// Recordings kept by choice play back (byte ranges) for their owner only; the data export
/// downloads for its owner only and expires after a day; deleting the account afterwards
/// leaves none of it (recordings, exports, the voice setting).
#[tokio::test]
async fn recordings_and_exports_belong_to_their_owner_and_go_with_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let v = Viva::start_in(dir.path().to_str().unwrap(), &[]).await;
    let (jar, _) = busy_account(&v, "vera@example.org", "Vera Lindqvist").await;
    let other = v.account("olaf@example.org", "Olaf Strand").await;

    // Keep recordings, record one answer by voice, hand it in typed.
    let (id, wav) = kept_spoken_answer(&v, &jar, &answer_of("Vera Lindqvist")).await;

    // Playback: whole, a range, nobody else's.
    let url = v.url(&format!("/recordings/{id}/0/answer"));
    let res = fetch(&url, &jar, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "audio/wav");
    assert_eq!(res.bytes().await.unwrap().to_vec(), wav);
    let res = fetch(&url, &jar, Some("bytes=44-99")).await;
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 44-99/{}", wav.len())
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), wav[44..100].to_vec());
    let res = fetch(&url, &other, None).await;
    assert_eq!(res.status(), 404);
    assert_eq!(fetch(&url, "", None).await.status(), 401);

    // The export: asked for, built by the worker, downloaded by its owner only.
    let res = post(&v, "/api/privacy/request_export", &jar)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut view = serde_json::Value::Null;
    for _ in 0..100 {
        view = json(
            post(&v, "/api/privacy/export_status", &jar)
                .send()
                .await
                .unwrap(),
        )
        .await;
        if view["status"] == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(view["status"], "done", "{view}");
    let url = v.url(&format!("/exports/{}", view["id"].as_str().unwrap()));
    let res = fetch(&url, &jar, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("viva-data-"));
    let zip = res.bytes().await.unwrap();
    assert!(zip.starts_with(b"PK"));
    assert!(zip.windows(9).any(|w| w == b"data.json"));
    assert!(
        zip.windows(wav.len() - 44).any(|w| w == &wav[44..]),
        "the kept recording is in it"
    );
    let res = fetch(&url, &other, None).await;
    assert_eq!(res.status(), 404, "someone else's download");
    v.advance(24 * 3600).await;
    let res = fetch(&url, &jar, None).await;
    assert_eq!(res.status(), 410, "expired");

    // Deleting the account takes the recordings, the export and the setting too.
    let (mark, code) = deletion_code(&v, &jar, "vera@example.org").await;
    // The interview is still going: uploads are in flight while the account goes.
    let id2 = voice_interview(&v, &jar).await;
    let in_flight = futures_util::future::join_all((0..8u32).map(|seq| {
        let at = seq as f64 * 2.0;
        upload(&v, &jar, &id2, seq, at, at + 1.0, &wav)
    }));
    let (uploads, res) = tokio::join!(in_flight, delete_with(&v, &jar, &code));
    assert_deleted(res);
    let refused = uploads.iter().filter(|u| u.status() == 401).count();
    for u in &uploads {
        assert!(matches!(u.status().as_u16(), 200 | 401), "{}", u.status());
    }
    eprintln!(
        "uploads in flight during the deletion: {} stored, then deleted; {refused} refused",
        uploads.len() - refused
    );
    // Uploads after the deletion are refused; nothing is re-created.
    let res = upload(&v, &jar, &id, 1, 2.0, 3.0, &wav).await;
    assert_eq!(res.status(), 401);
    v.mail.wait_for("vera@example.org", mark + 1).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    v.stop().await;
    let all = dump(dir.path()).await;
    assert_gone(
        &all,
        &[
            "vera@example.org",
            "Vera Lindqvist",
            "Vera Lindqvist clinic",
        ],
    );
    for table in [
        "voice_segment",
        "voice_answer",
        "voice_setting",
        "export_job",
        "export_chunk",
    ] {
        assert!(
            all.contains(&format!("{table}: []")),
            "{table} still holds rows"
        );
    }
}

/// Every file under `dir`, read whole.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

/// Which files hold `needle` (the `grep -r` of the promise).
fn holding(files: &[(std::path::PathBuf, Vec<u8>)], needle: &[u8]) -> Vec<String> {
    files
        .iter()
        .filter(|(_, b)| b.windows(needle.len()).any(|w| w == needle))
        .map(|(p, _)| p.display().to_string())
        .collect()
}

/// Erasure reaches the disk: the embedded store keeps what a DELETE removed in its log and
/// older files, so after a deletion the next start rewrites it from its live data. Then no
/// file under the data directory holds the person's address, name, answer or audio.
#[tokio::test]
async fn after_a_deletion_and_a_restart_no_file_holds_the_person() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let v = Viva::start_in(&data, &[]).await;
    let (jar, _) = busy_account(&v, "wren@example.org", "Wren Halloway").await;
    let (other, _) = busy_account(&v, "ivo@example.org", "Ivo Marsh").await;
    post(&v, "/api/voice/keep_recordings", &jar)
        .form(&[("keep", "true")])
        .send()
        .await
        .unwrap();
    let id = voice_interview(&v, &jar).await;
    let samples: Vec<i16> = (0..16_000)
        .map(|i: i32| ((i * 7919) % 20_000 - 10_000) as i16)
        .collect();
    let wav = voice::wav::encode_i16(16_000, &samples);
    assert_eq!(upload(&v, &jar, &id, 0, 0.5, 1.5, &wav).await.status(), 200);
    let audio = wav[2_000..2_064].to_vec();

    let (mark, code) = deletion_code(&v, &jar, "wren@example.org").await;
    assert_deleted(delete_with(&v, &jar, &code).await);
    v.mail.wait_for("wren@example.org", mark + 1).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    v.stop().await;
    let needles: [(&str, Vec<u8>); 4] = [
        ("address", b"wren@example.org".to_vec()),
        ("name", b"Wren Halloway".to_vec()),
        (
            "answer",
            answer_of("Wren Halloway").as_bytes()[..60].to_vec(),
        ),
        ("audio", audio),
    ];
    // Deleted, yet still in the store's files (the check below can see them).
    let before = files_under(dir.path());
    assert!(
        needles.iter().any(|(_, n)| !holding(&before, n).is_empty()),
        "the store's log holds nothing of the deleted account: this check would prove nothing"
    );

    // The next start rewrites the store; the other account is all there.
    let v = Viva::start_in(&data, &[]).await;
    v.wait_log(|l| l.contains("rebuilt from its live data"))
        .await;
    let me = json(post(&v, "/api/auth/me", &other).send().await.unwrap()).await;
    assert_eq!(me["email"], "ivo@example.org");
    v.stop().await;
    let after = files_under(dir.path());
    for (what, n) in &needles {
        assert_eq!(
            holding(&after, n),
            Vec::<String>::new(),
            "the {what} is still on disk"
        );
    }
    assert!(
        !holding(&after, b"ivo@example.org").is_empty(),
        "the other account's data is kept"
    );
}

/// An operator deletes an account from the people page: the same deletion, confirmed by
/// typing the address; not their own; the audit log names nobody.
#[tokio::test]
async fn an_admin_deletes_an_account_after_typing_its_address() {
    let dir = tempfile::tempdir().unwrap();
    let v = Viva::start_in(dir.path().to_str().unwrap(), &[]).await;
    let admin = v.account("ada@example.org", "Ada Admin").await;
    v.make_admin(&admin).await;
    let (jar, _) = busy_account(&v, "nell@example.org", "Nell Ward").await;
    let id_of = |search: &'static str| {
        let req = post(&v, "/api/admin/users", &admin).form(&[("search", search)]);
        async move {
            json(req.send().await.unwrap()).await[0]["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let admin_id = id_of("ada").await;
    let id = id_of("nell").await;
    let delete = |user: String, confirm: &'static str| {
        post(&v, "/api/admin/delete_user", &admin)
            .form(&[("user_id", user), ("confirm", confirm.to_string())])
            .send()
    };
    let res = delete(id.clone(), "nell@example.com").await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(json(res).await["message"]
        .as_str()
        .unwrap()
        .contains("nothing was deleted"));
    assert_eq!(
        json(post(&v, "/api/auth/me", &jar).send().await.unwrap()).await["email"],
        "nell@example.org"
    );
    let res = delete(admin_id, "ada@example.org").await.unwrap();
    assert_eq!(res.status(), 400, "not one's own account");
    let res = delete(id.clone(), "NELL@example.org").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        json(post(&v, "/api/auth/me", &jar).send().await.unwrap()).await,
        serde_json::Value::Null
    );
    let audit = json(
        post(&v, "/api/admin/audit", &admin)
            .form(&[("kind", "account_deleted")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let detail = audit[0]["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("by an operator") && detail.starts_with("erased-"),
        "{detail}"
    );
    assert!(!audit.to_string().contains("nell@example.org"));
    v.stop().await;
}

/// Bad input on the way to a deletion: an expired code is refused with what to do, and a
/// double click deletes once (the second request finds nobody signed in).
#[tokio::test]
async fn an_expired_code_deletes_nothing_and_a_double_click_deletes_once() {
    let v = Viva::start(&[]).await;
    let jar = v.account("dora@example.org", "Dora Quick").await;
    let (_, code) = deletion_code(&v, &jar, "dora@example.org").await;
    v.advance(11 * 60).await;
    let res = delete_with(&v, &jar, &code).await;
    assert_eq!(res.status(), 400);
    assert!(json(res).await["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    assert_eq!(
        me_email(&v, &jar).await,
        "dora@example.org",
        "nothing was deleted"
    );

    let (_, code) = deletion_code(&v, &jar, "dora@example.org").await;
    let (a, b) = tokio::join!(delete_with(&v, &jar, &code), delete_with(&v, &jar, &code));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert!(
        statuses[0] < 400 && statuses[1] >= 400,
        "one deletion, one refusal: {statuses:?}"
    );
    assert_eq!(
        json(post(&v, "/api/auth/me", &jar).send().await.unwrap()).await,
        serde_json::Value::Null
    );
    v.stop().await;
}

async fn me_email(v: &Viva, jar: &str) -> String {
    json(post(v, "/api/auth/me", jar).send().await.unwrap()).await["email"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A code for deleting `email`'s account, e-mailed as the page asks for it, and the mail mark
/// from before it.
async fn deletion_code(v: &Viva, jar: &str, email: &str) -> (usize, String) {
    let mark = v.mail_mark();
    let res = post(v, "/api/privacy/start_deletion", jar)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    (mark, v.code_for(email, mark).await)
}

/// Deletes the signed-in account with `code` and the password, as the page does.
async fn delete_with(v: &Viva, jar: &str, code: &str) -> reqwest::Response {
    post(v, "/api/privacy/delete_account", jar)
        .form(&[("code", code), ("password", PW)])
        .send()
        .await
        .unwrap()
}

fn assert_deleted(res: reqwest::Response) {
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
}

/// GET `url` with the session cookies `jar` (none when empty) and, if given, a Range header.
async fn fetch(url: &str, jar: &str, range: Option<&str>) -> reqwest::Response {
    let mut req = client().get(url);
    if !jar.is_empty() {
        req = req.header("cookie", jar);
    }
    if let Some(r) = range {
        req = req.header("range", r);
    }
    req.send().await.unwrap()
}
