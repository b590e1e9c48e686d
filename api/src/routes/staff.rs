//! `/v1/admin/users`: staff accounts (admin). Registration only ever makes
//! customers; sellers, admins, delivery and warehouse staff are created
//! here, invited by email to set their password, moved between roles and
//! warehouses, and deactivated (which ends their sessions at once).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use orderly_domain::{Role, UserId, WarehouseId};
use orderly_store::{NewUser, StaffChange, StaffMember, StoreError};
use serde::{Deserialize, Serialize};

use crate::auth::invitation::{send_invitation, unusable_password_hash};
use crate::auth::{AuthUser, check_email, check_name, normalize_email};
use crate::json::ValidJson;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/users", get(list_staff).post(invite_staff))
        .route("/v1/admin/users/{id}", get(get_staff).patch(change_staff))
}

/// A staff account.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffBody {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The warehouse of warehouse staff.
    pub warehouse_id: Option<WarehouseId>,
    /// False once deactivated: the account cannot log in.
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<StaffMember> for StaffBody {
    fn from(m: StaffMember) -> Self {
        Self {
            id: m.user.id,
            email: m.user.email,
            name: m.user.name,
            role: m.user.role,
            warehouse_id: m.warehouse_id,
            active: m.active,
            created_at: m.user.created_at,
        }
    }
}

/// A new staff account, answered with whether its invitation was emailed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvitedBody {
    #[serde(flatten)]
    pub staff: StaffBody,
    /// False when email is not configured (`SMTP_URL`).
    pub invitation_sent: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    pub name: String,
    /// `seller`, `admin`, `delivery` or `warehouse`.
    pub role: Role,
    /// Required for `warehouse` staff, refused for the other roles.
    pub warehouse_id: Option<WarehouseId>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffChangeRequest {
    pub role: Option<Role>,
    pub warehouse_id: Option<WarehouseId>,
    /// `false` deactivates the account and ends its sessions.
    pub active: Option<bool>,
}

/// Every staff account by email (admin).
#[utoipa::path(
    get, path = "/v1/admin/users", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The staff accounts", body = [StaffBody]),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_staff(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<Vec<StaffBody>>, ApiError> {
    caller.require(&[Role::Admin])?;
    let staff = state.store.accounts().list_staff().await?;
    Ok(Json(staff.into_iter().map(StaffBody::from).collect()))
}

/// Creates a staff account and emails it the code that sets its password
/// (admin).
#[utoipa::path(
    post, path = "/v1/admin/users", tag = "auth",
    security(("bearer" = [])),
    request_body = InviteRequest,
    responses(
        (status = 201, description = "The new account", body = InvitedBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad email, name, role or warehouse", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn invite_staff(
    State(state): State<AppState>,
    caller: AuthUser,
    ValidJson(request): ValidJson<InviteRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let email = normalize_email(&request.email);
    let name = request.name.trim().to_owned();
    let mut errors = Vec::new();
    check_email(&email, &mut errors);
    check_name(&name, &mut errors);
    if request.role == Role::Customer {
        errors.push(FieldError::new(
            "role",
            "must be seller, admin, delivery or warehouse: customers register themselves",
        ));
    }
    errors.extend(warehouse_problem(&state, request.role, request.warehouse_id).await?);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if state
        .store
        .accounts()
        .user_by_email(&email)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "{email} already has an account"
        )));
    }
    let password_hash = unusable_password_hash(&state).await?;
    let member = state
        .store
        .accounts()
        .insert_staff(
            &NewUser {
                email,
                name,
                password_hash,
                role: request.role,
            },
            request.warehouse_id,
        )
        .await?;
    let invitation_sent = match send_invitation(&state, &member.user).await {
        Ok(sent) => sent,
        Err(error) => {
            tracing::warn!(%error, user_id = %member.user.id, "a staff invitation was not sent");
            false
        }
    };
    tracing::info!(user_id = %member.user.id, role = member.user.role.as_str(), "staff account created");
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/v1/admin/users/{}", member.user.id),
        )],
        Json(InvitedBody {
            staff: member.into(),
            invitation_sent,
        }),
    ))
}

/// One account as staff (admin).
#[utoipa::path(
    get, path = "/v1/admin/users/{id}", tag = "auth",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The account id")),
    responses(
        (status = 200, description = "The account", body = StaffBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_staff(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<StaffBody>, ApiError> {
    caller.require(&[Role::Admin])?;
    let id = user_id(&id)?;
    let member = state
        .store
        .accounts()
        .staff_member(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(member.into()))
}

/// Changes an account's role or warehouse, or deactivates or reactivates
/// it (admin). An admin cannot deactivate or demote themselves.
#[utoipa::path(
    patch, path = "/v1/admin/users/{id}", tag = "auth",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The account id")),
    request_body = StaffChangeRequest,
    responses(
        (status = 200, description = "The account as it is now", body = StaffBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An admin deactivating or demoting themselves", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A warehouse that does not fit the role", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_staff(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<StaffChangeRequest>,
) -> Result<Json<StaffBody>, ApiError> {
    caller.require(&[Role::Admin])?;
    let id = user_id(&id)?;
    let current = state
        .store
        .accounts()
        .staff_member(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let role = request.role.unwrap_or(current.user.role);
    let warehouse_id = match (request.warehouse_id, role) {
        (Some(warehouse), _) => Some(warehouse),
        (None, Role::Warehouse) => current.warehouse_id,
        (None, _) => None,
    };
    let active = request.active.unwrap_or(current.active);
    if id == caller.id && (!active || role != Role::Admin) {
        return Err(ApiError::Conflict(
            "an admin cannot deactivate or demote their own account".into(),
        ));
    }
    let errors = warehouse_problem(&state, role, warehouse_id).await?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let member = match state
        .store
        .accounts()
        .change_staff(
            id,
            StaffChange {
                role,
                warehouse_id,
                active,
            },
        )
        .await
    {
        Ok(member) => member,
        Err(StoreError::NotFound) => return Err(ApiError::NotFound),
        Err(other) => return Err(other.into()),
    };
    // The change must reach tokens already issued: their session checks
    // are remembered for a second, forget them now.
    state.sessions.forget_user(id);
    tracing::info!(user_id = %id, role = role.as_str(), active, "staff account changed");
    Ok(Json(member.into()))
}

/// Warehouse staff need an existing warehouse; other roles have none.
async fn warehouse_problem(
    state: &AppState,
    role: Role,
    warehouse_id: Option<WarehouseId>,
) -> Result<Vec<FieldError>, ApiError> {
    Ok(match (role, warehouse_id) {
        (Role::Warehouse, None) => vec![FieldError::new(
            "warehouse_id",
            "is required for warehouse staff",
        )],
        (Role::Warehouse, Some(id)) if state.store.warehouses().get(id).await?.is_none() => {
            vec![FieldError::new("warehouse_id", "no such warehouse")]
        }
        (Role::Warehouse, Some(_)) | (_, None) => Vec::new(),
        (_, Some(_)) => vec![FieldError::new(
            "warehouse_id",
            "only warehouse staff belong to a warehouse",
        )],
    })
}

fn user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse()
        .map_err(|error: orderly_domain::DomainError| ApiError::Validation(vec![error.into()]))
}
