//! What the data-rights server functions exchange with the browser.

use serde::{Deserialize, Serialize};

/// Where a finished export downloads from: `/exports/{id}`.
pub const EXPORT_PATH: &str = "/exports";

crate::slug_enum! {
    /// Where an export job stands.
    pub enum ExportStatus {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
}

/// The caller's latest export, as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportView {
    pub id: String,
    pub status: ExportStatus,
    /// What it is doing now ("Adding recording 40 of 100").
    pub step: String,
    pub done: u32,
    pub total: u32,
    pub bytes: u64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// Past `expires_at`: the file is gone.
    pub expired: bool,
    pub error: Option<String>,
}

impl ExportView {
    /// Still being prepared (the page keeps asking).
    pub fn working(&self) -> bool {
        matches!(self.status, ExportStatus::Queued | ExportStatus::Running)
    }

    pub fn url(&self) -> String {
        format!("{EXPORT_PATH}/{}", self.id)
    }
}
