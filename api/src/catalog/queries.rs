//! Catalog rows and their queries: items, ceiling history, search, the staging table
//! and the set-based merge an import ends with.

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Date, Int4, Nullable, Numeric, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::platform::db::schema::{catalog_ceilings, catalog_generic_names, catalog_items};

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = catalog_items, check_for_backend(diesel::pg::Pg))]
pub struct CatalogItem {
    pub code: String,
    pub kind: String,
    pub generic_name: String,
    pub dosage_form: Option<String>,
    pub strength: Option<Decimal>,
    pub strength_unit: Option<String>,
    pub fill_volume: Option<Decimal>,
    pub fill_volume_unit: Option<String>,
    pub pack_count: i32,
    pub min_unit: String,
    pub consistency: Option<String>,
    pub manufacturer: String,
    pub manufacturer_org_id: Option<Uuid>,
    pub consumable_class: Option<String>,
    pub product_system: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = catalog_ceilings, check_for_backend(diesel::pg::Pg))]
pub struct Ceiling {
    pub id: i64,
    pub item_code: String,
    pub price: Decimal,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Search criteria; every one given must match.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Substring of the generic name (trigram index).
    pub q: Option<String>,
    /// Exact generic name.
    pub generic_name: Option<String>,
    /// Code prefix.
    pub code_prefix: Option<String>,
    /// Substring of the manufacturer's name (trigram index).
    pub manufacturer: Option<String>,
    pub kind: Option<String>,
    pub consistency: Option<String>,
}

/// `%` and `_` and `\` taken literally in a LIKE pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

type BoxedItems<'a> = catalog_items::BoxedQuery<'a, diesel::pg::Pg>;

/// Generic names matched by a name search, at most this many.
const MAX_NAMES: i64 = 5000;
/// Up to this many matches, a page is cut from the sorted matches; above, the rows are
/// read in code order until the page is full.
const SORT_BELOW: i64 = 20_000;

fn filtered<'a>(f: &ItemFilter, names: Option<&[String]>) -> BoxedItems<'a> {
    let mut q = catalog_items::table.into_boxed();
    if let Some(names) = names {
        q = q.filter(catalog_items::generic_name.eq_any(names.to_vec()));
    }
    if let Some(s) = &f.generic_name {
        q = q.filter(catalog_items::generic_name.eq(s.clone()));
    }
    if let Some(s) = &f.code_prefix {
        // `code >= prefix` is implied by the LIKE; it lets the primary key start there
        // when the rows come back in code order
        q = q
            .filter(catalog_items::code.like(format!("{}%", like_escape(s))))
            .filter(catalog_items::code.ge(s.clone()));
    }
    if let Some(s) = &f.manufacturer {
        q = q.filter(catalog_items::manufacturer.ilike(format!("%{}%", like_escape(s))));
    }
    if let Some(s) = &f.kind {
        q = q.filter(catalog_items::kind.eq(s.clone()));
    }
    if let Some(s) = &f.consistency {
        q = q.filter(catalog_items::consistency.eq(s.clone()));
    }
    q
}

