//! Sign-in with OpenID Connect: authorization code flow with PKCE (S256), state and nonce,
//! the provider found by discovery from its issuer URL, ID tokens checked against its JWKS.
//! Google and LinkedIn are presets (client id and secret are enough); any other provider is
//! one issuer URL. The login in progress is kept in the database (nodes keep no state) and
//! bound to the browser by a short-lived cookie. An address alone links a provider login to an
//! existing account only when the provider is Google; otherwise the person links it while
//! signed in to that account.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{jwk::JwkSet, Algorithm, DecodingKey, Validation};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use surrealdb::types::SurrealValue;

// What the provider's redirect brings (the query, the ID token's claims): its own file, which
// needs only serde and the error type, so the fuzz targets (fuzz/) compile the same code.
mod callback;
pub use callback::CallbackQuery;
use callback::IdClaims;

use super::service::{audit, start_session, user_by_email, SessionTokens};
use super::tokens::CookieMode;
use crate::{db::Db, ratelimit::Limit, AppError};

/// Named limits.
pub const LOGIN_TTL_SECS: i64 = 600;
pub const HTTP_TIMEOUT_SECS: u64 = 10;
/// How long a provider's discovery document and keys are reused before they are fetched
/// again. An ID token signed with a key id that is not among them fetches the keys at once
/// (the provider rotated them).
pub const METADATA_TTL: Duration = Duration::from_secs(3600);
/// Sign-ins started per client address: each writes a row and may ask the provider.
pub const STARTS_PER_IP: Limit = Limit {
    action: "oidc_start_ip",
    max: 20,
    window_secs: 600,
};
/// The issuer whose `email_verified` is enough to link to an account by its address.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// The cookie that ties a login in progress to the browser that started it. SameSite=Lax:
/// it must come back on the provider's top-level redirect to us. `__Host-`: set only by this
/// host, over HTTPS, for the whole site (the prefix requires `Path=/`).
pub const STATE_COOKIE: &str = "__Host-viva_oidc_state";
/// Its name when the operator serves plain HTTP on purpose (the prefix requires `Secure`).
pub const INSECURE_STATE_COOKIE: &str = "viva_oidc_state";

pub fn state_cookie_name(m: CookieMode) -> &'static str {
    if m.secure {
        STATE_COOKIE
    } else {
        INSECURE_STATE_COOKIE
    }
}

/// The state cookie's `Set-Cookie` value; `max_age_secs = 0` deletes it.
pub fn state_cookie(m: CookieMode, value: &str, max_age_secs: i64) -> String {
    // Lax: the provider's redirect back to us is a cross-site top-level navigation.
    m.cookie_same_site(state_cookie_name(m), value, max_age_secs, "Lax")
}

/// One configured provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    /// In URLs: /auth/oidc/{id}/start.
    pub id: String,
    /// On the button: "Continue with {label}".
    pub label: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: crate::secret::Secret,
}

