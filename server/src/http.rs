//! The HTTP surface: Leptos pages and server functions, operations endpoints, the site's
//! static files, and the middleware every response passes through.

use std::{sync::Arc, time::Duration};

use app::{shell, App, AppError};
use axum::{
    body::{to_bytes, Body},
    extract::{FromRef, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list_with_exclusions, LeptosRoutes};
use tower::ServiceBuilder;
use tower_http::{
    compression::{
        predicate::{NotForContentType, Predicate, SizeAbove},
        CompressionLayer,
    },
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{assets::Site, metrics::Metrics};

/// What the routes and the middleware share, behind one `Arc`: axum clones every route's
/// service stack (its layers and the handler with its state) for each request it serves, and
/// each `from_fn` layer clones the stack below it again, so a cached signed-in page cloned the
/// whole state about ten times (its options, strings and counters: 5 % of that page's CPU
/// time under `perf`). Now each of those clones is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub ctx: Arc<Contexts>,
    pub site: Site,
    pub metrics: Arc<Metrics>,
    pub security: Arc<Security>,
    pub instance_id: String,
    /// Peers whose X-Forwarded-For names the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<Vec<crate::net::Cidr>>,
    /// Origins a state-changing request may come from: the public URL's (and, when the public
    /// URL was not set, the loopback names of the bound port).
    pub origins: Arc<Vec<String>>,
    /// Bearer token for /metrics and the details of /readyz.
    pub metrics_token: Arc<String>,
    /// Set once the "proxy without --trusted-proxy" warning was logged.
    pub proxy_warned: Arc<std::sync::atomic::AtomicBool>,
    /// Whether the database answers (a server can go away; the embedded store cannot).
    pub db_health: crate::dbhealth::DbHealth,
}

/// What the app's features read from the server, each piece its own Leptos context (see
/// `app::request::expect`). This crate is the one place that knows every feature.
#[derive(Clone)]
pub struct Contexts {
    pub db: app::db::Db,
    pub clock: app::clock::Clock,
    pub site: app::request::Site,
    pub auth: app::auth::AuthState,
    pub mailer: app::mail::Mailer,
    pub evaluator: Arc<app::feedback::evaluator::Evaluator>,
    pub voice: app::voice::VoiceState,
    pub exports: app::privacy::export::Exports,
    /// What the settings say the site does, and the notice and terms written from it.
    pub installation: Arc<app::policy::Installation>,
    pub published: Arc<app::policy::Published>,
    /// Plans and payment providers (off by default).
    pub payments: app::billing::service::Payments,
    /// The style sheet's and the bundle's URLs (versioned when the site is built in).
    pub assets: app::shell::AssetUrls,
}

impl Contexts {
    /// Provides every piece for one request, and the CSP nonce the security middleware put in
    /// the request (so the hydration and theme scripts may run).
    pub fn provide(&self) {
        if let Some(parts) = use_context::<http::request::Parts>() {
            if let Some(n) = parts.extensions.get::<CspNonce>() {
                provide_context(leptos::nonce::Nonce::from_value(n.0.clone()));
            }
        }
        provide_context(self.db.clone());
        provide_context(self.clock.clone());
        provide_context(self.site.clone());
        provide_context(self.auth.clone());
        provide_context(self.mailer.clone());
        provide_context(self.evaluator.clone());
        provide_context(self.voice.clone());
        // The blob store on its own too: features below voice delete files with it.
        provide_context(self.voice.blobs.clone());
        provide_context(self.exports.clone());
        provide_context(self.installation.clone());
        provide_context(self.published.clone());
        provide_context(self.payments.clone());
        provide_context(self.assets.clone());
    }

    pub fn cookie_mode(&self) -> app::auth::tokens::CookieMode {
        app::auth::cookie_mode(&self.site)
    }
}

/// Named limits of the connection handling.
/// A client must send a request's whole header within this time, or the connection closes.
pub const HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// The longest a request may take (a hosted evaluation with its retries fits well inside).
pub const REQUEST_TIMEOUT_SECS: u64 = 180;

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}

