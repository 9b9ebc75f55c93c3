//! Integration tests: the real `viva` binary on a random port with a temporary data directory,
//! spoken to over HTTP.

use crate::support;

use support::{client, get, json, Viva};

#[tokio::test]
async fn health_and_readiness() {
    let v = Viva::start(&[]).await;
    let res = client().get(v.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");

    // Anyone sees the status; the details need the operations token.
    let public: serde_json::Value =
        json(client().get(v.url("/readyz")).send().await.unwrap()).await;
    assert_eq!(public, serde_json::json!({ "status": "ready" }));
    let ready: serde_json::Value = json(
        client()
            .get(v.url("/readyz"))
            .bearer_auth(v.ops_token())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ready["database"], true);
    assert_eq!(
        ready["migrations"],
        serde_json::json!((1..=app::db::MIGRATIONS.len() as i64).collect::<Vec<_>>()),
        "every migration, in order"
    );
    assert!(ready["instance"].as_str().unwrap().len() >= 32);
}

#[tokio::test]
async fn landing_page_is_rendered_on_the_server_with_security_headers() {
    let v = Viva::start(&[]).await;
    let res = client().get(v.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Practise interviews out loud"),
        "landing text missing"
    );
    assert!(h.get("x-request-id").is_some(), "no request id");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(
        h.get("strict-transport-security").is_none(),
        "HSTS on plain HTTP"
    );
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(
        !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
        "{csp}"
    );
    // A visitor's landing page is the same for everyone: its inline scripts are allowed by
    // their hashes, not by a nonce.
    assert!(!csp.contains("'nonce-"), "{csp}");
    let scripts = inline_scripts(&body);
    assert!(
        scripts.len() >= 2,
        "expected the theme and hydration scripts"
    );
    for s in &scripts {
        assert!(
            csp.contains(&sha256_source(s)),
            "script {s:?} not allowed by {csp}"
        );
    }

    // Served again from memory: the same bytes and tag; 304 when the browser has them.
    let tag = h["etag"].to_str().unwrap().to_string();
    assert_eq!(h["cache-control"], "no-cache");
    let again = client().get(v.url("/")).send().await.unwrap();
    assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
    assert_eq!(again.text().await.unwrap(), body);
    let cached = client()
        .get(v.url("/"))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    // Compressed once, as the browser asks.
    let br = client()
        .get(v.url("/"))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    let mut plain = String::new();
    std::io::Read::read_to_string(
        &mut brotli::Decompressor::new(&br.bytes().await.unwrap()[..], 4096),
        &mut plain,
    )
    .unwrap();
    assert_eq!(plain, body);

    // A page rendered per request (a query string) carries a fresh nonce on every script.
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let res = client()
            .get(v.url("/signin?next=/practice"))
            .send()
            .await
            .unwrap();
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let body = res.text().await.unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap()
            .to_string();
        let scripts = body.matches("<script").count();
        assert!(scripts >= 2, "expected the theme and hydration scripts");
        assert_eq!(
            body.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "a script without the nonce"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce per request");
}

/// The text of each inline `<script>` (without `src`).
fn inline_scripts(html: &str) -> Vec<String> {
    html.split("<script")
        .skip(1)
        .filter_map(|rest| {
            let (tag, after) = rest.split_once('>')?;
            let (text, _) = after.split_once("</script>")?;
            (!tag.contains(" src=")).then(|| text.to_string())
        })
        .collect()
}

fn sha256_source(script: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()))
    )
}

/// The text between `before` and the next `"` in `text`.
fn quoted_after<'a>(text: &'a str, before: &str) -> &'a str {
    text.split(before)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("nothing quoted after {before}"))
}

