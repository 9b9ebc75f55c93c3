//! What the provider's redirect back brings: the callback's query and, after the code is
//! exchanged, the ID token's claims. Pure parsing in a file of its own (serde and the error
//! type only), so the fuzz targets (fuzz/) compile this very code.

use serde::Deserialize;

use crate::AppError;

/// The query of `/auth/oidc/{provider}/callback`: a code and the state, or the provider's error.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

impl CallbackQuery {
    /// The code and the state, or what to tell the person (with the provider's reason, cut
    /// short) when the provider sent no code.
    pub fn code_and_state(self) -> Result<(String, String), AppError> {
        let (Some(code), Some(state)) = (self.code, self.state) else {
            let why = self.error.unwrap_or_else(|| "no code".into());
            return Err(AppError::BadRequest(format!(
                "The sign-in was not completed ({}). Start again from the sign-in page.",
                why.chars().take(80).collect::<String>()
            )));
        };
        Ok((code, state))
    }
}

/// The claims Viva reads from an ID token.
#[derive(Debug, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub nonce: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: EmailVerified,
    pub name: Option<String>,
}

/// Some providers send `email_verified` as a string.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
pub enum EmailVerified {
    Bool(bool),
    Text(String),
    #[default]
    Missing,
}

impl EmailVerified {
    pub fn yes(&self) -> bool {
        matches!(self, EmailVerified::Bool(true))
            || matches!(self, EmailVerified::Text(t) if t == "true")
    }
}
