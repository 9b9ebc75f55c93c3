//! Viva: the Leptos application. Each feature lives in its own folder (components, `api.rs`
//! with its server functions, and an ssr-only `service.rs`); `ui/` holds the shell.

pub mod address;
pub mod admin;
pub mod contact;
pub mod error;
#[macro_use]
pub mod slug;
pub mod feedback;
pub mod ids;
pub mod interview;
pub mod policy;
pub mod privacy;
pub mod secret;
pub mod shell;
pub mod ui;
pub mod video;
pub mod voice;

pub mod auth;
pub mod billing;
#[cfg(feature = "ssr")]
pub mod blob;
#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod db;
pub mod mail;
#[cfg(feature = "ssr")]
pub mod memo;
#[cfg(feature = "ssr")]
pub mod outbound;
#[cfg(feature = "ssr")]
pub mod process;
#[cfg(feature = "ssr")]
pub mod ratelimit;
#[cfg(feature = "ssr")]
pub mod request;

pub use error::AppError;
pub use shell::{shell, App};

/// The product's name as shown to people.
pub const PRODUCT_NAME: &str = "Viva";
/// This build's version, the same in the server and the browser bundle.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
