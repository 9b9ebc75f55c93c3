//! Shared components every feature may use: action status, error views, 404, charts, theme,
//! time formatting, hydration in parts. Nothing here knows a feature (the shell, above every
//! feature, does).

mod action_status;
pub mod chart;
mod error_view;
mod later;
mod not_found;
pub mod theme;
pub mod time;
mod yielding;

pub use action_status::ActionStatus;
pub use error_view::{ErrorNotice, ErrorView};
pub use later::{settled, Later};
pub use not_found::NotFound;
pub use yielding::Yielding;
