//! Your data, yourself: deleting an account everywhere at once (and, later, export and
//! retention). Above every feature that keeps personal data: each table's owner declares its
//! part of an erasure (`ERASE_USER`), and [`service::PARTS`] is the one list that runs them.

mod api;
mod pages;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use pages::DeleteAccountPage;
