//! Interview practice over real HTTP against the real binary: a whole interview through its
//! server functions, owner checks, and bad input with its limits named and nothing stored.

use crate::support;

use support::{interview_id, json, post, Viva};

/// How many interviews `interview/history` lists for the cookie jar.
async fn interviews_in_history(v: &Viva, jar: &str) -> usize {
    json(post(v, "/api/interview/history", jar).send().await.unwrap()).await["sessions"]
        .as_array()
        .unwrap()
        .len()
}

async fn start(v: &Viva, jar: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    post(v, "/api/interview/start", jar)
        .form(fields)
        .send()
        .await
        .unwrap()
}

const STRONG: &str = "At my last job our clinic's discharge letters took four days to reach GPs, which led to repeat admissions. \
    I was responsible for the discharge process, so my goal was to get letters out within 24 hours. I mapped every step with the ward team, \
    found that 60% of the delay was waiting for a consultant signature, and I set up a template that registrars could sign. \
    As a result letters went out in under a day for 95% of patients within two months, and readmissions fell by 12%. I learned to measure first.";

#[tokio::test]
async fn an_interview_through_its_server_functions() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ann@example.org", "Ann").await;
    let setup = [
        ("setup[role]", "nurse"),
        ("setup[difficulty]", "2"),
        ("setup[count]", "3"),
        ("setup[kinds][]", "behavioural"),
    ];
    let id = interview_id(start(&v, &jar, &setup).await).await;
    assert_eq!(id.len(), 20);

    let iv = json(
        post(&v, "/api/interview/get", &jar)
            .form(&[("id", id.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(iv["items"].as_array().unwrap().len(), 3);
    assert_eq!(iv["current"], 0);
    assert!(iv["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["kind"] == "behavioural"));

    // Thin answer → one follow-up; then the combined answer is evaluated.
    let r = json(
        post(&v, "/api/interview/answer", &jar)
            .form(&[
                ("id", id.as_str()),
                ("position", "0"),
                ("answer", "I improved discharge <b>fast</b>."),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(r["FollowUp"].is_string(), "{r}");
    let r = json(
        post(&v, "/api/interview/answer", &jar)
            .form(&[("id", id.as_str()), ("position", "0"), ("answer", STRONG)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(r["Evaluated"].as_u64().unwrap() > 0, "{r}");

    // Another user: not found, and nothing of theirs lands in Ann's interview.
    let bob = v.account("bob@example.org", "Bob").await;
    for (path, fields) in [
        ("/api/interview/get", vec![("id", id.as_str())]),
        ("/api/interview/report", vec![("id", id.as_str())]),
        ("/api/interview/report_page", vec![("id", id.as_str())]),
        (
            "/api/interview/answer",
            vec![("id", id.as_str()), ("position", "1"), ("answer", STRONG)],
        ),
        ("/api/interview/finish", vec![("id", id.as_str())]),
    ] {
        let res = post(&v, path, &bob).form(&fields).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let page = support::client()
        .get(v.url(&format!("/interview/{id}/report")))
        .header("cookie", &bob)
        .send()
        .await
        .unwrap();
    let status = page.status();
    let body = page.text().await.unwrap();
    assert_eq!(status, 404, "{}", &body[body.find("<main").unwrap_or(0)..]);
    assert!(
        !body.contains("discharge"),
        "another user's answer leaked into the page"
    );

    let res = post(&v, "/api/interview/finish", &jar)
        .form(&[("id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let rep = json(
        post(&v, "/api/interview/report", &jar)
            .form(&[("id", id.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(rep["interview"]["finished"], true);
    assert!(rep["scores"]["overall"].as_u64().unwrap() > 0);
    assert_eq!(
        rep["interview"]["items"][1]["status"], "skipped",
        "questions not reached count as skipped"
    );
    let page = support::client()
        .get(v.url(&format!("/interview/{id}/report")))
        .header("cookie", &jar)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert!(body.contains("Interview report"));
    // The page's report is the server's HTML (no video answers): the answer's text escaped,
    // in the page and in the data the browser reads.
    assert!(
        body.contains("discharge &lt;b&gt;fast&lt;/b&gt;."),
        "{body}"
    );
    assert!(
        !body.contains("<b>fast"),
        "an answer's markup reached the page"
    );
    let content = json(
        post(&v, "/api/interview/report_page", &jar)
            .form(&[("id", id.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let html = content["Made"]["html"]
        .as_str()
        .unwrap_or_else(|| panic!("{content}"));
    assert!(
        html.contains(r#"<h1 id="rep-title">Interview report</h1>"#),
        "{html}"
    );
    assert!(
        html.contains("discharge &lt;b&gt;fast&lt;/b&gt;."),
        "{html}"
    );
    let actions = &content["Made"]["actions"];
    assert_eq!(actions["file"], format!("viva-report-{id}.md"));
    assert!(actions["markdown"]
        .as_str()
        .unwrap()
        .starts_with("data:text/markdown;charset=utf-8,"));

    assert_eq!(interviews_in_history(&v, &jar).await, 1);
    assert_eq!(interviews_in_history(&v, &bob).await, 0);
}

#[tokio::test]
async fn bad_input_is_refused_with_its_limit_and_nothing_is_stored() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ann@example.org", "Ann").await;
    let big_jd = "Responsibilities include many things. ".repeat(28_000); // about 1 MB
    let long = "x".repeat(30);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("setup[role]", "astronaut"),
                ("setup[difficulty]", "2"),
                ("setup[count]", "3"),
            ],
            "Unknown role",
        ),
        (
            vec![
                ("setup[role]", "nurse"),
                ("setup[difficulty]", "2"),
                ("setup[count]", "99"),
            ],
            "between 3 and 15",
        ),
        (
            vec![
                ("setup[role]", "nurse"),
                ("setup[difficulty]", "2"),
                ("setup[count]", "3"),
                ("setup[job_description]", big_jd.as_str()),
            ],
            "limit is 20000",
        ),
        (
            vec![
                ("setup[role]", "nurse"),
                ("setup[difficulty]", "2"),
                ("setup[count]", "3"),
                ("setup[company]", &long),
                ("setup[timer]", "5"),
            ],
            "between 30 and 600",
        ),
    ];
    for (fields, want) in cases {
        let res = start(&v, &jar, &fields).await;
        assert_eq!(res.status(), 400, "{want}");
        let body = json(res).await;
        assert!(
            body["message"].as_str().unwrap_or_default().contains(want),
            "{body} should say {want}"
        );
    }
    assert_eq!(
        interviews_in_history(&v, &jar).await,
        0,
        "a refused setup stored an interview"
    );

    let id = interview_id(
        start(
            &v,
            &jar,
            &[
                ("setup[role]", "teacher"),
                ("setup[difficulty]", "1"),
                ("setup[count]", "3"),
            ],
        )
        .await,
    )
    .await;
    let huge = "word ".repeat(4_000); // 20,000 characters
    for (answer, want) in [("   ", "empty"), (huge.as_str(), "limit is 8000")] {
        let res = post(&v, "/api/interview/answer", &jar)
            .form(&[("id", id.as_str()), ("position", "0"), ("answer", answer)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(
            json(res).await["message"].as_str().unwrap().contains(want),
            "{want}"
        );
    }
    let res = post(&v, "/api/interview/answer", &jar)
        .form(&[("id", id.as_str()), ("position", "zero"), ("answer", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a malformed position is a bad request");
    let iv = json(
        post(&v, "/api/interview/get", &jar)
            .form(&[("id", id.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        iv["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["answer"].is_null()),
        "a refused answer was half-stored"
    );

    // An account that has not confirmed its address cannot start.
    let mark = v.mail_mark();
    v.sign_up("new@example.org", "New").await;
    let _ = v.code_for("new@example.org", mark).await;
    let unconfirmed = v.sign_in("new@example.org").await;
    let res = start(
        &v,
        &unconfirmed,
        &[
            ("setup[role]", "teacher"),
            ("setup[difficulty]", "1"),
            ("setup[count]", "3"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(json(res).await["message"]
        .as_str()
        .unwrap()
        .contains("Confirm your e-mail"));
}

/// How many reads the memo answered (`viva_memo_reads_total{from="memo"}` in `/metrics`).
async fn memo_hits(v: &Viva) -> u64 {
    v.counter("viva_memo_reads_total{from=\"memo\"}").await
}

/// Signed-in people's pages answered from memory, and rendered.
async fn member_pages(v: &Viva) -> (u64, u64) {
    (
        v.counter("viva_pages_total{who=\"member\",from=\"memory\"}")
            .await,
        v.counter("viva_pages_total{who=\"member\",from=\"render\"}")
            .await,
    )
}

async fn page(v: &Viva, path: &str, jar: &str) -> String {
    let res = support::get(v, path, jar).await;
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn a_persons_page_is_rendered_once_until_what_it_shows_changes() {
    let v = Viva::start(&[]).await;
    let jar = v.account("kit@example.org", "Kit").await;
    let first = page(&v, "/history", &jar).await;
    assert!(first.contains("No interviews yet"), "{first}");
    let (kept, rendered) = member_pages(&v).await;
    let again = support::get(&v, "/history", &jar).await;
    let h = again.headers().clone();
    assert_eq!(again.text().await.unwrap(), first, "the same page");
    assert_eq!(member_pages(&v).await, (kept + 1, rendered), "from memory");
    // Theirs alone, and its inline scripts allowed by hash (no per-request nonce in it).
    assert_eq!(h["cache-control"], "private, no-cache");
    assert!(h["vary"].to_str().unwrap().contains("Cookie"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("'sha256-") && !csp.contains("'nonce-"),
        "{csp}"
    );
    // Someone else's /history is rendered for them.
    let other = v.account("lou@example.org", "Lou").await;
    assert!(page(&v, "/history", &other)
        .await
        .contains("No interviews yet"));
    assert_eq!(member_pages(&v).await, (kept + 1, rendered + 1));
    // Kept at most MEMO_SECS (10 s) even when nothing forgot it.
    v.advance(10).await;
    assert!(page(&v, "/history", &jar)
        .await
        .contains("No interviews yet"));
    assert_eq!(member_pages(&v).await, (kept + 1, rendered + 2));
    // Starting an interview changes what /history shows: rendered afresh at once.
    let setup = [
        ("setup[role]", "nurse"),
        ("setup[difficulty]", "2"),
        ("setup[count]", "3"),
    ];
    let id = interview_id(start(&v, &jar, &setup).await).await;
    let after = page(&v, "/history", &jar).await;
    assert!(after.contains(&format!("/interview/{id}")), "{after}");
    assert_eq!(member_pages(&v).await.0, kept + 1, "not the kept page");
    // Signed out, the kept page is not theirs to see.
    let out = post(&v, "/api/auth/sign_out", &jar).send().await.unwrap();
    assert!(support::ok(&out), "{}", out.status());
    let before = member_pages(&v).await;
    let res = support::get(&v, "/history", &jar).await;
    assert_eq!(res.status(), 303);
    assert_eq!(member_pages(&v).await, before);
}

#[tokio::test]
async fn everyones_kept_dashboard_stops_offering_the_admin_role_once_someone_takes_it() {
    let v = Viva::start(&[]).await;
    let offer = "Set up administration";
    let ann = v.account("ann@example.org", "Ann").await;
    let bea = v.account("bea@example.org", "Bea").await;
    for jar in [&ann, &bea] {
        assert!(page(&v, "/dashboard", jar).await.contains(offer));
    }
    // Loaded again, both come from memory.
    let (kept, rendered) = member_pages(&v).await;
    for jar in [&ann, &bea] {
        assert!(page(&v, "/dashboard", jar).await.contains(offer));
    }
    assert_eq!(member_pages(&v).await, (kept + 2, rendered));
    // Ann becomes the administrator: neither page offers the role any more, at once.
    v.make_admin(&ann).await;
    let hers = page(&v, "/dashboard", &ann).await;
    assert!(
        !hers.contains(offer) && hers.contains("Administration"),
        "{hers}"
    );
    assert!(!page(&v, "/dashboard", &bea).await.contains(offer));
    assert_eq!(
        member_pages(&v).await,
        (kept + 2, rendered + 2),
        "both rendered afresh"
    );
}

#[tokio::test]
async fn pages_read_again_come_from_the_memo_and_what_a_person_changes_shows_at_once() {
    let v = Viva::start(&[]).await;
    let jar = v.account("mo@example.org", "Mo").await;
    let defaults = || async {
        json(
            post(&v, "/api/interview/practice_defaults", &jar)
                .send()
                .await
                .unwrap(),
        )
        .await
    };
    // Loading /practice read its defaults; asked again (the browser does, moving between
    // pages), they come from the memo.
    assert_eq!(support::get(&v, "/practice", &jar).await.status(), 200);
    let memo = memo_hits(&v).await;
    assert_ne!(defaults().await["role"], "nurse");
    assert_eq!(memo_hits(&v).await, memo + 1, "read from the memo");
    // Saving the profile is a state-changing request: the next read is fresh.
    let saved = post(&v, "/api/interview/save_profile", &jar)
        .form(&[
            ("form[background]", "Nurse for 5 years."),
            ("form[target_role]", "nurse"),
            ("form[target_companies]", "St Mary's"),
            ("form[skills]", "Triage"),
        ])
        .send()
        .await
        .unwrap();
    assert!(saved.status().is_success(), "{}", saved.status());
    let d = defaults().await;
    assert_eq!(
        (d["role"].as_str(), d["company"].as_str()),
        (Some("nurse"), Some("St Mary's"))
    );
    // /practice's content is made from them: the warm-up names the role, the form's fields (the
    // server's HTML) start with the role chosen and the company filled in, escaped.
    let saved = post(&v, "/api/interview/save_profile", &jar)
        .form(&[
            ("form[background]", "Nurse for 5 years."),
            ("form[target_role]", "nurse"),
            ("form[target_companies]", "St Mary's \"<b>Care</b>\""),
            ("form[skills]", "Triage"),
        ])
        .send()
        .await
        .unwrap();
    assert!(saved.status().is_success(), "{}", saved.status());
    let s = json(
        post(&v, "/api/interview/practice_setup", &jar)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        s["warmup"],
        "Three easy questions for Nurse, no setup. About five minutes."
    );
    let fields = s["fields"].as_str().unwrap();
    let chosen = fields.split("<option").filter(|o| o.contains(" selected"));
    let chosen: Vec<_> = chosen.map(|o| o.split('<').next().unwrap()).collect();
    assert_eq!(chosen, [r#" value="nurse" selected>Nurse"#]);
    assert!(fields.contains(r#"name="setup[company]""#), "{fields}");
    assert!(
        fields.contains(r#"value="St Mary's &quot;&lt;b&gt;Care&lt;/b&gt;&quot;""#),
        "{fields}"
    );
    assert!(
        !fields.contains("<b>") && !fields.contains(r#""<"#),
        "{fields}"
    );
    // The page loaded before the change is not what comes back (it was kept: see below).
    assert!(page(&v, "/practice", &jar).await.contains("St Mary"));
    // So is starting an interview: history shows it at once, though it was just read.
    assert_eq!(interviews_in_history(&v, &jar).await, 0);
    assert_eq!(interviews_in_history(&v, &jar).await, 0);
    let setup = [
        ("setup[role]", "nurse"),
        ("setup[difficulty]", "2"),
        ("setup[count]", "3"),
        ("setup[kinds][]", "behavioural"),
    ];
    interview_id(start(&v, &jar, &setup).await).await;
    assert_eq!(
        interviews_in_history(&v, &jar).await,
        1,
        "the new interview shows at once"
    );
    // Another person's reads are their own.
    let other = v.account("no@example.org", "No").await;
    assert_eq!(interviews_in_history(&v, &other).await, 0);
}
