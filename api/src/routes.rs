//! Every HTTP route, registered in one place ([`configure`]) so the whole surface reads
//! at a glance. Each feature keeps its handlers in its own `routes.rs` (or `routes/`); each
//! handler states the roles it admits.

use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::{
    accounts::routes::{auth, orgs, users},
    admin::routes::{audit, jobs, provinces, system},
    award::routes as awards,
    bids::routes::{bids, opening},
    catalog::routes as catalog,
    contracts::routes as contracts,
    orders::routes as orders,
    rounds::routes::{demand, lots, rounds},
    settlement::routes as settlement,
};

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
                .service(users::officers)
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
                .service(lots::add_lot)
                .service(lots::list_lots)
                .service(rounds::start_demand)
                .service(rounds::publish)
                .service(rounds::cancel)
                .service(demand::report_demand)
                .service(demand::demand)
                .service(demand::report_hospital_demand)
                .service(demand::hospital_demand)
                .service(bids::submit)
                .service(bids::mine)
                .service(bids::withdraw)
                .service(opening::register)
                .service(opening::bid_counts)
                .service(opening::my_share)
                .service(opening::open)
                .service(awards::evaluate)
                .service(awards::get_evaluation)
                .service(awards::revival_offers)
                .service(awards::answer_revival)
                .service(awards::award_round)
                .service(awards::results)
                .service(awards::ocds_package)
                .service(contracts::list_contracts)
                .service(contracts::get_contract)
                .service(contracts::supply_failure)
                .service(contracts::bars)
                .service(contracts::get_quotas)
                .service(contracts::transfer_quota)
                .service(contracts::name_distributor)
                .service(orders::create)
                .service(orders::list)
                .service(orders::get)
                .service(orders::edit)
                .service(orders::withdraw)
                .service(orders::confirm)
                .service(orders::refuse)
                .service(orders::ship)
                .service(orders::list_deliveries)
                .service(orders::get_delivery)
                .service(orders::accept)
                .service(orders::progress)
                .service(orders::supply_problems)
                .service(orders::report_shortage)
                .service(settlement::get_settings)
                .service(settlement::put_settings)
                .service(settlement::list_prepayments)
                .service(settlement::record_prepayment)
                .service(settlement::get_ledger)
                .service(settlement::create_batch)
                .service(settlement::list_batches)
                .service(settlement::get_batch)
                .service(settlement::list_payment_orders)
                .service(settlement::get_payment_order)
                .service(settlement::pay)
                .service(settlement::list_overdue)
                .service(settlement::scan_overdue)
                .service(settlement::supplier_statement)
                .service(settlement::hospital_statement)
                .service(settlement::confirm_statement)
                .service(settlement::raise_dispute)
                .service(settlement::list_disputes)
                .service(settlement::resolve_dispute)
                .service(settlement::retained_savings),
        );
}
