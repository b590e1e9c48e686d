//! `/v1/me/addresses`: the caller's address book.
//!
//! Every logged-in account has its own book and sees only it: another
//! account's address id is answered 404, exactly like an id that does not
//! exist. Whenever the book is not empty, exactly one address is the
//! default: the first one saved becomes it, `POST …/{id}/default` moves
//! it, and deleting the default hands it to the newest remaining address
//! (so checkout always has a default to offer). Checkout reads a saved
//! address through `Accounts::address_for_user`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use orderly_domain::{Address, DomainError};
use orderly_store::{AddressCreation, NewAddress, SavedAddress};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::order_placement::idempotency_key;
use crate::pagination::{PageQuery, PageRequest, Paginated};
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// Longest label, e.g. "Home" or "Mum's place".
const LABEL_MAX_CHARS: usize = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/me/addresses", post(create_address).get(list_addresses))
        .route(
            "/v1/me/addresses/{id}",
            get(get_address)
                .patch(update_address)
                .delete(delete_address),
        )
        .route("/v1/me/addresses/{id}/default", post(make_default))
}

/// A saved address as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AddressBody {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub label: Option<String>,
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SavedAddress> for AddressBody {
    fn from(saved: SavedAddress) -> Self {
        Self {
            id: saved.id,
            label: saved.label,
            name: saved.address.name,
            line1: saved.address.line1,
            line2: saved.address.line2,
            city: saved.address.city,
            postal_code: saved.address.postal_code,
            country: saved.address.country,
            is_default: saved.is_default,
            created_at: saved.created_at,
            updated_at: saved.updated_at,
        }
    }
}

/// A new address.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAddressRequest {
    #[serde(default)]
    #[schema(example = "Home")]
    pub label: Option<String>,
    #[schema(example = "Asha Rao")]
    pub name: String,
    #[schema(example = "12 MG Road")]
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    #[schema(example = "Pune")]
    pub city: String,
    #[schema(example = "411001")]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `IN`.
    #[schema(example = "IN")]
    pub country: String,
    /// Make it the default address (the first address always is).
    #[serde(default)]
    pub is_default: bool,
}

