//! The faults a security review of the running binary found (issue 11), each checked over
//! real HTTP against the real binary with a real SMTP server: e-mail-change takeover, refresh
//! races, enumeration through codes, cross-site requests, codes in logs, the first admin,
//! client addresses behind proxies, contact limits, code budgets, names in e-mail, parallel
//! code guesses, private data files and half-sent requests.

use crate::support;

use std::time::Duration;

use support::{client, json, me, ok, post, set_cookies, smtp::code_in, Viva, PW};

/// Item 1: a code proves control of exactly the address it was sent to.
#[tokio::test]
async fn an_email_change_code_confirms_only_the_address_it_was_sent_to() {
    let v = Viva::start(&[]).await;
    v.account("victim@example.org", "Victor").await;
    let jar = v.account("mallory@example.org", "Mallory").await;
    let before_attack = v.mail_mark();
    let other_device = v.sign_in("mallory@example.org").await;

    // A code for an address Mallory owns...
    let mark = v.mail_mark();
    let res = post(&v, "/api/auth/start_email_change", &jar)
        .form(&[
            ("current_password", PW),
            ("new_email", "mallory2@example.org"),
        ])
        .send()
        .await
        .unwrap();
    assert!(ok(&res), "{}", res.status());
    let code = v.code_for("mallory2@example.org", mark).await;
    // ...then, within the resend cooldown, a change to the victim's address: refused, and
    // nothing about the pending change moves.
    let res = post(&v, "/api/auth/start_email_change", &jar)
        .form(&[
            ("current_password", PW),
            ("new_email", "victim@example.org"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let res = post(&v, "/api/auth/finish_email_change", &jar)
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert!(ok(&res), "{}", res.status());
    assert_eq!(json(res).await, "mallory2@example.org");
    assert_eq!(me(&v, &jar).await["email"], "mallory2@example.org");
    // Finishing ended the account's other sessions.
    assert_eq!(me(&v, &other_device).await, serde_json::Value::Null);

    // After the cooldown: a code for an owned address, then a change to the victim's address
    // (answered like any other, no mail to the victim): the first code is dead.
    v.advance(61).await;
    let mark = v.mail_mark();
    post(&v, "/api/auth/start_email_change", &jar)
        .form(&[
            ("current_password", PW),
            ("new_email", "mallory3@example.org"),
        ])
        .send()
        .await
        .unwrap();
    let code = v.code_for("mallory3@example.org", mark).await;
    v.advance(61).await;
    let res = post(&v, "/api/auth/start_email_change", &jar)
        .form(&[
            ("current_password", PW),
            ("new_email", "victim@example.org"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        ok(&res),
        "a taken address is answered like any other: {}",
        res.status()
    );
    let res = post(&v, "/api/auth/finish_email_change", &jar)
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(me(&v, &jar).await["email"], "mallory2@example.org");
    let since = &v.mail.all()[before_attack..];
    assert!(
        since
            .iter()
            .all(|m| !m.to.iter().any(|t| t == "victim@example.org")),
        "the victim was e-mailed"
    );
    // The victim's account is untouched.
    let victim = v.sign_in("victim@example.org").await;
    assert_eq!(me(&v, &victim).await["email"], "victim@example.org");
}

/// Item 4: a page that fires several requests with an expired access token stays signed in.
#[tokio::test]
async fn parallel_refreshes_keep_the_session_and_raise_no_alarm() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ada@example.org", "Ada").await;
    v.advance(16 * 60).await;
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let req = post(&v, "/api/auth/me", &jar);
            tokio::spawn(async move {
                let res = req.send().await.unwrap();
                let set = set_cookies(&res);
                (set, json(res).await)
            })
        })
        .collect();
    let mut jars = Vec::new();
    for t in tasks {
        let (set, body) = t.await.unwrap();
        assert_eq!(
            body["name"], "Ada",
            "a parallel refresh signed the person out"
        );
        assert!(
            set.iter().all(|c| !c.contains("Max-Age=0")),
            "cookies cleared: {set:?}"
        );
        jars.push(support::cookie_header(&set));
    }
    for j in &jars {
        assert_eq!(me(&v, j).await["name"], "Ada", "a renewed session is dead");
    }
    assert!(
        !v.log_lines()
            .iter()
            .any(|l| l.contains("refresh_token_reuse")),
        "a race was logged as theft"
    );
    // A replay well after the grace window is still theft: the family ends.
    v.advance(16 * 60).await;
    assert_eq!(me(&v, &jar).await, serde_json::Value::Null);
    v.wait_log(|l| l.contains("refresh_token_reuse")).await;
}

/// Item 5: the public code forms answer alike for unknown, confirmed and unconfirmed addresses.
#[tokio::test]
async fn code_answers_do_not_tell_which_addresses_have_accounts() {
    let v = Viva::start(&[]).await;
    v.account("ada@example.org", "Ada").await;
    let mark = v.mail_mark();
    v.sign_up("bob@example.org", "Bob").await;
    let bob_code = v.code_for("bob@example.org", mark).await;
    let wrong = if bob_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let verify = |email: &'static str| {
        post(&v, "/api/auth/verify_email", "")
            .form(&[("email", email), ("code", wrong)])
            .send()
    };
    let mut answers = Vec::new();
    for email in [
        "nobody@example.org",
        "ada@example.org",
        "bob@example.org",
        "bob@example.org",
        "nobody@example.org",
    ] {
        let res = verify(email).await.unwrap();
        answers.push((res.status().as_u16(), res.text().await.unwrap()));
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:#?}");
    assert_eq!(answers[0].0, 400);

    let reset = |email: &'static str, pw: &'static str| {
        post(&v, "/api/auth/reset_password", "")
            .form(&[("email", email), ("code", wrong), ("password", pw)])
            .send()
    };
    for pw in [
        "password1",
        "copper-Meadow-lantern-907",
        "Ada-copper-Meadow-lantern",
    ] {
        let mut answers = Vec::new();
        for email in ["nobody@example.org", "ada@example.org", "bob@example.org"] {
            let res = reset(email, pw).await.unwrap();
            answers.push((res.status().as_u16(), res.text().await.unwrap()));
        }
        assert!(
            answers.iter().all(|a| a == &answers[0]),
            "{pw}: {answers:#?}"
        );
    }
}

/// Item 6: state-changing requests from other sites are refused before they do anything.
#[tokio::test]
async fn cross_site_requests_are_refused_and_set_no_cookies() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ada@example.org", "Ada").await;
    let form = [("email", "ada@example.org"), ("password", PW)];
    // A form on another site posting to sign-in (login CSRF), three ways.
    let evil = client()
        .post(v.url("/api/auth/sign_in"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    let fetch_meta = client()
        .post(v.url("/api/auth/sign_in"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    let bare = client()
        .post(v.url("/api/auth/sign_in"))
        .form(&form)
        .send()
        .await
        .unwrap();
    for res in [evil, fetch_meta, bare] {
        assert_eq!(res.status(), 403);
        assert!(
            set_cookies(&res).is_empty(),
            "cookies set by a cross-site request"
        );
    }
    // Sign-up and signed-in functions too.
    let res = client()
        .post(v.url("/api/auth/sign_up"))
        .header("origin", "null")
        .form(&[("form[email]", "x@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = client()
        .post(v.url("/api/auth/sign_out_everywhere"))
        .header("cookie", &jar)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        me(&v, &jar).await["name"],
        "Ada",
        "the cross-site sign-out took effect"
    );
    // The site's own pages: Origin, or Sec-Fetch-Site same-origin, or a request no form can make.
    assert!(ok(&post(&v, "/api/auth/sign_in", "")
        .form(&form)
        .send()
        .await
        .unwrap()));
    let res = client()
        .post(v.url("/api/auth/sign_in"))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(ok(&res), "{}", res.status());
    let res = client()
        .post(v.url("/api/auth/me"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 403);
    // localhost is the same local site as 127.0.0.1 when no public URL is set.
    let port = v.listen_addr().rsplit(':').next().unwrap().to_string();
    let res = client()
        .post(v.url("/api/auth/sign_in"))
        .header("origin", format!("http://localhost:{port}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(ok(&res), "{}", res.status());
}

/// Item 7: one-time codes reach only the mailbox.
#[tokio::test]
async fn codes_stay_out_of_subjects_logs_and_the_admin_outbox() {
    // With SMTP: the subject has no code, no log line has it, sent bodies are blanked.
    let v = Viva::start(&[]).await;
    let admin = v.account("root@example.org", "Root").await;
    v.make_admin(&admin).await;
    let mark = v.mail_mark();
    v.sign_up("bob@example.org", "Bob").await;
    let mail = v.mail.wait_for("bob@example.org", mark).await;
    let code = code_in(&mail.text).unwrap();
    assert!(!mail.subject.contains(&code), "{}", mail.subject);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !v.log_lines().iter().any(|l| l.contains(&code)),
        "a code is in the log"
    );
    let outbox = json(post(&v, "/api/admin/outbox", &admin).send().await.unwrap()).await;
    let items = outbox.as_array().unwrap();
    assert!(!items.is_empty());
    for m in items {
        assert!(!m["text"].as_str().unwrap().contains(&code), "{m}");
        if m["status"] == "sent" {
            assert_eq!(m["text"], "", "a sent body is kept: {m}");
        }
    }

    // Without SMTP: nothing of the body in the log, and codes masked for admins. Only the
    // explicit development mode prints mail (that is how this test gets its admin in).
    let quiet = Viva::start_without_mail(&[]).await;
    quiet.sign_up("carol@example.org", "Carol").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !quiet.log_lines().iter().any(|l| l.contains("Your code to")),
        "a code e-mail is in the log"
    );

    let dev = Viva::start_without_mail(&["--print-mail"]).await;
    let dev_code = |v: &Viva, email: &str| {
        let line = v
            .log_lines()
            .into_iter()
            .rev()
            .find(|l| l.contains(email) && l.contains("Your code to"))
            .expect("printed in development mode");
        code_in(&line[line.find("Your code to").unwrap()..]).unwrap()
    };
    dev.sign_up("root@example.org", "Root").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let root_code = dev_code(&dev, "root@example.org");
    assert!(ok(&post(&dev, "/api/auth/verify_email", "")
        .form(&[("email", "root@example.org"), ("code", root_code.as_str())])
        .send()
        .await
        .unwrap()));
    let root = dev.sign_in("root@example.org").await;
    dev.make_admin(&root).await;
    dev.sign_up("dan@example.org", "Dan").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let dan_code = dev_code(&dev, "dan@example.org");
    let outbox = json(post(&dev, "/api/admin/outbox", &root).send().await.unwrap()).await;
    let dan = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to"] == "dan@example.org")
        .unwrap()
        .clone();
    let text = dan["text"].as_str().unwrap();
    assert!(
        !text.contains(&dan_code) && text.contains("••••••"),
        "{text}"
    );
}

/// Item 8: a stranger who signs up first cannot become the administrator.
#[tokio::test]
async fn the_first_admin_needs_the_setup_token_from_the_data_directory() {
    let v = Viva::start(&[]).await;
    let token = v.setup_token();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(v.data_dir().join("admin-setup-token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        !v.log_lines().iter().any(|l| l.contains(&token)),
        "the setup token is in the log"
    );
    assert!(
        v.log_lines()
            .iter()
            .any(|l| l.contains("admin-setup-token")),
        "the log does not say where the token is"
    );

    let stranger = v.account("stranger@example.org", "Stranger").await;
    for body in [vec![], vec![("token", "guess")]] {
        let res = post(&v, "/api/admin/claim", &stranger)
            .form(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
    }
    assert_eq!(me(&v, &stranger).await["role"], "user");
    // An unconfirmed account gets a refusal, not a false success.
    let mark = v.mail_mark();
    v.sign_up("new@example.org", "New").await;
    v.code_for("new@example.org", mark).await;
    let unconfirmed = v.sign_in("new@example.org").await;
    let res = post(&v, "/api/admin/claim", &unconfirmed)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(me(&v, &unconfirmed).await["role"], "user");

    let operator = v.account("operator@example.org", "Operator").await;
    let res = post(&v, "/api/admin/claim", &operator)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert!(ok(&res), "{}", res.status());
    assert_eq!(me(&v, &operator).await["role"], "admin");
    // The token worked once.
    let res = post(&v, "/api/admin/claim", &stranger)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(me(&v, &stranger).await["role"], "user");
}

async fn bad_sign_in(v: &Viva, n: usize, forwarded: &str) -> u16 {
    client()
        .post(v.url("/api/auth/sign_in"))
        .header("origin", v.origin())
        .header("x-forwarded-for", forwarded)
        .form(&[
            ("email", format!("user{n}@example.org")),
            ("password", "Wrong-pass-77".into()),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Item 9: X-Forwarded-For names the client only when a trusted proxy sent the request.
#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let limit = app::ratelimit::SIGN_IN_PER_IP.max as usize;
    // This test's requests come from 127.0.0.1, which is not the trusted proxy here: the
    // header a client sends itself is ignored, so all its tries share one budget.
    let v = Viva::start(&["--trusted-proxy", "10.9.9.9"]).await;
    let mut statuses = Vec::new();
    for n in 0..=limit {
        statuses.push(bad_sign_in(&v, n, &format!("198.51.100.{n}")).await);
    }
    assert_eq!(
        statuses[limit], 429,
        "a client-sent X-Forwarded-For was trusted: {statuses:?}"
    );

    // Behind a trusted proxy, each client has its own budget; what a client prepends is ignored.
    let v = Viva::start(&["--trusted-proxy", "127.0.0.1/32"]).await;
    for n in 0..=limit {
        assert_eq!(
            bad_sign_in(&v, n, &format!("6.6.6.6, 198.51.100.{n}")).await,
            400,
            "try {n}"
        );
    }

    // A public (https) site reached through an undeclared local proxy is warned about.
    let v = Viva::start(&["--public-url", "https://viva.example.org"]).await;
    client().get(v.url("/")).send().await.unwrap();
    v.wait_log(|l| l.contains("--trusted-proxy")).await;
}

/// Item 10: the contact form cannot be used to flood the database.
#[tokio::test]
async fn the_contact_form_is_limited_per_address() {
    let v = Viva::start(&[]).await;
    let limit = app::ratelimit::CONTACT_PER_IP.max as usize;
    let message = "A question about my data. ".repeat(40);
    let mut statuses = Vec::new();
    for _ in 0..=limit {
        let res = post(&v, "/api/contact", "")
            .form(&[
                ("input[name]", "Eve"),
                ("input[email]", "eve@example.org"),
                ("input[message]", message.as_str()),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(&statuses[..limit], vec![200; limit].as_slice());
    assert_eq!(statuses[limit], 429);
}

async fn request_reset(v: &Viva, from: &str) -> u16 {
    client()
        .post(v.url("/api/auth/request_reset"))
        .header("origin", v.origin())
        .header("x-forwarded-for", from)
        .form(&[("email", "ada@example.org")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Item 11: someone else asking for codes cannot lock the owner out of their own.
#[tokio::test]
async fn strangers_cannot_spend_an_owners_code_budget() {
    let v = Viva::start(&["--trusted-proxy", "127.0.0.1"]).await;
    v.account("ada@example.org", "Ada").await;
    let limit = app::ratelimit::CODE_SEND_PER_REQUESTER.max as usize;
    for _ in 0..limit {
        assert_eq!(request_reset(&v, "203.0.113.1").await, 200);
    }
    assert_eq!(
        request_reset(&v, "203.0.113.1").await,
        429,
        "the stranger is limited"
    );
    // The owner, from their own address, still gets a code (after the resend cooldown).
    v.advance(61).await;
    let mark = v.mail_mark();
    assert_eq!(request_reset(&v, "198.51.100.2").await, 200);
    v.code_for("ada@example.org", mark).await;
}

/// Item 14: mail to an address nobody has confirmed carries no text the signer typed.
#[tokio::test]
async fn names_with_links_are_refused_and_unconfirmed_addresses_are_not_greeted_by_name() {
    let v = Viva::start(&[]).await;
    for name in [
        "Win at http://evil.example",
        "Prize at evil.example/claim",
        "Visit www.evil.example",
        "Call evil.com now",
        "me@evil.example",
    ] {
        let res = v.sign_up("target@example.org", name).await;
        assert_eq!(res.status(), 400, "{name}");
        assert!(json(res).await["message"]
            .as_str()
            .unwrap()
            .contains("web address"));
    }
    let mark = v.mail_mark();
    assert!(ok(&v.sign_up("target@example.org", "Ada Lovelace").await));
    let mail = v.mail.wait_for("target@example.org", mark).await;
    assert!(
        !mail.text.contains("Ada") && mail.text.starts_with("Hello,"),
        "{}",
        mail.text
    );
    for name in ["J. R. R. Tolkien", "Dr. Ada King-Noel", "Mary-Jane O'Neil"] {
        assert!(
            ok(&v
                .sign_up(&format!("{}@example.org", name.len()), name)
                .await),
            "{name}"
        );
    }
}

/// Item 15: parallel guesses get five comparisons at most, like sequential ones.
#[tokio::test]
async fn parallel_wrong_codes_get_five_tries_at_most() {
    let v = Viva::start(&["--trusted-proxy", "127.0.0.1"]).await;
    let mark = v.mail_mark();
    v.sign_up("ada@example.org", "Ada").await;
    let code = v.code_for("ada@example.org", mark).await;
    let wrong: Vec<String> = (0..12)
        .map(|i| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000))
        .collect();
    let tasks: Vec<_> = wrong
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let req = client()
                .post(v.url("/api/auth/verify_email"))
                .header("origin", v.origin())
                .header("x-forwarded-for", format!("198.51.100.{i}"))
                .form(&[("email", "ada@example.org"), ("code", w.as_str())]);
            tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 400);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let compared = v
        .log_lines()
        .iter()
        .filter(|l| l.contains("otp_failure"))
        .count();
    assert_eq!(
        compared,
        app::auth::otp::OTP_MAX_ATTEMPTS as usize,
        "wrong codes compared"
    );
    let res = post(&v, "/api/auth/verify_email", "")
        .form(&[("email", "ada@example.org"), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        400,
        "the right code worked after more than five guesses"
    );
}

/// Item 16: nobody else on the machine can read the database or the keys.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("new/data");
    let v = Viva::start_in(dir.to_str().unwrap(), &[]).await;
    v.account("ada@example.org", "Ada").await;
    fn walk(p: &std::path::Path, out: &mut Vec<(std::path::PathBuf, u32)>) {
        out.push((
            p.to_path_buf(),
            std::fs::metadata(p).unwrap().permissions().mode(),
        ));
        if p.is_dir() {
            for e in std::fs::read_dir(p).unwrap().flatten() {
                walk(&e.path(), out);
            }
        }
    }
    let mut all = Vec::new();
    walk(&dir, &mut all);
    assert!(all.len() > 3, "{all:?}");
    let open: Vec<_> = all
        .iter()
        .filter(|(_, m)| m & 0o077 != 0)
        .map(|(p, m)| format!("{} {:o}", p.display(), m & 0o777))
        .collect();
    assert!(open.is_empty(), "readable by others: {open:#?}");
}

/// Item 17: a client that never finishes its request header does not hold a connection.
#[tokio::test]
async fn a_half_sent_request_header_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let v = Viva::start(&[]).await;
    let addr = v.listen_addr();
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    sock.write_all(b"GET / HTTP/1.1\r\nHost: viva\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = vec![0u8; 1024];
    let limit = Duration::from_secs(http_header_timeout() + 5);
    let read = tokio::time::timeout(limit, async {
        loop {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection was still open after {:?}",
        started.elapsed()
    );
    // A complete request on a new connection is served as usual.
    assert_eq!(
        client()
            .get(v.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// The header-read timeout the server names (kept in step with server/src/http.rs).
fn http_header_timeout() -> u64 {
    10
}