/// A burst of first visits to a page (a shared link, a restart under load) renders it once:
/// the requests that arrive while it renders wait for that render and get the same page.
#[tokio::test]
async fn a_burst_of_first_visits_renders_a_page_once() {
    let v = Viva::start(&[]).await;
    let mut visits = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let url = v.url("/privacy");
        visits.spawn(async move {
            let res = client()
                .get(url)
                .header("accept-encoding", "br")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-encoding"], "br");
            res.headers()["etag"].to_str().unwrap().to_string()
        });
    }
    let tags: std::collections::HashSet<String> = visits.join_all().await.into_iter().collect();
    assert_eq!(tags.len(), 1, "one page for everyone: {tags:?}");
    for (from, n) in [("render", 1), ("memory", 23)] {
        let name = format!("viva_pages_total{{who=\"visitor\",from=\"{from}\"}}");
        assert_eq!(v.counter(&name).await, n, "{name}");
    }
}

#[tokio::test]
async fn the_bundle_and_style_sheet_are_versioned_and_kept_for_a_year() {
    let v = Viva::start(&[]).await;
    let body = get(&v, "/", "").await.text().await.unwrap();
    let immutable = "public, max-age=31536000, immutable";
    // The style sheet: its URL names its content.
    let css = quoted_after(&body, "rel=\"stylesheet\" href=\"");
    assert!(css.starts_with("/pkg/viva.css?v="), "{css}");
    let res = get(&v, css, "").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], immutable);
    // The same file under a stale version is only revalidated.
    let stale = get(&v, "/pkg/viva.css?v=0", "").await;
    assert_eq!(stale.headers()["cache-control"], "no-cache");

    // The glue and the main module the start-up script loads, the loader of the lazy pages
    // the glue imports, and a lazy module the loader fetches: all in one directory named by
    // the bundle's content.
    let js = quoted_after(&body, "import(\"");
    let wasm = quoted_after(&body, "module_or_path: \"");
    let dir = js
        .strip_suffix("/viva.js")
        .unwrap_or_else(|| panic!("{js}"));
    assert_eq!(wasm, format!("{dir}/viva.wasm"));
    assert!(dir.len() > "/pkg/".len() + 8, "{dir}");
    let fetch = |file: String| {
        let v = &v;
        async move {
            let res = get(v, &file, "").await;
            assert_eq!(res.status(), 200, "{file}");
            assert_eq!(res.headers()["cache-control"], immutable, "{file}");
            res
        }
    };
    fetch(wasm.to_string()).await;
    let glue = fetch(js.to_string()).await.text().await.unwrap();
    let loader_name = quoted_after(&glue, "from \"./");
    let loader = fetch(format!("{dir}/{loader_name}"))
        .await
        .text()
        .await
        .unwrap();
    let module = quoted_after(&loader, "new URL(\"./");
    let res = fetch(format!("{dir}/{module}")).await;
    assert_eq!(res.headers()["content-type"], "application/wasm");
    // Another build's directory is not there.
    let other = get(&v, "/pkg/0000000000000000/viva.js", "").await;
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn hsts_when_the_public_url_is_https() {
    let v = Viva::start(&["--public-url", "https://viva.example.org"]).await;
    let res = client().get(v.url("/healthz")).send().await.unwrap();
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
}

