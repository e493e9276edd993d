//! Roles of users and kinds of organisations, and which role belongs to which kind.

use crate::platform::db::text_enum as string_enum;

string_enum! {
    /// What a user may do on the platform (see docs/architecture.md, "Roles").
    Role {
        Admin => "admin",
        ProcurementOfficer => "procurement_officer",
        Supplier => "supplier",
        ProvincialBuyer => "provincial_buyer",
        Insurer => "insurer",
        Auditor => "auditor",
        Hospital => "hospital",
        Distributor => "distributor",
    }
}

string_enum! {
    /// What an organisation is.
    OrgKind {
        Platform => "platform",
        ProcurementOffice => "procurement_office",
        Supplier => "supplier",
        Buyer => "buyer",
        Insurer => "insurer",
        Supervision => "supervision",
        Hospital => "hospital",
        Distributor => "distributor",
    }
}

string_enum! {
    /// Whether an organisation may act.
    OrgStatus {
        Active => "active",
        Suspended => "suspended",
    }
}

impl Role {
    /// The only kind of organisation a user of this role can belong to.
    pub fn org_kind(self) -> OrgKind {
        match self {
            Role::Admin => OrgKind::Platform,
            Role::ProcurementOfficer => OrgKind::ProcurementOffice,
            Role::Supplier => OrgKind::Supplier,
            Role::ProvincialBuyer => OrgKind::Buyer,
            Role::Insurer => OrgKind::Insurer,
            Role::Auditor => OrgKind::Supervision,
            Role::Hospital => OrgKind::Hospital,
            Role::Distributor => OrgKind::Distributor,
        }
    }
}

impl OrgKind {
    /// Buyers, insurers and hospitals act for exactly one province.
    pub fn needs_province(self) -> bool {
        matches!(self, OrgKind::Buyer | OrgKind::Insurer | OrgKind::Hospital)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_maps_every_role_to_a_distinct_kind() {
        let mut kinds = std::collections::HashSet::new();
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(*role));
            assert!(kinds.insert(role.org_kind()));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
