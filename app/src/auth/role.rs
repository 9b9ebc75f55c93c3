//! The roles of accounts: a claim of every access token.

crate::slug_enum! {
    /// What an account may do. Checked on the server in every server function.
    pub enum Role {
        User = "user",
        Admin = "admin",
    }
}