impl Provider {
    pub fn google(client_id: &str, client_secret: &str) -> Provider {
        Provider {
            id: "google".into(),
            label: "Google".into(),
            issuer: GOOGLE_ISSUER.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    pub fn linkedin(client_id: &str, client_secret: &str) -> Provider {
        Provider {
            id: "linkedin".into(),
            label: "LinkedIn".into(),
            issuer: "https://www.linkedin.com/oauth".into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    fn redirect_uri(&self, public_url: &str) -> String {
        format!("{public_url}/auth/oidc/{}/callback", self.id)
    }

    /// Whether its `email_verified` is proof enough to sign in to an existing account with that
    /// address. Google's is (it is the authority for Gmail and checks other addresses); other
    /// issuers may let their users set any address.
    fn vouches_for_addresses(&self) -> bool {
        self.issuer == GOOGLE_ISSUER
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: String,
}

fn http() -> Result<&'static reqwest::Client, AppError> {
    crate::outbound::client().map_err(|e| AppError::internal("oidc http client", e))
}

fn provider_error(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::warn!(error = %e, "sign-in provider: {what}");
    AppError::Transport(format!("The sign-in provider did not answer as expected ({what}). Try again, or sign in with your password."))
}

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
    what: &str,
) -> Result<T, AppError> {
    let res = client
        .get(url)
        .timeout(std::time::Duration::from_secs(HTTP_TIMEOUT_SECS))
        .send()
        .await
        .map_err(|e| provider_error(what, e))?;
    if !res.status().is_success() {
        return Err(provider_error(what, res.status()));
    }
    let bytes = res.bytes().await.map_err(|e| provider_error(what, e))?;
    serde_json::from_slice(&bytes).map_err(|e| provider_error(what, e))
}

/// Provider metadata by URL, with when it was fetched. Shared by the requests of this node
/// (it is public; each node keeps its own).
type Cache<T> = Mutex<HashMap<String, (Instant, Arc<T>)>>;

fn discovery_cache() -> &'static Cache<Discovery> {
    static CACHE: OnceLock<Cache<Discovery>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn keys_cache() -> &'static Cache<JwkSet> {
    static CACHE: OnceLock<Cache<JwkSet>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn cached<T>(cache: &Cache<T>, url: &str) -> Option<Arc<T>> {
    let map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.get(url)
        .filter(|(at, _)| at.elapsed() < METADATA_TTL)
        .map(|(_, v)| v.clone())
}

fn remember<T>(cache: &Cache<T>, url: &str, value: Arc<T>) {
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.retain(|_, (at, _)| at.elapsed() < METADATA_TTL);
    map.insert(url.to_string(), (Instant::now(), value));
}

/// The provider's discovery document, fetched at most once per [`METADATA_TTL`].
async fn discover(client: &reqwest::Client, p: &Provider) -> Result<Arc<Discovery>, AppError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        p.issuer.trim_end_matches('/')
    );
    if let Some(d) = cached(discovery_cache(), &url) {
        return Ok(d);
    }
    let d: Discovery = get_json(client, &url, "discovery").await?;
    if d.issuer.trim_end_matches('/') != p.issuer.trim_end_matches('/') {
        return Err(provider_error(
            "discovery",
            format!("issuer {} is not {}", d.issuer, p.issuer),
        ));
    }
    let d = Arc::new(d);
    remember(discovery_cache(), &url, d.clone());
    Ok(d)
}

/// The provider's signing keys, fetched at most once per [`METADATA_TTL`] unless `kid` is
/// not among them.
async fn signing_keys(
    client: &reqwest::Client,
    d: &Discovery,
    kid: Option<&str>,
) -> Result<Arc<JwkSet>, AppError> {
    if let Some(keys) = cached(keys_cache(), &d.jwks_uri) {
        if kid.is_none_or(|k| keys.find(k).is_some()) {
            return Ok(keys);
        }
    }
    let keys: Arc<JwkSet> = Arc::new(get_json(client, &d.jwks_uri, "keys").await?);
    remember(keys_cache(), &d.jwks_uri, keys.clone());
    Ok(keys)
}

/// Logins nobody finished in time: they can no longer be finished.
pub async fn sweep(db: &Db, now: i64) -> Result<(), AppError> {
    db.query("DELETE oidc_login WHERE created_at < $cutoff")
        .bind(("cutoff", now - LOGIN_TTL_SECS))
        .await?
        .check()?;
    Ok(())
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Starts a login for the client at `ip`: returns the provider's authorization URL and the
/// state for the cookie. `link_user` is the account this browser is signed in to, if any: the
/// login may link to it (see [`finish`]).
pub async fn start(
    db: &Db,
    p: &Provider,
    public_url: &str,
    next: &str,
    link_user: Option<&str>,
    ip: &str,
    now: i64,
) -> Result<(String, String), AppError> {
    crate::ratelimit::hit(db, &STARTS_PER_IP, ip, now).await?;
    let client = http()?;
    let d = discover(client, p).await?;
    sweep(db, now).await?;
    let (state, nonce, verifier) = (random_token(), random_token(), random_token());
    db.query(
        "CREATE oidc_login SET state = $state, provider = $provider, nonce = $nonce, verifier = $verifier, next = $next,
            link_user = $link_user, created_at = $now",
    )
    .bind(("state", state.clone()))
    .bind(("provider", p.id.clone()))
    .bind(("nonce", nonce.clone()))
    .bind(("verifier", verifier.clone()))
    .bind(("next", next.to_string()))
    .bind(("link_user", link_user.map(str::to_string)))
    .bind(("now", now))
    .await?
    .check()?;
    let mut url = url::Url::parse(&d.authorization_endpoint)
        .map_err(|e| provider_error("authorization endpoint", e))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &p.client_id)
        .append_pair("redirect_uri", &p.redirect_uri(public_url))
        .append_pair("scope", "openid email profile")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &pkce_challenge(&verifier))
        .append_pair("code_challenge_method", "S256");
    Ok((url.to_string(), state))
}

