//! (ssr) What a server function learns from the server about its request. The server crate
//! provides each piece as its own Leptos context (the database, the clock, the site, and each
//! feature's own state); a feature reads only the pieces it needs, with [`expect`].

use crate::AppError;

/// A piece of server state the server crate provided for this request, or a logged 500.
pub fn expect<T: Clone + Send + Sync + 'static>() -> Result<T, AppError> {
    leptos::prelude::use_context::<T>().ok_or_else(|| {
        AppError::internal(
            "server context",
            format!("{} missing from Leptos context", std::any::type_name::<T>()),
        )
    })
}

/// A value a server middleware attached to this request (e.g. the signed-in caller).
pub fn extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<T>().cloned())
}

/// How people reach this site.
#[derive(Clone, Debug)]
pub struct Site {
    /// e.g. `https://viva.example.org`: links in e-mails, sign-in provider redirects.
    pub public_url: String,
    /// Served over plain HTTP on purpose (`--allow-insecure-http`): cookies without `Secure`.
    pub insecure_cookies: bool,
}

/// The address a request came from, put there by the server (the peer address, or the
/// proxy's X-Forwarded-For when the peer is a trusted proxy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIp(pub String);

pub fn client_ip() -> String {
    extension::<ClientIp>()
        .map(|ip| ip.0)
        .unwrap_or_else(|| "unknown".into())
}

// Reading uploads: its own file, which needs only server_fn (multer) and the error type, so
// the fuzz targets (fuzz/) compile the same code.
mod upload;
pub use upload::{is_multipart, read_multipart, Field, Form, UploadRules};
