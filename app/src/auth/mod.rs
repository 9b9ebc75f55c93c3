//! Accounts and security: sign-up, codes, sign-in, sessions, sign-in providers, account
//! settings, roles and the first administrator. Owns the `user`, `session`, `refresh_token`,
//! `otp`, `oidc_*`, `admin_setup` and `audit_event` tables; other features call in here.
//!
//! Shared by browser and server: `api` (server fns and what they exchange), `pages`, [`Role`].
//! Server only: the pure core (`password`, `otp`, `tokens`, `session`; each takes `now`, so
//! expiry is tested with a moved clock), `service` (users, codes, sessions, audit), `account`,
//! `oidc`, `people`, and [`AuthState`] with the caller of a request.

#[cfg(feature = "ssr")]
pub mod account;
mod api;
mod consent;
#[cfg(feature = "ssr")]
pub mod oidc;
#[cfg(feature = "ssr")]
pub mod otp;
mod pages;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod people;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod tokens;

pub use api::*;
pub use consent::{
    accept_policies, my_consents, pending_policies, set_hosted_ai, ConsentOverview, ConsentsCard,
    HostedAiQuestion, PolicyGate,
};
pub use pages::{AccountPage, DashboardPage, ResetPage, SignInPage, SignUpPage, VerifyPage};

crate::slug_enum! {
    /// How experienced someone is, as sign-up asks (and the account page corrects).
    pub enum Experience {
        Entry = "entry",
        Junior = "junior",
        Mid = "mid",
        Senior = "senior",
        Lead = "lead",
        Executive = "executive",
    }
}

impl Experience {
    pub fn label(self) -> &'static str {
        match self {
            Experience::Entry => "Entry level",
            Experience::Junior => "Junior",
            Experience::Mid => "Mid-level",
            Experience::Senior => "Senior",
            Experience::Lead => "Lead",
            Experience::Executive => "Executive",
        }
    }
}

// Its own file, so the fuzz targets (fuzz/) compile `tokens` with the same `Role`.
mod role;
pub use role::Role;

/// (ssr) What accounts need from the server, provided as one Leptos context: the keys of this
/// installation and the configured sign-in providers.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct AuthState {
    pub keys: service::AuthKeys,
    pub oidc: std::sync::Arc<Vec<oidc::Provider>>,
}

/// (ssr) Cookie attributes for this site: `Secure` and `__Host-` unless the operator serves
/// plain HTTP on purpose.
#[cfg(feature = "ssr")]
pub fn cookie_mode(site: &crate::request::Site) -> tokens::CookieMode {
    tokens::CookieMode {
        secure: !site.insecure_cookies,
    }
}

/// The names of every cookie Viva sets, secure or not (the privacy notice lists them).
#[cfg(feature = "ssr")]
pub struct CookieNames {
    pub access: &'static str,
    pub refresh: &'static str,
    pub oidc_state: &'static str,
}

#[cfg(feature = "ssr")]
pub fn cookie_names(secure: bool) -> CookieNames {
    let mode = tokens::CookieMode { secure };
    CookieNames {
        access: mode.access_name(),
        refresh: mode.refresh_name(),
        oidc_state: oidc::state_cookie_name(mode),
    }
}

/// (ssr) The signed-in caller of this request, put there by the server's session middleware.
#[cfg(feature = "ssr")]
pub fn caller() -> Option<service::Caller> {
    crate::request::extension::<service::Caller>()
}

/// (ssr) The caller, or 401.
#[cfg(feature = "ssr")]
pub fn require_caller() -> Result<service::Caller, crate::AppError> {
    caller().ok_or(crate::AppError::Unauthorized)
}

/// (ssr) An admin caller, or 401 (not signed in) / 403 (signed in, not an admin). The role is
/// the account's current one, read when the session was checked.
#[cfg(feature = "ssr")]
pub fn require_admin() -> Result<service::Caller, crate::AppError> {
    let c = require_caller()?;
    if c.role != Role::Admin {
        return Err(crate::AppError::Forbidden);
    }
    Ok(c)
}
