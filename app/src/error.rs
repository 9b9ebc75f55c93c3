//! The one error type of the app layer. It crosses the wire to the browser typed (server
//! functions return `Result<T, AppError>`), and the error boundary renders it.
//!
//! On the wire every error has one JSON shape, the same for the Rust client and for
//! `public/voice/recorder.js`:
//! `{"kind": "rate_limited", "message": "Too many attempts. Try again in 42 s.", "retry_after": 42}`
//! — `kind` (one of [`ErrorKind`]), `message` (for people), `retry_after` (seconds; only for
//! `rate_limited`).

use http::StatusCode;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "WireError", try_from = "WireError")]
pub enum AppError {
    /// The input was wrong; the message says what to change.
    #[error("{0}")]
    BadRequest(String),
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("We could not find that page or item.")]
    NotFound,
    /// Too many requests; try again after this many seconds.
    #[error("Too many attempts. Try again in {}.", wait_text(*.0))]
    RateLimited(u64),
    /// A plan's limit is reached; the message names it and how to raise it.
    #[error("{0}")]
    QuotaReached(String),
    /// A service Viva needs (a payment provider) did not answer; nothing was changed.
    #[error("{0}")]
    Unavailable(String),
    /// A fault on our side. The detail is logged on the server, not sent to the browser.
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The browser could not reach the server, or could not read its answer.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

crate::slug_enum! {
    /// What kind of error it is, as the browser reads it.
    pub enum ErrorKind {
        BadRequest = "bad_request",
        Unauthorized = "unauthorized",
        Forbidden = "forbidden",
        NotFound = "not_found",
        RateLimited = "rate_limited",
        QuotaReached = "quota_reached",
        Unavailable = "unavailable",
        Internal = "internal",
        Transport = "transport",
    }
}

/// The JSON shape of an error on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl From<AppError> for WireError {
    fn from(e: AppError) -> WireError {
        WireError {
            kind: e.kind(),
            message: e.to_string(),
            retry_after: match e {
                AppError::RateLimited(s) => Some(s),
                _ => None,
            },
        }
    }
}

impl TryFrom<WireError> for AppError {
    type Error = String;
    fn try_from(w: WireError) -> Result<AppError, String> {
        Ok(match w.kind {
            ErrorKind::BadRequest => AppError::BadRequest(w.message),
            ErrorKind::Unauthorized => AppError::Unauthorized,
            ErrorKind::Forbidden => AppError::Forbidden,
            ErrorKind::NotFound => AppError::NotFound,
            ErrorKind::RateLimited => AppError::RateLimited(
                w.retry_after
                    .ok_or("a rate_limited error without retry_after")?,
            ),
            ErrorKind::QuotaReached => AppError::QuotaReached(w.message),
            ErrorKind::Unavailable => AppError::Unavailable(w.message),
            ErrorKind::Internal => AppError::Internal,
            ErrorKind::Transport => AppError::Transport(
                w.message
                    .strip_prefix("Could not reach the server: ")
                    .unwrap_or(&w.message)
                    .to_string(),
            ),
        })
    }
}

impl AppError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::BadRequest(_) => ErrorKind::BadRequest,
            AppError::Unauthorized => ErrorKind::Unauthorized,
            AppError::Forbidden => ErrorKind::Forbidden,
            AppError::NotFound => ErrorKind::NotFound,
            AppError::RateLimited(_) => ErrorKind::RateLimited,
            AppError::QuotaReached(_) => ErrorKind::QuotaReached,
            AppError::Unavailable(_) => ErrorKind::Unavailable,
            AppError::Internal => ErrorKind::Internal,
            AppError::Transport(_) => ErrorKind::Transport,
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::QuotaReached(_) => StatusCode::PAYMENT_REQUIRED,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Transport(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// Logs the detail of an internal fault and returns the generic error shown to users.
    #[cfg(feature = "ssr")]
    pub fn internal(context: &str, detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "{context}");
        AppError::Internal
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request did not decode: wrong or malformed arguments.
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                AppError::BadRequest(format!("The request could not be read: {msg}"))
            }
            ServerFnErrorErr::MissingArg(msg) => {
                AppError::BadRequest(format!("A required field is missing: {msg}"))
            }
            ServerFnErrorErr::UnsupportedRequestMethod(msg) => {
                AppError::BadRequest(format!("Unsupported request method: {msg}"))
            }
            ServerFnErrorErr::Request(msg) | ServerFnErrorErr::Response(msg) => {
                AppError::Transport(msg)
            }
            ServerFnErrorErr::Registration(_) => AppError::NotFound,
            _ => AppError::Internal,
        }
    }
}

/// A wait as people say it: seconds under a minute, then whole minutes (rounded up), then hours
/// and minutes ("42 s", "16 min", "1 h 5 min").
pub fn wait_text(secs: u64) -> String {
    if secs < 60 {
        return format!("{secs} s");
    }
    let mins = secs.div_ceil(60);
    match (mins / 60, mins % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_client_errors_for_user_faults() {
        assert_eq!(AppError::BadRequest("x".into()).status_code(), 400);
        assert_eq!(AppError::RateLimited(3).status_code(), 429);
        assert_eq!(AppError::NotFound.status_code(), 404);
        assert_eq!(AppError::Internal.status_code(), 500);
    }

    #[test]
    fn malformed_arguments_become_bad_request_with_the_reason() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Deserialization(
            "expected `,`".into(),
        ));
        assert_eq!(e.status_code(), 400);
        assert!(e.to_string().contains("expected `,`"), "{e}");
    }

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(wait_text(1), "1 s");
        assert_eq!(wait_text(59), "59 s");
        assert_eq!(wait_text(60), "1 min");
        assert_eq!(wait_text(61), "2 min");
        assert_eq!(wait_text(987), "17 min");
        assert_eq!(wait_text(3600), "1 h");
        assert_eq!(wait_text(3_900), "1 h 5 min");
        assert_eq!(
            AppError::RateLimited(3_542).to_string(),
            "Too many attempts. Try again in 1 h."
        );
    }

    #[test]
    fn round_trips_through_json_as_the_browser_receives_it() {
        let e = AppError::RateLimited(42);
        let s = serde_json::to_string(&e).unwrap();
        let back: AppError = serde_json::from_str(&s).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.to_string(), "Too many attempts. Try again in 42 s.");
    }

    #[test]
    fn every_error_has_one_json_shape_with_a_human_message() {
        let v: serde_json::Value = serde_json::to_value(AppError::RateLimited(42)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "rate_limited", "message": "Too many attempts. Try again in 42 s.", "retry_after": 42})
        );
        let v: serde_json::Value = serde_json::to_value(AppError::Unauthorized).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "unauthorized", "message": "Please sign in to continue."})
        );
        for e in [
            AppError::BadRequest("Type at most 10 characters.".into()),
            AppError::Forbidden,
            AppError::NotFound,
            AppError::Internal,
            AppError::Transport("timed out".into()),
        ] {
            let s = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<AppError>(&s).unwrap(), e, "{s}");
        }
        assert!(serde_json::from_str::<AppError>(r#"{"kind":"oops","message":"x"}"#).is_err());
    }
}
