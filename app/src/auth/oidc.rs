//! Sign-in with OpenID Connect: authorization code flow with PKCE (S256), state and nonce,
//! the provider found by discovery from its issuer URL, ID tokens checked against its JWKS.
//! Google and LinkedIn are presets (client id and secret are enough); any other provider is
//! one issuer URL. The login in progress is kept in the database (nodes keep no state) and
//! bound to the browser by a short-lived cookie.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{jwk::JwkSet, Algorithm, DecodingKey, Validation};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use surrealdb::types::SurrealValue;

use super::service::{audit, new_id, start_session, user_by_email, SessionTokens};
use crate::{db::Db, AppError};

/// Named limits.
pub const LOGIN_TTL_SECS: i64 = 600;
pub const HTTP_TIMEOUT_SECS: u64 = 10;
/// The cookie that ties a login in progress to the browser that started it. SameSite=Lax:
/// it must come back on the provider's top-level redirect to us.
pub const STATE_COOKIE: &str = "viva_oidc_state";

/// One configured provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    /// In URLs: /auth/oidc/{id}/start.
    pub id: String,
    /// On the button: "Continue with {label}".
    pub label: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

impl Provider {
    pub fn google(client_id: &str, client_secret: &str) -> Provider {
        Provider {
            id: "google".into(),
            label: "Google".into(),
            issuer: "https://accounts.google.com".into(),
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
}

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    nonce: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: EmailVerified,
    name: Option<String>,
}

/// Some providers send `email_verified` as a string.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum EmailVerified {
    Bool(bool),
    Text(String),
    #[default]
    Missing,
}

impl EmailVerified {
    fn yes(&self) -> bool {
        matches!(self, EmailVerified::Bool(true))
            || matches!(self, EmailVerified::Text(t) if t == "true")
    }
}

fn http() -> Result<reqwest::Client, AppError> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(HTTP_TIMEOUT_SECS))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| AppError::internal("oidc http client", e))
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
        .send()
        .await
        .map_err(|e| provider_error(what, e))?;
    if !res.status().is_success() {
        return Err(provider_error(what, res.status()));
    }
    let bytes = res.bytes().await.map_err(|e| provider_error(what, e))?;
    serde_json::from_slice(&bytes).map_err(|e| provider_error(what, e))
}

async fn discover(client: &reqwest::Client, p: &Provider) -> Result<Discovery, AppError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        p.issuer.trim_end_matches('/')
    );
    let d: Discovery = get_json(client, &url, "discovery").await?;
    if d.issuer.trim_end_matches('/') != p.issuer.trim_end_matches('/') {
        return Err(provider_error(
            "discovery",
            format!("issuer {} is not {}", d.issuer, p.issuer),
        ));
    }
    Ok(d)
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Starts a login: returns the provider's authorization URL and the state for the cookie.
pub async fn start(
    db: &Db,
    p: &Provider,
    public_url: &str,
    next: &str,
    now: i64,
) -> Result<(String, String), AppError> {
    let client = http()?;
    let d = discover(&client, p).await?;
    let (state, nonce, verifier) = (random_token(), random_token(), random_token());
    db.query(
        "CREATE oidc_login SET state = $state, provider = $provider, nonce = $nonce, verifier = $verifier, next = $next, created_at = $now",
    )
    .bind(("state", state.clone()))
    .bind(("provider", p.id.clone()))
    .bind(("nonce", nonce.clone()))
    .bind(("verifier", verifier.clone()))
    .bind(("next", next.to_string()))
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
    let d = discover(&client, p).await?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &p.redirect_uri(public_url)),
        ("code_verifier", &login.verifier),
    ];
    let res = client
        .post(&d.token_endpoint)
        .basic_auth(&p.client_id, Some(&p.client_secret))
        .header("accept", "application/json")
        .form(&form)
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
    let claims = verify_id_token(&client, &d, p, &tokens.id_token, &login.nonce).await?;

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
            db.query("CREATE oidc_identity SET provider = $p, subject = $s, user = type::record('user', $u), created_at = $now")
                .bind(("p", p.id.clone()))
                .bind(("s", claims.sub.clone()))
                .bind(("u", uid.clone()))
                .bind(("now", now))
                .await?
                .check()?;
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
    let jwks: JwkSet = get_json(client, &d.jwks_uri, "keys").await?;
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
    let id = new_id();
    db.query(
        "CREATE type::record('user', $id) SET email = $email, name = $name, password_hash = '!', role = 'user',
            job_role = '', experience = 'mid', email_verified = true, disabled = false, terms_version = $terms,
            terms_accepted_at = $now, age_confirmed_at = $now, referral_code = NONE, created_at = $now",
    )
    .bind(("id", id.clone()))
    .bind(("email", email.to_string()))
    .bind(("name", name))
    .bind(("terms", super::service::TERMS_VERSION))
    .bind(("now", now))
    .await?
    .check()?;
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
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(
            &format!("surrealkv://{}", dir.path().join("db").display()),
            &Default::default(),
        )
        .await
        .unwrap();
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
}
