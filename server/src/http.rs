//! The HTTP surface: Leptos pages and server functions, operations endpoints, the site's
//! static files, and the middleware every response passes through.

use std::{sync::Arc, time::Duration};

use app::{server_context::ServerContext, shell, App, AppError};
use axum::{
    body::{to_bytes, Body},
    extract::{FromRef, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{assets::Site, metrics::Metrics};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub ctx: ServerContext,
    pub site: Site,
    pub metrics: Arc<Metrics>,
    pub security: Arc<Security>,
    pub instance_id: String,
}

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
}

/// The per-request nonce that lets the hydration and theme scripts run under the CSP.
#[derive(Clone)]
pub struct CspNonce(pub String);

pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let routes = generate_route_list(App);
    let ctx = state.ctx.clone();
    let opts = state.leptos_options.clone();

    let pages = Router::<AppState>::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(ctx.clone());
                // Use the nonce the security middleware put in the CSP header.
                if let Some(parts) = use_context::<http::request::Parts>() {
                    if let Some(n) = parts.extensions.get::<CspNonce>() {
                        provide_context(leptos::nonce::Nonce::from_value(n.0.clone()));
                    }
                }
            },
            move || shell(opts.clone()),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(static_or_not_found)
        .with_state(state.clone());

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
            .layer(CompressionLayer::new().gzip(true).br(true))
            .layer(middleware::from_fn(server_fn_error_status))
            .layer(RequestBodyLimitLayer::new(max_body_bytes)),
    )
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the database answers. 503 otherwise, so a load balancer stops sending traffic.
async fn readyz(State(s): State<AppState>) -> Response {
    let db_ok = tokio::time::timeout(Duration::from_secs(2), app::db::ping(&s.ctx.db)).await.map(|r| r.is_ok()).unwrap_or(false);
    let versions = app::db::applied_migrations(&s.ctx.db).await.map(|v| v.iter().map(|m| m.version).collect::<Vec<_>>()).unwrap_or_default();
    let body = serde_json::json!({
        "status": if db_ok { "ready" } else { "database not answering" },
        "database": db_ok,
        "migrations": versions,
        "instance": s.instance_id,
        "version": env!("CARGO_PKG_VERSION"),
    });
    let status = if db_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

async fn metrics(State(s): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], s.metrics.render()).into_response()
}

/// Static files of the site, else the app's 404 page.
async fn static_or_not_found(State(s): State<AppState>, req: Request) -> Response {
    if req.method() == http::Method::GET || req.method() == http::Method::HEAD {
        if let Some(res) = s.site.serve(req.uri().path(), req.headers()).await {
            return res;
        }
    }
    let ctx = s.ctx.clone();
    let opts = s.leptos_options.clone();
    let handler = leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(ctx.clone());
            if let Some(parts) = use_context::<http::request::Parts>() {
                if let Some(n) = parts.extensions.get::<CspNonce>() {
                    provide_context(leptos::nonce::Nonce::from_value(n.0.clone()));
                }
            }
        },
        move || shell(opts.clone()),
    );
    let mut res = handler(req).await.into_response();
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::NOT_FOUND;
    }
    res
}

fn content_security_policy(nonce: &str, reload_port: Option<u16>) -> String {
    let connect = match reload_port {
        Some(p) => format!("'self' ws://127.0.0.1:{p} ws://localhost:{p}"),
        None => "'self'".to_string(),
    };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: blob:; font-src 'self'; connect-src {connect}; media-src 'self' blob:; \
         worker-src 'self' blob:; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Security headers on every response, with a fresh CSP nonce per request.
async fn security_headers(State(sec): State<Arc<Security>>, mut req: Request, next: Next) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_security_policy(&nonce, sec.reload_port)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("microphone=(self), camera=(self), geolocation=(), payment=()"));
    if sec.https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    res
}

/// Server functions answer every error with 500; give typed errors their real status
/// (400 for bad input, 401, 403, 404, 429), keeping the body the browser decodes.
async fn server_fn_error_status(req: Request, next: Next) -> Response {
    const MAX_ERROR_BODY: usize = 64 * 1024;
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR || !res.headers().contains_key("serverfnerror") {
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
    fn csp_allows_only_self_and_the_nonce() {
        let csp = content_security_policy("abc", None);
        assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(!csp.contains("'unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(content_security_policy("n", Some(3001)).contains("ws://127.0.0.1:3001"));
    }
}
