//! Cursor pagination shared by every list endpoint.
//!
//! Lists are keyed by something that sorts stably (a SKU, a UUIDv7), and the
//! cursor is the key of the last item of the previous page. Unlike offsets,
//! a cursor does not skip or repeat items when rows are added meanwhile.

use std::str::FromStr;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use crate::problem::ApiError;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// `?limit=&cursor=` as the client sent them; documents the parameters.
/// Both are read as text so a bad value is a 422 naming the parameter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 100; 20 when absent.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page; absent for the first page.
    cursor: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    cursor: Option<String>,
}

impl PageRequest {
    /// The cursor parsed as the list's key; 422 on `cursor` if malformed.
    pub fn cursor<T: FromStr>(&self) -> Result<Option<T>, ApiError> {
        self.cursor
            .as_deref()
            .map(|raw| {
                raw.parse().map_err(|_| {
                    ApiError::validation("cursor", "is not a cursor this list handed out")
                })
            })
            .transpose()
    }

    /// How many rows to fetch: one more than the page, to learn whether a
    /// next page exists without counting.
    pub fn fetch_limit(&self) -> u32 {
        self.limit + 1
    }

    /// Cuts rows fetched with [`Self::fetch_limit`] to the page and returns
    /// the cursor of the next page, if there is one.
    pub fn split<R>(
        &self,
        mut rows: Vec<R>,
        key: impl Fn(&R) -> String,
    ) -> (Vec<R>, Option<String>) {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        if rows.len() > limit {
            rows.truncate(limit);
            let next = rows.last().map(key);
            (rows, next)
        } else {
            (rows, None)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageRequest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Query(query) = Query::<PageQuery>::try_from_uri(&parts.uri)
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        query.validate()
    }
}

impl PageQuery {
    fn validate(self) -> Result<PageRequest, ApiError> {
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                .ok_or_else(|| {
                    ApiError::validation(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    )
                })?,
        };
        let cursor = self.cursor.filter(|cursor| !cursor.is_empty());
        Ok(PageRequest { limit, cursor })
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    async fn page(uri: &str) -> Result<PageRequest, ApiError> {
        let (mut parts, ()) = Request::builder().uri(uri).body(()).unwrap().into_parts();
        PageRequest::from_request_parts(&mut parts, &()).await
    }

    #[tokio::test]
    async fn without_parameters_the_first_page_has_the_default_size() {
        let request = page("/v1/products").await.unwrap();
        assert_eq!(request.limit, DEFAULT_LIMIT);
        assert_eq!(request.cursor::<String>().unwrap(), None);
    }

    #[tokio::test]
    async fn a_limit_outside_1_to_100_is_422_on_limit() {
        for uri in ["/x?limit=0", "/x?limit=101", "/x?limit=ten", "/x?limit=-1"] {
            match page(uri).await {
                Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "limit", "{uri}"),
                other => panic!("{uri}: expected 422, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_cursor_that_does_not_parse_as_the_key_is_422_on_cursor() {
        let request = page("/x?cursor=not-a-uuid").await.unwrap();
        match request.cursor::<uuid::Uuid>() {
            Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "cursor"),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn one_row_beyond_the_page_yields_the_cursor_of_the_last_kept_row() {
        let request = page("/x?limit=2").await.unwrap();
        assert_eq!(request.fetch_limit(), 3);
        let (items, next) = request.split(vec!["A", "B", "C"], |s| (*s).to_owned());
        assert_eq!(items, vec!["A", "B"]);
        assert_eq!(next.as_deref(), Some("B"));
        let (items, next) = request.split(vec!["A", "B"], |s| (*s).to_owned());
        assert_eq!(items.len(), 2);
        assert_eq!(next, None);
    }
}
