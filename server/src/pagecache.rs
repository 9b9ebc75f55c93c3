//! Public pages as a visitor sees them, rendered once per process and served from memory.
//!
//! What a visitor (no session cookie) sees on the landing page, the privacy notice, the terms,
//! sign-in, sign-up and contact depends only on this version of Viva and its settings, both
//! fixed while the process runs (the notice and terms are published at start). So the first
//! visit renders the page; later ones get the same bytes — already compressed with brotli and
//! gzip, with an ETag (304 when the browser has them). Inline scripts of a page served many
//! times cannot carry a per-request nonce: the Content-Security-Policy of these responses
//! names each inline script by its SHA-256 instead (see [`CspScripts`]).

use std::{
    collections::HashMap,
    io::Write,
    sync::{Arc, RwLock},
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

/// Named limit: a rendered page larger than this is served but not kept.
pub const MAX_CACHED_PAGE_BYTES: usize = 1 << 20;

/// The `script-src` sources that allow a cached page's inline scripts (their hashes), put on
/// the response for the security headers to use instead of the request's nonce.
#[derive(Clone)]
pub struct CspScripts(pub Arc<str>);

struct Page {
    etag: HeaderValue,
    identity: axum::body::Bytes,
    gzip: axum::body::Bytes,
    brotli: axum::body::Bytes,
    scripts: CspScripts,
}

#[derive(Clone, Default)]
pub struct PageCache(Arc<RwLock<HashMap<&'static str, Arc<Page>>>>);

impl PageCache {
    fn get(&self, path: &str) -> Option<Arc<Page>> {
        self.0.read().ok()?.get(path).cloned()
    }

    fn put(&self, path: &'static str, page: Arc<Page>) {
        if let Ok(mut m) = self.0.write() {
            m.insert(path, page);
        }
    }
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

/// The middleware: answers from the cache, or renders, keeps and answers.
pub async fn serve(
    axum::extract::State((cache, mode)): axum::extract::State<(
        PageCache,
        app::auth::tokens::CookieMode,
    )>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(path) = cacheable(&req, [mode.access_name(), mode.refresh_name()]) else {
        return next.run(req).await;
    };
    let encoding = preferred_encoding(req.headers());
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let head = req.method() == Method::HEAD;
    let page = match cache.get(path) {
        Some(p) => p,
        // Rendered (and kept) only for a GET: a HEAD has no body to keep.
        None if head => return next.run(req).await,
        None => {
            // A nonce that is the same for every visitor; the CSP does not name it (hashes do).
            req.extensions_mut()
                .insert(crate::http::CspNonce("cached-page".into()));
            let res = next.run(req).await;
            if res.status() != StatusCode::OK {
                return res;
            }
            let Ok(bytes) = to_bytes(res.into_body(), MAX_CACHED_PAGE_BYTES).await else {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The page was too large to send.",
                )
                    .into_response();
            };
            let page = Arc::new(Page::new(bytes));
            cache.put(path, page.clone());
            page
        }
    };
    page.respond(encoding, if_none_match.as_ref(), head)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

fn preferred_encoding(h: &axum::http::HeaderMap) -> Encoding {
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
    if offered("br") {
        Encoding::Brotli
    } else if offered("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

impl Page {
    fn new(identity: axum::body::Bytes) -> Page {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let gzip = gz
            .write_all(&identity)
            .and_then(|_| gz.finish())
            .unwrap_or_default();
        let mut brotli = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut brotli, 4096, 11, 22);
            let _ = w.write_all(&identity);
        }
        let etag = HeaderValue::from_str(&format!("\"p{:016x}\"", app::ids::fnv1a(0, &identity)))
            .unwrap_or(HeaderValue::from_static("\"p\""));
        Page {
            etag,
            scripts: CspScripts(inline_script_hashes(&identity).into()),
            gzip: gzip.into(),
            brotli: brotli.into(),
            identity,
        }
    }

    fn respond(&self, enc: Encoding, if_none_match: Option<&HeaderValue>, head: bool) -> Response {
        let mut b = Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::VARY, "Accept-Encoding, Cookie")
            // The same for every visitor, and always checked with the server (cheap: 304).
            .header(header::CACHE_CONTROL, "no-cache")
            .header(header::ETAG, self.etag.clone());
        let not_modified = if_none_match.is_some_and(|v| {
            v.to_str()
                .map(|s| {
                    s.split(',')
                        .any(|t| t.trim() == self.etag.to_str().unwrap_or(""))
                })
                .unwrap_or(false)
        });
        let (body, coding) = match enc {
            Encoding::Brotli if !self.brotli.is_empty() => (self.brotli.clone(), Some("br")),
            Encoding::Gzip | Encoding::Brotli if !self.gzip.is_empty() => {
                (self.gzip.clone(), Some("gzip"))
            }
            _ => (self.identity.clone(), None),
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

/// `'sha256-…'` of every inline `<script>` in the page (those without `src`), space-separated.
pub fn inline_script_hashes(html: &[u8]) -> String {
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
        if !tag.contains(" src=") {
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
    fn hashes_inline_scripts_only() {
        let html = br#"<head><script nonce="x">let a=1;</script><script src="/a.js"></script><script type="module">go()</script><script>let a=1;</script></head>"#;
        let h = inline_script_hashes(html);
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
    fn prefers_brotli_then_gzip_and_honours_q0() {
        let h = |v: &str| {
            let mut m = axum::http::HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            preferred_encoding(&m)
        };
        assert_eq!(h("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(h("gzip"), Encoding::Gzip);
        assert_eq!(h("br;q=0, gzip"), Encoding::Gzip);
        assert_eq!(h("identity"), Encoding::Identity);
        assert_eq!(
            preferred_encoding(&axum::http::HeaderMap::new()),
            Encoding::Identity
        );
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