/// What the security headers depend on.
pub struct Security {
    /// Served over TLS (the public URL is https): send HSTS.
    pub https: bool,
    /// `cargo leptos watch`: allow the live-reload websocket.
    pub reload_port: Option<u16>,
    /// Origins the Razorpay payment page may load from and frame (none without Razorpay).
    pub payment_origins: Vec<String>,
}

/// The per-request nonce that lets the hydration and theme scripts run under the CSP.
#[derive(Clone)]
pub struct CspNonce(pub String);

/// The multipart uploads, each with its own body limit (the rest take `--max-body-bytes`), and
/// whether it needs a signed-in caller (the try-it recording does not).
fn uploads() -> [(&'static str, usize, &'static str, bool); 4] {
    [
        (app::interview::resume::UPLOAD_PATH, app::interview::resume::UPLOAD_BODY_BYTES, "Send the resume as a multipart/form-data upload with a field named \"resume\".", true),
        (app::voice::model::UPLOAD_PATH, app::voice::model::UPLOAD_BODY_BYTES, "Send the segment as a multipart/form-data upload with the fields interview, position, seq, start, end and the WAV file audio.", true),
        (app::video::model::CHUNK_PATH, app::video::model::CHUNK_BODY_BYTES, "Send the chunk as a multipart/form-data upload with the fields interview, position, part, take, seq and the file chunk.", true),
        (app::interview::TRY_UPLOAD_PATH, app::voice::transcribe::TRY_UPLOAD_BYTES, "Send the recording as a multipart/form-data upload with the WAV file audio.", false),
    ]
}

pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    // The upload server functions get routes of their own (below), with their own limits.
    let routes = generate_route_list_with_exclusions(
        App,
        Some(uploads().iter().map(|(p, _, _, _)| p.to_string()).collect()),
    );
    let ctx = state.ctx.clone();
    // The state itself (one reference count), not a copy of its options: the shell's closure is
    // cloned with every route's stack (above).
    let shell_state = state.clone();
    let mut upload_routes = Router::<AppState>::new();
    for (path, limit, _, _) in uploads() {
        upload_routes = upload_routes.route(
            path,
            post(upload_server_fn).layer(RequestBodyLimitLayer::new(max_body_bytes.max(limit))),
        );
    }

    let pages = Router::<AppState>::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || ctx.provide(),
            move || shell(shell_state.leptos_options.clone()),
        )
        .route(
            &format!(
                "{}/{{interview}}/{{position}}/{{part}}",
                app::voice::model::RECORDING_PATH
            ),
            get(crate::files::recording),
        )
        .route(
            &format!(
                "{}/{{interview}}/{{position}}/{{part}}",
                app::video::model::PLAYBACK_PATH
            ),
            get(crate::files::video),
        )
        .route(
            &format!("{}/{{id}}", app::privacy::model::EXPORT_PATH),
            get(crate::files::export),
        )
        .route("/healthz", get(healthz))
        .route(
            crate::webhooks::STRIPE_PATH,
            post(crate::webhooks::stripe).layer(RequestBodyLimitLayer::new(
                crate::webhooks::WEBHOOK_MAX_BYTES,
            )),
        )
        .route(
            crate::webhooks::RAZORPAY_PATH,
            post(crate::webhooks::razorpay).layer(RequestBodyLimitLayer::new(
                crate::webhooks::WEBHOOK_MAX_BYTES,
            )),
        )
        .route(
            crate::webhooks::RAZORPAY_RETURN_PATH,
            post(crate::webhooks::razorpay_return),
        )
        .route("/auth/oidc/{provider}/start", get(oidc_start))
        .route("/auth/oidc/{provider}/callback", get(oidc_callback))
        .merge(test_routes())
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        // Request bodies up to --max-body-bytes: 413 on a larger Content-Length, an error
        // while reading past it.
        .layer(RequestBodyLimitLayer::new(max_body_bytes))
        .merge(upload_routes)
        .fallback(static_or_not_found)
        .with_state(state.clone());

    let db_gate = Arc::new(crate::dbhealth::Gate {
        health: state.db_health.clone(),
        cookies: state.ctx.cookie_mode(),
        stylesheet: state.ctx.assets.css.clone().into(),
    });
    pages.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }))
            .layer(middleware::from_fn_with_state(state.metrics.clone(), crate::metrics::track))
            .layer(middleware::from_fn_with_state(state.security.clone(), security_headers))
            // Pages rendered per request and server-function answers: gzip at its fastest level.
            // Brotli set up a fresh encoder's tables for each answer (a quarter of a signed-in
            // page's CPU time); the site's files and visitors' pages are brotli already,
            // compressed once (assets at build time, the page cache at first render).
            .layer(
                CompressionLayer::new()
                    .gzip(true)
                    .br(false)
                    .quality(tower_http::CompressionLevel::Fastest)
                    // ZIP downloads and recordings do not shrink: sent as they are (with their
                    // length, and byte ranges for the recordings).
                    .compress_when(
                        SizeAbove::new(COMPRESS_MIN_BYTES)
                            .and(NotForContentType::GRPC)
                            .and(NotForContentType::IMAGES)
                            .and(NotForContentType::SSE)
                            .and(NotForContentType::const_new("application/zip"))
                            .and(NotForContentType::const_new("audio/")),
                    ),
            )
            .layer(middleware::from_fn(server_fn_error_status))
            .layer(middleware::from_fn(request_timeout))
            .layer(middleware::from_fn_with_state(state.clone(), same_origin_only))
            // Before anything asks the database: 503 at once while it is away.
            .layer(middleware::from_fn_with_state(db_gate, crate::dbhealth::gate))
            .layer(middleware::from_fn_with_state(state.clone(), session_step))
            .layer(middleware::from_fn_with_state(
                Arc::new(crate::pagecache::Caches {
                    visitors: Default::default(),
                    members: Default::default(),
                    cookies: state.ctx.cookie_mode(),
                    clock: state.ctx.clock.clone(),
                }),
                crate::pagecache::serve,
            ))
            .layer(middleware::from_fn(render_to_the_end))
            .layer(middleware::from_fn(uploads_need_a_session)),
    )
}

/// Named limit: answers of a known size below this many bytes are sent uncompressed. They fit
/// in one packet either way, and each compressed answer sets up a fresh deflate state (a few
/// hundred KB of tables, zeroed): most server-function answers and errors are this small.
/// Streamed answers (pages) have no known size and are compressed.
pub const COMPRESS_MIN_BYTES: u16 = 1024;

/// Named limit: rendered pieces of a page held for a slow client before rendering waits.
pub const RENDER_BUFFER_CHUNKS: usize = 16;

