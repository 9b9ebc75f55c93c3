//! What server functions get from the server: the database handle and settings they need.
//! Provided as Leptos context for every request by the server crate.

use crate::auth::service::{AuthKeys, Caller};
use crate::clock::Clock;
use crate::db::Db;
use crate::AppError;

#[derive(Clone)]
pub struct ServerContext {
    pub db: Db,
    /// The address people use to reach this site, e.g. `https://viva.example.org`.
    pub public_url: String,
    pub keys: AuthKeys,
    pub clock: Clock,
    pub mailer: crate::mail::Mailer,
    /// Cookies without `Secure`/`__Host-`: only when the operator serves plain HTTP on purpose.
    pub insecure_cookies: bool,
    /// Configured OpenID Connect sign-in providers.
    pub oidc: std::sync::Arc<Vec<crate::auth::oidc::Provider>>,
    /// Who evaluates answers: the embedded engine, or a configured hosted one.
    pub evaluator: std::sync::Arc<crate::feedback::evaluator::Evaluator>,
    /// Who transcribes spoken answers (possibly nobody), and how to wake its workers.
    pub transcriber: std::sync::Arc<crate::voice::transcribe::Transcriber>,
    pub voice_wake: std::sync::Arc<tokio::sync::Notify>,
}

impl ServerContext {
    pub fn cookie_mode(&self) -> crate::auth::tokens::CookieMode {
        crate::auth::tokens::CookieMode {
            secure: !self.insecure_cookies,
        }
    }

    pub fn get() -> Result<ServerContext, AppError> {
        leptos::prelude::use_context::<ServerContext>().ok_or_else(|| {
            AppError::internal(
                "server context",
                "ServerContext missing from Leptos context",
            )
        })
    }
}

/// The signed-in caller of this request, put there by the server's session middleware.
pub fn caller() -> Option<Caller> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<Caller>().cloned())
}

/// The caller, or 401.
pub fn require_caller() -> Result<Caller, AppError> {
    caller().ok_or(AppError::Unauthorized)
}

/// An admin caller, or 401 (not signed in) / 403 (signed in, not an admin). The role is the
/// account's current one, read when the session was checked.
pub fn require_admin() -> Result<Caller, AppError> {
    let c = require_caller()?;
    if c.role != crate::auth::Role::Admin {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

/// The address a request came from, put there by the server (the peer address, or the
/// proxy's X-Forwarded-For when the operator said the site is behind a proxy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIp(pub String);

pub fn client_ip() -> String {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<ClientIp>().map(|ip| ip.0.clone()))
        .unwrap_or_else(|| "unknown".into())
}
