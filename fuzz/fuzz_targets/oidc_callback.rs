//! The sign-in provider's redirect back (`/auth/oidc/{provider}/callback`): its query as axum's
//! `Query` extractor reads it into `app::auth::oidc::CallbackQuery`, the state cookie
//! (`app::auth::tokens::cookie_value`), and the ID token's claims as Viva reads them
//! (`IdClaims`, whose `email_verified` may be a string). Input: the query, a newline, the
//! `Cookie` header, a newline, the claims JSON.
#![no_main]

use axum::extract::Query;
use libfuzzer_sys::fuzz_target;
use viva_fuzz::oidc_callback::{CallbackQuery, EmailVerified, IdClaims};
use viva_fuzz::{tokens, AppError};

const STATE_COOKIE: &str = "__Host-viva_oidc_state";

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let (query, cookie, claims) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    // A request line's target: what hyper and http accept reaches the extractor.
    let uri = format!(
        "/auth/oidc/google/callback?{}",
        String::from_utf8_lossy(query)
    );
    if let Ok(uri) = uri.parse::<http::Uri>() {
        if let Ok(Query(q)) = Query::<CallbackQuery>::try_from_uri(&uri) {
            match q.code_and_state() {
                Ok((code, state)) => {
                    let mut headers = http::HeaderMap::new();
                    if let Ok(v) = http::HeaderValue::from_bytes(cookie) {
                        headers.append(http::header::COOKIE, v);
                    }
                    // `finish` goes on only when the cookie holds the same state.
                    let same = tokens::cookie_value(&headers, STATE_COOKIE).as_deref()
                        == Some(state.as_str());
                    let _ = (code, same);
                }
                Err(AppError::BadRequest(m)) => assert!(m.chars().count() <= 80 + 80),
                Err(e) => panic!("{e:?}"),
            }
        }
    }
    if let Ok(c) = serde_json::from_slice::<IdClaims>(claims) {
        let yes = c.email_verified.yes();
        assert_eq!(
            yes,
            matches!(&c.email_verified, EmailVerified::Bool(true))
                || matches!(&c.email_verified, EmailVerified::Text(t) if t == "true")
        );
    }
});
