//! Sessions: a 15-minute access JWT (HS256 under the installation's signing key) and an
//! opaque refresh token (256 bits, stored only as a SHA-256 hash) rotated on every use, with a
//! 7-day idle and 30-day absolute lifetime. Both travel in `__Host-` cookies.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use http::{header, HeaderMap};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Role;

/// Named limits.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 15 * 60;
pub const REFRESH_IDLE_TTL_SECS: i64 = 7 * 24 * 3600;
pub const REFRESH_ABSOLUTE_TTL_SECS: i64 = 30 * 24 * 3600;
/// Requests that present a refresh token this long after it was exchanged get the same
/// successor (parallel requests of one page race); later, the token counts as stolen.
pub const REFRESH_GRACE_SECS: i64 = 30;
/// Clock skew tolerated on `iat`.
pub const CLOCK_LEEWAY_SECS: i64 = 30;

pub const ACCESS_COOKIE: &str = "__Host-viva_access";
pub const REFRESH_COOKIE: &str = "__Host-viva_refresh";
/// Names used only when the operator serves plain HTTP on a non-local address on purpose
/// (`--allow-insecure-http`): browsers refuse `Secure`/`__Host-` cookies there.
pub const INSECURE_ACCESS_COOKIE: &str = "viva_access";
pub const INSECURE_REFRESH_COOKIE: &str = "viva_refresh";

/// How session cookies are written: secure (always, unless the operator opted out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookieMode {
    pub secure: bool,
}

impl CookieMode {
    pub fn access_name(self) -> &'static str {
        if self.secure {
            ACCESS_COOKIE
        } else {
            INSECURE_ACCESS_COOKIE
        }
    }
    pub fn refresh_name(self) -> &'static str {
        if self.secure {
            REFRESH_COOKIE
        } else {
            INSECURE_REFRESH_COOKIE
        }
    }
    /// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, and (secure mode) `Secure`
    /// with the `__Host-` prefix. `max_age_secs = 0` deletes the cookie.
    pub fn cookie(self, name: &str, value: &str, max_age_secs: i64) -> String {
        self.cookie_same_site(name, value, max_age_secs, "Strict")
    }

    /// The one rule for every cookie Viva sets: HttpOnly, Path=/, `Secure` unless the operator
    /// serves plain HTTP on purpose, and the given SameSite.
    pub fn cookie_same_site(
        self,
        name: &str,
        value: &str,
        max_age_secs: i64,
        same_site: &str,
    ) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Max-Age={max_age_secs}; Path=/; HttpOnly{secure}; SameSite={same_site}")
    }
}

/// The value of the cookie `name` among the request's `Cookie` headers (the first one named so).
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The audience of access tokens: this web app, nothing else.
pub const AUDIENCE: &str = "viva-web";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The account id.
    pub sub: String,
    pub role: Role,
    /// The session (refresh-token family) this token belongs to.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(String),
}

/// Signs and checks access tokens for one installation (issuer = its public URL).
#[derive(Clone)]
pub struct TokenKeys {
    enc: EncodingKey,
    dec: DecodingKey,
    issuer: String,
}

impl TokenKeys {
    pub fn new(secret: &[u8], issuer: &str) -> Self {
        TokenKeys {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
            issuer: issuer.to_string(),
        }
    }

    pub fn issue(&self, sub: &str, role: Role, sid: &str, now: i64) -> String {
        let claims = AccessClaims {
            sub: sub.into(),
            role,
            sid: sid.into(),
            iat: now,
            exp: now + ACCESS_TOKEN_TTL_SECS,
            iss: self.issuer.clone(),
            aud: AUDIENCE.into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
            .expect("HS256 signing does not fail")
    }

    /// Checks signature, algorithm, issuer, audience and times against `now` (our clock, so
    /// tests can move it). The caller still checks that the session and account are live.
    pub fn verify(&self, token: &str, now: i64) -> Result<AccessClaims, TokenError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false; // checked below against `now`
        v.leeway = 0;
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[AUDIENCE]);
        v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let data = decode::<AccessClaims>(token, &self.dec, &v)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        let c = data.claims;
        // Saturating: `exp - iat` of claims near i64's ends overflowed (found by fuzz/tokens).
        if c.iat > now + CLOCK_LEEWAY_SECS || c.exp.saturating_sub(c.iat) > ACCESS_TOKEN_TTL_SECS {
            return Err(TokenError::Invalid(
                "issued in the future or for too long".into(),
            ));
        }
        if now >= c.exp {
            return Err(TokenError::Expired);
        }
        Ok(c)
    }
}

/// A new refresh token (to send) and its hash (to store).
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = refresh_token_hash(&token);
    (token, hash)
}

