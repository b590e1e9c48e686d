//! Reviews and ratings: `/v1/products/{sku}/reviews`.
//!
//! Only a customer who has received a product (an order of theirs holding
//! it was delivered or picked up) may rate it, once: `PUT …/reviews/mine`
//! creates their review (201) or replaces it (200), so a retried request
//! never writes a second one and needs no `Idempotency-Key`. Reviews are
//! public, newest or most helpful first. A helpful vote counts once per
//! user (voting again changes nothing) and never for one's own review.
//! Product pages show a [`RatingSummary`], read from running totals.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use orderly_domain::{Rating, Sku};
use orderly_store::{
    HelpfulVote, Product, Review, ReviewDraft, ReviewOrder, ReviewWrite, Store, StoreError,
};

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::pagination::{PageQuery, PageRequest, Paginated};
use crate::problem::{ApiError, FieldError, Problem};
use crate::routes::sku_in_path;
use crate::state::AppState;

/// Longest review title, in characters.
pub const MAX_TITLE: usize = 120;
/// Longest review text, in characters.
pub const MAX_TEXT: usize = 4000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products/{sku}/reviews", get(list_reviews))
        .route(
            "/v1/products/{sku}/reviews/mine",
            get(get_my_review).put(put_my_review),
        )
        .route(
            "/v1/products/{sku}/reviews/{review_id}/helpful",
            post(vote_helpful),
        )
}

/// A product's average rating and how many ratings it is made of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RatingSummary {
    /// Mean of the ratings, to two decimals; `null` while there are none.
    pub average: Option<f64>,
    pub count: i64,
}

/// The rating summaries of `skus`; products without reviews are absent
/// (their summary is the default: no average, count 0).
pub async fn rating_summaries(
    store: &Store,
    skus: &[Sku],
) -> Result<HashMap<Sku, RatingSummary>, StoreError> {
    Ok(store
        .reviews()
        .product_ratings(skus)
        .await?
        .into_iter()
        .map(|(sku, average, count)| {
            let average = (average * 100.0).round() / 100.0;
            (
                sku,
                RatingSummary {
                    average: Some(average),
                    count,
                },
            )
        })
        .collect())
}

/// A review as anyone may read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewBody {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub sku: Sku,
    /// The author's display name.
    pub author_name: String,
    pub rating: Rating,
    pub title: Option<String>,
    pub text: Option<String>,
    /// How many users found it helpful.
    pub helpful: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Review> for ReviewBody {
    fn from(review: Review) -> Self {
        Self {
            id: review.id,
            sku: review.sku,
            author_name: review.author_name,
            rating: review.rating,
            title: review.title,
            text: review.text,
            helpful: review.helpful,
            created_at: review.created_at,
            updated_at: review.updated_at,
        }
    }
}

/// A customer's review of a product they received.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// 1 to 5 stars.
    pub rating: Rating,
    /// Up to 120 characters; blank means none.
    #[serde(default)]
    pub title: Option<String>,
    /// Up to 4000 characters; blank means none.
    #[serde(default)]
    pub text: Option<String>,
}

impl ReviewRequest {
    /// The title and text, trimmed, blank as `None`, or every field too long.
    fn texts(self) -> Result<(Rating, Option<String>, Option<String>), ApiError> {
        let title = non_blank(self.title);
        let text = non_blank(self.text);
        let mut errors = Vec::new();
        if title
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_TITLE)
        {
            errors.push(FieldError::new(
                "title",
                format!("must be at most {MAX_TITLE} characters"),
            ));
        }
        if text.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT) {
            errors.push(FieldError::new(
                "text",
                format!("must be at most {MAX_TEXT} characters"),
            ));
        }
        if errors.is_empty() {
            Ok((self.rating, title, text))
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

fn non_blank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `?sort=` of the review list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewListQuery {
    /// `newest` (the default) or `helpful`: most helpful first, newest
    /// first among equals.
    sort: Option<String>,
}

/// Where a most-helpful page starts: `<helpful>_<review id>` of the last
/// review of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HelpfulCursor {
    helpful: i64,
    id: Uuid,
}

