//! Administration pages: people and roles, the security audit log, the e-mail outbox. No
//! tables of its own: it calls `auth::people` and `mail::outbox`. Every server function here
//! requires an admin, checked on the server.

mod api;
mod pages;

pub use api::*;
pub use pages::{AdminAuditPage, AdminOutboxPage, AdminUsersPage};
