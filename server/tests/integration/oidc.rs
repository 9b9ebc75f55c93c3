//! Sign-in with OpenID Connect against the real binary and a local provider (real sockets,
//! real HTTP/1.1, RS256 ID tokens): starting sign-ins is limited per address and asks the
//! provider once, the state cookie is host-only, abandoned sign-ins are swept, and a provider
//! other than Google links to an existing account only from a browser signed in to it.
use crate::support;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use jsonwebtoken::{jwk::Jwk, Algorithm, EncodingKey, Header};
use reqwest::Url;
use serde_json::{json, Value};
use support::{client, cookie_header, me, set_cookies, Viva};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The provider's signing key, made for these tests only (`openssl genpkey -algorithm RSA`).
const KEY_PEM: &str = concat!(
    "-----BEGIN PRIVATE KEY-----\n",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQClHt1KcM50VcxE\n",
    "/Tsh9xhbJVBt5fHYp2IbdXuhp8sZkOQqhS2X4ruhq+7PcJUjHvKrMXC5trOtGYA4\n",
    "FSDvCIJwEgBxT6jjvuzCho5o87KkVUi+kdPdWb9Sg5AJTTYimcEetxQbPV3XGTSd\n",
    "luo6IKy9ewL8GWoJmEXvndK0nYAHQZqMhl2+pWBhedpGC0YGeFwyaWbZHPSx64h0\n",
    "lgRo63NyV9ujBSbJKJnifCOPQY3BGAq2GDMtUf+AgJCOq6mn82oxuVWD+mYHyJAA\n",
    "0TS32UInOzwiMsyEI6ZVyCeZ9+Vn4qF7oFIk+MeDZ94+4K7XB2wwsFXKQfi8+C46\n",
    "uT3vqwRLAgMBAAECggEAAnGM6j0/IOgt2mk6GTndUtZEq7lktUVfJZgGNH86MFw9\n",
    "RnRiYH0vfV8lkXG/N9TWajpvyns2+KHRQ4M0iJB5PtVVXcWgu8heQE/aT/Qn3jOQ\n",
    "5eI4A25ubxu944MQk0/wC0UI5UgENMiNbBFSGlXUBlAb3DLu8KWyGPiwzJF2aEmh\n",
    "cdC/IOXBbOMWx+zP2eaaHM/aoIMm/ATH5D+F8wePGSnvWDgEuTkGfhDkYLQnRbbW\n",
    "BMSViyQBml/osRho5+qqhqczDlxrnjVWpt/vQSKQ239YsjnPXBs/irZiAYL4sypb\n",
    "Gnx0bkD6MaBLSfv9b+gcwlqjSq+rctHpirFo1/5M0QKBgQDYi6kbjYZ03a15dihQ\n",
    "MFHXONX1ifUpJofm2d9GYFjGQLEcmdzoKkp9yQ+XHyLApH/DyF8K13KOZzVg8+mj\n",
    "YfIPIEdav8109UYNiTM34iTA0BAE9qtnA9tApJWKVFuUdk4X/3oyyYKUlrEnw1I1\n",
    "oGYj//cJDKwNgB5TSYIuVLlseQKBgQDDNJZE4z8c5MLGWyypx6BZw+0cEVW0nE6A\n",
    "L/dIuoiwGGDQfeGE/tz6cIqPaRRcxtFwBZWN6w02LHcPg4pnn/n/uvpLpypYajrw\n",
    "Xh9eGms9j/qPB5KXj88R8/X6jUMLCNTVbtdo9wNMJJTV7t6a4FJyfSDwiMRNTNtr\n",
    "Pfa9e9894wKBgErWEU5VXcdbqQ0V+Z6k5FPF76OY1uIuz77HQvN2bpetWcgxoHeX\n",
    "zgCkkL/AYelDsGgAAmCjzpJKNtdX1EHDorz5gc9qA95MubYJ2WqRu/Pqs+6TNO84\n",
    "FPjFKG0S9Eddj2WZxChzHa6uWXENfobL9SCx4DT/bSKJSXGtMNFENIS5AoGBAKqR\n",
    "G7DL5Ezp8uuBpXAg15M4KMo6t2nenpVR1EB/hYphcs8a/2DHle1bQyd2iO1caIr6\n",
    "xihAt8Wbatlqdhh/5+G1zpkmU1D4WdHIXJ5MdWJQmX46/rNiXGxygH/SyT8uE1L/\n",
    "zEeSdxYkbMzWMTqhQkl53rtutiBZROzbMut0/qdDAoGABfUB9uQWdEFpjTw/uFK5\n",
    "0zpsplIKgzvQV//tSgW/Fp5p+Vkz7Wbtx9nCaI+LtMztsa7Cz6VIhrOmYuT0vyJ+\n",
    "DWD6rp1aQFEcOcdvJI3zFuuUQWsZoD7ylwT1Zxy11lMqIJMbdUouOjJsxDQPdapG\n",
    "jCnW8GOJNiMrncAWEI5TVeA=\n",
    "-----END PRIVATE KEY-----\n",
);
const KID: &str = "test-key-1";
const DISCOVERY: &str = "/.well-known/openid-configuration";

