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
//!   on both sides; may reference reference tables, never local ones;
//! * distributed alone, by a column of its own (a nationwide unique rule, such as a trace
//!   code's claim): every unique index includes that column; co-located with no other
//!   table, so it may reference only reference tables and nothing references it.
//!
//! The schema keeps to all of it since migration 000082 ("Before Citus" in
//! docs/operations.md); the test fails on any departure (a new table without a place, a
//! new key that breaks co-location).

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
    /// Distributed by the named column, co-located with nothing.
    Alone(&'static str),
}

use Place::{Alone, Distributed, Local, Reference};

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
    ("complaints", Local),
    ("complaint_attachments", Local),
    // distributed by province: everything after the award, which grows without bound
    ("quotas", Distributed),
    ("orders", Distributed),
    ("order_lines", Distributed),
    ("deliveries", Distributed),
    ("delivery_lines", Distributed),
    ("trace_codes", Distributed),
    // distributed alone: nationwide unique rules
    ("trace_code_claims", Alone("code")),
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
    ("supply_problems", Distributed),
    ("supply_warnings", Distributed),
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
    for u in &uniques {
        let column = match place(&u.table) {
            Some(Distributed) => "province",
            Some(Alone(column)) => column,
            _ => continue,
        };
        if !u.columns.iter().any(|c| c == column) {
            out.insert(format!(
                "{}: unique index {} ({}) lacks {column}",
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
            (Reference, Reference)
            | (Local, Reference | Local)
            | (Distributed | Alone(_), Reference) => None,
            (Alone(_), _) | (_, Alone(_)) => Some(
                "a table distributed alone is co-located with none: it may reference only reference tables",
            ),
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
async fn the_schema_keeps_to_the_citus_layout() {
    let db = TestDb::new().await;
    let mut conn = db.connect().await;
    let found = departures(&mut conn).await;
    assert!(
        found.is_empty(),
        "the schema departs from the Citus layout (tests/tests/integration/citus.rs, docs/operations.md); \
         fix the schema, or place the table:\n{}",
        listed(&found)
    );
}

#[actix_web::test]
async fn the_check_catches_an_unplaced_table_and_keys_that_break_co_location() {
    let db = TestDb::new().await;
    let mut conn = db.connect().await;
    let before = departures(&mut conn).await;
    conn.batch_execute(
        "CREATE TABLE planted_notes (id uuid PRIMARY KEY);
         ALTER TABLE settlement_lines ADD COLUMN planted_order uuid, ADD COLUMN planted_province char(6),
             ADD CONSTRAINT settlement_lines_planted_order_fkey FOREIGN KEY (planted_order, planted_province)
                 REFERENCES orders (id, province);
         ALTER TABLE rounds ADD COLUMN planted_bid uuid REFERENCES bids (id);
         ALTER TABLE trace_codes ADD CONSTRAINT trace_codes_planted_claim_fkey FOREIGN KEY (code)
             REFERENCES trace_code_claims (code);
         ALTER TABLE trace_code_claims ADD CONSTRAINT trace_code_claims_planted_key UNIQUE (province);",
    )
    .await
    .unwrap();
    let after = departures(&mut conn).await;
    let added: Vec<&String> = after.difference(&before).collect();
    assert_eq!(
        added,
        [
            "fk rounds_planted_bid_fkey: rounds(planted_bid) -> bids(id): a reference table may reference only reference tables",
            "fk settlement_lines_planted_order_fkey: settlement_lines(planted_order, planted_province) -> orders(id, province): not by province on both sides",
            "fk trace_codes_planted_claim_fkey: trace_codes(code) -> trace_code_claims(code): a table distributed alone is co-located with none: it may reference only reference tables",
            "planted_notes: has no place in the layout",
            "trace_code_claims: unique index trace_code_claims_planted_key (province) lacks code",
        ]
    );
}
