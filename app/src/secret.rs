//! A value that must never reach a log line or debug output (API keys, client secrets,
//! database passwords): `Debug` prints `Secret([redacted])`, and there is no `Display`.
//! Reading it is explicit: [`Secret::expose`], at the one place it is sent.

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_output_hides_the_value() {
        let s = super::Secret::from("sk-live-123");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.expose(), "sk-live-123");
    }
}