/// A minimal OpenID provider on loopback: discovery, keys, and a token endpoint that answers
/// each code with the ID token registered for it. It counts the requests to each path.
struct Provider {
    base: String,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    codes: Arc<Mutex<HashMap<String, Value>>>,
}

impl Provider {
    async fn start() -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let key = EncodingKey::from_rsa_pem(KEY_PEM.as_bytes()).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some(KID.into());
        let discovery = json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/jwks"),
        })
        .to_string();
        let jwks = json!({ "keys": [jwk] }).to_string();
        let (hits, codes) = (
            Arc::new(Mutex::new(HashMap::new())),
            Arc::new(Mutex::new(HashMap::<String, Value>::new())),
        );
        let (h, c) = (hits.clone(), codes.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (h, c, key, discovery, jwks) = (
                    h.clone(),
                    c.clone(),
                    key.clone(),
                    discovery.clone(),
                    jwks.clone(),
                );
                tokio::spawn(async move {
                    let Some((line, body)) = read_request(&mut sock).await else {
                        return;
                    };
                    let path = line
                        .split(' ')
                        .nth(1)
                        .unwrap_or("")
                        .split('?')
                        .next()
                        .unwrap_or("")
                        .to_string();
                    *h.lock().unwrap().entry(path.clone()).or_default() += 1;
                    let (status, reply) = match path.as_str() {
                        DISCOVERY => ("200 OK", discovery),
                        "/jwks" => ("200 OK", jwks),
                        "/token" => {
                            let form = Url::parse(&format!("http://x/?{body}")).unwrap();
                            let code = form
                                .query_pairs()
                                .find(|(k, _)| k == "code")
                                .map(|(_, v)| v.to_string())
                                .unwrap_or_default();
                            match c.lock().unwrap().remove(&code) {
                                Some(claims) => {
                                    let header = Header {
                                        kid: Some(KID.into()),
                                        ..Header::new(Algorithm::RS256)
                                    };
                                    let token =
                                        jsonwebtoken::encode(&header, &claims, &key).unwrap();
                                    ("200 OK", json!({ "id_token": token, "access_token": "at", "token_type": "Bearer" }).to_string())
                                }
                                None => (
                                    "400 Bad Request",
                                    json!({ "error": "invalid_grant" }).to_string(),
                                ),
                            }
                        }
                        _ => ("404 Not Found", "{}".to_string()),
                    };
                    let res = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}", reply.len());
                    let _ = sock.write_all(res.as_bytes()).await;
                });
            }
        });
        Provider { base, hits, codes }
    }

    fn args(&self) -> Vec<String> {
        [
            "--oidc-issuer",
            &self.base,
            "--oidc-client-id",
            "viva",
            "--oidc-client-secret",
            "viva-secret",
            "--oidc-name",
            "Test SSO",
        ]
        .map(String::from)
        .to_vec()
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    /// The next exchange of `code` returns an ID token with these claims (and the usual ones).
    fn issue(&self, code: &str, nonce: &str, sub: &str, email: &str, verified: bool) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = json!({
            "iss": self.base, "aud": "viva", "sub": sub, "email": email, "email_verified": verified,
            "nonce": nonce, "name": "Ada Example", "iat": now, "exp": now + 600,
        });
        self.codes.lock().unwrap().insert(code.to_string(), claims);
    }
}

/// One HTTP/1.1 request: its request line and its body (to its Content-Length).
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let k = sock.read(&mut chunk).await.ok()?;
        if k == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..k]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let len = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .and_then(|v| v.trim().parse::<usize>().ok())
            })
            .unwrap_or(0);
        if buf.len() >= end + 4 + len {
            let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string();
            return Some((head.lines().next().unwrap_or("").to_string(), body));
        }
    }
}

async fn viva(op: &Provider) -> Viva {
    let args = op.args();
    Viva::start(&args.iter().map(String::as_str).collect::<Vec<_>>()).await
}

