//! The cart reminder workflow's input and result.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use orderly_domain::UserId;

/// The input of a [`CartReminderWorkflow`]; only the first start's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartReminderInput {
    pub cart_id: Uuid,
    pub user_id: UserId,
    /// How long the cart must stay untouched before the reminder.
    pub reminder_after_millis: u64,
}

/// How a reminder run ended; the workflow's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CartReminderOutcome {
    /// The reminder went out.
    Reminded,
    /// The cart was checked out or emptied first (or was gone when the time
    /// came): nothing was sent.
    Cancelled,
}
