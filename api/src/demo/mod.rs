//! `vbp demo`: a realistic set of organisations and users (idempotent).
//!
//! Every province gets a purchasing centre and a medical-insurance bureau; there is a
//! national procurement office, a supervision body, the platform operator and a dozen
//! manufacturers. The accounts of ../shared/API.md ("Demo accounts") share one password.

pub mod catalog;
pub mod rounds;

use std::fmt::Write as _;

use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::json;
use uuid::Uuid;

use crate::{
    accounts::queries::{NewOrganisation, NewUser, Organisation, Province, User},
    platform::{
        audit::{self, Actor},
        auth::{OrgKind, Role, Session, password},
    },
};

const PLATFORM: &str = "vbp Platform Operations";
const OFFICE: &str = "National Joint Procurement Office (国家组织药品联合采购办公室)";
const SUPERVISION: &str = "National Healthcare Security Supervision Bureau";

/// Manufacturers of the demo; the first two carry supplier@ and supplier2@.
pub const SUPPLIERS: &[&str] = &[
    "Zhejiang Huahai Pharmaceutical Co., Ltd.",
    "Qilu Pharmaceutical Co., Ltd.",
    "Jiangsu Hengrui Pharmaceuticals Co., Ltd.",
    "CSPC Pharmaceutical Group Co., Ltd.",
    "Chia Tai Tianqing Pharmaceutical Group Co., Ltd.",
    "Sichuan Kelun Pharmaceutical Co., Ltd.",
    "Shanghai Fosun Pharmaceutical (Group) Co., Ltd.",
    "Beijing Double-Crane Pharmaceutical Co., Ltd.",
    "Shenzhen Salubris Pharmaceuticals Co., Ltd.",
    "Lepu Medical Technology (Beijing) Co., Ltd.",
    "MicroPort Scientific Corporation",
    "AK Medical Holdings Ltd.",
];

fn buyer_org(p: &Province) -> String {
    format!(
        "{} Medical Procurement Centre ({}医药集中采购中心)",
        p.name_en, p.name_zh
    )
}

fn insurer_org(p: &Province) -> String {
    format!(
        "{} Healthcare Security Bureau ({}医疗保障局)",
        p.name_en, p.name_zh
    )
}

/// What `vbp demo` did, printed for the operator.
pub struct Report(String);

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

async fn org(
    conn: &mut AsyncPgConnection,
    name: &str,
    kind: OrgKind,
    province: Option<&str>,
    created: &mut usize,
) -> QueryResult<Organisation> {
    if let Some(existing) = Organisation::find_by_name(conn, name).await? {
        return Ok(existing);
    }
    let org = Organisation::insert(
        conn,
        &NewOrganisation {
            id: Uuid::now_v7(),
            name,
            kind: kind.as_str(),
            province,
        },
    )
    .await?;
    audit::record(
        conn,
        &Actor::system(),
        "org.create",
        "organisation",
        &org.id.to_string(),
        json!({ "name": org.name, "kind": org.kind, "province": org.province, "source": "demo" }),
    )
    .await?;
    *created += 1;
    Ok(org)
}

/// Demo hospitals: three in Beijing, two in Shanghai.
const HOSPITALS: &[(&str, &str)] = &[
    (
        "北京协和医院 Peking Union Medical College Hospital",
        "110000",
    ),
    (
        "首都医科大学附属北京朝阳医院 Beijing Chaoyang Hospital",
        "110000",
    ),
    (
        "首都医科大学附属北京天坛医院 Beijing Tiantan Hospital",
        "110000",
    ),
    ("上海交通大学医学院附属瑞金医院 Ruijin Hospital", "310000"),
    ("复旦大学附属中山医院 Zhongshan Hospital", "310000"),
];
/// The demo distributor.
const DISTRIBUTOR: &str = "国药控股北京有限公司 Sinopharm Holding Beijing";

