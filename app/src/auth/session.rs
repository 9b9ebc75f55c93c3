//! The session step every request goes through (called by the server's middleware): read the
//! cookies, check the access token, refresh it transparently when it has expired, and say
//! which cookies to set or clear.

use http::HeaderMap;

use super::service::{self, AuthKeys, Caller, SessionTokens};
pub use super::tokens::cookie_value;
use super::tokens::{self, CookieMode};
use crate::{db::Db, AppError};

/// `Set-Cookie` values for a new pair of tokens.
pub fn set_cookies(m: CookieMode, t: &SessionTokens) -> [String; 2] {
    [
        m.cookie(m.access_name(), &t.access, tokens::ACCESS_TOKEN_TTL_SECS),
        m.cookie(
            m.refresh_name(),
            &t.refresh,
            tokens::REFRESH_ABSOLUTE_TTL_SECS,
        ),
    ]
}

pub fn clear_cookies(m: CookieMode) -> [String; 2] {
    [
        m.cookie(m.access_name(), "", 0),
        m.cookie(m.refresh_name(), "", 0),
    ]
}

pub struct SessionStep {
    pub caller: Option<Caller>,
    /// `Set-Cookie` values to add to the response.
    pub set_cookies: Vec<String>,
}

pub async fn resolve(
    db: &Db,
    keys: &AuthKeys,
    m: CookieMode,
    headers: &HeaderMap,
    now: i64,
) -> Result<SessionStep, AppError> {
    let access = cookie_value(headers, m.access_name()).filter(|v| !v.is_empty());
    let refresh = cookie_value(headers, m.refresh_name()).filter(|v| !v.is_empty());
    if let Some(a) = &access {
        match service::authenticate(db, keys, a, now).await {
            Ok(caller) => {
                return Ok(SessionStep {
                    caller: Some(caller),
                    set_cookies: vec![],
                })
            }
            Err(AppError::Unauthorized) => {}
            Err(e) => return Err(e),
        }
    }
    match refresh {
        Some(r) => match service::refresh(db, keys, &r, now).await {
            Ok(t) => Ok(SessionStep {
                caller: Some(t.caller.clone()),
                set_cookies: set_cookies(m, &t).to_vec(),
            }),
            Err(AppError::Unauthorized) => Ok(SessionStep {
                caller: None,
                set_cookies: clear_cookies(m).to_vec(),
            }),
            Err(e) => Err(e),
        },
        None if access.is_some() => Ok(SessionStep {
            caller: None,
            set_cookies: clear_cookies(m).to_vec(),
        }),
        None => Ok(SessionStep {
            caller: None,
            set_cookies: vec![],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header;

    #[test]
    fn finds_a_cookie_among_several_headers() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            "a=1; __Host-viva_access=tok.en.x".parse().unwrap(),
        );
        h.append(header::COOKIE, "__Host-viva_refresh=r3".parse().unwrap());
        assert_eq!(
            cookie_value(&h, tokens::ACCESS_COOKIE).as_deref(),
            Some("tok.en.x")
        );
        assert_eq!(
            cookie_value(&h, tokens::REFRESH_COOKIE).as_deref(),
            Some("r3")
        );
        assert_eq!(cookie_value(&h, "missing"), None);
    }
}
