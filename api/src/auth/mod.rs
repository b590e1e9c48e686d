//! Authentication: accounts, password hashing, access and refresh tokens.
//!
//! Access tokens are short-lived JWTs, checked against the user's session
//! epoch (remembered for a second) so a password reset ends them; refresh tokens are opaque, stored only as hashes, rotated on every use and
//! revocable, so a stolen one is detected the next time either holder uses it.

mod access_token;
mod admin;
mod credentials;
mod extractor;
mod password;
pub mod password_reset;
mod refresh_token;
pub mod routes;
mod session;
pub mod session_epochs;
pub mod throttle;

pub use access_token::{AccessClaims, issue as issue_access_token, verify as verify_access_token};
pub use admin::ensure_admin;
pub use credentials::check_name;
pub use extractor::{AuthUser, bearer_token};
pub use password::{hash_password, verify_password};
pub use routes::router;