/// A sign-in started: where the browser is sent, and its state cookie as `name=value`.
struct Started {
    to: Url,
    cookie: String,
}

impl Started {
    fn param(&self, k: &str) -> String {
        self.to
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| panic!("no {k} in {}", self.to))
    }
}

/// GET /auth/oidc/sso/start, with the cookies of `jar` (a signed-in browser) if any.
async fn start(v: &Viva, jar: &str) -> reqwest::Response {
    let req = client().get(v.url("/auth/oidc/sso/start?next=/dashboard"));
    if jar.is_empty() {
        req
    } else {
        req.header("cookie", jar)
    }
    .send()
    .await
    .unwrap()
}

async fn begin(v: &Viva, jar: &str) -> Started {
    let res = start(v, jar).await;
    assert!(
        res.status().is_redirection(),
        "the start answered {}",
        res.status()
    );
    let to = Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let set = set_cookies(&res)
        .into_iter()
        .find(|c| c.contains("viva_oidc_state="))
        .expect("a state cookie");
    Started {
        to,
        cookie: set.split(';').next().unwrap().to_string(),
    }
}

/// Signs in through the provider as `sub` with `email`, the sign-in started with `jar`'s
/// cookies; the provider's redirect back carries only the state cookie (a cross-site
/// navigation: our SameSite=Strict session cookies stay home). Returns the callback's answer.
async fn via_provider(
    v: &Viva,
    op: &Provider,
    jar: &str,
    sub: &str,
    email: &str,
    verified: bool,
) -> reqwest::Response {
    let s = begin(v, jar).await;
    let (state, code) = (s.param("state"), format!("code-{}", s.param("state")));
    op.issue(&code, &s.param("nonce"), sub, email, verified);
    client()
        .get(v.url(&format!(
            "/auth/oidc/sso/callback?code={code}&state={state}"
        )))
        .header("cookie", &s.cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn starting_sign_ins_is_limited_per_address_asks_the_provider_once_and_sweeps_abandoned_ones()
{
    use app::auth::oidc::{LOGIN_TTL_SECS, STARTS_PER_IP};
    let op = Provider::start().await;
    let data = tempfile::tempdir().unwrap();
    let args = op.args();
    let v = Viva::start_in(
        data.path().to_str().unwrap(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    // Sign-ins nobody finishes; then, later than they could be finished, a full budget more.
    for _ in 0..5 {
        begin(&v, "").await;
    }
    // Past the logins' lifetime, and past the time the five count against the limit.
    v.advance(LOGIN_TTL_SECS.max(STARTS_PER_IP.counted_for_secs()) + 1)
        .await;
    for _ in 0..STARTS_PER_IP.max {
        begin(&v, "").await;
    }
    // One more from the same address is refused, with when to try again, and writes nothing.
    let res = start(&v, "").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    assert!(
        set_cookies(&res).iter().all(|c| !c.contains("oidc_state")),
        "{:?}",
        set_cookies(&res)
    );
    let body = res.text().await.unwrap();
    assert!(body.contains("Too many attempts. Try again in"), "{body}");
    // The provider's metadata was fetched once for all of them.
    assert_eq!(op.hits(DISCOVERY), 1, "discovery fetched per sign-in");
    assert_eq!(op.hits("/jwks"), 0);

    // Only the sign-ins that can still be finished are kept.
    assert!(v.stop().await.success());
    let db = app::db::connect(
        &format!("surrealkv://{}", data.path().join("db").display()),
        &Default::default(),
    )
    .await
    .unwrap();
    let mut r = db
        .query("RETURN count(SELECT id FROM oidc_login)")
        .await
        .unwrap();
    assert_eq!(
        r.take::<Option<i64>>(0).unwrap(),
        Some(STARTS_PER_IP.max),
        "abandoned sign-ins pile up"
    );
}

#[tokio::test]
async fn the_state_cookie_is_host_only_for_the_whole_site() {
    let op = Provider::start().await;
    let v = viva(&op).await;
    let res = start(&v, "").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let set = set_cookies(&res);
    let c = set
        .iter()
        .find(|c| c.contains("oidc_state"))
        .expect("a state cookie");
    assert!(c.starts_with("__Host-viva_oidc_state="), "{c}");
    for attr in ["; Path=/;", "; Secure", "; HttpOnly", "; SameSite=Lax"] {
        assert!(c.contains(attr), "{c} lacks {attr}");
    }
    assert!(!c.contains("Domain"), "{c}");
}

#[tokio::test]
async fn a_generic_provider_links_to_an_existing_account_only_from_a_browser_signed_in_to_it() {
    let op = Provider::start().await;
    let v = viva(&op).await;
    let ada = v.account("ada@example.org", "Ada Example").await;

    // The provider says the address is Ada's, but it is not Google: no sign-in to her account.
    let res = via_provider(&v, &op, "", "sub-ada", "ada@example.org", true).await;
    assert_eq!(res.status(), 400);
    assert!(
        set_cookies(&res)
            .iter()
            .all(|c| !c.contains("viva_access=") || c.contains("Max-Age=0")),
        "{:?}",
        set_cookies(&res)
    );
    let body = res.text().await.unwrap();
    assert!(
        body.contains("already exists") && body.contains("sign in with your password first"),
        "{body}"
    );
    assert_eq!(
        me(&v, &v.sign_in("ada@example.org").await).await["email"],
        "ada@example.org",
        "her password still works"
    );

    // Someone signed in to another account cannot link it either.
    let bob = v.account("bob@example.org", "Bob").await;
    assert_eq!(
        via_provider(&v, &op, &bob, "sub-ada", "ada@example.org", true)
            .await
            .status(),
        400
    );

    // Started from Ada's signed-in browser: linked, and signed in.
    let res = via_provider(&v, &op, &ada, "sub-ada", "ada@example.org", true).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        me(&v, &cookie_header(&set_cookies(&res))).await["email"],
        "ada@example.org"
    );
    // From then on the provider signs her in from any browser.
    let res = via_provider(&v, &op, "", "sub-ada", "ada@example.org", true).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        me(&v, &cookie_header(&set_cookies(&res))).await["email"],
        "ada@example.org"
    );

    // An address the provider does not vouch for is refused; a new one is a new account.
    let res = via_provider(&v, &op, "", "sub-x", "unverified@example.org", false).await;
    assert_eq!(res.status(), 400);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("did not confirm an e-mail address"));
    let res = via_provider(&v, &op, "", "sub-grace", "grace@example.org", true).await;
    assert_eq!(res.status(), 200);
    let m = me(&v, &cookie_header(&set_cookies(&res))).await;
    assert_eq!(
        (m["email"].as_str(), m["email_verified"].as_bool()),
        (Some("grace@example.org"), Some(true))
    );
}

/// The privacy notice lists every cookie Viva sets — on sign-up, e-mail sign-in, a sign-in
/// provider's start and callback — and every key its scripts keep in the browser.
#[tokio::test]
async fn every_cookie_and_storage_key_viva_uses_is_on_the_privacy_page() {
    let op = Provider::start().await;
    let v = viva(&op).await;
    let mut names = std::collections::BTreeSet::new();
    let mut add = |set: Vec<String>| {
        for c in set {
            names.insert(c.split('=').next().unwrap().trim().to_string());
        }
    };
    add(set_cookies(&v.sign_up("cookie@example.org", "Cy").await));
    let jar = v.account("cookie2@example.org", "Cy").await;
    add(jar.split("; ").map(str::to_string).collect());
    add(set_cookies(&start(&v, "").await));
    add(set_cookies(
        &via_provider(&v, &op, "", "sub-cookie", "sso@example.org", true).await,
    ));
    assert!(
        names.len() >= 3,
        "sign-in, refresh and provider cookies: {names:?}"
    );
    let page = client()
        .get(v.url("/privacy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for n in &names {
        assert!(
            page.contains(n.as_str()),
            "the privacy page misses the cookie {n}"
        );
    }
    // Keys the browser scripts use: localStorage and IndexedDB names in the sources.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut keys = Vec::new();
    for file in [
        "public/voice/recorder.js",
        "public/voice/listen.js",
        "public/voice/try.js",
        "app/src/ui/theme.rs",
        "app/src/interview/pages/try_it.rs",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        // Names in the scripts, and the Rust constants the wasm code stores under.
        for (marker, end) in [
            ("indexedDB.open('", '\''),
            ("localStorage.getItem('", '\''),
            ("localStorage.setItem('", '\''),
            ("sessionStorage.setItem('", '\''),
            ("_KEY: &str = \"", '"'),
        ] {
            for part in text.split(marker).skip(1) {
                keys.push(part.split(end).next().unwrap().to_string());
            }
        }
    }
    assert!(keys.len() >= 3, "found {keys:?}");
    for k in keys {
        assert!(
            page.contains(&k),
            "the privacy page misses the browser storage key {k}"
        );
    }
}
