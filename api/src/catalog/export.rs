//! The catalog as CSV, in the import format: exporting and importing the result again
//! reports every row unchanged.

use rust_decimal::Decimal;

use crate::catalog::queries::ExportRow;
use crate::catalog::row::COLUMNS;

/// Items per database round trip while streaming an export.
pub const CHUNK: i64 = 1000;

fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The header row.
pub fn header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // writing to a Vec cannot fail
    let _ = w.write_record(COLUMNS.iter().map(|(_, name, _)| *name));
    w.into_inner().unwrap_or_default()
}

/// Rows in the column order of [`header`].
pub fn rows(rows: &[ExportRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160));
    for r in rows {
        let i = &r.item;
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        let _ = w.write_record([
            i.kind.clone(),
            i.code.clone(),
            i.generic_name.clone(),
            opt(&i.dosage_form),
            i.strength.map(plain).unwrap_or_default(),
            opt(&i.strength_unit),
            i.fill_volume.map(plain).unwrap_or_default(),
            opt(&i.fill_volume_unit),
            i.pack_count.to_string(),
            i.min_unit.clone(),
            opt(&i.consistency),
            i.manufacturer.clone(),
            r.ceiling_price.map(|p| p.to_string()).unwrap_or_default(),
            r.ceiling_valid_from
                .map(|d| d.to_string())
                .unwrap_or_default(),
            r.ceiling_valid_to
                .map(|d| d.to_string())
                .unwrap_or_default(),
            opt(&i.product_system),
        ]);
    }
    w.into_inner().unwrap_or_default()
}
