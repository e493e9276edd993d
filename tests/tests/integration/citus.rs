//! The Citus layout of docs/operations.md ("Past one database machine"), checked against
//! the migrated schema: every table has a place, and the constraints keep to what Citus
//! allows for that place.
//!
//! * reference: copied to every node (small, read by every join): may reference only
//!   reference tables;
//! * local: on the coordinator only (tendering, the platform's own tables): may reference
//!   local and reference tables;
//! * distributed by `province`, co-located: the column is there and NOT NULL, every
//!   unique index includes it, and a foreign key to another distributed table includes it
//!   on both sides; may reference reference tables, never local ones.
//!
//! Today's schema does not keep to all of it yet: [`KNOWN`] lists each departure, and the
//! migration it waits for is in docs/operations.md. The test fails on any departure not
//! listed (a new table without a place, a new key that breaks co-location) and on a listed
//! one that is gone (so the list shrinks as the schema is migrated).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use diesel::{
    QueryableByName,
    sql_types::{Array, Bool, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use tests::TestDb;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Place {
    Reference,
    Local,
    /// Distributed by `province`, all co-located.
    Distributed,
}

use Place::{Distributed, Local, Reference};

/// Where each table goes (docs/operations.md keeps the same table).
const LAYOUT: &[(&str, Place)] = &[
    ("__diesel_schema_migrations", Local),
    // reference: small, joined with everything
    ("provinces", Reference),
    ("organisations", Reference),
    ("users", Reference),
    ("catalog_items", Reference),
    ("catalog_ceilings", Reference),
    ("catalog_generic_names", Reference),
    ("rounds", Reference),
    ("lots", Reference),
    ("contracts", Reference),
    ("contract_distributors", Reference),
    ("supply_failures", Reference),
    ("supplier_bars", Reference),
    ("settlement_settings", Reference),
    // local: the platform and tendering (one round's bid rush is one node's work anyway)
    ("sessions", Local),
    ("login_throttle", Local),
    ("jobs", Local),
    ("audit_log", Local),
    ("audit_seal", Local),
    ("round_custodians", Local),
    ("demands", Local),
    ("hospital_demands", Local),
    ("bids", Local),
    ("bid_register", Local),
    ("opening_shares", Local),
    ("round_evaluations", Local),
    ("revival_offers", Local),
    ("statement_confirmations", Local),
    ("bank_references", Local),
    // distributed by province: everything after the award, which grows without bound
    ("quotas", Distributed),
    ("orders", Distributed),
    ("order_lines", Distributed),
    ("deliveries", Distributed),
    ("delivery_lines", Distributed),
    ("trace_codes", Distributed),
    ("shortage_reports", Distributed),
    ("prepayments", Distributed),
    ("hospital_funds", Distributed),
    ("fund_entries", Distributed),
    ("settlement_batches", Distributed),
    ("settlement_lines", Distributed),
    ("payment_orders", Distributed),
    ("payments", Distributed),
    ("overdue_lines", Distributed),
    ("line_disputes", Distributed),
];

/// Today's departures from the layout, each waiting for the migration named in
/// docs/operations.md ("Before Citus": the province into every post-award key).
const KNOWN: &[&str] = &[
    "deliveries: no province column",
    "deliveries: unique index deliveries_pkey (id) lacks province",
    "delivery_lines: no province column",
    "delivery_lines: unique index delivery_lines_delivery_id_order_line_id_key (delivery_id, order_line_id) lacks province",
    "delivery_lines: unique index delivery_lines_pkey (id) lacks province",
    "fk contracts_backup_bid_id_fkey: contracts(backup_bid_id) -> bids(id): a reference table may reference only reference tables",
    "fk contracts_bid_id_fkey: contracts(bid_id) -> bids(id): a reference table may reference only reference tables",
    "fk deliveries_order_id_fkey: deliveries(order_id) -> orders(id): not by province on both sides",
    "fk delivery_lines_delivery_id_fkey: delivery_lines(delivery_id) -> deliveries(id): not by province on both sides",
    "fk delivery_lines_order_line_id_fkey: delivery_lines(order_line_id) -> order_lines(id): not by province on both sides",
    "fk fund_entries_payment_id_fkey: fund_entries(payment_id) -> payments(id): not by province on both sides",
    "fk fund_entries_prepayment_id_fkey: fund_entries(prepayment_id) -> prepayments(id): not by province on both sides",
    "fk line_disputes_delivery_line_id_fkey: line_disputes(delivery_line_id) -> delivery_lines(id): not by province on both sides",
    "fk order_lines_order_id_fkey: order_lines(order_id) -> orders(id): not by province on both sides",
    "fk orders_moved_from_fkey: orders(moved_from) -> orders(id): not by province on both sides",
    "fk overdue_lines_delivery_line_id_fkey: overdue_lines(delivery_line_id) -> delivery_lines(id): not by province on both sides",
    "fk payment_orders_batch_id_fkey: payment_orders(batch_id) -> settlement_batches(id): not by province on both sides",
    "fk payments_payment_order_id_fkey: payments(payment_order_id) -> payment_orders(id): not by province on both sides",
    "fk trace_codes_delivery_line_id_fkey: trace_codes(delivery_line_id) -> delivery_lines(id): not by province on both sides",
    "fund_entries: no province column",
    "fund_entries: unique index fund_entries_pkey (id) lacks province",
    "hospital_funds: unique index hospital_funds_pkey (hospital_org_id) lacks province",
    "line_disputes: unique index line_disputes_open_idx (delivery_line_id) lacks province",
    "line_disputes: unique index line_disputes_pkey (id) lacks province",
    "order_lines: no province column",
    "order_lines: unique index order_lines_order_id_contract_id_key (order_id, contract_id) lacks province",
    "order_lines: unique index order_lines_order_id_line_no_key (order_id, line_no) lacks province",
    "order_lines: unique index order_lines_pkey (id) lacks province",
    "orders: unique index orders_idempotency_idx (hospital_org_id, idempotency_key) lacks province",
    "orders: unique index orders_pkey (id) lacks province",
    "overdue_lines: unique index overdue_lines_pkey (delivery_line_id) lacks province",
    "payment_orders: unique index payment_orders_batch_id_supplier_org_id_key (batch_id, supplier_org_id) lacks province",
    "payment_orders: unique index payment_orders_pkey (id) lacks province",
    "payments: no province column",
    "payments: unique index payments_bank_reference_key (bank_reference) lacks province",
    "payments: unique index payments_payment_order_id_key (payment_order_id) lacks province",
    "payments: unique index payments_pkey (id) lacks province",
    "prepayments: unique index prepayments_bank_reference_key (bank_reference) lacks province",
    "prepayments: unique index prepayments_pkey (id) lacks province",
    "prepayments: unique index prepayments_round_id_hospital_org_id_key (round_id, hospital_org_id) lacks province",
    "quotas: no province column",
    "quotas: unique index quotas_pkey (contract_id, hospital_org_id) lacks province",
    "settlement_batches: unique index settlement_batches_pkey (id) lacks province",
    "shortage_reports: unique index shortage_reports_pkey (id) lacks province",
    "trace_codes: no province column",
    "trace_codes: unique index trace_codes_pkey (code) lacks province",
];

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
}

