//! Notifications: the in-app inbox with the delivery record of every other
//! channel (the outbox the worker's delivery relay sends from), and the
//! devices customers registered for push.

mod inbox;
mod outbox;
mod push_devices;

pub use inbox::{NewNotification, Notification};
pub use push_devices::{MAX_PUSH_DEVICES, PushDevice, PushDeviceRegistration};

use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Notifications {
    pub(crate) db: Db,
}
