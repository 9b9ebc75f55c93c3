//! Your data, yourself: deleting an account everywhere at once, downloading everything, and
//! the /account/data page that gathers them (with the recordings setting voice owns). Above
//! every feature that keeps personal data: each table's owner declares its part of an erasure
//! (`ERASE_USER`, run by [`service::PARTS`]) and of an export (`EXPORT_USER`, gathered by
//! [`export::SECTIONS`]). Owns `export_job` and `export_chunk`. `notice` writes the privacy
//! notice and terms from the installation's settings and the features' own constants.

mod api;
#[cfg(feature = "ssr")]
pub mod export;
pub mod model;
#[cfg(feature = "ssr")]
pub mod notice;
mod pages;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use pages::{DataPage, DeleteAccountPage};
