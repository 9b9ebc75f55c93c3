//! Whether the database answers. A SurrealDB server can go away while Viva runs (a restart, a
//! network fault); the client then waits for it to come back, and every query waits with it.
//! A watcher asks the database every [`PING_EVERY`]; while it does not answer within
//! [`PING_TIMEOUT`], pages and server functions answer 503 at once with a sentence saying so
//! (a request already waiting on the database gets the same answer), `/readyz` says why, and
//! the browser keeps its queued speech segments until uploads are taken again. The site's
//! files, visitors' cached pages and the ops endpoints keep working. When the database answers
//! again, so does everything else: nothing to restart.
//!
//! The embedded store lives in this process and cannot go away: no watcher, always up.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use tokio::sync::watch;

/// How often the watcher asks the database.
pub const PING_EVERY: Duration = Duration::from_secs(1);
/// A database that takes longer than this to answer `RETURN 1` counts as down.
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);
/// What a 503 asks clients to wait before they try again, in seconds.
pub const RETRY_AFTER_SECS: u64 = 5;

/// The sentence people read while the database is away.
pub const DOWN_MESSAGE: &str = "Viva cannot reach its database just now, so this could not be done. Nothing you already saved is lost, and recorded answers wait on your device until they can be sent.";

#[derive(Clone)]
pub struct DbHealth {
    up: watch::Receiver<bool>,
    detail: Arc<Mutex<Option<Down>>>,
}

#[derive(Clone)]
struct Down {
    since: Instant,
    reason: String,
}

impl DbHealth {
    /// Always up: the embedded store.
    pub fn always_up() -> DbHealth {
        let (tx, up) = watch::channel(true);
        // The receiver alone keeps the channel readable; the sender is not needed.
        drop(tx);
        DbHealth {
            up,
            detail: Arc::new(Mutex::new(None)),
        }
    }

    /// Starts the watcher of a database server.
    pub fn watch(db: app::db::Db) -> DbHealth {
        let (tx, up) = watch::channel(true);
        let detail: Arc<Mutex<Option<Down>>> = Arc::new(Mutex::new(None));
        let note = detail.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PING_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let answer = tokio::time::timeout(PING_TIMEOUT, app::db::ping(&db)).await;
                let reason = match answer {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e.to_string()),
                    Err(_) => Some(format!("no answer within {} s", PING_TIMEOUT.as_secs())),
                };
                let was_up = *tx.borrow();
                match reason {
                    None if !was_up => {
                        let down_for = note
                            .lock()
                            .unwrap()
                            .take()
                            .map(|d| d.since.elapsed().as_secs())
                            .unwrap_or(0);
                        tracing::info!(down_for_secs = down_for, "the database answers again");
                        tx.send_replace(true);
                    }
                    Some(reason) if was_up => {
                        tracing::error!(%reason, "the database does not answer: pages and server functions answer 503 until it does");
                        *note.lock().unwrap() = Some(Down {
                            since: Instant::now(),
                            reason,
                        });
                        tx.send_replace(false);
                    }
                    Some(reason) => {
                        if let Some(d) = note.lock().unwrap().as_mut() {
                            d.reason = reason;
                        }
                    }
                    None => {}
                }
            }
        });
        DbHealth { up, detail }
    }

    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    /// Why it is down, for whoever holds the operations token: what the last try said and for
    /// how long.
    pub fn why(&self) -> Option<String> {
        self.detail.lock().unwrap().as_ref().map(|d| {
            format!(
                "no answer from the database for {} s: {}",
                d.since.elapsed().as_secs(),
                d.reason
            )
        })
    }

    /// Resolves when the database is seen down.
    async fn goes_down(&self) {
        let mut up = self.up.clone();
        // An error means the watcher is gone (the embedded store): never down.
        if up.wait_for(|u| !*u).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// What needs no database besides visitors' cached pages: the site's files (a name with an
/// extension) and the ops endpoints.
fn needs_no_database(req: &Request) -> bool {
    let path = req.uri().path();
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    matches!(path, "/healthz" | "/readyz" | "/metrics")
        || (get
            && path
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains('.')))
}

/// The gate's state.
#[derive(Clone)]
pub struct Gate {
    pub health: DbHealth,
    /// The session cookies' names: a visitor's public page (no session) is answered by the
    /// page cache with no database, so it passes while the database is down.
    pub cookies: app::auth::tokens::CookieMode,
    /// The site's style sheet, for the page that says the database is away.
    pub stylesheet: Arc<str>,
}

/// The middleware: 503 at once while the database is down; a request that was already
/// waiting on it when it went away gets the same answer instead of waiting with it.
pub async fn gate(State(g): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let cookie_names = [g.cookies.access_name(), g.cookies.refresh_name()];
    if needs_no_database(&req) || crate::pagecache::cacheable(&req, cookie_names).is_some() {
        return next.run(req).await;
    }
    let page = wants_page(&req).then_some(&*g.stylesheet);
    if !g.health.is_up() {
        return unavailable(page);
    }
    tokio::select! {
        res = next.run(req) => res,
        _ = g.health.goes_down() => unavailable(page),
    }
}

/// A browser navigating (a page) rather than a server function call.
fn wants_page(req: &Request) -> bool {
    req.method() == Method::GET
        && !req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_none_or(|a| a.contains("text/html") || a.contains("*/*"))
}

/// 503: the app's error for a server function call, a page (with the site's style sheet) for a
/// browser that navigated here.
fn unavailable(page: Option<&str>) -> Response {
    let retry = [(header::RETRY_AFTER, RETRY_AFTER_SECS.to_string())];
    let Some(stylesheet) = page else {
        let err = app::AppError::Unavailable(format!("{DOWN_MESSAGE} Try again in a minute."));
        return (StatusCode::SERVICE_UNAVAILABLE, retry, Json(err)).into_response();
    };
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"{RETRY_AFTER_SECS}\"><title>Back in a moment · Viva</title>\
         <link rel=\"stylesheet\" href=\"{stylesheet}\"></head>\
         <body><main class=\"container prose\"><h1>Back in a moment</h1><p>{DOWN_MESSAGE}</p>\
         <p>This page tries again by itself every {RETRY_AFTER_SECS} seconds.</p></main></body></html>"
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        retry,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, path: &str) -> Request {
        Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn files_and_ops_endpoints_need_no_database_pages_and_calls_do() {
        assert!(needs_no_database(&req(Method::GET, "/pkg/viva.wasm")));
        assert!(needs_no_database(&req(Method::GET, "/voice/recorder.js")));
        assert!(needs_no_database(&req(Method::GET, "/readyz")));
        assert!(!needs_no_database(&req(Method::GET, "/practice")));
        assert!(!needs_no_database(&req(Method::POST, "/api/auth/me")));
        assert!(!needs_no_database(&req(Method::POST, "/voice/x.js")));
    }

    #[test]
    fn a_page_gets_html_and_a_call_gets_the_apps_error() {
        let page = unavailable(Some("/pkg/viva.css"));
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(page.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert_eq!(page.headers()[header::RETRY_AFTER], "5");
        let call = unavailable(None);
        assert_eq!(call.headers()[header::CONTENT_TYPE], "application/json");
        assert!(!wants_page(&req(Method::POST, "/api/auth/me")));
        assert!(wants_page(&req(Method::GET, "/practice")));
    }
}