impl FromStr for HelpfulCursor {
    type Err = ();
    fn from_str(raw: &str) -> Result<Self, ()> {
        let (helpful, id) = raw.split_once('_').ok_or(())?;
        Ok(Self {
            helpful: helpful.parse().map_err(|_| ())?,
            id: id.parse().map_err(|_| ())?,
        })
    }
}

impl fmt::Display for HelpfulCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.helpful, self.id)
    }
}

/// The answer to a helpful vote.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HelpfulBody {
    #[schema(value_type = String, format = Uuid)]
    pub review_id: Uuid,
    /// How many users now find the review helpful.
    pub helpful: i64,
    /// False when this user had already voted (nothing changed).
    pub counted: bool,
}

/// A product's reviews.
#[utoipa::path(
    get,
    path = "/v1/products/{sku}/reviews",
    tag = "reviews",
    params(
        ("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG"),
        ReviewListQuery,
        PageQuery,
    ),
    responses(
        (status = 200, description = "One page of reviews", body = Paginated<ReviewBody>),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `sort`, `limit`, `cursor` or SKU", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_reviews(
    State(state): State<AppState>,
    Path(sku): Path<String>,
    Query(query): Query<ReviewListQuery>,
    page: PageRequest,
) -> Result<Json<Paginated<ReviewBody>>, ApiError> {
    let product = active_product(&state, &sku).await?;
    let (order, helpful_first) = match query.sort.as_deref() {
        None | Some("newest") => (
            ReviewOrder::Newest {
                before: page.cursor::<Uuid>()?,
            },
            false,
        ),
        Some("helpful") => (
            ReviewOrder::MostHelpful {
                after: page
                    .cursor::<HelpfulCursor>()?
                    .map(|cursor| (cursor.helpful, cursor.id)),
            },
            true,
        ),
        Some(_) => {
            return Err(ApiError::validation(
                "sort",
                "must be `newest` or `helpful`",
            ));
        }
    };
    let rows = state
        .store
        .reviews()
        .reviews_for_product(&product.sku, order, page.fetch_limit())
        .await?;
    let (rows, next_cursor) = page.split(rows, |review| {
        if helpful_first {
            HelpfulCursor {
                helpful: review.helpful,
                id: review.id,
            }
            .to_string()
        } else {
            review.id.to_string()
        }
    });
    Ok(Json(Paginated {
        items: rows.into_iter().map(ReviewBody::from).collect(),
        next_cursor,
    }))
}

