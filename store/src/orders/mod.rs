//! Orders as the API reads them: the read model each order workflow
//! writes, the shipments booked for them, the pickups of their returns, the lines customers received and
//! the purchase statistics recommendations are made of.

mod purchases;
mod read_model;
mod received;
mod return_pickups;
mod shipments;

pub use purchases::CoPurchase;
pub use read_model::OrderFilter;
pub use return_pickups::{PickupBooking, ReturnPickupRecord};
pub use shipments::{ParcelBooking, ShipmentRecord};

use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Orders {
    pub(crate) db: Db,
}
