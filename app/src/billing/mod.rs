//! Plans and payments: plans from the operator's file, quotas counted per billing period and
//! enforced where they are spent, Stripe and Razorpay subscriptions, invoices, referral codes.
//! With no payment provider configured, none of it appears and nothing is limited.

pub mod api;
pub mod model;
pub mod pages;
pub mod types;

#[cfg(feature = "ssr")]
pub mod service;

pub use model::{Meter, Provider};
