//! The app's parsers of outside bytes, compiled here from the app's own source files (no copy:
//! `#[path]` mounts each file as it is). Building the `app` crate itself needs its `ssr`
//! feature — SurrealDB, candle, async-stripe and the rest, about 50 minutes on one core before
//! any instrumentation — while these files need only a few small crates. Each file mounted here
//! was made to depend on nothing of the app but what is mounted beside it.

#[macro_use]
#[path = "../../app/src/slug.rs"]
pub mod slug;

#[path = "../../app/src/error.rs"]
pub mod error;
pub use error::AppError;

#[path = "../../app/src/auth/role.rs"]
mod role;
pub use role::Role;

/// `app::auth::tokens`: access tokens, refresh-token helpers, cookie parsing.
#[path = "../../app/src/auth/tokens.rs"]
pub mod tokens;

/// `app::interview::resume` (its checks): size, type and decompression guards, the lopdf load.
#[path = "../../app/src/interview/resume/check.rs"]
pub mod resume;

/// `app::request` (its uploads): `read_multipart` and `Form`.
#[path = "../../app/src/request/upload.rs"]
pub mod upload;

/// `app::auth::oidc` (what the provider's redirect brings): the callback's query, ID-token claims.
#[path = "../../app/src/auth/oidc/callback.rs"]
pub mod oidc_callback;

/// `app::billing::service::razorpay` (its signatures): webhooks and the checkout's return.
#[path = "../../app/src/billing/service/razorpay/signature.rs"]
pub mod razorpay_signature;
