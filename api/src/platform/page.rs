//! Pagination of every list: `?page=&per_page=` in, a [`Page`] out.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::platform::error::ApiError;

/// `?page=1&per_page=50` on every list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Pagination {
    /// 1-based page number (default 1).
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

impl Pagination {
    pub const MAX_PER_PAGE: u32 = 200;

    /// (page, per_page, limit, offset), validated.
    pub fn resolve(self) -> Result<(u32, u32, i64, i64), ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(50);
        if page == 0 {
            return Err(ApiError::invalid("page", "must be at least 1"));
        }
        if per_page == 0 || per_page > Self::MAX_PER_PAGE {
            return Err(ApiError::invalid(
                "per_page",
                format!("must be between 1 and {}", Self::MAX_PER_PAGE),
            ));
        }
        Ok((
            page,
            per_page,
            i64::from(per_page),
            i64::from(page - 1) * i64::from(per_page),
        ))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    /// How many items match, over all pages.
    pub total: i64,
}

impl<T> Page<T> {
    /// One page of a list read whole (lists that are short by nature: a round's lots, a
    /// supplier's bids or offers in a round, bars).
    pub fn of_all(all: Vec<T>, paging: Pagination) -> Result<Self, ApiError> {
        let (page, per_page, limit, offset) = paging.resolve()?;
        let total = all.len() as i64;
        let items = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(0))
            .collect();
        Ok(Self::new(items, page, per_page, total))
    }

    pub fn new(items: Vec<T>, page: u32, per_page: u32, total: i64) -> Self {
        Self {
            items,
            page,
            per_page,
            total,
        }
    }
}