#[tokio::test]
async fn unknown_pages_get_the_404_page() {
    let v = Viva::start(&[]).await;
    let res = client().get(v.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("content-security-policy").is_some());
    let body = res.text().await.unwrap();
    assert!(body.contains("We could not find that page"), "{body}");
    // Paths that try to leave the site directory are not found either.
    let res = client()
        .get(v.url("/pkg/../../Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let v = Viva::start(&["--max-body-bytes", "4096"]).await;
    let res = client()
        .post(v.url("/api/contact"))
        .header("origin", v.origin())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 10_000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn server_functions_answer_bad_input_with_400_and_a_reason() {
    let v = Viva::start(&[]).await;
    let form = |pairs: &[(&str, &str)]| {
        client()
            .post(v.url("/api/contact"))
            .header("origin", v.origin())
            .header("accept", "application/json")
            .form(pairs)
    };
    // Malformed payload: a field missing.
    let res = form(&[("input[name]", "Ada")]).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let err = json(res).await;
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{err}"
    );

    // Well-formed but invalid.
    let res = form(&[
        ("input[name]", "Ada"),
        ("input[email]", "nope"),
        ("input[message]", "Hello there, team!"),
    ])
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    let err = json(res).await;
    assert!(err["message"].as_str().unwrap().contains("e-mail"), "{err}");

    // Valid.
    let res = form(&[
        ("input[name]", "Ada"),
        ("input[email]", "ada@example.org"),
        ("input[message]", "Hello there, team!"),
    ])
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn responses_are_compressed() {
    let v = Viva::start(&[]).await;
    for enc in ["br", "gzip"] {
        let res = client()
            .get(v.url("/"))
            .header("accept-encoding", enc)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], enc);
    }
}

/// server/src/http.rs `COMPRESS_MIN_BYTES`.
const COMPRESS_MIN_BYTES: usize = 1024;

#[tokio::test]
async fn answers_under_the_compression_threshold_are_sent_as_they_are() {
    let v = Viva::start(&[]).await;
    let gzip = |b: reqwest::RequestBuilder| b.header("accept-encoding", "gzip").send();
    // A server function's refusal (no Origin): a known size under COMPRESS_MIN_BYTES.
    let res = gzip(client().post(v.url("/api/auth/me"))).await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("content-encoding").is_none());
    let len: usize = res.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(len < COMPRESS_MIN_BYTES, "{len}");
    assert!(res.text().await.unwrap().contains("came from another site"));
    // A page rendered for this request is streamed (no known size): compressed.
    let res = gzip(client().get(v.url("/no-such-page"))).await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn static_files_from_a_site_root_with_precompressed_versions() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/viva.css"), "body{color:red}").unwrap();
    std::fs::write(
        site.path().join("pkg/viva.css.br"),
        b"\x8b\x07\x80body{color:red}\x03",
    )
    .unwrap();
    let v = Viva::start(&["--site-root", site.path().to_str().unwrap()]).await;

    let res = client()
        .get(v.url("/pkg/viva.css"))
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert_eq!(res.text().await.unwrap(), "body{color:red}");

    let res = client()
        .get(v.url("/pkg/viva.css"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(res.headers()["vary"], "Accept-Encoding");
}

#[tokio::test]
async fn metrics_count_requests() {
    let v = Viva::start(&[]).await;
    for _ in 0..3 {
        client().get(v.url("/healthz")).send().await.unwrap();
    }
    // Metrics are for the operator only.
    let res = client().get(v.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(!res.text().await.unwrap().contains("viva_http"));
    let text = v.metrics().await;
    assert!(
        text.contains(
            "viva_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3"
        ),
        "{text}"
    );
    assert!(text.contains("# TYPE viva_http_request_duration_seconds histogram"));
}

#[tokio::test]
async fn data_and_migrations_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_string();
    let first = Viva::start_in(&dir, &[]).await;
    let a: serde_json::Value = json(
        client()
            .get(first.url("/readyz"))
            .bearer_auth(first.ops_token())
            .send()
            .await
            .unwrap(),
    )
    .await;
    let status = first.stop().await;
    assert!(
        status.success(),
        "SIGTERM should end the server cleanly: {status:?}"
    );

    let second = Viva::start_in(&dir, &[]).await;
    let b: serde_json::Value = json(
        client()
            .get(second.url("/readyz"))
            .bearer_auth(second.ops_token())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        a["instance"], b["instance"],
        "the installation id changed: data was lost"
    );
    assert_eq!(
        b["migrations"],
        serde_json::json!((1..=app::db::MIGRATIONS.len() as i64).collect::<Vec<_>>()),
        "a migration was applied twice"
    );
    let key = std::fs::read_to_string(data.path().join("signing.key")).unwrap();
    second.stop().await;
    let third = Viva::start_in(&dir, &[]).await;
    assert_eq!(
        std::fs::read_to_string(data.path().join("signing.key")).unwrap(),
        key,
        "signing key regenerated"
    );
    drop(third);
}

#[tokio::test]
async fn start_up_problems_exit_non_zero_and_name_the_fix() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = support::run_to_exit(&[
        "--data-dir",
        file.path().to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.contains("--data-dir"), "{}", out.stderr);

    let dir = tempfile::tempdir().unwrap();
    let out = support::run_to_exit(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--db",
        "postgres://x",
        "--addr",
        "127.0.0.1:0",
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.contains("surrealkv://"), "{}", out.stderr);

    // A database server that does not answer.
    let out = support::run_to_exit(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--db",
        "ws://127.0.0.1:9",
        "--addr",
        "127.0.0.1:0",
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("could not open the database") || out.stderr.contains("did not answer"),
        "{}",
        out.stderr
    );

    let out = support::run_to_exit(&["--help"]).await;
    assert_eq!(out.status.code(), Some(0));
    for flag in [
        "--addr",
        "VIVA_ADDR",
        "--data-dir",
        "--db",
        "--public-url",
        "--site-root",
        "--config",
        "--log-format",
        "--max-body-bytes",
    ] {
        assert!(out.stdout.contains(flag), "--help does not document {flag}");
    }
}

/// Two processes on one data directory: the second waits for the first to let the embedded
/// store go (app::db::STORE_IN_USE_WAIT, 10 s), so a restart right after a crash comes up; if
/// the first keeps running, the second exits and says what to do.
#[tokio::test]
async fn a_second_node_on_the_same_data_dir_waits_then_names_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let first = Viva::start_in(data, &[]).await;
    let started = std::time::Instant::now();
    let out = support::run_to_exit(&["--data-dir", data, "--addr", "127.0.0.1:0"]).await;
    let waited = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("is in use by another process")
            && out.stderr.contains("another --data-dir"),
        "{}",
        out.stderr
    );
    assert!(
        waited >= std::time::Duration::from_secs(10),
        "gave up after {waited:?}"
    );
    // The first kept working all along; once it is gone (killed: nothing closed), a new
    // start takes the store over at once, even while the old process may still be exiting.
    let res = client().get(first.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    first.kill_9();
    let again = Viva::start_in(data, &[]).await;
    let res = client().get(again.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

/// Every error reaches the browser in one shape, with a message people can read (the recorder
/// used to show the first value of an externally tagged enum: "U" for Unauthorized).
#[tokio::test]
async fn errors_have_one_json_shape_with_a_message() {
    let v = Viva::start(&[]).await;
    // A server fn that needs a signed-in caller.
    let res = client()
        .post(v.url("/api/voice/status"))
        .header("origin", v.origin())
        .header("accept", "application/json")
        .form(&[("id", "abcdefghij0123456789"), ("position", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        json(res).await,
        serde_json::json!({"kind": "unauthorized", "message": "Please sign in to continue."})
    );
    // The segment upload route, refused before the multipart decoder runs.
    let res = client()
        .post(v.url(app::voice::model::UPLOAD_PATH))
        .header("origin", v.origin())
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let err = json(res).await;
    assert_eq!(err["kind"], "unauthorized", "{err}");
    assert_eq!(err["message"], "Please sign in to continue.", "{err}");
}

/// Found by fuzz/fuzz_targets/multipart.rs: a `Content-Type` that passed the upload routes'
/// check but whose boundary multer can't parse made server_fn panic ("couldn't parse
/// boundary"), so the connection dropped with no answer. Now it is refused with a 400 that says
/// what to send (the try-it upload needs no session, so anyone could send it).
#[tokio::test]
async fn an_upload_whose_boundary_cannot_be_read_is_refused() {
    let v = Viva::start(&[]).await;
    for content_type in [
        "multipart/form-databoundary=",
        "multipart/form-data;$boundary=\"x y\"",
    ] {
        let res = client()
            .post(v.url(app::interview::TRY_UPLOAD_PATH))
            .header("origin", v.origin())
            .header("content-type", content_type)
            .body("--x--\r\n")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{content_type}");
        let err = json(res).await;
        assert_eq!(err["kind"], "bad_request", "{err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("multipart/form-data"),
            "{err}"
        );
    }
}
