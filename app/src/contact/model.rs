//! What the support desk exchanges with the browser.

use serde::{Deserialize, Serialize};

crate::slug_enum! {
    /// Where a support conversation stands.
    pub enum TicketStatus {
        /// Waiting for the operator.
        Open = "open",
        /// The operator replied; a new message from the person opens it again.
        Answered = "answered",
        /// Done; deleted after the retention period.
        Closed = "closed",
    }
}

impl TicketStatus {
    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Open => "Open",
            TicketStatus::Answered => "Answered",
            TicketStatus::Closed => "Closed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub body: String,
    pub author: String,
    pub from_operator: bool,
    pub at: i64,
}

/// One conversation: the first message and every reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    pub name: String,
    pub email: String,
    pub message: String,
    pub status: TicketStatus,
    pub received_at: i64,
    pub updated_at: i64,
    /// Sent by a signed-in person (the account is linked).
    pub from_account: bool,
    pub replies: Vec<Reply>,
}