#[derive(QueryableByName)]
struct Unique {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    index: String,
    #[diesel(sql_type = Array<Text>)]
    columns: Vec<String>,
}

#[derive(QueryableByName)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Array<Text>)]
    columns: Vec<String>,
    #[diesel(sql_type = Text)]
    target: String,
    #[diesel(sql_type = Array<Text>)]
    target_columns: Vec<String>,
}

/// Every departure of the schema from [`LAYOUT`], one line each.
async fn departures(conn: &mut AsyncPgConnection) -> BTreeSet<String> {
    let place = |t: &str| LAYOUT.iter().find(|(n, _)| *n == t).map(|(_, p)| *p);
    let mut out = BTreeSet::new();
    // tables (partitions are their parent's)
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_class c
          WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
            AND NOT c.relispartition ORDER BY 1",
    )
    .load(conn)
    .await
    .unwrap();
    let tables: BTreeSet<String> = tables.into_iter().map(|t| t.name).collect();
    for t in &tables {
        if place(t).is_none() {
            out.insert(format!("{t}: has no place in the layout"));
        }
    }
    for (t, _) in LAYOUT {
        if !tables.contains(*t) {
            out.insert(format!("{t}: in the layout but not in the schema"));
        }
    }
    // the distribution column
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT c.relname::text AS table, a.attnotnull AS not_null
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
            AND a.attname = 'province' AND NOT a.attisdropped",
    )
    .load(conn)
    .await
    .unwrap();
    for t in tables.iter().filter(|t| place(t) == Some(Distributed)) {
        match columns.iter().find(|c| &c.table == t) {
            None => {
                out.insert(format!("{t}: no province column"));
            }
            Some(c) if !c.not_null => {
                out.insert(format!("{t}: province may be NULL"));
            }
            Some(_) => {}
        }
    }
    // unique indexes (primary keys and unique constraints included)
    let uniques: Vec<Unique> = diesel::sql_query(
        "SELECT c.relname::text AS table, i.relname::text AS index,
                ARRAY(SELECT coalesce(a.attname::text, '(expression)')
                        FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
                        LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                       ORDER BY n) AS columns
           FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
          WHERE x.indisunique AND c.relnamespace = 'public'::regnamespace AND NOT c.relispartition",
    )
    .load(conn)
    .await
    .unwrap();
    for u in uniques
        .iter()
        .filter(|u| place(&u.table) == Some(Distributed))
    {
        if !u.columns.iter().any(|c| c == "province") {
            out.insert(format!(
                "{}: unique index {} ({}) lacks province",
                u.table,
                u.index,
                u.columns.join(", ")
            ));
        }
    }
    // foreign keys
    let fks: Vec<ForeignKey> = diesel::sql_query(
        "SELECT f.conname::text AS name, c.relname::text AS table, t.relname::text AS target,
                ARRAY(SELECT a.attname::text FROM unnest(f.conkey) WITH ORDINALITY k(attnum, n)
                        JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.attnum ORDER BY n) AS columns,
                ARRAY(SELECT a.attname::text FROM unnest(f.confkey) WITH ORDINALITY k(attnum, n)
                        JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.attnum ORDER BY n) AS target_columns
           FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_class t ON t.oid = f.confrelid
          WHERE f.contype = 'f' AND f.connamespace = 'public'::regnamespace
            AND NOT c.relispartition AND f.conparentid = 0",
    )
    .load(conn)
    .await
    .unwrap();
    for fk in &fks {
        let (Some(from), Some(to)) = (place(&fk.table), place(&fk.target)) else {
            continue; // reported above
        };
        let edge = format!(
            "{}({}) -> {}({})",
            fk.table,
            fk.columns.join(", "),
            fk.target,
            fk.target_columns.join(", ")
        );
        let problem = match (from, to) {
            (Reference, Reference) | (Local, Reference | Local) | (Distributed, Reference) => None,
            (Reference, _) => Some("a reference table may reference only reference tables"),
            (Distributed, Local) => Some("a distributed table may not reference a local one"),
            (Local, Distributed) => Some("a local table may not reference a distributed one"),
            (Distributed, Distributed) => {
                let at = fk.columns.iter().position(|c| c == "province");
                let co_located =
                    at.is_some() && at == fk.target_columns.iter().position(|c| c == "province");
                (!co_located).then_some("not by province on both sides")
            }
        };
        if let Some(p) = problem {
            out.insert(format!("fk {}: {edge}: {p}", fk.name));
        }
    }
    out
}