/// The token that replaces `token` when it is exchanged: an HMAC of it under the installation's
/// key, so every request that exchanges the same token gets the same successor without the
/// server keeping any secret in the database.
pub fn successor_token(key: &[u8], token: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"successor of ");
    mac.update(token.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn refresh_token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A stored refresh token of a session family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshState {
    pub family_created_at: i64,
    pub last_used_at: i64,
    /// Already exchanged for a newer token, and when.
    pub rotated: bool,
    pub rotated_at: Option<i64>,
    /// The family was signed out or revoked.
    pub revoked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Issue a new access token and a new refresh token; mark this one rotated.
    Rotate,
    /// Exchanged within the grace window: answer with the same successor, rotate nothing.
    JustRotated,
    /// A rotated token came back: it was stolen or replayed. Revoke the whole family and log it.
    ReuseDetected,
    Revoked,
    IdleExpired,
    AbsoluteExpired,
}

pub fn refresh_decision(s: &RefreshState, now: i64) -> RefreshDecision {
    if s.revoked {
        RefreshDecision::Revoked
    } else if s.rotated {
        match s.rotated_at {
            Some(t) if now - t <= REFRESH_GRACE_SECS && now >= t => RefreshDecision::JustRotated,
            _ => RefreshDecision::ReuseDetected,
        }
    } else if now >= s.family_created_at + REFRESH_ABSOLUTE_TTL_SECS {
        RefreshDecision::AbsoluteExpired
    } else if now >= s.last_used_at + REFRESH_IDLE_TTL_SECS {
        RefreshDecision::IdleExpired
    } else {
        RefreshDecision::Rotate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const ISS: &str = "https://viva.example.org";

    #[test]
    fn a_successor_is_the_same_for_the_same_token_and_unrelated_to_others() {
        let a = successor_token(KEY, "token-a");
        assert_eq!(a, successor_token(KEY, "token-a"));
        assert_ne!(a, successor_token(KEY, "token-b"));
        assert_ne!(
            a,
            successor_token(b"another key of thirty-two bytes!", "token-a")
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
    }

    #[test]
    fn access_tokens_round_trip_with_all_claims() {
        let k = TokenKeys::new(KEY, ISS);
        let t = k.issue("user:1", Role::Admin, "sess:9", 1_000);
        let c = k.verify(&t, 1_000 + 60).unwrap();
        assert_eq!(
            (
                c.sub.as_str(),
                c.role,
                c.sid.as_str(),
                c.iss.as_str(),
                c.aud.as_str()
            ),
            ("user:1", Role::Admin, "sess:9", ISS, AUDIENCE)
        );
        assert_eq!(c.exp - c.iat, 15 * 60);
    }

    #[test]
    fn access_tokens_expire_after_fifteen_minutes() {
        let k = TokenKeys::new(KEY, ISS);
        let t = k.issue("user:1", Role::User, "s", 1_000);
        assert!(k.verify(&t, 1_000 + ACCESS_TOKEN_TTL_SECS - 1).is_ok());
        assert_eq!(
            k.verify(&t, 1_000 + ACCESS_TOKEN_TTL_SECS),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tampered_foreign_and_wrong_audience_tokens_are_rejected() {
        let k = TokenKeys::new(KEY, ISS);
        let t = k.issue("user:1", Role::User, "s", 1_000);
        // Another installation's key.
        assert!(matches!(
            TokenKeys::new(b"another key, another installation", ISS).verify(&t, 1_001),
            Err(TokenError::Invalid(_))
        ));
        // Another issuer.
        assert!(matches!(
            TokenKeys::new(KEY, "https://evil.example").verify(&t, 1_001),
            Err(TokenError::Invalid(_))
        ));
        // A changed payload (role raised to admin) with the old signature.
        let parts: Vec<&str> = t.split('.').collect();
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap())
            .unwrap()
            .replace("\"user\"", "\"admin\"");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(payload),
            parts[2]
        );
        assert!(matches!(
            k.verify(&forged, 1_001),
            Err(TokenError::Invalid(_))
        ));
        // alg=none.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert!(k.verify(&none, 1_001).is_err());
        // Wrong audience, correctly signed.
        let claims = AccessClaims {
            sub: "user:1".into(),
            role: Role::User,
            sid: "s".into(),
            iat: 1_000,
            exp: 1_900,
            iss: ISS.into(),
            aud: "other-app".into(),
        };
        let other = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(KEY),
        )
        .unwrap();
        assert!(matches!(
            k.verify(&other, 1_001),
            Err(TokenError::Invalid(_))
        ));
        // Signed by us but valid for a day: refused.
        let long = AccessClaims {
            aud: AUDIENCE.into(),
            exp: 1_000 + 86_400,
            ..claims
        };
        let long = encode(
            &Header::new(Algorithm::HS256),
            &long,
            &EncodingKey::from_secret(KEY),
        )
        .unwrap();
        assert!(matches!(
            k.verify(&long, 1_001),
            Err(TokenError::Invalid(_))
        ));
    }

    /// Claims at i64's ends, signed with our key: `exp - iat` overflowed (a panic with
    /// overflow checks; without them it wrapped below the limit and the token never expired).
    /// Found while writing fuzz/fuzz_targets/tokens.rs (mode 1 signs any claims); the input is
    /// fuzz/corpus/tokens/signed_claims_i64_ends.
    #[test]
    fn claims_at_the_ends_of_i64_are_refused() {
        let k = TokenKeys::new(KEY, ISS);
        for (iat, exp) in [
            (i64::MIN, i64::MAX),
            (i64::MIN, 2_000),
            (i64::MAX, i64::MIN),
        ] {
            let claims = AccessClaims {
                sub: "user:1".into(),
                role: Role::User,
                sid: "s".into(),
                iat,
                exp,
                iss: ISS.into(),
                aud: AUDIENCE.into(),
            };
            let t = encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(KEY),
            )
            .unwrap();
            assert!(k.verify(&t, 1_000).is_err(), "iat {iat}, exp {exp}");
        }
    }

    #[test]
    fn refresh_tokens_have_256_bits_and_are_stored_hashed() {
        let (t1, h1) = new_refresh_token();
        let (t2, _) = new_refresh_token();
        assert_ne!(t1, t2);
        assert_eq!(URL_SAFE_NO_PAD.decode(&t1).unwrap().len(), 32);
        assert_eq!(h1, refresh_token_hash(&t1));
        assert_eq!(h1.len(), 64);
        assert!(!h1.contains(&t1));
    }

    #[test]
    fn refresh_rotation_reuse_and_lifetimes() {
        let s = RefreshState {
            family_created_at: 0,
            last_used_at: 0,
            rotated: false,
            rotated_at: None,
            revoked: false,
        };
        assert_eq!(refresh_decision(&s, 10), RefreshDecision::Rotate);
        assert_eq!(
            refresh_decision(
                &RefreshState {
                    rotated: true,
                    ..s.clone()
                },
                10
            ),
            RefreshDecision::ReuseDetected
        );
        // A parallel request within the grace window gets the successor; a replay later is theft.
        let just = RefreshState {
            rotated: true,
            rotated_at: Some(100),
            ..s.clone()
        };
        assert_eq!(
            refresh_decision(&just, 100 + REFRESH_GRACE_SECS),
            RefreshDecision::JustRotated
        );
        assert_eq!(
            refresh_decision(&just, 101 + REFRESH_GRACE_SECS),
            RefreshDecision::ReuseDetected
        );
        assert_eq!(
            refresh_decision(
                &RefreshState {
                    revoked: true,
                    ..s.clone()
                },
                10
            ),
            RefreshDecision::Revoked
        );
        assert_eq!(
            refresh_decision(&s, REFRESH_IDLE_TTL_SECS),
            RefreshDecision::IdleExpired
        );
        // Used every day: idle never runs out, the absolute limit still does.
        let busy = RefreshState {
            last_used_at: REFRESH_ABSOLUTE_TTL_SECS - 60,
            ..s
        };
        assert_eq!(
            refresh_decision(&busy, REFRESH_ABSOLUTE_TTL_SECS - 1),
            RefreshDecision::Rotate
        );
        assert_eq!(
            refresh_decision(&busy, REFRESH_ABSOLUTE_TTL_SECS),
            RefreshDecision::AbsoluteExpired
        );
    }

    #[test]
    fn cookies_are_host_prefixed_httponly_secure_strict() {
        let m = CookieMode { secure: true };
        let c = m.cookie(m.access_name(), "abc", ACCESS_TOKEN_TTL_SECS);
        assert!(c.starts_with("__Host-viva_access=abc;"));
        for attr in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=900",
        ] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(
            !c.contains("Domain="),
            "__Host- cookies must not name a domain"
        );
        // The operator's explicit plain-HTTP mode: no Secure and so no __Host- prefix, the rest kept.
        let m = CookieMode { secure: false };
        let c = m.cookie(m.refresh_name(), "r", 10);
        assert!(
            c.starts_with("viva_refresh=r;")
                && c.contains("HttpOnly")
                && c.contains("SameSite=Strict")
                && !c.contains("Secure")
        );
    }
}