/// A page is rendered to its end in a task of its own, whatever the client does. When a client
/// went away mid-page, dropping the render on the connection's thread while one of the page's
/// async parts was running on another tore down Leptos's owner tree under it: that worker
/// thread waited on a lock forever (seen under load as a server that no longer shut down).
/// Now the render always finishes, and its pieces go to the client while it is there.
async fn render_to_the_end(req: Request, next: Next) -> Response {
    use futures_util::StreamExt as _;
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !html {
        return res;
    }
    let (parts, body) = res.into_parts();
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<Result<axum::body::Bytes, axum::Error>>(RENDER_BUFFER_CHUNKS);
    tokio::spawn(async move {
        let mut pieces = body.into_data_stream();
        let mut client_here = true;
        while let Some(piece) = pieces.next().await {
            if client_here && tx.send(piece).await.is_err() {
                client_here = false;
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Response::from_parts(parts, Body::from_stream(stream))
}

/// An upload server function, on its own route (with its own body limit).
async fn upload_server_fn(State(s): State<AppState>, req: Request) -> Response {
    let ctx = s.ctx.clone();
    leptos_axum::handle_server_fns_with_context(move || ctx.provide(), req)
        .await
        .into_response()
}

/// The uploads need a signed-in caller (401 before a byte of the body is read) and a
/// multipart body with a boundary (400 with what to send instead).
async fn uploads_need_a_session(req: Request, next: Next) -> Response {
    let upload = uploads()
        .into_iter()
        .find(|(path, _, _, _)| req.uri().path() == *path);
    if let Some((_, _, how, signed_in)) =
        upload.filter(|_| req.method() == axum::http::Method::POST)
    {
        if signed_in
            && req
                .extensions()
                .get::<app::auth::service::Caller>()
                .is_none()
        {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(app::AppError::Unauthorized),
            )
                .into_response();
        }
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !app::request::is_multipart(ct) {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(app::AppError::BadRequest(how.to_string())),
            )
                .into_response();
        }
    }
    next.run(req).await
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// True when the request carries the operations token (`Authorization: Bearer TOKEN`),
/// compared in constant time.
fn has_ops_token(headers: &axum::http::HeaderMap, token: &str) -> bool {
    use subtle::ConstantTimeEq;
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| bool::from(given.trim().as_bytes().ct_eq(token.as_bytes())))
}

/// Ready: the database answers. 503 otherwise, so a load balancer stops sending traffic.
/// Anyone sees the status; the details (migrations, installation id, version) need the
/// operations token.
async fn readyz(State(s): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let db_ok = s.db_health.is_up()
        && tokio::time::timeout(crate::dbhealth::PING_TIMEOUT, app::db::ping(&s.ctx.db))
            .await
            .map(|r| r.is_ok())
            .unwrap_or(false);
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if !has_ops_token(&headers, &s.metrics_token) {
        return (status, Json(serde_json::json!({ "status": if db_ok { "ready" } else { "database not answering" } }))).into_response();
    }
    let versions = if db_ok {
        app::db::applied_migrations(&s.ctx.db)
            .await
            .map(|v| v.iter().map(|m| m.version).collect::<Vec<_>>())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let body = serde_json::json!({
        "status": if db_ok { "ready" } else { "database not answering" },
        "database": db_ok,
        "why": (!db_ok).then(|| s.db_health.why().unwrap_or_else(|| format!("no answer to a ping within {} s", crate::dbhealth::PING_TIMEOUT.as_secs()))),
        "migrations": versions,
        "instance": s.instance_id,
        "version": env!("CARGO_PKG_VERSION"),
    });
    (status, Json(body)).into_response()
}

/// Prometheus text, for whoever has the operations token.
async fn metrics(State(s): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if !has_ops_token(&headers, &s.metrics_token) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "Metrics need the operations token: Authorization: Bearer TOKEN (--metrics-token, or the file metrics-token in the data directory).").into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(),
    )
        .into_response()
}

/// Static files of the site, else the app's 404 page.
async fn static_or_not_found(State(s): State<AppState>, req: Request) -> Response {
    if req.method() == http::Method::GET || req.method() == http::Method::HEAD {
        if let Some(res) = s
            .site
            .serve(req.uri().path(), req.uri().query(), req.headers())
            .await
        {
            return res;
        }
    }
    let ctx = s.ctx.clone();
    let handler = leptos_axum::render_app_to_stream_with_context(
        move || ctx.provide(),
        move || shell(s.leptos_options.clone()),
    );
    let mut res = handler(req).await.into_response();
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::NOT_FOUND;
    }
    res
}

#[cfg(test)]
fn content_security_policy(nonce: &str, reload_port: Option<u16>) -> String {
    content_security_policy_with(&format!("'nonce-{nonce}'"), reload_port, &[])
}

