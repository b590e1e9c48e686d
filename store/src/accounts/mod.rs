//! Accounts: users and their password hashes, refresh tokens, profiles,
//! address books, password resets and the counters behind login throttling.

mod addresses;
mod login_failures;
mod password_resets;
mod profiles;
mod tokens;
mod users;

pub use addresses::{AddressCreation, MAX_ADDRESSES, NewAddress, SavedAddress};
pub use login_failures::FailureWindow;
pub use password_resets::PasswordReset;
pub use profiles::{Profile, ProfileChanges};
pub use users::{NewUser, User, UserWithHash};

use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Accounts {
    pub(crate) db: Db,
}