fn listed(found: &BTreeSet<String>) -> String {
    found
        .iter()
        .map(|d| format!("    {d:?},\n"))
        .collect::<String>()
}

#[actix_web::test]
async fn the_schema_keeps_to_the_citus_layout_but_for_the_known_departures() {
    let db = TestDb::new().await;
    let mut conn = db.connect().await;
    let found = departures(&mut conn).await;
    let known: BTreeSet<String> = KNOWN.iter().map(|s| (*s).to_owned()).collect();
    let new: BTreeSet<String> = found.difference(&known).cloned().collect();
    let gone: BTreeSet<String> = known.difference(&found).cloned().collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "the schema departs from the Citus layout (tests/tests/integration/citus.rs, docs/operations.md)\n\
         new departures (fix the schema, or place the table):\n{}\
         departures gone (remove them from KNOWN):\n{}",
        listed(&new),
        listed(&gone)
    );
}

#[actix_web::test]
async fn the_check_catches_an_unplaced_table_and_a_key_across_provinces() {
    let db = TestDb::new().await;
    let mut conn = db.connect().await;
    let before = departures(&mut conn).await;
    conn.batch_execute(
        "CREATE TABLE planted_notes (id uuid PRIMARY KEY);
         ALTER TABLE settlement_lines ADD COLUMN planted_order uuid REFERENCES orders (id);
         ALTER TABLE rounds ADD COLUMN planted_bid uuid REFERENCES bids (id);",
    )
    .await
    .unwrap();
    let after = departures(&mut conn).await;
    let added: Vec<&String> = after.difference(&before).collect();
    assert_eq!(
        added,
        [
            "fk rounds_planted_bid_fkey: rounds(planted_bid) -> bids(id): a reference table may reference only reference tables",
            "fk settlement_lines_planted_order_fkey: settlement_lines(planted_order) -> orders(id): not by province on both sides",
            "planted_notes: has no place in the layout",
        ]
    );
}