#[derive(Debug, SurrealValue)]
struct LoginRow {
    provider: String,
    nonce: String,
    verifier: String,
    next: String,
    /// The account the browser that started the login was signed in to.
    link_user: Option<String>,
    created_at: i64,
}

/// The login started with this state, deleted as it is read: each works once.
async fn take_login(db: &Db, state: &str) -> Result<Option<LoginRow>, AppError> {
    let mut r = db
        .query("DELETE oidc_login WHERE state = $state RETURN BEFORE")
        .bind(("state", state.to_string()))
        .await?
        .check()?;
    let rows: Vec<LoginRow> = r.take(0)?;
    Ok(rows.into_iter().next())
}

fn refused(msg: &str) -> AppError {
    AppError::BadRequest(format!("{msg} Start again from the sign-in page."))
}

/// Finishes a login on the provider's redirect back: checks state (against the cookie too),
/// exchanges the code with the PKCE verifier, checks the ID token, finds or creates the
/// account, starts a session. Returns the session and where to go next.
///
/// A first login with an address that already has an account links to it only with proof
/// that the person owns that account: they started the login signed in to it, or the
/// provider is Google. Anyone else (a provider that lets its users type any address) is
/// sent to sign in with the password first.
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    db: &Db,
    keys: &super::service::AuthKeys,
    p: &Provider,
    public_url: &str,
    code: &str,
    state: &str,
    cookie_state: Option<&str>,
    user_agent: &str,
    now: i64,
) -> Result<(SessionTokens, String), AppError> {
    if cookie_state != Some(state) {
        return Err(refused(
            "This sign-in did not start in this browser, or took too long.",
        ));
    }
    let Some(login) = take_login(db, state).await? else {
        return Err(refused("This sign-in link was already used or is unknown."));
    };
    if login.provider != p.id || now - login.created_at > LOGIN_TTL_SECS {
        return Err(refused("This sign-in took too long."));
    }
    let client = http()?;
    let d = discover(client, p).await?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &p.redirect_uri(public_url)),
        ("code_verifier", &login.verifier),
    ];
    let res = client
        .post(&d.token_endpoint)
        .basic_auth(&p.client_id, Some(p.client_secret.expose()))
        .header("accept", "application/json")
        .form(&form)
        .timeout(std::time::Duration::from_secs(HTTP_TIMEOUT_SECS))
        .send()
        .await
        .map_err(|e| provider_error("token", e))?;
    if !res.status().is_success() {
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        return Err(provider_error(
            "token",
            format!("{status}: {}", body.chars().take(300).collect::<String>()),
        ));
    }
    let tokens: TokenResponse =
        serde_json::from_slice(&res.bytes().await.map_err(|e| provider_error("token", e))?)
            .map_err(|e| provider_error("token", e))?;
    let claims = verify_id_token(client, &d, p, &tokens.id_token, &login.nonce).await?;

    let email = claims
        .email
        .as_deref()
        .map(str::trim)
        .map(str::to_lowercase);
    let user_id = match identity_user(db, &p.id, &claims.sub).await? {
        Some(uid) => uid,
        None => {
            let (Some(email), true) = (email.clone(), claims.email_verified.yes()) else {
                return Err(AppError::BadRequest(format!("{} did not confirm an e-mail address for this account, so Viva cannot use it. Sign up with e-mail and password instead.", p.label)));
            };
            let email = super::service::normalize_email(&email)?;
            let uid = match user_by_email(db, &email).await? {
                Some(u) if login.link_user.as_deref() == Some(u.id.as_str()) => {
                    audit(
                        db,
                        "oidc_linked",
                        Some(&u.id),
                        &format!("{}; while signed in", p.id),
                        now,
                    )
                    .await?;
                    u.id
                }
                Some(_) if !p.vouches_for_addresses() => {
                    return Err(AppError::BadRequest(format!(
                        "An account with this e-mail address already exists here. To use {label} with it, sign in with your password first \
                         (or reset the password if you have none), then choose \"Continue with {label}\" under Account and security.",
                        label = p.label
                    )));
                }
                Some(u) if u.email_verified => {
                    audit(db, "oidc_linked", Some(&u.id), &p.id, now).await?;
                    u.id
                }
                Some(u) => {
                    // Nobody proved this address before: whoever set the account's password may
                    // not own it (pre-account takeover). The provider's proof wins: the address
                    // is confirmed, that password stops working, its sessions end.
                    db.query(
                        "BEGIN TRANSACTION;
                         UPDATE type::record('user', $u) SET email_verified = true, password_hash = '!';
                         UPDATE session SET revoked = true WHERE user = type::record('user', $u);
                         COMMIT TRANSACTION;",
                    )
                    .bind(("u", u.id.clone()))
                    .await?
                    .check()?;
                    super::service::forget_sessions(&u.id);
                    audit(
                        db,
                        "oidc_linked",
                        Some(&u.id),
                        &format!("{}; unconfirmed address: password cleared", p.id),
                        now,
                    )
                    .await?;
                    u.id
                }
                None => create_user(db, &email, claims.name.as_deref().unwrap_or(""), now).await?,
            };
            // Behind the account's fence, like every write of a person's data.
            crate::db::write(|| db.query(crate::fenced!(
                "CREATE oidc_identity SET provider = $p, subject = $s, user = type::record('user', $uid), created_at = $now;",
            ))
                .bind(("p", p.id.clone()))
                .bind(("s", claims.sub.clone()))
                .bind(("uid", uid.clone()))
                .bind(("now", now)))
                .await?;
            uid
        }
    };
    let user = super::service::user_by_id(db, &user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if user.disabled {
        audit(db, "sign_in_disabled", Some(&user.id), &p.id, now).await?;
        return Err(AppError::Forbidden);
    }
    let tokens = start_session(db, keys, &user, user_agent, &format!("oidc:{}", p.id), now).await?;
    Ok((tokens, super::api::safe_next(Some(&login.next))))
}

