//! Interview pages, one file per route (as Leptos's hackernews example does): set up,
//! the interview, the report, history with progress, and the profile. Forms are
//! `ActionForm`s, so they work before hydration.

use leptos::prelude::*;

use super::model::*;

mod history;
mod interview;
mod practice;
mod profile;
mod report;
mod try_it;

pub use history::HistoryPage;
pub use interview::InterviewPage;
#[cfg(feature = "ssr")]
pub(super) use practice::practice_setup;
pub use practice::PracticePage;
pub use profile::ProfilePage;
#[cfg(feature = "ssr")]
pub(super) use report::report_content;
pub use report::ReportPage;
pub use try_it::{TriedAnswerOffer, TryLive, TryLoader, TryPanel, TRIED_ANSWER_KEY};

fn role_options(selected: String) -> impl IntoView {
    ROLES
        .iter()
        .map(move |(slug, label)| view! { <option value=*slug selected=*slug == selected>{*label}</option> })
        .collect_view()
}
