//! `vbp demo`, part two: one tender round in each state the platform has so far (draft,
//! collecting demand, open for bids, closed, opened, evaluated, awarded, cancelled), built by driving the real
//! HTTP application in process, as the officers, buyers and suppliers of the demo would.
//! Moving a deadline into the past is the only shortcut (time cannot be waited for).

use std::fmt::Write as _;

use actix_web::{http::Method, test, web};
use diesel::{prelude::*, sql_types::Text};
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::{Value, json};

use crate::{
    accounts::queries::{Organisation, User},
    bids::writer::BidWriter,
    build_app,
    platform::{
        AppState,
        auth::issue_session,
        db::schema::{organisations, rounds, users},
        settings::Settings,
    },
};
use bidding_core::RoundStatus;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PREFIX: &str = "【演示】";

#[derive(diesel::QueryableByName)]
struct Offer {
    #[diesel(sql_type = Text)]
    generic_name: String,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    ceiling: String,
}

/// Loads the demo rounds unless they exist. Returns what was done, for the operator.
/// Orders each demo hospital places per contract: one of each state, then fully received.
const DEMO_ORDERS_PER_PAIR: usize = 12;
/// The round of the previous cycle: awarded, then completed (no orders).
const PAST_ROUND: &str = "第六批国家组织药品集中采购（上一周期，已完成）";

