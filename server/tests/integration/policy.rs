//! The privacy notice and the terms describe the running installation; a changed version asks
//! signed-in people to accept it again; the support desk answers.

use crate::support;

use support::{client, json, me, post, Viva};

async fn page(v: &Viva, path: &str) -> String {
    let res = client().get(v.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn the_privacy_page_names_a_hosted_transcriber_and_otherwise_keeps_audio_here() {
    let local = Viva::start_without_mail(&[]).await;
    let text = page(&local, "/privacy").await;
    assert!(text.contains("Audio stays on this server"), "{text}");
    assert!(text.contains("sends your data to no outside service"));
    assert!(text.contains("Last updated"));
    let footer = page(&local, "/").await;
    assert!(footer.contains("Your practice data stays on this server."));

    let hosted = Viva::start(&[
        "--stt-provider",
        "openai",
        "--stt-url",
        "https://stt.example.net/v1",
        "--stt-model",
        "whisper-1",
        "--operator-name",
        "Acme Careers Ltd",
        "--operator-email",
        "privacy@acme.example",
    ])
    .await;
    let text = page(&hosted, "/privacy").await;
    assert!(
        text.contains("stt.example.net"),
        "the transcriber's host is named"
    );
    assert!(text.contains("the audio of your spoken answers"));
    assert!(!text.contains("Audio stays on this server"));
    assert!(text.contains("Acme Careers Ltd") && text.contains("privacy@acme.example"));
    let home = page(&hosted, "/").await;
    assert!(
        !home.contains("stays on this server."),
        "no longer said when audio leaves"
    );
    assert!(home.contains("stt.example.net"));
    let terms = page(&hosted, "/terms").await;
    assert!(terms.contains("Terms of use") && terms.contains("Acme Careers Ltd"));
}

#[tokio::test]
async fn a_changed_terms_file_is_a_new_version_that_signed_in_people_accept_again() {
    let dir = tempfile::tempdir().unwrap();
    let terms = dir.path().join("terms.md");
    std::fs::write(&terms, "## House rules\nBe kind to the interviewers.").unwrap();
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap().to_string();
    let terms_arg = terms.to_str().unwrap().to_string();
    // A fixed public URL: the notice and terms name it, so a new port would be a new version.
    let args = [
        "--terms-file",
        terms_arg.as_str(),
        "--public-url",
        "https://viva.example.org",
    ];
    let v = Viva::start_in(&data_dir, &args).await;
    let jar = v.account("ann@example.org", "Ann").await;
    assert_eq!(me(&v, &jar).await["policies_pending"], false);
    assert!(page(&v, "/terms")
        .await
        .contains("Be kind to the interviewers."));
    v.stop().await;

    std::fs::write(
        &terms,
        "## House rules\nBe kind to the interviewers, and to yourself.",
    )
    .unwrap();
    let v = Viva::start_in(&data_dir, &args).await;
    let jar = v.sign_in("ann@example.org").await;
    assert_eq!(me(&v, &jar).await["policies_pending"], true);
    let pending = json(
        post(&v, "/api/auth/pending_policies", &jar)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["kind"], "terms");
    let changed = pending[0]["changed"].as_array().unwrap();
    assert!(
        changed
            .iter()
            .any(|c| c.as_str().unwrap().starts_with("Additional terms")),
        "{changed:?}"
    );
    // Accepting a version other than the one in force (it changed while the page was open)
    // accepts nothing.
    let res = post(&v, "/api/auth/accept_policies", &jar)
        .form(&[("next", "/practice"), ("shown", "terms:0123456789ab")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(me(&v, &jar).await["policies_pending"], true);
    let shown = format!("terms:{}", pending[0]["version"].as_str().unwrap());
    let res = post(&v, "/api/auth/accept_policies", &jar)
        .form(&[("next", "/practice"), ("shown", shown.as_str())])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    assert_eq!(me(&v, &jar).await["policies_pending"], false);
}

#[tokio::test]
async fn support_messages_are_limited_validated_and_private_to_their_writer() {
    let v = Viva::start(&["--operator-email", "ops@example.org"]).await;
    let ann = v.account("ann@example.org", "Ann").await;
    let bo = v.account("bo@example.org", "Bo").await;
    let send = |jar: &str, email: &str, message: &str| {
        post(&v, "/api/contact", jar).form(&[
            ("input[name]", "Ann"),
            ("input[email]", email),
            ("input[message]", message),
        ])
    };
    // Bad input: empty, too long.
    let res = send(&ann, "ann@example.org", "").send().await.unwrap();
    assert_eq!(res.status(), 400);
    let long = "x".repeat(app::contact::MAX_MESSAGE_CHARS + 1);
    let res = send(&ann, "ann@example.org", &long).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("the limit is"));
    // A message from a signed-in person is theirs, and the operator hears of it.
    let mark = v.mail_mark();
    let res = send(&ann, "ann@example.org", "How do I export my data?")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let note = v.mail.wait_for("ops@example.org", mark).await;
    assert!(
        note.text.contains("How do I export my data?"),
        "{}",
        note.text
    );
    let mine = json(post(&v, "/api/contact/mine", &ann).send().await.unwrap()).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    let id = mine[0]["id"].as_str().unwrap().to_string();
    let theirs = json(post(&v, "/api/contact/mine", &bo).send().await.unwrap()).await;
    assert!(theirs.as_array().unwrap().is_empty());
    let nobody = json(post(&v, "/api/contact/mine", "").send().await.unwrap()).await;
    assert!(nobody.is_null(), "signed out: nothing");
    // Another person's conversation answers like a missing one.
    let res = post(&v, "/api/contact/follow_up", &bo)
        .form(&[("id", id.as_str()), ("body", "Let me in")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = post(&v, "/api/contact/follow_up", &ann)
        .form(&[("id", id.as_str()), ("body", "  ")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Too many from one address.
    for _ in 1..app::contact::service::CONTACT_PER_ADDRESS.max {
        let res = send("", "many@example.org", "Another question, please.")
            .send()
            .await
            .unwrap();
        if res.status() == 429 {
            break;
        }
    }
    let res = send("", "many@example.org", "One more question, please.")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
}

/// `viva admin announce-policy-change` e-mails every confirmed, enabled account once, through
/// the outbox (the next start delivers them), and nobody who never confirmed.
#[tokio::test]
async fn announcing_a_policy_change_mails_every_confirmed_account() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_string();
    let v = Viva::start_in(&dir, &[]).await;
    v.account("ann@example.org", "Ann").await;
    v.account("bo@example.org", "Bo").await;
    assert_eq!(
        v.sign_up("unconfirmed@example.org", "Cy").await.status(),
        200
    );
    v.stop().await;

    // The stopped node's store lock goes with a moment's delay, which the command waits out.
    let out = support::run_to_exit(&[
        "admin",
        "--data-dir",
        &dir,
        "--smtp-url",
        "smtp://127.0.0.1:9",
        "announce-policy-change",
    ])
    .await;
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout.contains("2 e-mail(s) queued"), "{}", out.stdout);

    // The next start delivers them (to its own mail server).
    let v = Viva::start_in(&dir, &[]).await;
    for who in ["ann@example.org", "bo@example.org"] {
        let m = v.mail.wait_for(who, 0).await;
        assert!(
            m.subject
                .contains("updated the privacy notice and the terms"),
            "{}",
            m.subject
        );
        assert!(m.text.contains("/privacy") && m.text.contains("/terms"));
    }
    assert!(v
        .mail
        .to("unconfirmed@example.org")
        .iter()
        .all(|m| !m.subject.contains("updated")));
}
