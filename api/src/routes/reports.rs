//! `/v1/reports`: what perishable stock costs the shop (admin). Spoilage:
//! what was written off, and what it cost, per SKU, seller and week.
//! Inventory aging: the stock on the shelves by days since receipt, with
//! how soon it expires.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Days, NaiveDate, Utc};
use orderly_domain::{AgeBucket, Currency, Money, Role, Sku, UserId, week_start};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// The longest period one spoilage report covers.
const MAX_REPORT_DAYS: i64 = 366;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/reports/spoilage", get(spoilage))
        .route("/v1/reports/inventory-aging", get(inventory_aging))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The first day (`YYYY-MM-DD`, UTC); default 30 days before `to`.
    pub from: Option<String>,
    /// The last day, included; default today.
    pub to: Option<String>,
}

/// What one SKU of one seller lost in one week.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpoilageLine {
    /// The Monday the week starts.
    pub week: NaiveDate,
    pub sku: Sku,
    pub seller_id: Option<UserId>,
    pub written_off_units: i64,
    /// What the written-off units cost; units of unknown cost (found by a
    /// count) are counted in `units_of_unknown_cost` instead.
    pub cost: Vec<Money>,
    pub units_of_unknown_cost: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpoilageReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// By week, then SKU.
    pub lines: Vec<SpoilageLine>,
    pub written_off_units: i64,
    pub cost: Vec<Money>,
}

/// One SKU's stock received within one age bucket.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgingLine {
    pub sku: Sku,
    /// Days since receipt: `0-2`, `3-5`, `6-10` or `11+`.
    pub age: AgeBucket,
    pub on_hand: i64,
    pub reserved: i64,
    /// Days until the first of these batches expires (negative: expired);
    /// `null` when none of them spoils.
    pub soonest_days_to_expiry: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgingReport {
    pub as_of: NaiveDate,
    /// By SKU, then age.
    pub lines: Vec<AgingLine>,
    /// Units on hand per age bucket, over every SKU, youngest first.
    pub totals: Vec<AgeTotal>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgeTotal {
    pub age: AgeBucket,
    pub on_hand: i64,
}

/// Written-off stock and its cost per SKU, seller and week (admin).
#[utoipa::path(
    get, path = "/v1/reports/spoilage", tag = "warehouses",
    security(("bearer" = [])),
    params(PeriodQuery),
    responses(
        (status = 200, description = "The period's spoilage", body = SpoilageReport),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed date, or a period that is reversed or over 366 days", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn spoilage(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<SpoilageReport>, ApiError> {
    caller.require(&[Role::Admin])?;
    let (from, to) = period(&query)?;
    let start = from.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let end = to
        .checked_add_days(Days::new(1))
        .unwrap_or(to)
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let write_offs = state
        .store
        .inventory()
        .write_offs_between(start, end)
        .await?;
    let mut lines: BTreeMap<(NaiveDate, Sku, Option<UserId>), SpoilageLine> = BTreeMap::new();
    let mut total_cost: BTreeMap<Currency, i64> = BTreeMap::new();
    let mut written_off_units = 0;
    for write_off in write_offs {
        let week = week_start(write_off.at.date_naive());
        let line = lines
            .entry((week, write_off.sku.clone(), write_off.seller_id))
            .or_insert_with(|| SpoilageLine {
                week,
                sku: write_off.sku.clone(),
                seller_id: write_off.seller_id,
                written_off_units: 0,
                cost: Vec::new(),
                units_of_unknown_cost: 0,
            });
        line.written_off_units += write_off.units;
        written_off_units += write_off.units;
        match write_off.unit_cost {
            Some(unit) => {
                let cost = unit.amount.saturating_mul(write_off.units);
                add(&mut line.cost, unit.currency, cost);
                *total_cost.entry(unit.currency).or_default() += cost;
            }
            None => line.units_of_unknown_cost += write_off.units,
        }
    }
    Ok(Json(SpoilageReport {
        from,
        to,
        lines: lines.into_values().collect(),
        written_off_units,
        cost: total_cost
            .into_iter()
            .map(|(currency, amount)| Money::new(amount, currency))
            .collect(),
    }))
}

/// Stock on the shelves by days since receipt, with days to expiry (admin).
#[utoipa::path(
    get, path = "/v1/reports/inventory-aging", tag = "warehouses",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Today's stock by age", body = AgingReport),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn inventory_aging(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<AgingReport>, ApiError> {
    caller.require(&[Role::Admin])?;
    let today = Utc::now().date_naive();
    let batches = state.store.inventory().stock_on_shelves().await?;
    let mut lines: BTreeMap<(Sku, AgeBucket), AgingLine> = BTreeMap::new();
    let mut totals: BTreeMap<AgeBucket, i64> = AgeBucket::ALL
        .into_iter()
        .map(|bucket| (bucket, 0))
        .collect();
    for batch in batches {
        let age = AgeBucket::of((today - batch.received_on).num_days());
        let days_to_expiry = batch.expires_on.map(|date| (date - today).num_days());
        let line = lines
            .entry((batch.key.sku.clone(), age))
            .or_insert_with(|| AgingLine {
                sku: batch.key.sku.clone(),
                age,
                on_hand: 0,
                reserved: 0,
                soonest_days_to_expiry: None,
            });
        line.on_hand += batch.on_hand;
        line.reserved += batch.reserved;
        line.soonest_days_to_expiry = match (line.soonest_days_to_expiry, days_to_expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        *totals.entry(age).or_default() += batch.on_hand;
    }
    Ok(Json(AgingReport {
        as_of: today,
        lines: lines.into_values().collect(),
        totals: totals
            .into_iter()
            .map(|(age, on_hand)| AgeTotal { age, on_hand })
            .collect(),
    }))
}

fn add(costs: &mut Vec<Money>, currency: Currency, amount: i64) {
    match costs.iter_mut().find(|m| m.currency == currency) {
        Some(money) => money.amount = money.amount.saturating_add(amount),
        None => costs.push(Money::new(amount, currency)),
    }
}

fn period(query: &PeriodQuery) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let date = |field: &str, raw: &Option<String>| -> Result<Option<NaiveDate>, FieldError> {
        raw.as_deref()
            .map(|raw| {
                NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .map_err(|_| FieldError::new(field, "must be a date such as 2026-12-01"))
            })
            .transpose()
    };
    let (from, to) = match (date("from", &query.from), date("to", &query.to)) {
        (Ok(from), Ok(to)) => (from, to),
        (from, to) => {
            return Err(ApiError::Validation(
                [from.err(), to.err()].into_iter().flatten().collect(),
            ));
        }
    };
    let to = to.unwrap_or_else(|| Utc::now().date_naive());
    let from = from.unwrap_or_else(|| to.checked_sub_days(Days::new(30)).unwrap_or(to));
    if from > to {
        return Err(ApiError::validation("from", "must not be after to"));
    }
    if (to - from).num_days() >= MAX_REPORT_DAYS {
        return Err(ApiError::validation(
            "from",
            format!("a report covers at most {MAX_REPORT_DAYS} days"),
        ));
    }
    Ok((from, to))
}
