//! `/v1/suppliers`: the suppliers, farmers and importers batches come from,
//! their certifications, and what their batches came to (admin).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use orderly_domain::{Money, Role, SupplierId};
use orderly_store::{Certification, Supplier, SupplierRecord, SupplierSetup};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::problem::{ApiError, FieldError, Problem};
use crate::routes::warehouses::BatchBody;
use crate::state::AppState;

const TEXT_MAX_CHARS: usize = 200;
const CERTIFICATIONS_MAX: usize = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/suppliers", get(list_suppliers).post(create_supplier))
        .route("/v1/suppliers/{id}", get(get_supplier))
        .route("/v1/suppliers/{id}/certifications", put(set_certifications))
}

/// A certification a supplier holds.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationBody {
    /// What is certified, e.g. `organic`: lower-case letters, digits and `-`.
    pub kind: String,
    pub certificate_number: String,
    /// The last day the certificate is valid.
    pub valid_until: NaiveDate,
}

impl From<Certification> for CertificationBody {
    fn from(c: Certification) -> Self {
        Self {
            kind: c.kind,
            certificate_number: c.certificate_number,
            valid_until: c.valid_until,
        }
    }
}

/// A supplier as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplierBody {
    pub id: SupplierId,
    pub name: String,
    pub contact_email: String,
    pub region: String,
    pub certifications: Vec<CertificationBody>,
    pub created_at: DateTime<Utc>,
}

impl From<Supplier> for SupplierBody {
    fn from(s: Supplier) -> Self {
        Self {
            id: s.id,
            name: s.name,
            contact_email: s.contact_email,
            region: s.region,
            certifications: s.certifications.into_iter().map(Into::into).collect(),
            created_at: s.created_at,
        }
    }
}

/// A supplier with its batches and what they came to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplierRecordBody {
    #[serde(flatten)]
    pub supplier: SupplierBody,
    /// Batches still holding stock, first to expire first.
    pub batches: Vec<BatchBody>,
    pub received_units: i64,
    pub written_off_units: i64,
    /// Written-off units per received unit, 0 to 1; 0 before any receipt.
    pub spoilage_rate: f64,
    /// What the received units cost, one total per currency.
    pub procurement_cost: Vec<Money>,
}

impl From<SupplierRecord> for SupplierRecordBody {
    fn from(r: SupplierRecord) -> Self {
        let spoilage_rate = if r.received_units > 0 {
            r.written_off_units as f64 / r.received_units as f64
        } else {
            0.0
        };
        Self {
            supplier: r.supplier.into(),
            batches: r.batches.into_iter().map(Into::into).collect(),
            received_units: r.received_units,
            written_off_units: r.written_off_units,
            spoilage_rate,
            procurement_cost: r.procurement_cost,
        }
    }
}

/// A new supplier.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierRequest {
    pub name: String,
    pub contact_email: String,
    /// Where they farm or ship from, e.g. `Nashik, Maharashtra`.
    pub region: String,
    #[serde(default)]
    pub certifications: Vec<CertificationBody>,
}

/// Every supplier by name (admin).
#[utoipa::path(
    get, path = "/v1/suppliers", tag = "warehouses",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The suppliers", body = [SupplierBody]),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_suppliers(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<Vec<SupplierBody>>, ApiError> {
    caller.require(&[Role::Admin])?;
    let suppliers = state.store.suppliers().list().await?;
    Ok(Json(suppliers.into_iter().map(Into::into).collect()))
}

/// Adds a supplier (admin).
#[utoipa::path(
    post, path = "/v1/suppliers", tag = "warehouses",
    security(("bearer" = [])),
    request_body = SupplierRequest,
    responses(
        (status = 201, description = "The new supplier", body = SupplierBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A blank or overlong field, or a malformed certification", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_supplier(
    State(state): State<AppState>,
    caller: AuthUser,
    ValidJson(request): ValidJson<SupplierRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let mut errors = Vec::new();
    let name = text("name", &request.name, &mut errors);
    let region = text("region", &request.region, &mut errors);
    let contact_email = text("contact_email", &request.contact_email, &mut errors);
    if !contact_email.is_empty() && !contact_email.contains('@') {
        errors.push(FieldError::new("contact_email", "must be an email address"));
    }
    let certifications = certifications(request.certifications, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let supplier = state
        .store
        .suppliers()
        .create(&SupplierSetup {
            name,
            contact_email,
            region,
            certifications,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/v1/suppliers/{}", supplier.id))],
        Json(SupplierBody::from(supplier)),
    ))
}

/// A supplier with its batches, spoilage rate and procurement cost (admin).
#[utoipa::path(
    get, path = "/v1/suppliers/{id}", tag = "warehouses",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The supplier id")),
    responses(
        (status = 200, description = "The supplier and its batches", body = SupplierRecordBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such supplier", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_supplier(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<SupplierRecordBody>, ApiError> {
    caller.require(&[Role::Admin])?;
    let id = supplier_id(&id)?;
    let record = state
        .store
        .suppliers()
        .record(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(record.into()))
}

/// Replaces a supplier's certifications (admin).
#[utoipa::path(
    put, path = "/v1/suppliers/{id}/certifications", tag = "warehouses",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The supplier id")),
    request_body = [CertificationBody],
    responses(
        (status = 200, description = "The supplier as it is now", body = SupplierBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such supplier", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed certification", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_certifications(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<Vec<CertificationBody>>,
) -> Result<Json<SupplierBody>, ApiError> {
    caller.require(&[Role::Admin])?;
    let id = supplier_id(&id)?;
    let mut errors = Vec::new();
    let certifications = certifications(request, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let supplier = state
        .store
        .suppliers()
        .set_certifications(id, &certifications)
        .await?;
    Ok(Json(supplier.into()))
}

fn supplier_id(raw: &str) -> Result<SupplierId, ApiError> {
    raw.parse()
        .map_err(|error: orderly_domain::DomainError| ApiError::Validation(vec![error.into()]))
}

/// Trimmed required text of at most [`TEXT_MAX_CHARS`].
fn text(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    let value = raw.trim().to_owned();
    if value.is_empty()
        || value.chars().count() > TEXT_MAX_CHARS
        || value.chars().any(char::is_control)
    {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {TEXT_MAX_CHARS} printable characters"),
        ));
    }
    value
}

fn certifications(raw: Vec<CertificationBody>, errors: &mut Vec<FieldError>) -> Vec<Certification> {
    if raw.len() > CERTIFICATIONS_MAX {
        errors.push(FieldError::new(
            "certifications",
            format!("at most {CERTIFICATIONS_MAX}"),
        ));
    }
    let mut kinds = std::collections::BTreeSet::new();
    raw.into_iter()
        .enumerate()
        .map(|(i, c)| {
            let kind = c.kind.trim().to_owned();
            let kind_ok = !kind.is_empty()
                && kind.len() <= 40
                && kind
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !kind_ok {
                errors.push(FieldError::new(
                    format!("certifications[{i}].kind"),
                    "must be 1 to 40 characters of a-z, 0-9 and '-'",
                ));
            } else if !kinds.insert(kind.clone()) {
                errors.push(FieldError::new(
                    format!("certifications[{i}].kind"),
                    "is listed twice",
                ));
            }
            let certificate_number = text(
                &format!("certifications[{i}].certificate_number"),
                &c.certificate_number,
                errors,
            );
            Certification {
                kind,
                certificate_number,
                valid_until: c.valid_until,
            }
        })
        .collect()
}