/// The caller's own review of a product.
#[utoipa::path(
    get,
    path = "/v1/products/{sku}/reviews/mine",
    tag = "reviews",
    security(("bearer" = [])),
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    responses(
        (status = 200, description = "The caller's review", body = ReviewBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product, or no review of it yet", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_my_review(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(sku): Path<String>,
) -> Result<Json<ReviewBody>, ApiError> {
    let product = active_product(&state, &sku).await?;
    let review = state
        .store
        .reviews()
        .author_review(&product.sku, caller.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(review.into()))
}

/// Rates a received product, or edits the caller's rating of it.
#[utoipa::path(
    put,
    path = "/v1/products/{sku}/reviews/mine",
    tag = "reviews",
    security(("bearer" = [])),
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    request_body = ReviewRequest,
    responses(
        (status = 201, description = "Review created", body = ReviewBody),
        (status = 200, description = "Review replaced", body = ReviewBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller has not received this product", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad rating, title or text", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_my_review(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(sku): Path<String>,
    ValidJson(request): ValidJson<ReviewRequest>,
) -> Result<Response, ApiError> {
    let (rating, title, text) = request.texts()?;
    let product = active_product(&state, &sku).await?;
    if !state
        .store
        .orders()
        .customer_received(caller.id, &product.sku)
        .await?
    {
        return Err(ApiError::Forbidden(format!(
            "only customers who have received {} may review it",
            product.sku
        )));
    }
    let draft = ReviewDraft {
        sku: product.sku,
        author_id: caller.id,
        rating,
        title,
        text,
    };
    let written = state.store.reviews().upsert_review(&draft).await?;
    // The rating sort of search reads the product's rating from the index.
    crate::routes::search::reindex(&state, &draft.sku).await;
    let response = match written {
        ReviewWrite::Created(review) => {
            (StatusCode::CREATED, Json(ReviewBody::from(review))).into_response()
        }
        ReviewWrite::Updated(review) => {
            (StatusCode::OK, Json(ReviewBody::from(review))).into_response()
        }
    };
    Ok(response)
}

/// Marks a review helpful; once per user, never one's own. Voting again
/// changes nothing, so a retry needs no `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/v1/products/{sku}/reviews/{review_id}/helpful",
    tag = "reviews",
    security(("bearer" = [])),
    params(
        ("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG"),
        ("review_id" = String, Path, description = "The review's id"),
    ),
    responses(
        (status = 200, description = "The review's helpful count", body = HelpfulBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller wrote this review", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such review of this product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed SKU or review id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn vote_helpful(
    State(state): State<AppState>,
    caller: AuthUser,
    Path((sku, review_id)): Path<(String, String)>,
) -> Result<Json<HelpfulBody>, ApiError> {
    let sku = sku_in_path(&sku)?;
    let review_id: Uuid = review_id
        .parse()
        .map_err(|_| ApiError::validation("review_id", "must be a UUID"))?;
    let review = state
        .store
        .reviews()
        .review(review_id)
        .await?
        .filter(|review| review.sku == sku)
        .ok_or(ApiError::NotFound)?;
    if review.author_id == caller.id {
        return Err(ApiError::Forbidden(
            "a review cannot be voted helpful by its author".to_owned(),
        ));
    }
    let (helpful, counted) = match state
        .store
        .reviews()
        .vote_helpful(review_id, caller.id)
        .await?
    {
        HelpfulVote::Counted(total) => (total, true),
        HelpfulVote::AlreadyVoted(total) => (total, false),
    };
    Ok(Json(HelpfulBody {
        review_id,
        helpful,
        counted,
    }))
}

/// The product `raw` names, if it exists and is on sale: reviews of a
/// product off sale are hidden like the product itself.
async fn active_product(state: &AppState, raw: &str) -> Result<Product, ApiError> {
    let sku = sku_in_path(raw)?;
    state
        .store
        .catalog()
        .product(&sku)
        .await?
        .filter(|product| product.active)
        .ok_or(ApiError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helpful_cursor_round_trips_and_refuses_anything_else() {
        let cursor = HelpfulCursor {
            helpful: 7,
            id: Uuid::now_v7(),
        };
        assert_eq!(cursor.to_string().parse::<HelpfulCursor>(), Ok(cursor));
        for wrong in [
            "7",
            "x_0193c5a2-0000-7000-8000-000000000000",
            "7_not-a-uuid",
        ] {
            assert!(wrong.parse::<HelpfulCursor>().is_err(), "{wrong}");
        }
    }

    #[test]
    fn blank_texts_become_none_and_long_ones_name_their_field() {
        let request = ReviewRequest {
            rating: Rating::parse(4).unwrap(),
            title: Some("   ".into()),
            text: Some(" Sweet and fresh ".into()),
        };
        let (_, title, text) = request.texts().unwrap();
        assert_eq!(title, None);
        assert_eq!(text.as_deref(), Some("Sweet and fresh"));

        let request = ReviewRequest {
            rating: Rating::parse(4).unwrap(),
            title: Some("t".repeat(MAX_TITLE + 1)),
            text: Some("x".repeat(MAX_TEXT + 1)),
        };
        match request.texts() {
            Err(ApiError::Validation(errors)) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["title", "text"]);
            }
            other => panic!("expected 422, got {other:?}"),
        }
    }
}
