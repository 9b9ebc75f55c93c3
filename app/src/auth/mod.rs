//! Accounts and security (issue 3). This first part is the pure core the services build on:
//! password policy and hashing, one-time codes, access and refresh tokens, cookies. Each
//! function takes `now` (unix seconds) from the caller, so expiry is tested with a moved clock.
//! Server-only: nothing here is compiled into the browser bundle.

#[cfg(feature = "ssr")]
pub mod account;
mod api;
#[cfg(feature = "ssr")]
pub mod oidc;
#[cfg(feature = "ssr")]
pub mod otp;
mod pages;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod tokens;

pub use api::*;
pub use pages::{AccountPage, DashboardPage, ResetPage, SignInPage, SignUpPage, VerifyPage};
use serde::{Deserialize, Serialize};

/// What an account may do. Checked on the server in every server function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}