/// The policy, with the sources that allow the page's inline scripts (its nonce, or the hashes
/// of a cached page's scripts) and the outside origins a page needs (only the Razorpay payment
/// page has any: its checkout script and the payment window it frames).
fn content_security_policy_with(
    scripts: &str,
    reload_port: Option<u16>,
    outside: &[String],
) -> String {
    let connect = match reload_port {
        Some(p) => format!("'self' ws://127.0.0.1:{p} ws://localhost:{p}"),
        None => "'self'".to_string(),
    };
    let extra: String = outside.iter().map(|o| format!(" {o}")).collect();
    let frames = if outside.is_empty() {
        String::new()
    } else {
        format!(" frame-src{extra};")
    };
    format!(
        "default-src 'self'; script-src 'self' {scripts} 'wasm-unsafe-eval'{extra}; style-src 'self'; \
         img-src 'self' data: blob:; font-src 'self'; connect-src {connect}{extra}; media-src 'self' blob:; \
         worker-src 'self' blob:; manifest-src 'self'; object-src 'none'; base-uri 'none';{frames} \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Security headers on every response, with a fresh CSP nonce per request.
async fn security_headers(
    State(sec): State<Arc<Security>>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let outside: &[String] = if req.uri().path() == "/account/billing/razorpay" {
        &sec.payment_origins
    } else {
        &[]
    };
    let outside = outside.to_vec();
    let mut res = next.run(req).await;
    // A page served from the page cache names its inline scripts by hash, not by this nonce.
    let scripts = match res.extensions().get::<crate::pagecache::CspScripts>() {
        Some(h) => h.0.to_string(),
        None => format!("'nonce-{nonce}'"),
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_security_policy_with(
        &scripts,
        sec.reload_port,
        &outside,
    )) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("microphone=(self), camera=(self), geolocation=(), payment=()"),
    );
    if sec.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Every page route and server function, for `viva routes` (and the authorisation matrix
/// test, which fails when a route has no entry).
pub fn route_table() -> Vec<String> {
    let mut out: Vec<String> = leptos_axum::generate_route_list(App)
        .iter()
        .map(|r| format!("PAGE {}", r.path()))
        .collect();
    out.extend(leptos::server_fn::axum::server_fn_paths().map(|(p, _)| format!("FN {p}")));
    out.sort();
    out.dedup();
    out
}

/// Paths that never need to know who is asking (no session lookup for them).
fn sessionless(path: &str) -> bool {
    path.starts_with("/pkg/")
        || matches!(
            path,
            "/healthz" | "/readyz" | "/metrics" | "/favicon.svg" | "/robots.txt"
        )
}

/// Who is asking: checks the access cookie, refreshes it transparently when it has expired,
/// and puts the caller in the request for server functions and pages.
async fn session_step(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    if sessionless(req.uri().path()) {
        return next.run(req).await;
    }
    let ip = client_ip(&req, &s);
    req.extensions_mut().insert(app::request::ClientIp(ip));
    let now = s.ctx.clock.now();
    let step = match app::auth::session::resolve(
        &s.ctx.db,
        &s.ctx.auth.keys,
        s.ctx.cookie_mode(),
        req.headers(),
        now,
    )
    .await
    {
        Ok(step) => step,
        Err(e) => return (e.status_code(), e.to_string()).into_response(),
    };
    let path = req.uri().path().to_string();
    let mut guard = page_guard(&path, step.caller.as_ref());
    // A changed notice or terms not accepted yet: member pages wait behind /accept (except
    // the ones to take one's data and leave).
    if let (PageGuard::Open, Some(c)) = (&guard, step.caller.as_ref()) {
        if app::shell::page_access(&path) != app::shell::Access::Public
            && !app::shell::open_while_policies_pending(&path)
            && app::auth::service::policies_pending(&s.ctx.db, c, now)
                .await
                .unwrap_or(false)
        {
            guard = PageGuard::AcceptFirst;
        }
    }
    // What a state-changing request of a signed-in person changed, their pages read afresh
    // (app::memo), on this node at once: forgotten once the request is done. Server functions
    // are all POSTs; the ones whose answers the memo keeps only read.
    let changes = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    ) && !app::memo::only_reads(req.uri().path());
    // Forgotten when this request is done, also when it is cancelled after its write (the
    // client went away, or the request timed out).
    let forget = ForgetAfter(
        step.caller
            .as_ref()
            .filter(|_| changes)
            .map(|c| c.user_id.clone()),
    );
    if let Some(caller) = step.caller {
        req.extensions_mut().insert(caller);
    }
    let mut res = match guard {
        PageGuard::Open => next.run(req).await,
        PageGuard::SignInFirst => {
            axum::response::Redirect::to(&format!("/signin?next={}", app::auth::url_encode(&path)))
                .into_response()
        }
        PageGuard::AcceptFirst => {
            axum::response::Redirect::to(&format!("/accept?next={}", app::auth::url_encode(&path)))
                .into_response()
        }
        // The page still renders (it explains), with the status that says "not for you".
        PageGuard::Forbidden => {
            let mut res = next.run(req).await;
            *res.status_mut() = StatusCode::FORBIDDEN;
            res
        }
    };
    drop(forget);
    for c in step.set_cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Forgets a person's kept reads when dropped (see `session_step`).
struct ForgetAfter(Option<String>);

impl Drop for ForgetAfter {
    fn drop(&mut self) {
        if let Some(user) = &self.0 {
            app::memo::forget(user);
        }
    }
}

#[derive(serde::Deserialize)]
struct OidcStartQuery {
    next: Option<String>,
}

/// Sends the browser to the provider, with a cookie that ties the login to this browser. A
/// signed-in browser (our page sent it here, so its session cookie came along) may link the
/// provider login to its account. Limited per client address (the session step set it).
async fn oidc_start(
    State(s): State<AppState>,
    axum::extract::Path(provider): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<OidcStartQuery>,
    caller: Option<axum::Extension<app::auth::service::Caller>>,
    ip: Option<axum::Extension<app::request::ClientIp>>,
) -> Response {
    use app::auth::oidc;
    let Some(p) = s.ctx.auth.oidc.iter().find(|p| p.id == provider) else {
        return (
            StatusCode::NOT_FOUND,
            "This sign-in provider is not set up here.",
        )
            .into_response();
    };
    let next = app::auth::safe_next(q.next.as_deref());
    let link_user = caller.as_ref().map(|c| c.user_id.as_str());
    let ip = ip.map_or_else(
        || "unknown".to_string(),
        |axum::Extension(app::request::ClientIp(ip))| ip,
    );
    match oidc::start(
        &s.ctx.db,
        p,
        &s.ctx.site.public_url,
        &next,
        link_user,
        &ip,
        s.ctx.clock.now(),
    )
    .await
    {
        Ok((url, state)) => {
            let cookie = oidc::state_cookie(s.ctx.cookie_mode(), &state, oidc::LOGIN_TTL_SECS);
            let mut res = axum::response::Redirect::to(&url).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => oidc_problem(e),
    }
}

/// The provider's redirect back: finish the login and set the session cookies. The answer is
/// a page that moves on by itself: our SameSite=Strict cookies are not sent on a redirect
/// chain that a provider's site started, but they are on a navigation from our own page.
async fn oidc_callback(
    State(s): State<AppState>,
    axum::extract::Path(provider): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<app::auth::oidc::CallbackQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    use app::auth::oidc;
    let Some(p) = s.ctx.auth.oidc.iter().find(|p| p.id == provider) else {
        return (
            StatusCode::NOT_FOUND,
            "This sign-in provider is not set up here.",
        )
            .into_response();
    };
    let (code, state) = match q.code_and_state() {
        Ok(cs) => cs,
        Err(e) => return oidc_problem(e),
    };
    let cookie_state =
        app::auth::session::cookie_value(&headers, oidc::state_cookie_name(s.ctx.cookie_mode()));
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let now = s.ctx.clock.now();
    match oidc::finish(
        &s.ctx.db,
        &s.ctx.auth.keys,
        p,
        &s.ctx.site.public_url,
        &code,
        &state,
        cookie_state.as_deref(),
        ua,
        now,
    )
    .await
    {
        Ok((tokens, next)) => {
            let next_html = next
                .replace('&', "&amp;")
                .replace('"', "&quot;")
                .replace('<', "&lt;");
            let body = format!(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={next_html}\">\
                 <title>Signed in · Viva</title></head><body><p>You are signed in. <a href=\"{next_html}\">Continue</a></p></body></html>"
            );
            let mut res = (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                body,
            )
                .into_response();
            let mode = s.ctx.cookie_mode();
            let clear_state = oidc::state_cookie(mode, "", 0);
            for c in app::auth::session::set_cookies(mode, &tokens)
                .iter()
                .chain(std::iter::once(&clear_state))
            {
                if let Ok(v) = HeaderValue::from_str(c) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Err(e) => oidc_problem(e),
    }
}

/// A plain page that says what went wrong with a provider sign-in, with the real status.
fn oidc_problem(e: AppError) -> Response {
    let msg = e.to_string().replace('&', "&amp;").replace('<', "&lt;");
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in problem · Viva</title></head>\
         <body><h1>We could not sign you in</h1><p role=\"alert\">{msg}</p><p><a href=\"/signin\">Back to sign in</a></p></body></html>"
    );
    let mut res = (
        e.status_code(),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    if let AppError::RateLimited(secs) = e {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

enum PageGuard {
    Open,
    SignInFirst,
    /// Signed in, but a changed notice or terms waits for acceptance.
    AcceptFirst,
    Forbidden,
}

/// Pages for signed-in people send others to sign in; admin pages answer 403 to non-admins.
/// (Their server functions check the caller too; this makes the page's status honest.)
fn page_guard(path: &str, caller: Option<&app::auth::service::Caller>) -> PageGuard {
    use app::shell::{page_access, Access};
    let access = page_access(path);
    let admin_page = access == Access::Admin;
    let member_page = access != Access::Public;
    match caller {
        None if member_page => PageGuard::SignInFirst,
        Some(c) if admin_page && c.role != app::auth::Role::Admin => PageGuard::Forbidden,
        _ => PageGuard::Open,
    }
}

/// The client's address for rate limits: the TCP peer, or what a trusted proxy says. Warns
/// once when the site is public (https) but requests come from a loopback proxy that nobody
/// declared: then every client shares one address, and one person's failures limit everyone.
fn client_ip(req: &Request, s: &AppState) -> String {
    let Some(peer) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".into();
    };
    if s.trusted_proxies.is_empty()
        && s.security.https
        && peer.is_loopback()
        && !s
            .proxy_warned
            .swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        tracing::warn!(
            "requests for the https public URL arrive from {peer}, a local proxy: without --trusted-proxy {peer} every client counts as that one address for rate limits (one person's failed sign-ins slow everyone down). Set --trusted-proxy and have the proxy set X-Forwarded-For"
        );
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    crate::net::client_ip(peer, forwarded, &s.trusted_proxies).to_string()
}

/// The origin (`scheme://host[:port]`, lower case, default ports left out) of a URL.
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let scheme = scheme.to_ascii_lowercase();
    let host = match (scheme.as_str(), host.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_string(),
        _ => host,
    };
    format!("{scheme}://{host}")
}

/// Refuses state-changing requests made by other sites (login CSRF included: SameSite keeps
/// cookies from being sent cross-site, not from being set). A request that is not GET, HEAD
/// or OPTIONS must come from one of the site's own origins: its `Origin` header must match;
/// without one, `Sec-Fetch-Site` must say same-origin (or none: typed by the person); with
/// neither, only a request no plain HTML form can make (a non-form content type) passes.
async fn same_origin_only(State(s): State<AppState>, req: Request, next: Next) -> Response {
    use axum::http::Method;
    // Razorpay's checkout posts its signed result from Razorpay's page: the signature, not the
    // origin, proves it (webhooks carry no Origin and a JSON body, so they pass below).
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.uri().path().starts_with("/__test/")
        || req.uri().path() == crate::webhooks::RAZORPAY_RETURN_PATH
    {
        return next.run(req).await;
    }
    let h = req.headers();
    let verdict = if let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        s.origins.iter().any(|o| *o == origin_of(origin))
    } else if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        matches!(site, "same-origin" | "none")
    } else {
        let ct = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let form_like = ct.is_empty()
            || ct.starts_with("application/x-www-form-urlencoded")
            || ct.starts_with("multipart/form-data")
            || ct.starts_with("text/plain");
        !form_like
    };
    if verdict {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), origin = ?h.get(header::ORIGIN), "cross-site request refused");
    let err = AppError::BadRequest("This request came from another site, so it was refused. Open this site's own page and try again.".into());
    (StatusCode::FORBIDDEN, Json(err)).into_response()
}

/// Ends a request that takes longer than [`REQUEST_TIMEOUT_SECS`] with 503.
async fn request_timeout(req: Request, next: Next) -> Response {
    match tokio::time::timeout(Duration::from_secs(REQUEST_TIMEOUT_SECS), next.run(req)).await {
        Ok(res) => res,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The request took too long and was stopped. Please try again.",
        )
            .into_response(),
    }
}

/// Test builds only: `POST /__test/clock/advance?secs=N` moves the server's clock.
#[cfg(feature = "test-clock")]
fn test_routes() -> Router<AppState> {
    use axum::{extract::Query, routing::post};
    #[derive(serde::Deserialize)]
    struct Advance {
        secs: i64,
    }
    Router::new().route(
        "/__test/clock/advance",
        post(
            |State(s): State<AppState>, Query(a): Query<Advance>| async move {
                s.ctx.clock.advance(a.secs);
                s.ctx.clock.now().to_string()
            },
        ),
    )
}

#[cfg(not(feature = "test-clock"))]
fn test_routes() -> Router<AppState> {
    Router::new()
}

/// Server functions answer every error with 500; give typed errors their real status
/// (400 for bad input, 401, 403, 404, 429), keeping the body the browser decodes.
async fn server_fn_error_status(req: Request, next: Next) -> Response {
    const MAX_ERROR_BODY: usize = 64 * 1024;
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "error body too large").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = err.status_code();
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reads_the_memo_keeps_are_server_functions_of_the_app() {
        let routes = route_table();
        for r in app::memo::Read::ALL {
            let route = format!("FN /api/{}", r.endpoint());
            assert!(routes.contains(&route), "{route} is not a route");
            assert!(app::memo::only_reads(&route[3..]));
        }
        assert!(!app::memo::only_reads("/api/interview/save_profile"));
        assert!(!app::memo::only_reads("/api/auth/me/x"));
    }

    #[test]
    fn origins_compare_without_default_ports_or_case() {
        assert_eq!(
            origin_of("https://Viva.Example.org:443/path"),
            "https://viva.example.org"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
        assert_eq!(origin_of("http://[::1]:80"), "http://[::1]");
        assert_ne!(
            origin_of("https://viva.example.org.evil.test"),
            "https://viva.example.org"
        );
        assert!(has_ops_token(
            &[(
                header::AUTHORIZATION,
                HeaderValue::from_static("Bearer abc")
            )]
            .into_iter()
            .collect(),
            "abc"
        ));
        assert!(!has_ops_token(
            &[(
                header::AUTHORIZATION,
                HeaderValue::from_static("Bearer abd")
            )]
            .into_iter()
            .collect(),
            "abc"
        ));
    }

    #[test]
    fn csp_allows_only_self_and_the_nonce() {
        let csp = content_security_policy("abc", None);
        assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(!csp.contains("'unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(content_security_policy("n", Some(3001)).contains("ws://127.0.0.1:3001"));
    }
}
