//! Accounts: users and their password hashes, sessions (refresh-token
//! families), profiles, address books and password resets.

mod addresses;
mod password_resets;
mod profiles;
mod staff;
mod tokens;
mod users;

pub use addresses::{AddressCreation, MAX_ADDRESSES, NewAddress, SavedAddress};
pub use password_resets::ResetCode;
pub use profiles::{Profile, ProfileChanges};
pub use staff::{StaffChange, StaffMember};
pub use tokens::RefreshedSession;
pub use users::{NewUser, User, UserWithHash};

use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Accounts {
    pub(crate) db: Db,
}
