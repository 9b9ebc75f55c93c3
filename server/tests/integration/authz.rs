//! The authorisation matrix: every page route and server function × {anonymous, the owner,
//! another user, an admin}, each with the expected allow or deny, checked over HTTP against
//! the real binary. The list of routes comes from `viva routes`, so a new route or server
//! function without an entry here fails this test.

use crate::support;

use std::collections::BTreeSet;

use support::{client, interview_id, json, post, run_to_exit, Viva};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum E {
    /// Reaches the page or the function's own checks (2xx, 3xx other than a page sending to
    /// sign-in, a 400 about the input, or a 429 from a rate limit).
    Allow,
    /// Refused: 401, 403, 404 (someone else's thing), or sent to sign in.
    Deny,
}
use E::{Allow as A, Deny as D};

/// Who asks: anonymous, the owner of the things named, another user, an admin.
const WHO: [&str; 4] = ["anonymous", "owner", "other", "admin"];

struct Row {
    route: &'static str,
    /// Form fields; `{owner_session}` and `{other_id}` are filled in.
    body: &'static [(&'static str, &'static str)],
    expect: [E; 4],
}

/// Destructive rows (sign-out) come last, so earlier rows keep their sessions.
const MATRIX: &[Row] = &[
    Row {
        route: "PAGE /",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "PAGE /privacy",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "PAGE /contact",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "PAGE /signup",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "PAGE /verify",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "PAGE /signin",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "PAGE /reset",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "PAGE /dashboard",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "PAGE /account",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "PAGE /account/delete",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "PAGE /account/data",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/privacy/export_status",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/privacy/request_export",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/voice/recording_policy",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/voice/keep_recordings",
        body: &[("keep", "false")],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/privacy/start_deletion",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/privacy/delete_account",
        body: &[("code", "000000"), ("password", "not-my-password")],
        expect: [D, A, A, A],
    },
    Row {
        route: "PAGE /practice",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "PAGE /history",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "PAGE /profile",
        body: &[],
        expect: [D, A, A, A],
    },
    // The owner's interview: nobody else reads it, admins included (404, as if it did not exist).
    Row {
        route: "PAGE /interview/{id}",
        body: &[],
        expect: [D, A, D, D],
    },
    Row {
        route: "PAGE /interview/{id}/report",
        body: &[],
        expect: [D, A, D, D],
    },
    Row {
        route: "PAGE /admin",
        body: &[],
        expect: [D, D, D, A],
    },
    Row {
        route: "PAGE /admin/audit",
        body: &[],
        expect: [D, D, D, A],
    },
    Row {
        route: "PAGE /admin/outbox",
        body: &[],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/contact",
        body: &[
            ("name", "Ada"),
            ("email", "ada@example.org"),
            ("message", "Hello there, a question about Viva."),
        ],
        expect: [A, A, A, A],
    },
    Row {
        route: "PAGE /terms",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "PAGE /accept",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "PAGE /admin/support",
        body: &[],
        expect: [D, D, D, A],
    },
    Row {
        route: "PAGE /admin/insights",
        body: &[],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/contact/mine",
        body: &[],
        // Public: anonymous callers get nothing (null), not an error.
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/contact/follow_up",
        body: &[
            ("id", "{owner_ticket}"),
            ("body", "Thank you, one more question."),
        ],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/auth/pending_policies",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/auth/accept_policies",
        body: &[("next", "/dashboard")],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/auth/consents",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/auth/hosted_ai",
        body: &[("allow", "false")],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/admin/support",
        body: &[("status", "open")],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/admin/support_reply",
        body: &[("id", "{owner_ticket}"), ("body", "Here is the answer.")],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/admin/support_status",
        body: &[("id", "{owner_ticket}"), ("status", "open")],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/admin/insights",
        body: &[("days", "7")],
        expect: [D, D, D, A],
    },
    Row {
        route: "PAGE /account/billing",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "PAGE /account/billing/razorpay",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "PAGE /account/referrals",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "PAGE /admin/billing",
        body: &[],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/billing/on",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/billing/mine",
        body: &[],
        // Signed in; billing is off in this run, so the answer is null.
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/billing/checkout",
        body: &[("plan", "pro"), ("provider", "stripe")],
        // Billing is off in this run: 404 for everyone (integration/billing.rs covers it on).
        expect: [D, D, D, D],
    },
    Row {
        route: "FN /api/billing/confirm",
        body: &[("session", "cs_test_x")],
        expect: [D, D, D, D],
    },
    Row {
        route: "FN /api/billing/portal",
        body: &[],
        expect: [D, D, D, D],
    },
    Row {
        route: "FN /api/billing/cancel",
        body: &[],
        expect: [D, D, D, D],
    },
    Row {
        route: "FN /api/billing/razorpay_pay",
        body: &[("subscription", "sub_x"), ("plan", "pro")],
        expect: [D, D, D, D],
    },
    Row {
        route: "FN /api/billing/referrals",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/billing/referral_check",
        body: &[("code", "ABCDEFGHJK")],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/admin/billing",
        body: &[],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/admin/comp",
        body: &[("email", "x@example.org"), ("plan", "pro")],
        expect: [D, D, D, D],
    },
    Row {
        route: "FN /api/privacy/notice",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/privacy/terms",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/try/question",
        body: &[("role", "general")],
        expect: [A, A, A, A],
    },
    // Without a multipart body: a 400 for anyone (refused before any read).
    Row {
        route: "FN /api/try/transcribe",
        body: &[],
        expect: [A, A, A, A],
    },
    // Keeping a tried answer makes an interview of the caller's own.
    Row {
        route: "FN /api/try/keep",
        body: &[
            ("id", "gen-conflict-001"),
            (
                "answer",
                "I listened first, agreed on the facts, and we shipped on time.",
            ),
        ],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/try/answer",
        body: &[
            ("id", "gen-conflict-001"),
            (
                "answer",
                "I listened first, agreed on the facts, and we shipped on time.",
            ),
        ],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/auth/me",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/auth/providers",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/auth/resend_code",
        body: &[("email", "x@example.org")],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/auth/verify_email",
        body: &[("email", "x@example.org"), ("code", "123456")],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/auth/request_reset",
        body: &[("email", "x@example.org")],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/auth/reset_password",
        body: &[
            ("email", "x@example.org"),
            ("code", "123456"),
            ("password", "copper-Meadow-lantern-907"),
        ],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/auth/sign_in",
        body: &[("email", "x@example.org"), ("password", "Wrong-pass-77")],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/auth/sign_up",
        body: &[
            ("form[name]", "New"),
            ("form[email]", "new@example.org"),
            ("form[password]", "x"),
            ("form[job_role]", "QA"),
            ("form[experience]", "mid"),
        ],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/auth/details",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/auth/update_details",
        body: &[("name", ""), ("job_role", "QA"), ("experience", "mid")],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/auth/sessions",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/auth/start_password_change",
        body: &[("current_password", "not-my-password")],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/auth/finish_password_change",
        body: &[
            ("code", "123456"),
            ("new_password", "copper-Meadow-lantern-907"),
        ],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/auth/start_email_change",
        body: &[
            ("current_password", "not-my-password"),
            ("new_email", "n@example.org"),
        ],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/auth/finish_email_change",
        body: &[("code", "123456")],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/interview/engine",
        body: &[],
        expect: [A, A, A, A],
    },
    Row {
        route: "FN /api/interview/profile",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/interview/practice_defaults",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/interview/practice_setup",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/interview/save_profile",
        body: &[
            ("form[background]", "Nurse for 5 years."),
            ("form[target_role]", "nurse"),
            ("form[target_companies]", ""),
            ("form[skills]", "Triage"),
        ],
        expect: [D, A, A, A],
    },
    // Without a multipart body the upload is a 400 for a signed-in caller (refused before any read).
    Row {
        route: "FN /api/interview/resume",
        body: &[("resume", "not a file")],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/interview/delete_resume",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/interview/start",
        body: &[
            ("setup[role]", "nurse"),
            ("setup[difficulty]", "2"),
            ("setup[count]", "3"),
        ],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/interview/warm_up",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/interview/history",
        body: &[],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/interview/get",
        body: &[("id", "{owner_interview}")],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/interview/report",
        body: &[("id", "{owner_interview}")],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/interview/report_page",
        body: &[("id", "{owner_interview}")],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/interview/answer",
        body: &[
            ("id", "{owner_interview}"),
            ("position", "0"),
            (
                "answer",
                "I led the ward handover redesign and cut handover time by a third.",
            ),
        ],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/interview/skip",
        body: &[("id", "{owner_interview}"), ("position", "1")],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/interview/retry",
        body: &[("id", "{owner_interview}"), ("position", "1")],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/interview/finish",
        body: &[("id", "{owner_interview}")],
        expect: [D, A, D, D],
    },
    // Without a multipart body a segment upload is a 400 for anyone signed in (refused before
    // any read); its owner checks with real uploads are in integration/voice.rs.
    Row {
        route: "FN /api/voice/segment",
        body: &[("interview", "{owner_interview}"), ("position", "0")],
        expect: [D, A, A, A],
    },
    // Likewise a chunk without a multipart body; the owner checks are in integration/video.rs.
    Row {
        route: "FN /api/video/chunk",
        body: &[("interview", "{owner_interview}"), ("position", "0")],
        expect: [D, A, A, A],
    },
    Row {
        route: "FN /api/video/finish",
        body: &[
            ("id", "{owner_interview}"),
            ("position", "0"),
            ("part", "answer"),
            ("take", "t1"),
            ("count", "1"),
            ("bytes", "1"),
        ],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/video/status",
        body: &[
            ("id", "{owner_interview}"),
            ("position", "0"),
            ("part", "answer"),
        ],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/voice/status",
        body: &[("id", "{owner_interview}"), ("position", "0")],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/voice/hand_in",
        body: &[
            ("id", "{owner_interview}"),
            ("position", "0"),
            ("count", "1"),
        ],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/admin/users",
        body: &[("search", "")],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/admin/audit",
        body: &[("kind", "")],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/admin/outbox",
        body: &[],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/admin/set_role",
        body: &[("user_id", "{other_id}"), ("role", "user")],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/admin/set_disabled",
        body: &[("user_id", "{other_id}"), ("disabled", "false")],
        expect: [D, D, D, A],
    },
    Row {
        route: "FN /api/admin/delete_user",
        // The wrong confirmation: an admin reaches the check (400), nothing is deleted.
        body: &[
            ("user_id", "{other_id}"),
            ("confirm", "not-their-address@example.org"),
        ],
        expect: [D, D, D, A],
    },
    // Only on a fresh install: here an admin exists, so nobody may claim the role.
    Row {
        route: "FN /api/admin/claim",
        body: &[("token", "not-the-token")],
        expect: [D, D, D, D],
    },
    // The owner's second session: only the owner may end it (admins disable accounts instead).
    Row {
        route: "FN /api/auth/revoke_session",
        body: &[("id", "{owner_session}")],
        expect: [D, A, D, D],
    },
    // Deleting the owner's interview: after every row that reads it.
    Row {
        route: "FN /api/interview/delete",
        body: &[("id", "{owner_interview}")],
        expect: [D, A, D, D],
    },
    Row {
        route: "FN /api/auth/sign_out_everywhere",
        body: &[],
        expect: [D, A, A, A],
    },
    // Signing out needs no session (it just clears cookies), so it stays allowed after the row above.
    Row {
        route: "FN /api/auth/sign_out",
        body: &[],
        expect: [A, A, A, A],
    },
];

