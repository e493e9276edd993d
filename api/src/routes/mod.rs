//! Every HTTP route, registered in one place ([`configure`]) so the whole surface reads
//! at a glance. One file per resource; each handler states the roles it admits.

pub mod audit;
pub mod auth;
pub mod awards;
pub mod bids;
pub mod catalog;
pub mod jobs;
pub mod orgs;
pub mod provinces;
pub mod rounds;
pub mod system;
pub mod users;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(system::healthz)
        .service(bids::get_receipt_key)
        .service(system::readyz)
        .service(system::metrics)
        .service(
            scope("/api/v1")
                .service(auth::login)
                .service(auth::logout)
                .service(auth::me)
                .service(provinces::list)
                .service(orgs::list)
                .service(orgs::create)
                .service(orgs::get)
                .service(orgs::update)
                .service(users::list)
                .service(users::create)
                .service(users::get)
                .service(users::update)
                .service(audit::list)
                .service(audit::verify)
                .service(jobs::list)
                .service(jobs::retry)
                .service(catalog::search)
                .service(catalog::export_csv)
                .service(catalog::get)
                .service(catalog::import)
                .service(rounds::create)
                .service(rounds::list)
                .service(rounds::get)
                .service(rounds::update)
                .service(rounds::add_lot)
                .service(rounds::list_lots)
                .service(rounds::start_demand)
                .service(rounds::publish)
                .service(rounds::cancel)
                .service(rounds::report_demand)
                .service(rounds::demand)
                .service(bids::submit)
                .service(bids::mine)
                .service(bids::withdraw)
                .service(bids::register)
                .service(bids::my_share)
                .service(bids::open)
                .service(awards::evaluate)
                .service(awards::get_evaluation)
                .service(awards::revival_offers)
                .service(awards::answer_revival)
                .service(awards::award_round)
                .service(awards::results)
                .service(awards::ocds_package)
                .service(awards::list_contracts)
                .service(awards::get_contract)
                .service(awards::supply_failure)
                .service(awards::bars),
        );
}

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
    pub fn resolve(self) -> Result<(u32, u32, i64, i64), crate::error::ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(50);
        if page == 0 {
            return Err(crate::error::ApiError::invalid(
                "page",
                "must be at least 1",
            ));
        }
        if per_page == 0 || per_page > Self::MAX_PER_PAGE {
            return Err(crate::error::ApiError::invalid(
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
    pub fn of_all(all: Vec<T>, paging: Pagination) -> Result<Self, crate::error::ApiError> {
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
