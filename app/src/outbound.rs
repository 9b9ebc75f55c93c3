//! (ssr) HTTP to other services: hosted evaluation and transcription engines, sign-in
//! providers. One client per process (connections and TLS sessions are reused), no redirect
//! ever followed (it would carry an API key or a code to wherever it points), a timeout on
//! every request, and the one retry loop for calls that may pass on a second try.

use std::sync::OnceLock;
use std::time::Duration;

/// Tries of a call that failed in a way that may pass (a timeout, a connection error, 429,
/// 5xx): the first and this many minus one retries, waiting [`BACKOFF`], then twice that…
pub const ATTEMPTS: u32 = 3;
pub const BACKOFF: Duration = Duration::from_millis(500);

/// The process's client. Each request sets its own timeout (`RequestBuilder::timeout`).
pub fn client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("the HTTP client could not start: {e}"))?;
    Ok(CLIENT.get_or_init(|| c))
}

/// What one try of a call came to.
pub enum Attempt<T> {
    Done(T),
    /// May pass on another try; why it failed this time.
    Retry(String),
    /// Will not pass; why.
    Fail(String),
}

/// Runs `call` until it is done, fails for good, or [`ATTEMPTS`] tries were made (the last
/// reason is returned).
pub async fn with_retries<T, F, Fut>(mut call: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Attempt<T>>,
{
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(BACKOFF * 2u32.pow(attempt - 1)).await;
        }
        match call().await {
            Attempt::Done(v) => return Ok(v),
            Attempt::Retry(why) => last = why,
            Attempt::Fail(why) => return Err(why),
        }
    }
    Err(last)
}

/// What to say about a redirect answer: where it pointed, and which setting to correct.
pub fn redirect_refused(res: &reqwest::Response, setting: &str) -> String {
    let to: String = res
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("elsewhere")
        .chars()
        .take(200)
        .collect();
    format!(
        "answered with a redirect (HTTP {} to {to}), which Viva does not follow: it would carry the API key there. Set {setting} to the address that answers",
        res.status().as_u16()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn retries_stop_at_a_final_failure_or_after_the_last_attempt() {
        let mut tries = 0;
        let r: Result<(), String> = with_retries(|| {
            tries += 1;
            async { Attempt::Retry("busy".into()) }
        })
        .await;
        assert_eq!((r, tries), (Err("busy".into()), ATTEMPTS));
        let mut tries = 0;
        let r: Result<(), String> = with_retries(|| {
            tries += 1;
            async { Attempt::Fail("refused".into()) }
        })
        .await;
        assert_eq!((r, tries), (Err("refused".into()), 1));
        assert!(
            std::ptr::eq(client().unwrap(), client().unwrap()),
            "one client per process"
        );
    }
}