/// Loads the demo. With `password`, every demo user gets it (existing ones are reset);
/// without, new users get a random one, printed once.
pub async fn load(
    conn: &mut AsyncPgConnection,
    password: Option<String>,
) -> Result<Report, Box<dyn std::error::Error + Send + Sync>> {
    if let Some(p) = &password {
        password::check_policy(p).map_err(|e| format!("--password {e}"))?;
    }
    let reset = password.is_some();
    let plain = password.unwrap_or_else(password::generate);
    let hash = password::hash(plain.clone())
        .await
        .map_err(|e| e.to_string())?;

    let report = conn
        .transaction(async |conn| {
            let mut orgs_created = 0;
            let provinces = Province::all(conn).await?;
            let platform = org(conn, PLATFORM, OrgKind::Platform, None, &mut orgs_created).await?;
            let office = org(conn, OFFICE, OrgKind::ProcurementOffice, None, &mut orgs_created).await?;
            let supervision = org(conn, SUPERVISION, OrgKind::Supervision, None, &mut orgs_created).await?;
            let mut suppliers = Vec::new();
            for name in SUPPLIERS {
                suppliers.push(org(conn, name, OrgKind::Supplier, None, &mut orgs_created).await?);
            }
            let mut buyers = std::collections::HashMap::new();
            let mut insurers = std::collections::HashMap::new();
            for p in &provinces {
                let b = org(conn, &buyer_org(p), OrgKind::Buyer, Some(&p.code), &mut orgs_created).await?;
                let i = org(conn, &insurer_org(p), OrgKind::Insurer, Some(&p.code), &mut orgs_created).await?;
                buyers.insert(p.code.clone(), b);
                insurers.insert(p.code.clone(), i);
            }
            let mut hospitals = Vec::new();
            for (name, code) in HOSPITALS {
                hospitals.push(org(conn, name, OrgKind::Hospital, Some(code), &mut orgs_created).await?);
            }
            let distributor = org(conn, DISTRIBUTOR, OrgKind::Distributor, None, &mut orgs_created).await?;
            let pick = |map: &std::collections::HashMap<String, Organisation>, code: &str| {
                map.get(code).cloned().ok_or(diesel::result::Error::NotFound)
            };
            let mut accounts: Vec<(&str, &str, Role, Organisation)> = vec![
                ("admin@vbp.demo", "Platform Administrator", Role::Admin, platform.clone()),
                ("officer@vbp.demo", "Wang Fang (procurement officer)", Role::ProcurementOfficer, office.clone()),
                ("officer2@vbp.demo", "Li Qiang (procurement officer)", Role::ProcurementOfficer, office.clone()),
                ("officer3@vbp.demo", "Zhang Wei (procurement officer)", Role::ProcurementOfficer, office.clone()),
                ("supplier@vbp.demo", "Huahai tender desk", Role::Supplier, suppliers[0].clone()),
                ("supplier2@vbp.demo", "Qilu tender desk", Role::Supplier, suppliers[1].clone()),
                ("buyer@vbp.demo", "Beijing purchasing centre", Role::ProvincialBuyer, pick(&buyers, "110000")?),
                ("buyer2@vbp.demo", "Shanghai purchasing centre", Role::ProvincialBuyer, pick(&buyers, "310000")?),
                ("insurer@vbp.demo", "Beijing healthcare security bureau", Role::Insurer, pick(&insurers, "110000")?),
                ("insurer2@vbp.demo", "Shanghai healthcare security bureau", Role::Insurer, pick(&insurers, "310000")?),
                ("auditor@vbp.demo", "Supervision auditor", Role::Auditor, supervision.clone()),
                ("hospital@vbp.demo", "Pharmacy, Peking Union Medical College Hospital", Role::Hospital, hospitals[0].clone()),
                ("hospital2@vbp.demo", "Pharmacy, Ruijin Hospital", Role::Hospital, hospitals[3].clone()),
                ("hospital3@vbp.demo", "Pharmacy, Beijing Chaoyang Hospital", Role::Hospital, hospitals[1].clone()),
                ("hospital4@vbp.demo", "Pharmacy, Beijing Tiantan Hospital", Role::Hospital, hospitals[2].clone()),
                ("hospital5@vbp.demo", "Pharmacy, Zhongshan Hospital", Role::Hospital, hospitals[4].clone()),
                ("distributor@vbp.demo", "Sinopharm Beijing dispatch desk", Role::Distributor, distributor.clone()),
            ];
            // every other manufacturer and province gets an account too, so the demo rounds
            // have many bidders and demand from all 31 provinces (listed as a count only)
            let main_accounts = accounts.len();
            let extra: Vec<(String, String, Role, Organisation)> = suppliers
                .iter()
                .enumerate()
                .skip(2)
                .map(|(i, o)| (format!("supplier{}@vbp.demo", i + 1), format!("{} tender desk", o.name), Role::Supplier, o.clone()))
                .chain(provinces.iter().filter(|p| !["110000", "310000"].contains(&p.code.as_str())).filter_map(|p| {
                    buyers.get(&p.code).map(|o| (format!("buyer-{}@vbp.demo", p.code), format!("{} purchasing centre", p.name_en), Role::ProvincialBuyer, o.clone()))
                }))
                .collect();
            for (email, name, role, org) in &extra {
                accounts.push((email, name, *role, org.clone()));
            }
            let mut created = Vec::new();
            let mut kept = Vec::new();
            for (i, (email, name, role, org)) in accounts.iter().enumerate() {
                let listed = i < main_accounts;
                match User::find_by_email(conn, email).await? {
                    Some((user, _)) => {
                        if reset {
                            User::set_password(conn, user.id, &hash).await?;
                            User::set_active(conn, user.id, true).await?;
                            Session::revoke_all_for_user(conn, user.id).await?;
                            audit::record(
                                conn,
                                &Actor::system(),
                                "user.update",
                                "user",
                                &user.id.to_string(),
                                json!({ "password_reset": true, "active": { "after": true }, "source": "demo" }),
                            )
                            .await?;
                        }
                        if listed {
                            kept.push((*email, *role, org.name.clone()));
                        }
                    }
                    None => {
                        let user = User::insert(
                            conn,
                            &NewUser {
                                id: Uuid::now_v7(),
                                email,
                                display_name: name,
                                password_hash: &hash,
                                role: role.as_str(),
                                org_id: org.id,
                            },
                        )
                        .await?;
                        audit::record(
                            conn,
                            &Actor::system(),
                            "user.create",
                            "user",
                            &user.id.to_string(),
                            json!({ "email": email, "role": role.as_str(), "org_id": org.id, "source": "demo" }),
                        )
                        .await?;
                        if listed {
                            created.push((*email, *role, org.name.clone()));
                        }
                    }
                }
            }
            let mut out = String::new();
            let _ = writeln!(
                out,
                "demo loaded: {orgs_created} organisations created ({} provinces with a purchasing centre and an insurer, {} manufacturers)",
                provinces.len(),
                SUPPLIERS.len()
            );
            let _ = writeln!(out, "\n  {:<22} {:<20} organisation", "email", "role");
            for (email, role, org) in created.iter().chain(kept.iter()) {
                let _ = writeln!(out, "  {email:<22} {:<20} {org}", role.as_str());
            }
            if !created.is_empty() || reset {
                let _ = writeln!(out, "\npassword for {} demo users: {plain}", if reset { "all" } else { "the new" });
            }
            if !kept.is_empty() && !reset {
                let _ = writeln!(
                    out,
                    "\n{} demo users existed already; their passwords are unchanged (run `vbp demo --password ...` to reset them)",
                    kept.len()
                );
            }
            // which company each other supplier account bids for
            let _ = writeln!(out, "\n  more suppliers, same password:");
            for (i, o) in suppliers.iter().enumerate().skip(2) {
                let _ = writeln!(out, "  {:<22} {}", format!("supplier{}@vbp.demo", i + 1), o.name);
            }
            let _ = writeln!(
                out,
                "  ... and {} buyer accounts (buyer-<province code>@vbp.demo, one per other province), same password",
                extra.len() + 2 - suppliers.len()
            );
            Ok::<_, diesel::result::Error>(Report(out))
        })
        .await?;
    let mut report = report;
    // The catalog goes through the real import (its own transaction), after the
    // suppliers exist so that items link to them.
    let (csv, generics, _) = catalog::csv();
    let imported = crate::catalog::import(
        conn,
        std::io::Cursor::new(csv.into_bytes()),
        &Actor::system(),
        "demo",
        None,
    )
    .await
    .map_err(|e| match e {
        crate::catalog::ImportError::Invalid { ref errors, .. } => format!(
            "demo catalog: {e}: {}",
            errors
                .iter()
                .take(5)
                .map(|x| format!("line {}: {:?}: {}", x.line.unwrap_or(0), x.field, x.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => format!("demo catalog: {other}"),
    })?;
    let _ = writeln!(
        report.0,
        "\ncatalog: {generics} generics and 2 consumable product systems, {} items ({} created, {} updated, {} unchanged)",
        imported.rows, imported.created, imported.updated, imported.unchanged
    );
    Ok(report)
}