async fn verify_id_token(
    client: &reqwest::Client,
    d: &Discovery,
    p: &Provider,
    token: &str,
    nonce: &str,
) -> Result<IdClaims, AppError> {
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| provider_error("ID token header", e))?;
    if header.alg != Algorithm::RS256 {
        return Err(provider_error(
            "ID token",
            format!("algorithm {:?} is not RS256", header.alg),
        ));
    }
    let jwks = signing_keys(client, d, header.kid.as_deref()).await?;
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None => jwks.keys.first(),
    }
    .ok_or_else(|| provider_error("ID token", "no key with its kid"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| provider_error("ID token key", e))?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[&p.client_id]);
    v.set_issuer(&[&d.issuer]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<IdClaims>(token, &key, &v)
        .map_err(|e| provider_error("ID token", e))?;
    if data.claims.nonce.as_deref() != Some(nonce) {
        return Err(provider_error("ID token", "nonce does not match"));
    }
    Ok(data.claims)
}

#[derive(Debug, SurrealValue)]
struct IdentityRow {
    user: String,
}

async fn identity_user(db: &Db, provider: &str, subject: &str) -> Result<Option<String>, AppError> {
    let mut r = db
        .query("SELECT record::id(user) AS user FROM oidc_identity WHERE provider = $p AND subject = $s LIMIT 1")
        .bind(("p", provider.to_string()))
        .bind(("s", subject.to_string()))
        .await?
        .check()?;
    let row: Option<IdentityRow> = r.take(0)?;
    Ok(row.map(|r| r.user))
}

