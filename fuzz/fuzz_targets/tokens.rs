//! Sessions (`app::auth::tokens`): access-token verification, the refresh-token helpers and
//! cookie parsing. The first byte picks what the rest is:
//! 0: a token as a browser may send it (mostly refused: it is not signed with our key);
//! 1: a JWT header and claims (split at the first newline) that the harness signs with the
//!    installation's key, so the checks after the signature see any claims too;
//! 2: `Cookie` header values, one a line, and the cookie looked up;
//! 3: a refresh token (hashed, and exchanged for its successor) and the times of its family.
#![no_main]

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;
use viva_fuzz::tokens::{self, RefreshState, TokenError, TokenKeys};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
const ISS: &str = "https://viva.example.org";
/// Our clock: 2026-12-01.
const NOW: i64 = 1_796_083_200;

fn check_verified(token: &str) {
    match TokenKeys::new(KEY, ISS).verify(token, NOW) {
        Ok(c) => {
            assert_eq!(c.iss, ISS);
            assert_eq!(c.aud, tokens::AUDIENCE);
            assert!(NOW < c.exp, "an expired token passed");
            assert!(
                c.iat <= NOW + tokens::CLOCK_LEEWAY_SECS,
                "a future token passed"
            );
            assert!(
                c.exp - c.iat <= tokens::ACCESS_TOKEN_TTL_SECS,
                "a long-lived token passed"
            );
        }
        Err(TokenError::Expired) | Err(TokenError::Invalid(_)) => {}
    }
}

fn signed(header: &[u8], claims: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(KEY).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

fn i64_at(b: &[u8], i: usize) -> i64 {
    let mut a = [0u8; 8];
    for (k, x) in a.iter_mut().enumerate() {
        *x = b.get(i + k).copied().unwrap_or(0);
    }
    // Times the database holds: within ±2^40 s (±34,000 years) of 1970.
    i64::from_le_bytes(a) >> 23
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => check_verified(&String::from_utf8_lossy(rest)),
        1 => {
            let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(0);
            let (header, claims) = (&rest[..nl], rest.get(nl + 1..).unwrap_or_default());
            let header: &[u8] = if header.is_empty() {
                br#"{"alg":"HS256","typ":"JWT"}"#
            } else {
                header
            };
            check_verified(&signed(header, claims));
        }
        2 => {
            let mut lines = rest.split(|&b| b == b'\n');
            let name = String::from_utf8_lossy(lines.next().unwrap_or_default());
            let name = match name.as_ref() {
                "" => tokens::ACCESS_COOKIE,
                "r" => tokens::REFRESH_COOKIE,
                n => n,
            };
            let mut headers = http::HeaderMap::new();
            for l in lines {
                if let Ok(v) = http::HeaderValue::from_bytes(l) {
                    headers.append(http::header::COOKIE, v);
                }
            }
            if let Some(v) = tokens::cookie_value(&headers, name) {
                assert!(!v.contains(';'));
                let pair = format!("{name}={v}");
                assert!(headers
                    .get_all(http::header::COOKIE)
                    .iter()
                    .filter_map(|h| h.to_str().ok())
                    .any(|h| h.contains(&pair)));
            }
        }
        _ => {
            let (times, token) = rest.split_at(rest.len().min(33));
            let token = String::from_utf8_lossy(token);
            let hash = tokens::refresh_token_hash(&token);
            assert_eq!(hash.len(), 64);
            assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
            let next = tokens::successor_token(KEY, &token);
            assert_eq!(next, tokens::successor_token(KEY, &token));
            assert_eq!(URL_SAFE_NO_PAD.decode(&next).map(|b| b.len()), Ok(32));
            let flags = times.first().copied().unwrap_or(0);
            let state = RefreshState {
                family_created_at: i64_at(times, 1),
                last_used_at: i64_at(times, 9),
                rotated: flags & 1 != 0,
                rotated_at: (flags & 2 != 0).then(|| i64_at(times, 17)),
                revoked: flags & 4 != 0,
            };
            let _ = tokens::refresh_decision(&state, i64_at(times, 25));
        }
    }
});