/// The fields to change; the others keep their values. `label` and
/// `line2` can be removed with `null`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAddressRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub label: Option<Option<String>>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub line1: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub line2: Option<Option<String>>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Trimmed text; blank optional text is no text.
fn optional_text(raw: Option<String>) -> Option<String> {
    raw.map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

/// The label and address as they will be stored, or every problem with
/// them, named by the request's field names.
fn checked(label: Option<String>, address: Address) -> Result<(Option<String>, Address), ApiError> {
    let label = optional_text(label);
    let address = address.normalized();
    let mut errors: Vec<FieldError> = address.validate().into_iter().map(field_of).collect();
    if let Some(label) = &label
        && (label.chars().count() > LABEL_MAX_CHARS || label.chars().any(char::is_control))
    {
        errors.push(FieldError::new(
            "label",
            format!("must be at most {LABEL_MAX_CHARS} printable characters"),
        ));
    }
    if errors.is_empty() {
        Ok((label, address))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// `Address::validate` names fields as parts of an order
/// (`fulfillment.address.city`); here they are top-level fields.
pub(crate) fn field_of(error: DomainError) -> FieldError {
    let field = error
        .field
        .rsplit_once('.')
        .map_or(error.field.as_str(), |(_, last)| last)
        .to_owned();
    FieldError::new(field, error.message)
}

/// Saves an address to the caller's book.
#[utoipa::path(
    post,
    path = "/v1/me/addresses",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = CreateAddressRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body returns the same address")),
    responses(
        (status = 201, description = "Saved", body = AddressBody),
        (status = 200, description = "The address an earlier request with this Idempotency-Key saved", body = AddressBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The address book is full", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_address(
    State(state): State<AppState>,
    caller: AuthUser,
    headers: HeaderMap,
    ValidJson(request): ValidJson<CreateAddressRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let fingerprint = crate::order_placement::request_fingerprint(&state, &request);
    let (label, address) = checked(
        request.label,
        Address {
            name: request.name,
            line1: request.line1,
            line2: request.line2,
            city: request.city,
            postal_code: request.postal_code,
            country: request.country,
        },
    )?;
    let created = state
        .store
        .accounts()
        .insert_address(
            caller.id,
            &NewAddress {
                label,
                address,
                make_default: request.is_default,
                idempotency: key.map(|key| (key, fingerprint.clone())),
            },
        )
        .await?;
    match created {
        AddressCreation::Created(saved) => Ok((
            StatusCode::CREATED,
            [(header::LOCATION, format!("/v1/me/addresses/{}", saved.id))],
            Json(AddressBody::from(saved)),
        )
            .into_response()),
        AddressCreation::Existing {
            request_hash,
            address,
        } => {
            if request_hash != fingerprint {
                return Err(ApiError::IdempotencyMismatch);
            }
            Ok((StatusCode::OK, Json(AddressBody::from(address))).into_response())
        }
    }
}

/// The caller's addresses in the order they were saved.
#[utoipa::path(
    get,
    path = "/v1/me/addresses",
    tag = "accounts",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of addresses", body = Paginated<AddressBody>),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_addresses(
    State(state): State<AppState>,
    caller: AuthUser,
    page: PageRequest,
) -> Result<Json<Paginated<AddressBody>>, ApiError> {
    let after: Option<Uuid> = page.cursor()?;
    let rows = state
        .store
        .accounts()
        .addresses_for_user(caller.id, after, page.fetch_limit())
        .await?;
    let (rows, next_cursor) = page.split(rows, |saved| saved.id.to_string());
    Ok(Json(Paginated {
        items: rows.into_iter().map(AddressBody::from).collect(),
        next_cursor,
    }))
}

/// One of the caller's addresses.
#[utoipa::path(
    get,
    path = "/v1/me/addresses/{id}",
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "Address id")),
    responses(
        (status = 200, description = "The address", body = AddressBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such address in the caller's book", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_address(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<AddressBody>, ApiError> {
    let saved = state
        .store
        .accounts()
        .saved_address(caller.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(saved.into()))
}

/// Changes some fields of one of the caller's addresses.
#[utoipa::path(
    patch,
    path = "/v1/me/addresses/{id}",
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "Address id")),
    request_body = UpdateAddressRequest,
    responses(
        (status = 200, description = "The address after the change", body = AddressBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such address in the caller's book", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Changed by another request meanwhile; read it again", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_address(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<Uuid>,
    ValidJson(request): ValidJson<UpdateAddressRequest>,
) -> Result<Json<AddressBody>, ApiError> {
    let saved = state
        .store
        .accounts()
        .saved_address(caller.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let current = saved.address.clone();
    let (label, address) = checked(
        request.label.unwrap_or(saved.label.clone()),
        Address {
            name: request.name.unwrap_or(current.name),
            line1: request.line1.unwrap_or(current.line1),
            line2: request.line2.unwrap_or(current.line2),
            city: request.city.unwrap_or(current.city),
            postal_code: request.postal_code.unwrap_or(current.postal_code),
            country: request.country.unwrap_or(current.country),
        },
    )?;
    let updated = state
        .store
        .accounts()
        .update_address(&SavedAddress {
            label,
            address,
            ..saved
        })
        .await?;
    Ok(Json(updated.into()))
}

/// Deletes one of the caller's addresses. If it was the default, the
/// newest remaining address becomes the default.
#[utoipa::path(
    delete,
    path = "/v1/me/addresses/{id}",
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "Address id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such address in the caller's book", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_address(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    if state.store.accounts().delete_address(caller.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Makes one of the caller's addresses the default.
#[utoipa::path(
    post,
    path = "/v1/me/addresses/{id}/default",
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "Address id")),
    responses(
        (status = 200, description = "The new default address", body = AddressBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such address in the caller's book", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn make_default(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<AddressBody>, ApiError> {
    let saved = state
        .store
        .accounts()
        .set_default_address(caller.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(saved.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(country: &str) -> Address {
        Address {
            name: " Asha Rao ".into(),
            line1: "12 MG Road".into(),
            line2: Some("  ".into()),
            city: "Pune".into(),
            postal_code: "411001".into(),
            country: country.into(),
        }
    }

    #[test]
    fn fields_are_trimmed_and_blank_optional_ones_dropped() {
        let (label, checked) = checked(Some(" Home ".into()), address(" in ")).unwrap();
        assert_eq!(label.as_deref(), Some("Home"));
        assert_eq!(checked.name, "Asha Rao");
        assert_eq!(checked.line2, None);
        assert_eq!(checked.country, "IN");
    }

    #[test]
    fn problems_are_named_by_the_request_field() {
        let mut bad = address("India");
        bad.city = String::new();
        match checked(Some("x".repeat(51)), bad) {
            Err(ApiError::Validation(errors)) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["city", "country", "label"]);
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}