impl CatalogItem {
    /// Links the catalog's items to the supplier organisation `org` by manufacturer name
    /// (case-insensitive), as an import does: items made by `name` are linked to it, and
    /// items linked to it under another manufacturer name (before a rename) are unlinked.
    /// Returns (linked, unlinked).
    pub async fn link_manufacturer(
        conn: &mut AsyncPgConnection,
        org: Uuid,
        name: &str,
    ) -> QueryResult<(usize, usize)> {
        use diesel::dsl::sql;
        let lower_manufacturer = || sql::<Text>("lower(manufacturer)");
        let unlinked = diesel::update(
            catalog_items::table
                .filter(catalog_items::manufacturer_org_id.eq(org))
                .filter(lower_manufacturer().ne(name.to_lowercase())),
        )
        .set((
            catalog_items::manufacturer_org_id.eq(None::<Uuid>),
            catalog_items::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
        let linked = diesel::update(
            catalog_items::table
                .filter(lower_manufacturer().eq(name.to_lowercase()))
                .filter(catalog_items::manufacturer_org_id.is_distinct_from(org)),
        )
        .set((
            catalog_items::manufacturer_org_id.eq(org),
            catalog_items::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
        Ok((linked, unlinked))
    }

    /// The items with these codes, by code (unknown codes are left out).
    pub async fn by_codes(
        conn: &mut AsyncPgConnection,
        codes: &[String],
    ) -> QueryResult<std::collections::HashMap<String, Self>> {
        Ok(catalog_items::table
            .filter(catalog_items::code.eq_any(codes))
            .select(Self::as_select())
            .load::<Self>(conn)
            .await?
            .into_iter()
            .map(|i| (i.code.clone(), i))
            .collect())
    }

    pub async fn find(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Self> {
        catalog_items::table
            .find(code)
            .select(Self::as_select())
            .first(conn)
            .await
    }

    /// A page of matching items ordered by code, with the number of matches.
    pub async fn search(
        conn: &mut AsyncPgConnection,
        filter: &ItemFilter,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<Self>, i64)> {
        let names = match &filter.q {
            None => None,
            Some(q) => {
                let names: Vec<String> = catalog_generic_names::table
                    .filter(catalog_generic_names::name.ilike(format!("%{}%", like_escape(q))))
                    .select(catalog_generic_names::name)
                    .limit(MAX_NAMES)
                    .load(conn)
                    .await?;
                if names.is_empty() {
                    return Ok((Vec::new(), 0));
                }
                Some(names)
            }
        };
        let total = filtered(filter, names.as_deref())
            .count()
            .get_result(conn)
            .await?;
        let rows = if total <= offset {
            Vec::new()
        } else if total <= SORT_BELOW {
            // Few matches: sort their codes (read from an index where the filter allows)
            // and fetch the page by code. Ordering by an expression keeps the planner from
            // walking the primary key instead, which is slow when the matches cluster in
            // one code range (a generic's codes share their ATC class).
            let codes: Vec<String> = filtered(filter, names.as_deref())
                .select(catalog_items::code)
                .order(catalog_items::code.concat(""))
                .limit(limit)
                .offset(offset)
                .load(conn)
                .await?;
            catalog_items::table
                .filter(catalog_items::code.eq_any(codes))
                .order(catalog_items::code)
                .select(Self::as_select())
                .load(conn)
                .await?
        } else {
            filtered(filter, names.as_deref())
                .order(catalog_items::code)
                .limit(limit)
                .offset(offset)
                .select(Self::as_select())
                .load(conn)
                .await?
        };
        Ok((rows, total))
    }

    /// Up to `limit` items after `after` in code order, each with its latest-recorded
    /// ceiling: one chunk of the CSV export.
    pub async fn export_chunk(
        conn: &mut AsyncPgConnection,
        after: &str,
        limit: i64,
    ) -> QueryResult<Vec<ExportRow>> {
        diesel::sql_query(
            "SELECT i.*, c.price AS ceiling_price, c.valid_from AS ceiling_valid_from,
                    c.valid_to AS ceiling_valid_to
               FROM catalog_items i
               LEFT JOIN LATERAL (
                    SELECT price, valid_from, valid_to FROM catalog_ceilings
                     WHERE item_code = i.code ORDER BY id DESC LIMIT 1) c ON true
              WHERE i.code > $1
              ORDER BY i.code
              LIMIT $2",
        )
        .bind::<Text, _>(after)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await
    }
}

/// An item with its latest-recorded ceiling, as exported.
#[derive(Debug, Clone, QueryableByName)]
pub struct ExportRow {
    #[diesel(embed)]
    pub item: CatalogItem,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub ceiling_price: Option<Decimal>,
    #[diesel(sql_type = Nullable<Date>)]
    pub ceiling_valid_from: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    pub ceiling_valid_to: Option<NaiveDate>,
}

impl Ceiling {
    /// Every ceiling ever recorded for an item, oldest first.
    pub async fn history(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Vec<Self>> {
        catalog_ceilings::table
            .filter(catalog_ceilings::item_code.eq(code))
            .order(catalog_ceilings::id)
            .select(Self::as_select())
            .load(conn)
            .await
    }

    /// The ceilings valid on `day` of the given items (a round uses the day it is
    /// published): per item, the latest-recorded ceiling whose period holds the day.
    /// Items without one are absent.
    pub async fn valid_at(
        conn: &mut AsyncPgConnection,
        codes: &[String],
        day: NaiveDate,
    ) -> QueryResult<Vec<Self>> {
        catalog_ceilings::table
            .filter(catalog_ceilings::item_code.eq_any(codes))
            .filter(catalog_ceilings::valid_from.le(day))
            .filter(
                catalog_ceilings::valid_to
                    .is_null()
                    .or(catalog_ceilings::valid_to.gt(day)),
            )
            .distinct_on(catalog_ceilings::item_code)
            .order((catalog_ceilings::item_code, catalog_ceilings::id.desc()))
            .select(Self::as_select())
            .load(conn)
            .await
    }
}

/// One validated row of an import, as staged.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedItem {
    pub code: String,
    pub kind: &'static str,
    pub generic_name: String,
    pub dosage_form: Option<&'static str>,
    pub strength: Option<(Decimal, &'static str)>,
    pub fill_volume: Option<(Decimal, &'static str)>,
    pub pack_count: i32,
    pub min_unit: &'static str,
    pub consistency: Option<&'static str>,
    pub manufacturer: String,
    pub consumable_class: Option<String>,
    pub product_system: Option<String>,
    pub ceiling: Option<StagedCeiling>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StagedCeiling {
    pub price: Decimal,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// What the merge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeCounts {
    pub created: i64,
    pub updated: i64,
    pub ceilings_added: i64,
}

/// The staging table of one import, dropped at the end of its transaction. Rows go in
/// by batches (one statement per batch: a column of values per parameter) and come out
/// in one set-based merge.
pub struct Staging;

impl Staging {
    /// Creates the staging table; call inside the import's transaction.
    pub async fn create(conn: &mut AsyncPgConnection) -> QueryResult<()> {
        conn.batch_execute(
            "DROP TABLE IF EXISTS pg_temp.catalog_stage;
             DROP TABLE IF EXISTS pg_temp.catalog_changed;
             CREATE TEMP TABLE catalog_stage (
                code TEXT PRIMARY KEY, kind TEXT NOT NULL, generic_name TEXT NOT NULL,
                dosage_form TEXT, strength NUMERIC, strength_unit TEXT,
                fill_volume NUMERIC, fill_volume_unit TEXT, pack_count INTEGER NOT NULL,
                min_unit TEXT NOT NULL, consistency TEXT, manufacturer TEXT NOT NULL,
                consumable_class TEXT, product_system TEXT,
                ceiling_price NUMERIC, ceiling_valid_from DATE, ceiling_valid_to DATE
             ) ON COMMIT DROP;
             CREATE TEMP TABLE catalog_changed (
                code TEXT PRIMARY KEY, created BOOLEAN NOT NULL
             ) ON COMMIT DROP;",
        )
        .await
    }

    /// Stages a batch of rows with one INSERT ... SELECT FROM unnest(...).
    pub async fn insert(conn: &mut AsyncPgConnection, rows: &[StagedItem]) -> QueryResult<usize> {
        let n = rows.len();
        let mut code = Vec::with_capacity(n);
        let mut kind = Vec::with_capacity(n);
        let mut generic_name = Vec::with_capacity(n);
        let mut dosage_form = Vec::with_capacity(n);
        let mut strength = Vec::with_capacity(n);
        let mut strength_unit = Vec::with_capacity(n);
        let mut fill_volume = Vec::with_capacity(n);
        let mut fill_volume_unit = Vec::with_capacity(n);
        let mut pack_count = Vec::with_capacity(n);
        let mut min_unit = Vec::with_capacity(n);
        let mut consistency = Vec::with_capacity(n);
        let mut manufacturer = Vec::with_capacity(n);
        let mut consumable_class = Vec::with_capacity(n);
        let mut product_system = Vec::with_capacity(n);
        let mut ceiling_price = Vec::with_capacity(n);
        let mut ceiling_from = Vec::with_capacity(n);
        let mut ceiling_to = Vec::with_capacity(n);
        for r in rows {
            code.push(r.code.as_str());
            kind.push(r.kind);
            generic_name.push(r.generic_name.as_str());
            dosage_form.push(r.dosage_form);
            strength.push(r.strength.map(|s| s.0));
            strength_unit.push(r.strength.map(|s| s.1));
            fill_volume.push(r.fill_volume.map(|s| s.0));
            fill_volume_unit.push(r.fill_volume.map(|s| s.1));
            pack_count.push(r.pack_count);
            min_unit.push(r.min_unit);
            consistency.push(r.consistency);
            manufacturer.push(r.manufacturer.as_str());
            consumable_class.push(r.consumable_class.as_deref());
            product_system.push(r.product_system.as_deref());
            ceiling_price.push(r.ceiling.map(|c| c.price));
            ceiling_from.push(r.ceiling.map(|c| c.valid_from));
            ceiling_to.push(r.ceiling.and_then(|c| c.valid_to));
        }
        diesel::sql_query(
            "INSERT INTO catalog_stage
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[],
                                  $6::text[], $7::numeric[], $8::text[], $9::int4[], $10::text[],
                                  $11::text[], $12::text[], $13::text[], $14::text[],
                                  $15::numeric[], $16::date[], $17::date[])",
        )
        .bind::<Array<Text>, _>(code)
        .bind::<Array<Text>, _>(kind)
        .bind::<Array<Text>, _>(generic_name)
        .bind::<Array<Nullable<Text>>, _>(dosage_form)
        .bind::<Array<Nullable<Numeric>>, _>(strength)
        .bind::<Array<Nullable<Text>>, _>(strength_unit)
        .bind::<Array<Nullable<Numeric>>, _>(fill_volume)
        .bind::<Array<Nullable<Text>>, _>(fill_volume_unit)
        .bind::<Array<Int4>, _>(pack_count)
        .bind::<Array<Text>, _>(min_unit)
        .bind::<Array<Nullable<Text>>, _>(consistency)
        .bind::<Array<Text>, _>(manufacturer)
        .bind::<Array<Nullable<Text>>, _>(consumable_class)
        .bind::<Array<Nullable<Text>>, _>(product_system)
        .bind::<Array<Nullable<Numeric>>, _>(ceiling_price)
        .bind::<Array<Nullable<Date>>, _>(ceiling_from)
        .bind::<Array<Nullable<Date>>, _>(ceiling_to)
        .execute(conn)
        .await
    }

    /// Upserts the staged rows by code and appends the ceilings that changed; counts
    /// created and updated items (an item whose only change is a new ceiling counts as
    /// updated). Rows equal to what is stored are not written at all.
    pub async fn merge(conn: &mut AsyncPgConnection) -> QueryResult<MergeCounts> {
        // Item fields compared to decide "unchanged"; the manufacturer's organisation
        // link is resolved here (a supplier of that name, case-insensitive).
        const FIELDS: &str = "kind, generic_name, dosage_form, strength, strength_unit, fill_volume, \
             fill_volume_unit, pack_count, min_unit, consistency, manufacturer, \
             manufacturer_org_id, consumable_class, product_system";
        let excluded = FIELDS
            .split(", ")
            .map(|f| format!("EXCLUDED.{}", f.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let current = FIELDS
            .split(", ")
            .map(|f| format!("i.{}", f.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let set = FIELDS
            .split(", ")
            .map(|f| format!("{0} = EXCLUDED.{0}", f.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        conn.batch_execute(&format!(
            "ANALYZE catalog_stage;
             WITH up AS (
                INSERT INTO catalog_items AS i (code, {FIELDS})
                SELECT s.code, s.kind, s.generic_name, s.dosage_form, s.strength, s.strength_unit,
                       s.fill_volume, s.fill_volume_unit, s.pack_count, s.min_unit, s.consistency,
                       s.manufacturer, o.id, s.consumable_class, s.product_system
                  FROM catalog_stage s
                  LEFT JOIN organisations o
                    ON o.kind = 'supplier' AND lower(o.name) = lower(s.manufacturer)
                ON CONFLICT (code) DO UPDATE SET {set}, updated_at = now()
                WHERE ({current}) IS DISTINCT FROM ({excluded})
                RETURNING i.code, (i.xmax = 0) AS created
             )
             INSERT INTO catalog_changed SELECT code, created FROM up;

             INSERT INTO catalog_generic_names (name)
             SELECT DISTINCT generic_name FROM catalog_stage
             ON CONFLICT (name) DO NOTHING;

             CREATE TEMP TABLE catalog_new_ceilings ON COMMIT DROP AS
             SELECT s.code, s.ceiling_price, s.ceiling_valid_from, s.ceiling_valid_to
               FROM catalog_stage s
               LEFT JOIN LATERAL (
                    SELECT price, valid_from, valid_to FROM catalog_ceilings c
                     WHERE c.item_code = s.code ORDER BY c.id DESC LIMIT 1) l ON true
              WHERE s.ceiling_price IS NOT NULL
                AND (l.price IS NULL
                     OR (l.price, l.valid_from, l.valid_to)
                        IS DISTINCT FROM (s.ceiling_price, s.ceiling_valid_from, s.ceiling_valid_to));

             UPDATE catalog_ceilings c SET valid_to = n.ceiling_valid_from
               FROM catalog_new_ceilings n
              WHERE c.item_code = n.code AND c.valid_to IS NULL
                AND c.valid_from < n.ceiling_valid_from;

             INSERT INTO catalog_ceilings (item_code, price, valid_from, valid_to)
             SELECT code, ceiling_price, ceiling_valid_from, ceiling_valid_to
               FROM catalog_new_ceilings ORDER BY code;

             INSERT INTO catalog_changed SELECT code, false FROM catalog_new_ceilings
             ON CONFLICT (code) DO NOTHING;"
        ))
        .await?;
        let (created, updated, ceilings_added) = diesel::select((
            diesel::dsl::sql::<BigInt>("(SELECT count(*) FROM catalog_changed WHERE created)"),
            diesel::dsl::sql::<BigInt>("(SELECT count(*) FROM catalog_changed WHERE NOT created)"),
            diesel::dsl::sql::<BigInt>("(SELECT count(*) FROM catalog_new_ceilings)"),
        ))
        .get_result::<(i64, i64, i64)>(conn)
        .await?;
        conn.batch_execute("DROP TABLE catalog_new_ceilings")
            .await?;
        Ok(MergeCounts {
            created,
            updated,
            ceilings_added,
        })
    }
}

/// Serializes imports: one at a time, so counts describe exactly what each did.
pub async fn lock_catalog(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    conn.batch_execute("SELECT pg_advisory_xact_lock(420260010)")
        .await
}
