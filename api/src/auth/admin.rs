//! Seeding the first administrator.
//!
//! Registration only creates customers, so the binary calls
//! [`ensure_admin`] at start-up with credentials from its configuration.
//! Running it on every start is safe: an existing admin is left untouched.

use orderly_domain::Role;
use orderly_store::{NewUser, Store, StoreError, User};

use super::credentials::{check_email, check_password, normalize_email};
use super::password::hash_password;
use crate::problem::ApiError;

/// Makes sure an admin account with `email` exists, creating it with
/// `password` if it does not. An existing admin keeps its current password;
/// an existing non-admin account with that email is a `Conflict`.
pub async fn ensure_admin(store: &Store, email: &str, password: &str) -> Result<User, ApiError> {
    let email = normalize_email(email);
    let mut errors = Vec::new();
    check_email(&email, &mut errors);
    check_password(password, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(existing) = existing_admin(store, &email).await? {
        return Ok(existing);
    }
    let password_hash = hash_password(password.to_owned()).await?;
    let created = store
        .accounts()
        .insert_user(&NewUser {
            email: email.clone(),
            name: "Administrator".to_owned(),
            password_hash,
            role: Role::Admin,
        })
        .await;
    match created {
        Ok(user) => {
            tracing::info!(email = %user.email, "created the admin account");
            Ok(user)
        }
        // Another replica seeded it between our read and our insert.
        Err(StoreError::Conflict(_)) => existing_admin(store, &email).await?.ok_or_else(|| {
            ApiError::Conflict(format!("{email} exists but could not be read back"))
        }),
        Err(other) => Err(other.into()),
    }
}

async fn existing_admin(store: &Store, email: &str) -> Result<Option<User>, ApiError> {
    match store.accounts().user_by_email(email).await? {
        None => Ok(None),
        Some(found) if found.user.role == Role::Admin => Ok(Some(found.user)),
        Some(found) => Err(ApiError::Conflict(format!(
            "{email} is registered as a {}, not an admin",
            found.user.role.as_str()
        ))),
    }
}