/// A new account from a provider's verified address. It has no password (sign-in with a
/// password fails until one is set by reset); the terms were accepted on the button.
async fn create_user(db: &Db, email: &str, name: &str, now: i64) -> Result<String, AppError> {
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(super::service::MAX_NAME_CHARS)
        .collect();
    let name = if name.is_empty() {
        email.split('@').next().unwrap_or("Friend").to_string()
    } else {
        name
    };
    let id = super::service::insert_user(
        db,
        super::service::NewUser {
            email: email.to_string(),
            name,
            password_hash: "!".into(),
            role: super::Role::User,
            job_role: String::new(),
            experience: "mid".into(),
            email_verified: true,
            referral_code: None,
        },
        now,
    )
    .await?
    .ok_or_else(|| {
        AppError::BadRequest(format!(
            "{email} already has an account: sign in with your password, then link this provider on your account page."
        ))
    })?;
    audit(db, "sign_up", Some(&id), "oidc", now).await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_the_s256_of_the_verifier() {
        // Expected value computed independently: Python's hashlib.sha256 + urlsafe_b64encode.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUlUd-Tr4qmeLgAs3qRmM"),
            "8Pd5V9MusQGVS-IgbYe6Cs1OC01yspo5z54Shr3Wae0"
        );
        let c = pkce_challenge(&random_token());
        assert_eq!(c.len(), 43);
        assert!(
            c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'),
            "{c}"
        );
    }

    #[tokio::test]
    async fn a_started_login_can_be_finished_once() {
        let (_dir, db) = crate::db::temp().await;
        db.query("CREATE oidc_login SET state = 'st', provider = 'sso', nonce = 'n', verifier = 'v', next = '/dashboard', created_at = 5")
            .await
            .unwrap()
            .check()
            .unwrap();
        assert!(take_login(&db, "other").await.unwrap().is_none());
        let login = take_login(&db, "st").await.unwrap().expect("the login");
        assert_eq!(
            (
                login.provider.as_str(),
                login.nonce.as_str(),
                login.verifier.as_str(),
                login.next.as_str(),
                login.created_at
            ),
            ("sso", "n", "v", "/dashboard", 5)
        );
        assert!(
            take_login(&db, "st").await.unwrap().is_none(),
            "a second use must find nothing"
        );
    }

    #[test]
    fn presets_need_only_client_id_and_secret() {
        let g = Provider::google("id", "secret");
        assert_eq!(g.issuer, "https://accounts.google.com");
        assert_eq!(
            g.redirect_uri("https://viva.example.org"),
            "https://viva.example.org/auth/oidc/google/callback"
        );
        assert_eq!(
            Provider::linkedin("id", "s").issuer,
            "https://www.linkedin.com/oauth"
        );
    }

    #[test]
    fn email_verified_may_be_text() {
        let c: IdClaims = serde_json::from_str(r#"{"sub":"1","email_verified":"true"}"#).unwrap();
        assert!(c.email_verified.yes());
        let c: IdClaims = serde_json::from_str(r#"{"sub":"1"}"#).unwrap();
        assert!(!c.email_verified.yes());
    }

    #[test]
    fn only_google_links_by_address_alone() {
        assert!(Provider::google("id", "s").vouches_for_addresses());
        assert!(!Provider::linkedin("id", "s").vouches_for_addresses());
        let sso = Provider {
            id: "google".into(),
            label: "Google".into(),
            issuer: "https://sso.example.org".into(),
            client_id: "a".into(),
            client_secret: "b".into(),
        };
        assert!(
            !sso.vouches_for_addresses(),
            "trust follows the issuer, not the id"
        );
    }

    #[test]
    fn the_state_cookie_is_host_only_when_secure() {
        let c = state_cookie(CookieMode { secure: true }, "st", LOGIN_TTL_SECS);
        assert!(c.starts_with("__Host-viva_oidc_state=st;"), "{c}");
        for attr in [
            "Path=/;",
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
            "Max-Age=600",
        ] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(!c.contains("Domain="));
        let c = state_cookie(CookieMode { secure: false }, "", 0);
        assert!(
            c.starts_with("viva_oidc_state=;") && !c.contains("Secure") && c.contains("Path=/;"),
            "{c}"
        );
    }
}