/// Server functions redirect only after success; pages redirect to sign in to refuse.
fn verdict(page: bool, status: u16, location: Option<&str>) -> E {
    match status {
        401 | 403 | 404 => E::Deny,
        300..=399 if page && location.is_some_and(|l| l.starts_with("/signin")) => E::Deny,
        200..=399 | 400 | 429 => E::Allow,
        other => panic!("unexpected status {other}"),
    }
}

#[tokio::test]
async fn every_route_and_server_function_checks_its_caller() {
    // The routes the binary really has, and the matrix, must match exactly.
    let out = run_to_exit(&["routes"]).await;
    assert!(out.status.success(), "{}", out.stderr);
    let routes: BTreeSet<&str> = out.stdout.lines().filter(|l| !l.is_empty()).collect();
    let matrix: BTreeSet<&str> = MATRIX.iter().map(|r| r.route).collect();
    let missing: Vec<_> = routes.difference(&matrix).collect();
    let stale: Vec<_> = matrix.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes without an entry in the authorisation matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix entries for routes that no longer exist: {stale:?}"
    );

    let v = Viva::start(&[]).await;
    let admin = v.account("root@example.org", "Root").await;
    v.make_admin(&admin).await;
    let owner = v.account("owner@example.org", "Owner").await;
    let owner_second = v.sign_in("owner@example.org").await;
    let other = v.account("other@example.org", "Other").await;
    let sessions = json(
        post(&v, "/api/auth/sessions", &owner_second)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let owner_session = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let users = json(
        post(&v, "/api/admin/users", &admin)
            .form(&[("search", "other@")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let other_id = users[0]["id"].as_str().unwrap().to_string();
    let started = post(&v, "/api/interview/warm_up", &owner)
        .send()
        .await
        .unwrap();
    let owner_interview = interview_id(started).await;
    // A support conversation of the owner's.
    let sent = post(&v, "/api/contact", &owner)
        .form(&[
            ("input[name]", "Owner"),
            ("input[email]", "owner@example.org"),
            ("input[message]", "A question for the support desk."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let mine = json(post(&v, "/api/contact/mine", &owner).send().await.unwrap()).await;
    let owner_ticket = mine[0]["id"].as_str().unwrap().to_string();
    let jars = ["".to_string(), owner, other, admin];

    let mut wrong = Vec::new();
    for row in MATRIX {
        for (i, who) in WHO.iter().enumerate() {
            let jar = jars[i].as_str();
            let body: Vec<(String, String)> = row
                .body
                .iter()
                .map(|(k, val)| {
                    (
                        k.to_string(),
                        val.replace("{owner_session}", &owner_session)
                            .replace("{other_id}", &other_id)
                            .replace("{owner_interview}", &owner_interview)
                            .replace("{owner_ticket}", &owner_ticket),
                    )
                })
                .collect();
            let (kind, path) = row.route.split_once(' ').unwrap();
            let path = &path.replace("{id}", &owner_interview);
            let res = if kind == "PAGE" {
                let b = client().get(v.url(path));
                (if jar.is_empty() {
                    b
                } else {
                    b.header("cookie", jar)
                })
                .send()
                .await
                .unwrap()
            } else {
                post(&v, path, jar).form(&body).send().await.unwrap()
            };
            let status = res.status().as_u16();
            let location = res
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(str::to_string);
            let got = verdict(kind == "PAGE", status, location.as_deref());
            if got != row.expect[i] {
                wrong.push(format!(
                    "{} as {who}: expected {:?}, got {:?} ({status})",
                    row.route, row.expect[i], got
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "authorisation matrix mismatches:\n{}",
        wrong.join("\n")
    );
}
