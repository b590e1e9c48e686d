//! What the built-in sandbox providers remember, in tables of their own, as
//! a real provider would on its side: the payment gateway's idempotency
//! keys and card tokens, and the SMS and push gateways' message log.

mod cards;
mod messages;
mod payments;

pub use cards::SandboxCard;
pub use messages::{NewSandboxMessage, SandboxMessage};
pub use payments::SandboxAttempt;

use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Sandbox {
    pub(crate) db: Db,
}