pub async fn load(settings: Settings) -> Result<String, BoxError> {
    let state = web::Data::new(AppState::new(settings)?);
    let bids = web::Data::new(BidWriter::for_state(&state));
    let mut conn = state.pool.get().await?;
    let existing: i64 = rounds::table
        .filter(rounds::name.like(format!("{PREFIX}%")))
        .count()
        .get_result(&mut conn)
        .await?;
    if existing > 0 {
        return Ok(format!(
            "demo rounds: {existing} exist already, left as they are\n"
        ));
    }
    let app = test::init_service(build_app(state.clone(), bids)).await;
    let started = chrono::Utc::now();

    // a token for a demo user, as if it had logged in
    let mut tokens = std::collections::HashMap::new();
    let all: Vec<(User, Organisation)> = users::table
        .inner_join(organisations::table)
        .filter(users::email.like("%@vbp.demo"))
        .select((User::as_select(), Organisation::as_select()))
        .load(&mut conn)
        .await?;
    for (user, org) in &all {
        let token = conn
            .transaction(async |c| {
                issue_session(
                    c,
                    &state.tokens,
                    user.principal(org)
                        .map_err(crate::platform::error::ApiError::internal)?,
                    std::time::Duration::from_secs(600),
                    None,
                )
                .await
            })
            .await
            .map_err(|e| e.to_string())?;
        tokens.insert(user.email.clone(), token);
    }
    let token = |email: &str| {
        tokens
            .get(email)
            .cloned()
            .ok_or_else(|| format!("demo user {email} missing"))
    };

    macro_rules! call {
        ($method:expr, $path:expr, $who:expr, $body:expr) => {{
            let mut req = test::TestRequest::default()
                .method($method)
                .uri(AsRef::<str>::as_ref(&$path))
                .insert_header(("authorization", format!("Bearer {}", token($who)?)));
            let body: Option<Value> = $body;
            if let Some(b) = body {
                req = req.set_json(b);
            }
            let res = test::call_service(&app, req.to_request()).await;
            let status = res.status();
            let bytes = test::read_body(res).await;
            let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if !status.is_success() {
                return Err(
                    format!("demo: {} {} as {}: {status} {value}", $method, $path, $who).into(),
                );
            }
            value
        }};
    }

    // generics with at least three eligible products of manufacturers that have demo
    // accounts: one offer per manufacturer, its smallest pack of the representative strength
    let offers: Vec<Offer> = diesel::sql_query(
        "SELECT DISTINCT ON (ci.generic_name, u.email) ci.generic_name, ci.code, u.email,
                catalog_ceiling_at(ci.code, china_today())::text AS ceiling
           FROM catalog_items ci
           JOIN users u ON u.org_id = ci.manufacturer_org_id AND u.role = 'supplier' AND u.email LIKE '%@vbp.demo'
          WHERE ci.kind = 'drug' AND ci.consistency IN ('originator', 'reference', 'passed')
            AND catalog_ceiling_at(ci.code, china_today()) IS NOT NULL
            AND ci.generic_name IN (
                SELECT c2.generic_name FROM catalog_items c2
                  JOIN users u2 ON u2.org_id = c2.manufacturer_org_id AND u2.role = 'supplier'
                 WHERE c2.kind = 'drug' AND c2.consistency IN ('originator', 'reference', 'passed')
                 GROUP BY c2.generic_name HAVING count(DISTINCT u2.org_id) >= 3)
          ORDER BY ci.generic_name, u.email, ci.strength DESC, ci.pack_count, ci.code",
    )
    .load(&mut conn)
    .await?;
    let mut generics: Vec<String> = offers.iter().map(|o| o.generic_name.clone()).collect();
    generics.dedup();
    if generics.len() < 3 {
        return Ok("demo rounds: skipped (the catalog has too few generics with three eligible demo suppliers)\n".into());
    }
    let provinces: Vec<String> = crate::accounts::queries::Province::all(&mut conn)
        .await?
        .into_iter()
        .map(|p| p.code)
        .collect();
    let buyer_of = |code: &str| match code {
        "110000" => "buyer@vbp.demo".to_owned(),
        "310000" => "buyer2@vbp.demo".to_owned(),
        other => format!("buyer-{other}@vbp.demo"),
    };
    let officers: Vec<Value> = ["officer", "officer2", "officer3"]
        .iter()
        .filter_map(|o| {
            all.iter()
                .find(|(u, _)| u.email == format!("{o}@vbp.demo"))
                .map(|(u, _)| json!(u.id))
        })
        .collect();

    let mut out = String::from("\ndemo rounds (built through the API):\n");
    let stages = [
        // the previous cycle of the generics the awarded round buys, awarded first at higher
        // prices and completed: the price history has two rounds
        (RoundStatus::Awarded, PAST_ROUND),
        (RoundStatus::Draft, "第十四批国家组织药品集中采购（起草中）"),
        (
            RoundStatus::DemandCollection,
            "第十三批国家组织药品集中采购（需求填报中）",
        ),
        (
            RoundStatus::BiddingOpen,
            "第十二批国家组织药品集中采购（报价中）",
        ),
        (
            RoundStatus::Closed,
            "第十一批国家组织药品集中采购（已截标，待开标）",
        ),
        (RoundStatus::Opened, "第十批国家组织药品集中采购（已开标）"),
        (
            RoundStatus::Cancelled,
            "第九批国家组织药品集中采购（已终止）",
        ),
        (
            RoundStatus::Evaluated,
            "第八批国家组织药品集中采购（评审中）",
        ),
        (RoundStatus::Awarded, "第七批国家组织药品集中采购（已中选）"),
    ];
    for (n, (target, title)) in stages.iter().enumerate() {
        let name = format!("{PREFIX}{title}");
        let past = *title == PAST_ROUND;
        // the others' presets and generics as before the previous cycle was added; the
        // previous cycle's as the awarded round's
        let n = if past { stages.len() - 2 } else { n - 1 };
        let deadline = (chrono::Utc::now() + chrono::Duration::days(7))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let round = call!(
            Method::POST,
            String::from("/api/v1/rounds"),
            "officer@vbp.demo",
            Some(json!({
                "name": name, "kind": "drug", "preset": if n % 2 == 0 { "batch10" } else { "batch7" },
                "bidding_deadline": deadline, "key_mode": "threshold", "quorum": 2, "custodians": officers,
            }))
        );
        let id = round["id"].as_str().unwrap_or_default().to_owned();
        // three lots, a different choice of generics per round; the round open for bids
        // takes generics that supplier@ (Huahai) and supplier2@ (Qilu) both make, so the
        // first two demo suppliers can bid in it
        let both: Vec<&String> = generics
            .iter()
            .filter(|g| {
                ["supplier@vbp.demo", "supplier2@vbp.demo"].iter().all(|e| {
                    offers
                        .iter()
                        .any(|o| &o.generic_name == *g && o.email == *e)
                })
            })
            .collect();
        // the awarded round too, so that they hold contracts (and get orders) in it
        let chosen: Vec<&String> = if *target == RoundStatus::BiddingOpen && !both.is_empty() {
            both.iter()
                .copied()
                .cycle()
                .take(3.min(both.len()))
                .collect()
        } else if *target == RoundStatus::Awarded && !both.is_empty() {
            both.iter()
                .copied()
                .cycle()
                .skip(3)
                .take(3.min(both.len()))
                .collect()
        } else {
            generics.iter().cycle().skip(n * 3).take(3).collect()
        };
        let mut lots = Vec::new();
        for g in chosen {
            let rep = offers
                .iter()
                .find(|o| &o.generic_name == g)
                .map(|o| o.code.clone())
                .unwrap_or_default();
            let lot = call!(
                Method::POST,
                format!("/api/v1/rounds/{id}/lots"),
                "officer@vbp.demo",
                Some(json!({"representative_code": rep}))
            );
            lots.push((lot["id"].clone(), g.clone()));
        }
        if *target == RoundStatus::Cancelled {
            call!(
                Method::POST,
                format!("/api/v1/rounds/{id}/cancel"),
                "officer@vbp.demo",
                Some(
                    json!({"reason": "采购文件中代表品规格有误，重新编制后另行发布 / the representative specifications were wrong; the round will be reissued"})
                )
            );
            let _ = writeln!(out, "  cancelled          {name}");
            continue;
        }
        if *target == RoundStatus::Draft {
            let _ = writeln!(out, "  draft              {name}");
            continue;
        }
        call!(
            Method::POST,
            format!("/api/v1/rounds/{id}/demand-collection"),
            "officer@vbp.demo",
            None
        );
        // annual demand from every province (fewer while still collecting)
        let reporting = if *target == RoundStatus::DemandCollection {
            20
        } else {
            provinces.len()
        };
        for (pi, code) in provinces.iter().take(reporting).enumerate() {
            let lines: Vec<Value> = lots
                .iter()
                .enumerate()
                .map(|(li, (lot, _))| json!({"lot_id": lot, "annual_quantity": 200_000 + ((pi * 7919 + li * 104_729) % 60) * 50_000}))
                .collect();
            if code == "110000" && *target == RoundStatus::Awarded {
                // Beijing reports by hospital (its province figure is their sum): 50, 30, 20 %
                for (who, pct) in [
                    ("hospital@vbp.demo", 50),
                    ("hospital3@vbp.demo", 30),
                    ("hospital4@vbp.demo", 20),
                ] {
                    let mine: Vec<Value> = lines
                        .iter()
                        .map(|l| json!({"lot_id": l["lot_id"], "annual_quantity": l["annual_quantity"].as_i64().unwrap_or(0) * pct / 100}))
                        .collect();
                    call!(
                        Method::PUT,
                        format!("/api/v1/rounds/{id}/hospital-demand"),
                        who,
                        Some(json!({"lines": mine}))
                    );
                }
                continue;
            }
            call!(
                Method::PUT,
                format!("/api/v1/rounds/{id}/demand"),
                &buyer_of(code),
                Some(json!({"lines": lines}))
            );
        }
        if *target == RoundStatus::DemandCollection {
            let _ = writeln!(
                out,
                "  demand_collection  {name} ({reporting} of 31 provinces reported)"
            );
            continue;
        }
        call!(
            Method::POST,
            format!("/api/v1/rounds/{id}/publish"),
            "officer@vbp.demo",
            None
        );
        // sealed bids: every eligible demo supplier, somewhere between 35 % and 80 % of its ceiling
        let mut bids = 0;
        for (li, (lot, generic)) in lots.iter().enumerate() {
            for (oi, offer) in offers
                .iter()
                .filter(|o| &o.generic_name == generic)
                .enumerate()
            {
                let ceiling: rust_decimal::Decimal = offer.ceiling.parse()?;
                let factor = rust_decimal::Decimal::new(
                    35 + ((oi * 13 + li * 7) % 46) as i64 + if past { 15 } else { 0 },
                    2,
                );
                let price = (ceiling * factor).round_dp_with_strategy(
                    4,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                if price <= rust_decimal::Decimal::ZERO {
                    continue;
                }
                let prefs: Vec<&String> = provinces
                    .iter()
                    .skip((oi * 5) % provinces.len())
                    .take(3)
                    .collect();
                call!(
                    Method::POST,
                    format!("/api/v1/rounds/{id}/bids"),
                    &offer.email,
                    Some(json!({
                        "lot_id": lot, "product_code": offer.code, "unit_price": price.to_string(),
                        "annual_capacity": 5_000_000 + oi * 1_000_000, "province_preferences": prefs,
                    }))
                );
                bids += 1;
            }
        }
        if *target == RoundStatus::BiddingOpen {
            let _ = writeln!(
                out,
                "  bidding_open       {name} ({bids} sealed bids; closes {deadline})"
            );
            continue;
        }
        // the deadline passes (the only shortcut), and the register freezes
        conn.batch_execute(&format!(
            "UPDATE rounds SET bidding_deadline = clock_timestamp() WHERE id = '{id}'"
        ))
        .await?;
        let register = call!(
            Method::GET,
            format!("/api/v1/rounds/{id}/register"),
            "auditor@vbp.demo",
            None
        );
        let registered = register["bids"].as_array().map_or(0, Vec::len);
        if *target == RoundStatus::Closed {
            let _ = writeln!(
                out,
                "  closed             {name} (register of {registered} bids frozen; opening-key shares await their custodians)"
            );
            continue;
        }
        // two of the three custodians fetch their shares and open the bids
        for who in ["officer@vbp.demo", "officer2@vbp.demo"] {
            let share = call!(
                Method::GET,
                format!("/api/v1/rounds/{id}/key-shares/mine"),
                who,
                None
            );
            call!(
                Method::POST,
                format!("/api/v1/rounds/{id}/open"),
                who,
                Some(json!({"share": share["share"]}))
            );
        }
        if *target == RoundStatus::Opened {
            let _ = writeln!(
                out,
                "  opened             {name} ({registered} bids revealed by 2 of 3 custodians)"
            );
            continue;
        }
        // evaluation by bidding-core, for the officers' review
        let evaluated = call!(
            Method::POST,
            format!("/api/v1/rounds/{id}/evaluate"),
            "officer@vbp.demo",
            Some(json!({}))
        );
        let lots_ev = evaluated["evaluation"]["lots"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let winners: usize = lots_ev
            .iter()
            .map(|l| {
                l["bids"]
                    .as_array()
                    .map_or(0, |b| b.iter().filter(|b| b["won"] == true).count())
            })
            .sum();
        if *target == RoundStatus::Evaluated {
            let revival = lots_ev.iter().filter(|l| !l["revival"].is_null()).count();
            let _ = writeln!(
                out,
                "  evaluated          {name} ({winners} winning bids under review; {revival} lots with a revival offer)"
            );
            continue;
        }
        let awarded = call!(
            Method::POST,
            format!("/api/v1/rounds/{id}/award"),
            "officer@vbp.demo",
            Some(json!({"evaluation_digest": evaluated["digest"]}))
        );
        let _ = writeln!(
            out,
            "  awarded            {name} ({winners} winners, {} contracts; results, contracts and the OCDS record published)",
            awarded["contracts"]
        );
        if past {
            // its cycle is over: the round and its contracts completed
            let round_id = uuid::Uuid::parse_str(&id)?;
            diesel::sql_query("UPDATE rounds SET status = 'completed' WHERE id = $1")
                .bind::<diesel::sql_types::Uuid, _>(round_id)
                .execute(&mut conn)
                .await?;
            diesel::sql_query(
                "UPDATE contracts SET status = 'completed', ended_at = now() WHERE round_id = $1",
            )
            .bind::<diesel::sql_types::Uuid, _>(round_id)
            .execute(&mut conn)
            .await?;
            let _ = writeln!(
                out,
                "  completed          {name} (the previous cycle: higher prices)"
            );
            continue;
        }
        // after the award: Beijing's hospitals order against its contracts, suppliers
        // confirm (or refuse), ship (one through the distributor) and hospitals accept
        let contracts = call!(
            Method::GET,
            format!("/api/v1/contracts?round_id={id}&province=110000&per_page=200"),
            "officer@vbp.demo",
            None
        );
        let supplier_email = |org: &str| {
            all.iter()
                .find(|(u, o)| {
                    o.id.to_string() == org
                        && u.role == crate::platform::auth::Role::Supplier.as_str()
                })
                .map(|(u, _)| u.email.clone())
        };
        let expiry = (chrono::Utc::now() + chrono::Duration::days(700)).date_naive();
        let (mut orders_made, mut deliveries_made) = (0usize, 0usize);
        let shanghai = call!(
            Method::GET,
            format!("/api/v1/contracts?round_id={id}&province=310000&per_page=200"),
            "officer@vbp.demo",
            None
        );
        // Beijing's three hospitals on its contracts, Shanghai's two on Shanghai's
        let items = |v: &Value| v["items"].as_array().cloned().unwrap_or_default();
        let pairs: Vec<(Value, &[&str])> = items(&contracts)
            .into_iter()
            .map(|c| {
                (
                    c,
                    &[
                        "hospital@vbp.demo",
                        "hospital3@vbp.demo",
                        "hospital4@vbp.demo",
                    ][..],
                )
            })
            .chain(
                items(&shanghai)
                    .into_iter()
                    .map(|c| (c, &["hospital2@vbp.demo", "hospital5@vbp.demo"][..])),
            )
            .collect();
        for (ci, (c, hospitals)) in pairs.iter().enumerate() {
            let Some(seller) = c["supplier_org_id"].as_str().and_then(supplier_email) else {
                continue;
            };
            let contract = c["id"].as_str().unwrap_or_default().to_owned();
            if ci == 0 {
                let distributor = all
                    .iter()
                    .find(|(u, _)| u.email == "distributor@vbp.demo")
                    .map(|(_, o)| o.id.to_string());
                call!(
                    Method::PUT,
                    format!("/api/v1/contracts/{contract}/distributor"),
                    &seller,
                    Some(json!({"distributor_org_id": distributor}))
                );
            }
            let shipper = if ci == 0 {
                "distributor@vbp.demo".to_owned()
            } else {
                seller.clone()
            };
            for (hi, hospital) in hospitals.iter().enumerate() {
                for k in 0..DEMO_ORDERS_PER_PAIR {
                    let order = call!(
                        Method::POST,
                        "/api/v1/orders",
                        hospital,
                        Some(
                            json!({"lines": [{"contract_id": contract, "quantity": 1000 + 100 * (k + hi) as i64}]})
                        )
                    );
                    orders_made += 1;
                    let oid = order["id"].as_str().unwrap_or_default().to_owned();
                    let line = order["lines"][0]["id"].clone();
                    let qty = order["lines"][0]["quantity"].as_i64().unwrap_or(0);
                    match k {
                        0 => continue, // submitted: waiting for the supplier
                        1 => {
                            call!(
                                Method::POST,
                                format!("/api/v1/orders/{oid}/withdraw"),
                                hospital,
                                None
                            );
                            continue;
                        }
                        2 => {
                            call!(
                                Method::POST,
                                format!("/api/v1/orders/{oid}/refuse"),
                                &seller,
                                Some(json!({"reason": "无法配送 cannot deliver this month"}))
                            );
                            continue;
                        }
                        _ => {}
                    }
                    call!(
                        Method::POST,
                        format!("/api/v1/orders/{oid}/confirm"),
                        &seller,
                        None
                    );
                    if k == 3 {
                        continue; // confirmed, not shipped yet
                    }
                    // two deliveries: the first accepted whole, the second in part
                    for (d, part) in [(0, qty / 2), (1, qty - qty / 2)] {
                        if k == 4 && d == 1 {
                            break; // partly shipped
                        }
                        let delivery = call!(
                            Method::POST,
                            format!("/api/v1/orders/{oid}/deliveries"),
                            &shipper,
                            Some(json!({
                                "batch_no": format!("B{}{:02}{}", ci, k, d), "expiry_date": expiry,
                                "invoice_no": format!("FP-{ci}-{hi}-{k}-{d}"),
                                "lines": [{"order_line_id": line, "quantity": part}],
                            }))
                        );
                        deliveries_made += 1;
                        if k == 5 {
                            continue; // shipped, awaiting acceptance
                        }
                        let dl = delivery["lines"][0]["id"].clone();
                        let accepted = if d == 1 { part - 10 } else { part };
                        call!(
                            Method::POST,
                            format!(
                                "/api/v1/deliveries/{}/acceptance",
                                delivery["id"].as_str().unwrap_or_default()
                            ),
                            hospital,
                            Some(
                                json!({"lines": [{"delivery_line_id": dl, "accepted": accepted,
                                "reason": (d == 1).then_some("10 units damaged in transit")}]})
                            )
                        );
                    }
                }
            }
        }
        let _ = writeln!(
            out,
            "  orders             {orders_made} orders of the Beijing and Shanghai hospitals on the awarded round (submitted, withdrawn, refused, confirmed, shipped, accepted), {deliveries_made} deliveries"
        );

        // direct settlement in Beijing: prepayments paid; three accepted deliveries as if
        // accepted 35 and 45 days ago, so the scan flags them overdue; a line disputed by
        // its supplier; the lines due 10 days ago and earlier settled and paid; the rest in
        // an open batch, the 35-day one still overdue
        let insurer = "insurer@vbp.demo";
        let due = call!(
            Method::GET,
            format!("/api/v1/settlements/prepayments?round_id={id}"),
            insurer,
            None
        );
        let mut prepaid = 0usize;
        for (i, h) in due
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            call!(
                Method::POST,
                "/api/v1/settlements/prepayments",
                insurer,
                Some(
                    json!({"round_id": id, "hospital_org_id": h["hospital_org_id"],
                            "bank_reference": format!("PRE-110000-{:04}", i + 1)})
                )
            );
            prepaid += 1;
        }
        #[derive(diesel::QueryableByName)]
        struct Line {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            delivery_id: uuid::Uuid,
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            line_id: uuid::Uuid,
            #[diesel(sql_type = diesel::sql_types::Text)]
            email: String,
        }
        let lines: Vec<Line> = diesel::sql_query(
            "SELECT d.id AS delivery_id, dl.id AS line_id, min(u.email) AS email FROM deliveries d
             JOIN delivery_lines dl ON dl.delivery_id = d.id AND dl.province = d.province
             JOIN users u ON u.org_id = d.supplier_org_id AND u.email LIKE 'supplier%@vbp.demo'
             WHERE d.status = 'accepted' AND dl.accepted > 0 AND d.province = '110000'
             GROUP BY d.id, d.province, dl.id ORDER BY d.accepted_at, d.id LIMIT 4",
        )
        .load(&mut conn)
        .await?;
        let today = crate::platform::db::china_date(chrono::Utc::now());
        if let [late, old1, old2, disputed] = &lines[..] {
            for (d, days) in [(late, 35), (old1, 45), (old2, 45)] {
                diesel::sql_query(
                    "UPDATE deliveries SET accepted_at = accepted_at - make_interval(days => $2),
                            accepted_on = accepted_on - $2, due_date = due_date - $2 WHERE id = $1",
                )
                .bind::<diesel::sql_types::Uuid, _>(d.delivery_id)
                .bind::<diesel::sql_types::Integer, _>(days)
                .execute(&mut conn)
                .await?;
            }
            call!(
                Method::POST,
                "/api/v1/settlements/overdue/scan",
                insurer,
                None
            );
            call!(
                Method::POST,
                "/api/v1/settlements/disputes",
                &disputed.email,
                Some(json!({"delivery_line_id": disputed.line_id,
                            "reason": "发票金额与验收数量不符 invoice and accepted quantity differ"}))
            );
        }
        let paid = call!(
            Method::POST,
            "/api/v1/settlements/batches",
            insurer,
            Some(json!({"due_by": today - chrono::Duration::days(10)}))
        );
        for o in paid["payment_orders"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let order = o["id"].as_str().unwrap_or_default();
            call!(
                Method::POST,
                format!("/api/v1/settlements/payment-orders/{order}/payments"),
                insurer,
                Some(
                    json!({"bank_reference": format!("CMB-{}", order.get(..8).unwrap_or(order)),
                            "amount": o["total"]})
                )
            );
        }
        let open = call!(
            Method::POST,
            "/api/v1/settlements/batches",
            insurer,
            Some(json!({}))
        );
        let _ = writeln!(
            out,
            "  settlement         Beijing: {prepaid} prepayments paid; a batch of {} lines (CNY {}) paid; an open batch of {} lines (CNY {}) with an overdue line; a disputed line held out",
            paid["line_count"],
            paid["total"].as_str().unwrap_or("?"),
            open["line_count"],
            open["total"].as_str().unwrap_or("?")
        );

        // oversight: two shortage reports in Beijing on the first lot's generic (with its
        // three refusals there, five problems: an alarm; the other generics' three
        // refusals: a warning), and a complaint in each state on the published result
        let first = <[_]>::first(&lots)
            .map(|l| l.0.clone())
            .unwrap_or(Value::Null);
        let second = lots.get(1).map(|l| l.0.clone()).unwrap_or(Value::Null);
        if let Some(c) = items(&contracts).iter().find(|c| c["lot_id"] == first) {
            for (who, note) in [
                (
                    "hospital@vbp.demo",
                    "本院库存仅余三天用量，配送企业无法按期供货 / three days of stock left; the supplier cannot deliver on time",
                ),
                (
                    "hospital3@vbp.demo",
                    "连续两周未到货 / nothing delivered for two weeks",
                ),
            ] {
                call!(
                    Method::POST,
                    "/api/v1/shortages",
                    who,
                    Some(json!({"contract_id": c["id"], "note": note}))
                );
            }
        }
        let complaint = |v: &Value| v["id"].as_str().unwrap_or_default().to_owned();
        let path = format!("/api/v1/rounds/{id}/complaints");
        let withdrawn = call!(
            Method::POST,
            path,
            "supplier@vbp.demo",
            Some(
                json!({"lot_id": first, "grounds": "中选企业的差比价计算有误 / the winner's comparable price was computed wrongly"})
            )
        );
        call!(
            Method::POST,
            format!("/api/v1/complaints/{}/actions", complaint(&withdrawn)),
            "supplier@vbp.demo",
            Some(json!({"action": "withdraw"}))
        );
        let submitted = call!(
            Method::POST,
            path,
            "supplier@vbp.demo",
            Some(
                json!({"lot_id": first, "grounds": "中选企业的一致性评价证明文件已过期，应判定为无效报价 / the winner's consistency-evaluation certificate had expired: its bid should have been invalid"})
            )
        );
        let under_review = call!(
            Method::POST,
            path,
            "supplier2@vbp.demo",
            Some(
                json!({"lot_id": first, "grounds": "供应地区选择顺序与规则不符 / the order in which supply regions were drafted does not follow the rules"})
            )
        );
        call!(
            Method::POST,
            format!("/api/v1/complaints/{}/actions", complaint(&under_review)),
            "officer@vbp.demo",
            Some(json!({"action": "review"}))
        );
        let dismissed = call!(
            Method::POST,
            path,
            "supplier@vbp.demo",
            Some(
                json!({"lot_id": second, "grounds": "我司报价被误判为高于最高有效申报价 / our bid was wrongly found above the ceiling"})
            )
        );
        call!(
            Method::POST,
            format!("/api/v1/complaints/{}/actions", complaint(&dismissed)),
            "officer@vbp.demo",
            Some(json!({"action": "review"}))
        );
        call!(
            Method::POST,
            format!("/api/v1/complaints/{}/actions", complaint(&dismissed)),
            "officer@vbp.demo",
            Some(
                json!({"action": "dismiss", "answer": "经复核，报价按代表品折算后高于最高有效申报价，评审结果无误 / on review, the bid converted to the representative specification is above the ceiling: the result stands"})
            )
        );
        let upheld = call!(
            Method::POST,
            path,
            "supplier2@vbp.demo",
            Some(
                json!({"lot_id": second, "grounds": "同价时应按产能排序 / at equal prices the larger capacity should rank first"})
            )
        );
        call!(
            Method::POST,
            format!("/api/v1/complaints/{}/actions", complaint(&upheld)),
            "officer@vbp.demo",
            Some(
                json!({"action": "uphold", "answer": "投诉成立：平价排序规则适用有误，将重新评审 / upheld: the tie-break was applied wrongly; the lot will be re-evaluated"})
            )
        );
        // evidence for the open complaint, stored with its SHA-256
        let req = test::TestRequest::post()
            .uri(&format!(
                "/api/v1/complaints/{}/attachments?file_name=certificate-notice.txt",
                complaint(&submitted)
            ))
            .insert_header((
                "authorization",
                format!("Bearer {}", token("supplier@vbp.demo")?),
            ))
            .insert_header(("content-type", "text/plain; charset=utf-8"))
            .set_payload(
                "一致性评价证明文件有效期至 2026-06-30 / certificate valid until 2026-06-30\n",
            )
            .to_request();
        let res = test::call_service(&app, req).await;
        if !res.status().is_success() {
            return Err(format!("demo: attachment: {}", res.status()).into());
        }
        let _ = writeln!(
            out,
            "  oversight          Beijing: a generic in alarm (3 refusals, 2 shortage reports), the others in warning; 5 complaints (submitted, under review, upheld, dismissed, withdrawn)"
        );
    }
    // the demo's own sessions end with it
    {
        use crate::platform::db::schema::sessions;
        diesel::update(
            sessions::table
                .filter(sessions::issued_at.ge(started - chrono::Duration::seconds(5)))
                .filter(sessions::client_ip.is_null())
                .filter(sessions::revoked_at.is_null()),
        )
        .set(sessions::revoked_at.eq(diesel::dsl::now))
        .execute(&mut conn)
        .await?;
    }
    Ok(out)
}
