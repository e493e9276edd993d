//! Identifiers. The API maps its database keys onto these; the domain only
//! needs them to be unique and totally ordered (the final tie-break key).

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

id!(
    /// A bid.
    BidId
);
id!(
    /// A supplier organisation (manufacturer / MAH).
    SupplierId
);
id!(
    /// A lot (one generic name and dosage form in a round).
    LotId
);
id!(
    /// An accepted delivery.
    DeliveryId
);

/// A province by its 6-digit administrative division code (110000 Beijing,
/// 310000 Shanghai, ...). Lower code wins ties in the region draft.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProvinceCode(pub u32);

impl fmt::Display for ProvinceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
