//! Pages served from memory, rendered once and sent many times.
//!
//! **A visitor's pages.** What a visitor (no session cookie) sees on the landing page, the
//! privacy notice, the terms, sign-in, sign-up and contact depends only on this version of Viva
//! and its settings, both fixed while the process runs (the notice and terms are published at
//! start). So the first visit renders the page; later ones get the same bytes — already
//! compressed with brotli and gzip, with an ETag (304 when the browser has them).
//!
//! **A signed-in person's pages.** [`MEMBER_PAGES`] are made of the caller the session step
//! resolved, the installation's fixed settings, and reads the node keeps for that person
//! (`app::memo`). The page rendered from them is kept for that person under the memo's
//! [`app::memo::Stamp`]: whatever forgets their reads (a state-changing request of theirs,
//! work done for them in the background, the end of a session; anyone's role changed, which
//! the dashboard shows) changes the stamp, and the next load renders afresh. At most
//! [`app::memo::MEMO_SECS`] old besides. Only while the memo is on (the embedded store); kept
//! with gzip only (a page lives seconds, not a release).
//!
//! Inline scripts of a page served many times cannot carry a per-request nonce: the
//! Content-Security-Policy of these responses names each inline script by its SHA-256 instead
//! (see [`CspScripts`]).

use std::{
    collections::HashMap,
    io::Write,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The pages served from this cache (a visitor's view, without a query string).
pub const CACHED_PAGES: &[&str] = &["/", "/privacy", "/terms", "/signin", "/signup", "/contact"];

/// A signed-in person's pages kept for them (without a query string): each reads only what
/// `app::memo` keeps, and what the whole node forgets at once (`app::memo::forget_everyone`:
/// the dashboard's offer of the admin role, gone from everyone's page when a role changes).
/// A page added here must read nothing else (see the module doc).
pub const MEMBER_PAGES: &[&str] = &["/practice", "/history", "/dashboard"];

/// Named limit: a rendered page larger than this is served but not kept.
pub const MAX_CACHED_PAGE_BYTES: usize = 1 << 20;

/// Named limit: the largest page sent through the cache (a 500 above it; the largest history
/// page, a thousand interviews, is about half a megabyte).
pub const MAX_RENDERED_PAGE_BYTES: usize = 8 << 20;

/// Named limit: signed-in people's pages a node keeps at once. When full, the ones older than
/// `MEMO_SECS` are let go, and if that frees nothing, all of them.
pub const MEMBER_PAGES_MAX: usize = 4_096;

/// Named limit: a signed-in person's page larger than this is served but not kept.
pub const MAX_MEMBER_PAGE_BYTES: usize = 256 * 1024;

/// Pages answered from memory and rendered, since the start (`/metrics`): visitors' pages,
/// then signed-in people's.
static COUNTS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
const VISITOR_KEPT: usize = 0;
const VISITOR_RENDERED: usize = 1;
const MEMBER_KEPT: usize = 2;
const MEMBER_RENDERED: usize = 3;

/// `(who, from, count)` for `/metrics`: who is "visitor" or "member", from "memory" or "render".
pub fn counts() -> [(&'static str, &'static str, u64); 4] {
    let n = |i: usize| COUNTS[i].load(Ordering::Relaxed);
    [
        ("visitor", "memory", n(VISITOR_KEPT)),
        ("visitor", "render", n(VISITOR_RENDERED)),
        ("member", "memory", n(MEMBER_KEPT)),
        ("member", "render", n(MEMBER_RENDERED)),
    ]
}

fn count(which: usize) {
    COUNTS[which].fetch_add(1, Ordering::Relaxed);
}

/// The `script-src` sources that allow a cached page's inline scripts (their hashes), put on
/// the response for the security headers to use instead of the request's nonce.
#[derive(Clone)]
pub struct CspScripts(pub Arc<str>);

struct Page {
    etag: HeaderValue,
    identity: axum::body::Bytes,
    gzip: axum::body::Bytes,
    /// Empty for a signed-in person's page.
    brotli: axum::body::Bytes,
    scripts: CspScripts,
    cache_control: &'static str,
}

/// A visitor's pages, one slot each, filled by the first request for it. Requests that arrive
/// while it renders wait for that render instead of starting their own: a burst of first visits
/// (a link shared, a restart under load) costs one render and one compression, not one each
/// (32 at once used to take a core for over a second on `/privacy`: `bench/pages.sh`).
#[derive(Clone)]
pub struct PageCache(Arc<[(&'static str, Slot)]>);

/// One visitor's page: empty until its first render is kept.
type Slot = tokio::sync::OnceCell<Arc<Page>>;

impl Default for PageCache {
    fn default() -> Self {
        PageCache(CACHED_PAGES.iter().map(|p| (*p, Slot::new())).collect())
    }
}

impl PageCache {
    fn slot(&self, path: &str) -> Option<&Slot> {
        self.0.iter().find(|(p, _)| *p == path).map(|(_, s)| s)
    }
}

/// A page kept for one person: made under `stamp` at `made` (the server's clock).
struct Kept {
    stamp: app::memo::Stamp,
    made: i64,
    page: Arc<Page>,
}

impl Kept {
    fn fresh(&self, stamp: app::memo::Stamp, now: i64) -> bool {
        self.stamp == stamp && (self.made..self.made + app::memo::MEMO_SECS).contains(&now)
    }
}

/// Signed-in people's pages, by person and page; and when the stale ones were last let go.
#[derive(Clone, Default)]
pub struct MemberPages(Arc<Mutex<MemberMap>>);

#[derive(Default)]
struct MemberMap {
    pages: HashMap<(String, &'static str), Kept>,
    swept: i64,
}

impl MemberPages {
    fn get(
        &self,
        user: &str,
        path: &'static str,
        stamp: app::memo::Stamp,
        now: i64,
    ) -> Option<Arc<Page>> {
        let mut m = self.0.lock().ok()?;
        let key = (user.to_string(), path);
        match m.pages.get(&key) {
            Some(k) if k.fresh(stamp, now) => Some(k.page.clone()),
            Some(_) => {
                m.pages.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Keeps a page. Pages no longer fresh are let go every `MEMO_SECS` (a deleted account's
    /// pages do not stay in memory), and all of them if the map is full of fresh ones.
    fn put(&self, user: &str, path: &'static str, kept: Kept) {
        let Ok(mut m) = self.0.lock() else {
            return;
        };
        let now = kept.made;
        if m.pages.len() >= MEMBER_PAGES_MAX || now - m.swept >= app::memo::MEMO_SECS {
            m.pages
                .retain(|_, k| (k.made..k.made + app::memo::MEMO_SECS).contains(&now));
            m.swept = now;
            if m.pages.len() >= MEMBER_PAGES_MAX {
                m.pages.clear();
            }
        }
        m.pages.insert((user.to_string(), path), kept);
    }
}

/// What the page cache middleware needs.
#[derive(Clone)]
pub struct Caches {
    pub visitors: PageCache,
    pub members: MemberPages,
    pub cookies: app::auth::tokens::CookieMode,
    pub clock: app::clock::Clock,
}

/// Whether this request sees the visitor's page: GET or HEAD of a cached page, no query, and
/// no session cookie (a signed-in person's menu differs; an expired session gets its cookies
/// refreshed or cleared, which a cached answer would not do).
pub(crate) fn cacheable(req: &Request, cookie_names: [&str; 2]) -> Option<&'static str> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return None;
    }
    if req.uri().query().is_some() {
        return None;
    }
    let path = CACHED_PAGES.iter().find(|p| **p == req.uri().path())?;
    let has_session = cookie_names
        .iter()
        .any(|n| app::auth::session::cookie_value(req.headers(), n).is_some_and(|v| !v.is_empty()));
    (!has_session).then_some(*path)
}

/// Whether this request is for one of [`MEMBER_PAGES`] by a signed-in caller (the session step
/// put them in the request), as a plain GET: whose page, and which.
pub(crate) fn member_cacheable(req: &Request) -> Option<(String, &'static str)> {
    if req.method() != Method::GET || req.uri().query().is_some() {
        return None;
    }
    let path = MEMBER_PAGES.iter().find(|p| **p == req.uri().path())?;
    let caller = req.extensions().get::<app::auth::service::Caller>()?;
    Some((caller.user_id.clone(), *path))
}

/// The middleware: answers from the cache, or renders, keeps and answers.
pub async fn serve(
    axum::extract::State(c): axum::extract::State<Arc<Caches>>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(path) = cacheable(&req, [c.cookies.access_name(), c.cookies.refresh_name()]) {
        return visitor_page(&c.visitors, path, req, next).await;
    }
    if let Some((user, path)) = member_cacheable(&req) {
        return member_page(&c, &user, path, req, next).await;
    }
    next.run(req).await
}

async fn visitor_page(cache: &PageCache, path: &'static str, req: Request, next: Next) -> Response {
    let Some(slot) = cache.slot(path) else {
        return next.run(req).await;
    };
    let encoding = accepted(req.headers());
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let head = req.method() == Method::HEAD;
    if let Some(page) = slot.get() {
        count(VISITOR_KEPT);
        return page.respond(encoding, if_none_match.as_ref(), head);
    }
    // Rendered (and kept) only for a GET: a HEAD has no body to keep.
    if head {
        return next.run(req).await;
    }
    // This request renders the page unless another already is: then it waits for that one's
    // page (or, if that answer could not be kept, renders in its turn).
    let mut rendered_here = false;
    let kept = slot
        .get_or_try_init(|| {
            rendered_here = true;
            async move {
                let (bytes, nonce) = render_to_keep(req, next, MAX_CACHED_PAGE_BYTES).await?;
                // Brotli at its best takes tens of milliseconds: off the async workers, which
                // keep answering meanwhile.
                tokio::task::spawn_blocking(move || Arc::new(Page::for_visitors(bytes, &nonce)))
                    .await
                    .map_err(|_| {
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "The page could not be prepared.",
                        )
                            .into_response()
                    })
            }
        })
        .await;
    count(if rendered_here {
        VISITOR_RENDERED
    } else {
        VISITOR_KEPT
    });
    match kept {
        Ok(page) => page.respond(encoding, if_none_match.as_ref(), head),
        Err(res) => res,
    }
}

async fn member_page(
    c: &Caches,
    user: &str,
    path: &'static str,
    req: Request,
    next: Next,
) -> Response {
    // Read before rendering: a forget while the page renders leaves it under an old stamp.
    let Some(stamp) = app::memo::stamp(user) else {
        return next.run(req).await;
    };
    let now = c.clock.now();
    let encoding = accepted(req.headers());
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    if let Some(page) = c.members.get(user, path, stamp, now) {
        count(MEMBER_KEPT);
        return page.respond(encoding, if_none_match.as_ref(), false);
    }
    count(MEMBER_RENDERED);
    let page = match render_to_keep(req, next, MAX_MEMBER_PAGE_BYTES).await {
        Ok((bytes, nonce)) => Arc::new(Page::for_member(bytes, &nonce)),
        Err(res) => return res,
    };
    c.members.put(
        user,
        path,
        Kept {
            stamp,
            made: now,
            page: page.clone(),
        },
    );
    page.respond(encoding, if_none_match.as_ref(), false)
}

/// A fresh nonce for the render of a page to be kept: its scripts carry it, and the policy of
/// every answer with the page names those scripts by hash — only those (the nonce itself is
/// never in a policy, and content that is not the page's own cannot guess it).
/// Renders the page with it: its body and the nonce, for the caller to make the page to keep
/// (or the answer to send as it is, see [`rendered`]).
async fn render_to_keep(
    mut req: Request,
    next: Next,
    limit: usize,
) -> Result<(axum::body::Bytes, String), Response> {
    let nonce = leptos::nonce::Nonce::new().to_string();
    req.extensions_mut()
        .insert(crate::http::CspNonce(nonce.clone()));
    let bytes = rendered(next.run(req).await, limit, &nonce).await?;
    Ok((bytes, nonce))
}

/// The body of a page rendered to be kept; any other answer (not 200, setting a cookie, too
/// large to keep) is sent as it is, its inline scripts allowed by hash (they carry the shared
/// nonce, which the policy does not name).
async fn rendered(res: Response, limit: usize, nonce: &str) -> Result<axum::body::Bytes, Response> {
    let (parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_RENDERED_PAGE_BYTES).await else {
        return Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            "The page was too large to send.",
        )
            .into_response());
    };
    if parts.status == StatusCode::OK
        && !parts.headers.contains_key(header::SET_COOKIE)
        && bytes.len() <= limit
    {
        return Ok(bytes);
    }
    let scripts = CspScripts(inline_script_hashes(&bytes, nonce).into());
    let mut res = Response::from_parts(parts, Body::from(bytes));
    res.extensions_mut().insert(scripts);
    Err(res)
}

/// The encodings a client accepts, of those a kept page has.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Accepts {
    brotli: bool,
    gzip: bool,
}

fn accepted(h: &axum::http::HeaderMap) -> Accepts {
    let accept = h
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let offered = |enc: &str| {
        accept.split(',').any(|p| {
            let mut it = p.trim().split(';');
            it.next() == Some(enc)
                && !it.any(|q| matches!(q.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"))
        })
    };
    Accepts {
        brotli: offered("br"),
        gzip: offered("gzip"),
    }
}

impl Page {
    /// The same for every visitor: compressed as small as it gets, once per process.
    fn for_visitors(identity: axum::body::Bytes, nonce: &str) -> Page {
        let mut brotli = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut brotli, 4096, 11, 22);
            let _ = w.write_all(&identity);
        }
        Page::new(
            identity,
            nonce,
            flate2::Compression::best(),
            brotli,
            "no-cache",
        )
    }

    /// One person's: kept seconds, so compressed quickly, and never by a shared cache.
    fn for_member(identity: axum::body::Bytes, nonce: &str) -> Page {
        Page::new(
            identity,
            nonce,
            flate2::Compression::fast(),
            Vec::new(),
            "private, no-cache",
        )
    }

    fn new(
        identity: axum::body::Bytes,
        nonce: &str,
        level: flate2::Compression,
        brotli: Vec<u8>,
        cache_control: &'static str,
    ) -> Page {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), level);
        let gzip = gz
            .write_all(&identity)
            .and_then(|_| gz.finish())
            .unwrap_or_default();
        let etag = HeaderValue::from_str(&format!("\"p{:016x}\"", app::ids::fnv1a(0, &identity)))
            .unwrap_or(HeaderValue::from_static("\"p\""));
        Page {
            etag,
            scripts: CspScripts(inline_script_hashes(&identity, nonce).into()),
            gzip: gzip.into(),
            brotli: brotli.into(),
            identity,
            cache_control,
        }
    }

    fn respond(&self, enc: Accepts, if_none_match: Option<&HeaderValue>, head: bool) -> Response {
        let mut b = Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::VARY, "Accept-Encoding, Cookie")
            // Always checked with the server (cheap: 304); a person's page is theirs alone.
            .header(header::CACHE_CONTROL, self.cache_control)
            .header(header::ETAG, self.etag.clone());
        let not_modified = if_none_match.is_some_and(|v| {
            v.to_str()
                .map(|s| {
                    s.split(',')
                        .any(|t| t.trim() == self.etag.to_str().unwrap_or(""))
                })
                .unwrap_or(false)
        });
        // Brotli, else gzip, else as it is: only what the client accepts and the page has.
        let (body, coding) = if enc.brotli && !self.brotli.is_empty() {
            (self.brotli.clone(), Some("br"))
        } else if enc.gzip && !self.gzip.is_empty() {
            (self.gzip.clone(), Some("gzip"))
        } else {
            (self.identity.clone(), None)
        };
        if let Some(c) = coding {
            b = b.header(header::CONTENT_ENCODING, c);
        }
        let mut res = if not_modified {
            b.status(StatusCode::NOT_MODIFIED).body(Body::empty())
        } else {
            b.header(header::CONTENT_LENGTH, body.len()).body(if head {
                Body::empty()
            } else {
                Body::from(body)
            })
        }
        .unwrap_or_else(|_| Response::new(Body::empty()));
        res.extensions_mut().insert(self.scripts.clone());
        res
    }
}

/// `'sha256-…'` of every inline `<script>` in the page (those without `src`) that carries the
/// render's `nonce`, space-separated.
pub fn inline_script_hashes(html: &[u8], nonce: &str) -> String {
    let marker = format!(" nonce=\"{nonce}\"");
    use base64::Engine as _;
    use sha2::Digest as _;
    let text = String::from_utf8_lossy(html);
    let mut out = Vec::new();
    let mut rest = &text[..];
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_start = &after[tag_end + 1..];
        let Some(close) = body_start.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") && tag.contains(&marker) {
            let digest = sha2::Sha256::digest(&body_start.as_bytes()[..close]);
            let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
            let source = format!("'sha256-{b64}'");
            if !out.contains(&source) {
                out.push(source);
            }
        }
        rest = &body_start[close + "</script>".len()..];
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_the_renders_own_inline_scripts_only() {
        let html = br#"<head><script nonce="x">let a=1;</script><script nonce="x" src="/a.js"></script><script type="module" nonce="x">go()</script><script>alert(1)</script><script nonce="y">alert(2)</script></head>"#;
        let h = inline_script_hashes(html, "x");
        use base64::Engine as _;
        use sha2::Digest as _;
        let want = |s: &str| {
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD
                    .encode(sha2::Sha256::digest(s.as_bytes()))
            )
        };
        assert_eq!(h, format!("{} {}", want("let a=1;"), want("go()")));
    }

    #[test]
    fn sends_brotli_then_gzip_as_accepted_and_honours_q0() {
        let visitors = Page::for_visitors(axum::body::Bytes::from_static(b"<p>hello</p>"), "n");
        let member = Page::for_member(axum::body::Bytes::from_static(b"<p>hello</p>"), "n");
        let coding = |page: &Page, accept: Option<&str>| {
            let mut m = axum::http::HeaderMap::new();
            if let Some(v) = accept {
                m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            }
            let res = page.respond(accepted(&m), None, false);
            res.headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let br = Some("br".to_string());
        let gzip = Some("gzip".to_string());
        assert_eq!(coding(&visitors, Some("gzip, deflate, br, zstd")), br);
        assert_eq!(coding(&visitors, Some("gzip")), gzip);
        assert_eq!(coding(&visitors, Some("br;q=0, gzip")), gzip);
        assert_eq!(coding(&visitors, Some("identity")), None);
        assert_eq!(coding(&visitors, None), None);
        // A person's page has no brotli copy: gzip if accepted, else as it is.
        assert_eq!(coding(&member, Some("gzip, br")), gzip);
        assert_eq!(coding(&member, Some("br")), None);
        assert_eq!(coding(&member, Some("br, gzip;q=0")), None);
    }

    #[test]
    fn a_persons_page_is_kept_for_their_plain_get_only() {
        let req = |m: Method, uri: &str, user: Option<&str>| {
            let mut r = axum::http::Request::builder()
                .method(m)
                .uri(uri)
                .body(Body::empty())
                .unwrap();
            if let Some(u) = user {
                r.extensions_mut().insert(app::auth::service::Caller {
                    user_id: u.into(),
                    role: app::auth::Role::User,
                    session_id: "s".into(),
                });
            }
            r
        };
        assert_eq!(
            member_cacheable(&req(Method::GET, "/history", Some("u1"))),
            Some(("u1".to_string(), "/history"))
        );
        assert_eq!(member_cacheable(&req(Method::GET, "/history", None)), None);
        assert_eq!(
            member_cacheable(&req(Method::GET, "/dashboard?welcome=1", Some("u1"))),
            None
        );
        assert_eq!(
            member_cacheable(&req(Method::HEAD, "/practice", Some("u1"))),
            None
        );
        assert_eq!(
            member_cacheable(&req(Method::POST, "/practice", Some("u1"))),
            None
        );
        assert_eq!(
            member_cacheable(&req(Method::GET, "/account", Some("u1"))),
            None,
            "a page that reads what the memo does not keep"
        );
    }

    #[test]
    fn a_kept_page_is_fresh_under_its_stamp_for_memo_secs() {
        // Stamps come from the memo; two different ones from forgetting in between.
        app::memo::enable(true);
        let a = app::memo::stamp("pagecache-test").unwrap();
        app::memo::forget("pagecache-test");
        let b = app::memo::stamp("pagecache-test").unwrap();
        let kept = Kept {
            stamp: a,
            made: 100,
            page: Arc::new(Page::for_member(
                axum::body::Bytes::from_static(b"<p>hi</p>"),
                "n",
            )),
        };
        assert!(kept.fresh(a, 100));
        assert!(kept.fresh(a, 100 + app::memo::MEMO_SECS - 1));
        assert!(!kept.fresh(a, 100 + app::memo::MEMO_SECS));
        assert!(!kept.fresh(a, 99), "a clock that went back");
        assert!(!kept.fresh(b, 101), "forgotten since");
    }

    #[test]
    fn pages_no_longer_fresh_are_let_go_and_a_full_map_starts_again() {
        app::memo::enable(true);
        let stamp = app::memo::stamp("pagecache-full").unwrap();
        let pages = MemberPages::default();
        let page = Arc::new(Page::for_member(axum::body::Bytes::from_static(b"x"), "n"));
        let kept = |made| Kept {
            stamp,
            made,
            page: page.clone(),
        };
        let len = || pages.0.lock().unwrap().pages.len();
        let secs = app::memo::MEMO_SECS;
        pages.put("a", "/history", kept(100));
        pages.put("b", "/practice", kept(100 + secs - 1));
        assert_eq!(len(), 2);
        // MEMO_SECS after the last sweep, a page older than that is let go (a deleted
        // account's page does not stay in memory); the fresh one stays.
        pages.put("c", "/history", kept(100 + secs));
        assert_eq!(len(), 2);
        assert!(pages.get("a", "/history", stamp, 100 + secs).is_none());
        assert!(pages.get("b", "/practice", stamp, 100 + secs).is_some());
        // A stale page found is let go at once.
        assert!(pages.get("b", "/practice", stamp, 100 + 2 * secs).is_none());
        assert_eq!(len(), 1);
        // Full of fresh pages ("c" and these): all go, and the new one is kept.
        for i in 0..MEMBER_PAGES_MAX - 1 {
            pages.put(&format!("p{i}"), "/history", kept(100 + secs));
        }
        assert_eq!(len(), MEMBER_PAGES_MAX);
        pages.put("last", "/history", kept(100 + secs));
        assert_eq!(len(), 1);
        assert!(pages.get("last", "/history", stamp, 100 + secs).is_some());
    }

    #[test]
    fn only_a_visitors_plain_get_is_cached() {
        let names = ["a", "r"];
        let req = |m: Method, uri: &str, cookie: Option<&str>| {
            let mut b = axum::http::Request::builder().method(m).uri(uri);
            if let Some(c) = cookie {
                b = b.header(header::COOKIE, c);
            }
            b.body(Body::empty()).unwrap()
        };
        assert_eq!(cacheable(&req(Method::GET, "/", None), names), Some("/"));
        assert_eq!(
            cacheable(&req(Method::HEAD, "/privacy", None), names),
            Some("/privacy")
        );
        assert_eq!(
            cacheable(&req(Method::GET, "/", Some("theme=dark")), names),
            Some("/")
        );
        assert_eq!(
            cacheable(&req(Method::GET, "/", Some("a=tok")), names),
            None
        );
        assert_eq!(
            cacheable(&req(Method::GET, "/", Some("r=tok")), names),
            None
        );
        assert_eq!(
            cacheable(&req(Method::GET, "/?deleted=1", None), names),
            None
        );
        assert_eq!(cacheable(&req(Method::POST, "/contact", None), names), None);
        assert_eq!(cacheable(&req(Method::GET, "/practice", None), names), None);
    }
}
