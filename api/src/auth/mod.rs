//! Authentication: accounts, password hashing, access and refresh tokens.
//!
//! Access tokens are short-lived JWTs naming their session, which is checked
//! (remembered for a second) so a logout or a password reset ends them;
//! refresh tokens are opaque, stored only as hashes, rotated on every use and
//! revocable, so a stolen one is detected the next time either holder uses
//! it. Logins are throttled by failure streaks (`login_throttle`).

mod access_token;
mod admin;
mod credentials;
mod device_token;
mod extractor;
pub(crate) mod invitation;
pub mod live_sessions;
mod login_throttle;
pub mod password;
pub mod password_reset;
mod refresh_token;
pub mod routes;
pub(crate) mod session;

pub use access_token::{AccessClaims, issue as issue_access_token, verify as verify_access_token};
pub use admin::ensure_admin;
pub use credentials::check_name;
pub(crate) use credentials::{check_email, normalize_email};
pub use extractor::{AuthUser, bearer_token};
pub use password::{PasswordHashing, hash_password};
pub use routes::router;
