//! The category tree: `/v1/categories`.
//!
//! Anyone may read the tree (it is the shop's navigation); only admins add
//! to it, because every seller files products under the same categories.

use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use orderly_domain::{CategorySlug, Role};
use orderly_store::{Category, NewCategory, StoreError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::order_placement::idempotency_key;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

const MAX_NAME_CHARS: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/categories", get(list_categories).post(create_category))
}

/// One category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryBody {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// `null` for a top-level category.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub parent_id: Option<Uuid>,
    pub name: String,
    /// What `GET /v1/products?category=` takes.
    pub slug: CategorySlug,
}

impl From<Category> for CategoryBody {
    fn from(category: Category) -> Self {
        Self {
            id: category.id,
            parent_id: category.parent_id,
            name: category.name,
            slug: category.slug,
        }
    }
}

/// A category with everything below it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryNode {
    #[serde(flatten)]
    pub category: CategoryBody,
    /// Sub-categories, by name.
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

/// A new category.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategoryRequest {
    /// Shown to shoppers, 1-100 characters.
    pub name: String,
    /// Unique among all categories.
    pub slug: CategorySlug,
    /// The category to file it under; absent for a top-level category.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub parent_id: Option<Uuid>,
}

/// The whole category tree: the top-level categories, each with its
/// sub-categories nested under `children`, siblings by name.
#[utoipa::path(
    get,
    path = "/v1/categories",
    tag = "catalog",
    responses((status = 200, description = "The category tree", body = Vec<CategoryNode>))
)]
pub async fn list_categories(
    State(state): State<AppState>,
) -> Result<Json<Vec<CategoryNode>>, ApiError> {
    Ok(Json(tree(state.store.catalog().categories().await?)))
}

/// Adds a category (admins).
#[utoipa::path(
    post,
    path = "/v1/categories",
    tag = "catalog",
    security(("bearer" = [])),
    request_body = CreateCategoryRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key and body answers 200 with the category instead of 409")),
    responses(
        (status = 201, description = "The new category", body = CategoryBody),
        (status = 200, description = "A retry: the category an earlier request with this Idempotency-Key created", body = CategoryBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad name or slug, or no such parent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_category(
    State(state): State<AppState>,
    caller: AuthUser,
    headers: HeaderMap,
    ValidJson(request): ValidJson<CreateCategoryRequest>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Admin])?;
    let key = idempotency_key(&headers)?;
    let name = request.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::validation("name", "must be 1-100 characters"));
    }
    let new = NewCategory {
        parent_id: request.parent_id,
        name,
        slug: request.slug,
    };
    match state.store.catalog().insert_category(&new).await {
        Ok(category) => {
            Ok((StatusCode::CREATED, Json(CategoryBody::from(category))).into_response())
        }
        Err(StoreError::NotFound) => Err(ApiError::validation(
            "parent_id",
            "is not an existing category",
        )),
        Err(StoreError::Conflict(detail)) => {
            // The slug is the category's natural key: a keyed retry of the
            // request that created it finds it exactly as asked for.
            let existing = state.store.catalog().category_by_slug(&new.slug).await?;
            match existing {
                Some(category)
                    if key.is_some()
                        && category.name == new.name
                        && category.parent_id == new.parent_id =>
                {
                    Ok(Json(CategoryBody::from(category)).into_response())
                }
                _ => Err(ApiError::Conflict(detail)),
            }
        }
        Err(other) => Err(other.into()),
    }
}

/// Nests `categories` under their parents. A category whose parent is
/// missing cannot happen (the foreign key), but would be shown at the top
/// rather than lost.
fn tree(categories: Vec<Category>) -> Vec<CategoryNode> {
    let known: HashSet<Uuid> = categories.iter().map(|c| c.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<Category>> = HashMap::new();
    for category in categories {
        let parent = category.parent_id.filter(|parent| known.contains(parent));
        children.entry(parent).or_default().push(category);
    }
    nodes(None, &mut children)
}

fn nodes(
    parent: Option<Uuid>,
    children: &mut HashMap<Option<Uuid>, Vec<Category>>,
) -> Vec<CategoryNode> {
    // Categories arrive sorted by name, and each keeps that order here.
    let level = children.remove(&parent).unwrap_or_default();
    level
        .into_iter()
        .map(|category| CategoryNode {
            children: nodes(Some(category.id), children),
            category: category.into(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(name: &str, parent: Option<Uuid>) -> Category {
        Category {
            id: Uuid::now_v7(),
            parent_id: parent,
            name: name.into(),
            slug: CategorySlug::parse(&name.to_lowercase()).unwrap(),
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn categories_are_nested_under_their_parents_in_name_order() {
        let fruit = category("Fruit", None);
        let citrus = category("Citrus", Some(fruit.id));
        let apples = category("Apples", Some(fruit.id));
        let lemons = category("Lemons", Some(citrus.id));
        let dairy = category("Dairy", None);
        let sorted = vec![
            apples.clone(),
            citrus.clone(),
            dairy.clone(),
            fruit.clone(),
            lemons,
        ];

        let roots = tree(sorted);

        let names = |nodes: &[CategoryNode]| -> Vec<String> {
            nodes.iter().map(|n| n.category.name.clone()).collect()
        };
        assert_eq!(names(&roots), ["Dairy", "Fruit"]);
        assert_eq!(names(&roots[1].children), ["Apples", "Citrus"]);
        assert_eq!(names(&roots[1].children[1].children), ["Lemons"]);
        assert!(roots[0].children.is_empty());
    }
}
