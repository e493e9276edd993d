//! Authorization, generated from the route table itself: every operation of the served
//! OpenAPI document declares the roles it admits (the scopes of its `bearer` security
//! requirement; none listed: every signed-in role) and its scope (`x-scope`). Every role
//! not admitted gets 403 on every route; every admitted role gets past the role check;
//! and every scoped route shows and changes only what is the caller's own (own
//! organisation, own province, own party to a contract, own session or share). A new
//! route fails these tests until its roles and scope are declared and checked here.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use tests::{DEMO_BY_ROLE, TestApp};

const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// What a route may show or change, beyond its roles.
const SCOPES: &[&str] = &[
    "public",       // no token
    "all",          // whatever the admitted role may see, not narrowed by organisation
    "self",         // the caller's own session, account or opening-key share
    "own_org",      // a supplier's own organisation's bids, offers and bars
    "own_province", // a buyer's own province's demand
    "party",        // contracts: a supplier's own (or those it backs up), a province's own
];

struct Op {
    method: String,
    path: String,
    /// Path parameters whose schema is an integer.
    integer_params: Vec<String>,
    /// `None`: public; empty: every signed-in role.
    roles: Option<Vec<String>>,
    scope: String,
}

impl Op {
    fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn admits(&self, role: &str) -> bool {
        self.roles
            .as_ref()
            .is_some_and(|r| r.is_empty() || r.iter().any(|x| x == role))
    }
}

fn operations(doc: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let roles = op["security"].as_array().map(|reqs| {
                reqs.iter()
                    .filter_map(|r| r["bearer"].as_array())
                    .flatten()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect()
            });
            let integer_params = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path" && p["schema"]["type"] == "integer")
                .map(|p| format!("{{{}}}", p["name"].as_str().unwrap()))
                .collect();
            ops.push(Op {
                method: method.to_uppercase(),
                path: path.clone(),
                integer_params,
                roles,
                scope: op["x-scope"].as_str().unwrap_or("").to_owned(),
            });
        }
    }
    ops
}

async fn document(app: &TestApp) -> Value {
    app.request("GET", "/api/openapi.json", None, None)
        .await
        .expect(200)
        .body
}

#[actix_web::test]
async fn every_route_declares_its_roles_and_its_scope() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let known: BTreeSet<&str> = DEMO_BY_ROLE.iter().map(|(r, _)| *r).collect();
    let ops = operations(&doc);
    assert!(ops.len() >= 50, "only {} operations", ops.len());
    for op in &ops {
        assert!(
            SCOPES.contains(&op.scope.as_str()),
            "{}: declares no known x-scope ({:?})",
            op.key(),
            op.scope
        );
        match &op.roles {
            None => assert_eq!(op.scope, "public", "{}: no token, not public", op.key()),
            Some(roles) => {
                assert_ne!(op.scope, "public", "{}: public but needs a token", op.key());
                for r in roles {
                    assert!(known.contains(r.as_str()), "{}: unknown role {r}", op.key());
                }
            }
        }
    }
}

/// The path of `op` with placeholder ids (the role is checked before anything is read).
fn concrete(op: &Op) -> String {
    op.path
        .replace("{code}", "XA01ABD075A002010100483")
        .split('/')
        .map(|s| match s {
            s if op.integer_params.iter().any(|p| p == s) => "1",
            s if s.starts_with('{') => NIL,
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[actix_web::test]
async fn each_role_is_refused_where_it_is_not_admitted_and_let_through_where_it_is() {
    let app = TestApp::with_demo().await;
    let doc = document(&app).await;
    let mut tokens = BTreeMap::new();
    for (role, who) in DEMO_BY_ROLE {
        tokens.insert(*role, app.login_demo(who).await);
    }
    let (mut refused, mut admitted) = (0, 0);
    for op in operations(&doc) {
        // logout would end the session the rest of the test uses (its scope is checked below)
        if op.roles.is_none() || op.key() == "POST /api/v1/auth/logout" {
            continue;
        }
        let path = concrete(&op);
        for (role, token) in &tokens {
            let res = if op.path == "/api/v1/catalog/imports" {
                app.post_bytes(&path, Some(token), "text/csv", "kind,code\n")
                    .await
            } else {
                let body = (op.method != "GET" && op.method != "DELETE").then(|| json!({}));
                app.request(&op.method, &path, Some(token), body).await
            };
            let status = res.status.as_u16();
            if op.admits(role) {
                assert!(
                    status != 403 && status != 401,
                    "{role} is declared for {} but got {status}: {}",
                    op.key(),
                    res.body
                );
                admitted += 1;
            } else {
                assert_eq!(status, 403, "{role} on {}: {}", op.key(), res.body);
                assert!(
                    res.body["detail"].as_str().unwrap().contains(role),
                    "{role} on {}: {}",
                    op.key(),
                    res.body
                );
                refused += 1;
            }
        }
    }
    assert!(refused >= 100, "only {refused} refusals checked");
    assert!(admitted >= 100, "only {admitted} admissions checked");
    // and nothing was created by the refused calls
    let orgs = app
        .get("/api/v1/orgs?per_page=200", &tokens["admin"])
        .await
        .expect(200);
    assert!(!orgs.body.to_string().contains("X Co."));
}

#[actix_web::test]
async fn admitted_roles_get_through() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let auditor = app.login_demo("auditor").await;
    for path in ["/api/v1/orgs", "/api/v1/users"] {
        app.get(path, &admin).await.expect(200);
        app.get(path, &auditor).await.expect(200);
    }
    app.get("/api/v1/audit", &auditor).await.expect(200);
    app.get("/api/v1/audit/verify", &auditor).await.expect(200);
    // reference data is for every signed-in user
    for (_, who) in DEMO_BY_ROLE {
        let token = app.login_demo(who).await;
        let provinces = app.get("/api/v1/provinces", &token).await.expect(200);
        assert_eq!(provinces.body.as_array().unwrap().len(), 31);
    }
}

/// The demo world: every demo round, and tokens by demo account.
struct World {
    app: TestApp,
    rounds: BTreeMap<String, String>,
    tokens: BTreeMap<&'static str, String>,
    orgs: BTreeMap<&'static str, String>,
}

impl World {
    async fn new() -> Self {
        let app = TestApp::with_demo().await;
        tests::api::demo::rounds::load(app.state.settings.clone())
            .await
            .unwrap();
        let mut tokens = BTreeMap::new();
        let mut orgs = BTreeMap::new();
        for who in [
            "officer",
            "officer2",
            "supplier",
            "supplier2",
            "supplier3",
            "buyer",
            "buyer2",
            "insurer",
            "insurer2",
            "auditor",
            "admin",
            "hospital",
            "hospital3",
            "hospital2",
            "distributor",
        ] {
            let t = app.login_demo(who).await;
            let me = app.me(&t).await;
            orgs.insert(who, me["org_id"].as_str().unwrap().to_owned());
            tokens.insert(who, t);
        }
        let rounds = tests::rounds_by_status(&app, &tokens["officer"]).await;
        Self {
            app,
            rounds,
            tokens,
            orgs,
        }
    }

    fn t(&self, who: &str) -> &str {
        &self.tokens[who]
    }

    async fn get(&self, path: &str, who: &str) -> Value {
        self.app.get(path, self.t(who)).await.expect(200).body
    }
}

fn arr(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// This month in China (UTC+8), as `YYYY-MM`.
fn china_month() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m")
        .to_string()
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

/// Checks the scope of one route; false when the route has no check here yet.
async fn check_scope(w: &World, key: &str) -> bool {
    let app = &w.app;
    let open = &w.rounds["bidding_open"];
    let evaluated = &w.rounds["evaluated"];
    let collecting = &w.rounds["demand_collection"];
    match key {
        "GET /api/v1/me" => {
            for who in ["supplier", "buyer"] {
                assert_eq!(w.get("/api/v1/me", who).await["org_id"], w.orgs[who]);
            }
        }
        "POST /api/v1/auth/logout" => {
            // a logout ends the caller's own session only
            let a = app.login_demo("supplier").await;
            app.request("POST", "/api/v1/auth/logout", Some(&a), None)
                .await;
            app.get("/api/v1/me", &a).await.expect_problem(401);
            w.get("/api/v1/me", "supplier").await;
        }
        "GET /api/v1/rounds/{id}/bids" => {
            for who in ["supplier", "supplier2"] {
                let mine = items(&w.get(&format!("/api/v1/rounds/{open}/bids"), who).await);
                assert!(!mine.is_empty(), "{who} has no bid in the open demo round");
                assert!(
                    mine.iter().all(|b| b["supplier_org_id"] == w.orgs[who]),
                    "{who} sees another's bid"
                );
            }
        }
        "POST /api/v1/rounds/{id}/bids" => {
            // a bid is always the caller's own: another supplier's product is refused
            let theirs = items(
                &w.get(&format!("/api/v1/rounds/{open}/bids"), "supplier2")
                    .await,
            );
            let lot = theirs[0]["lot_id"].as_str().unwrap();
            let lots = items(
                &w.get(&format!("/api/v1/rounds/{open}/lots"), "supplier")
                    .await,
            );
            let rep = lots.iter().find(|l| l["id"] == lot).unwrap()["representative_code"].clone();
            let res = app
                .post(
                    &format!("/api/v1/rounds/{open}/bids"),
                    w.t("supplier3"),
                    json!({"lot_id": lot, "product_code": rep, "unit_price": "0.0100", "annual_capacity": 1}),
                )
                .await;
            // Huahai's / Qilu's representative is not Supplier3's product (or not eligible)
            assert_eq!(res.status.as_u16(), 422, "{}", res.body);
        }
        "DELETE /api/v1/rounds/{id}/bids/{bid_id}" => {
            let theirs = items(
                &w.get(&format!("/api/v1/rounds/{open}/bids"), "supplier2")
                    .await,
            );
            let bid = theirs[0]["bid_id"].as_str().unwrap();
            app.request(
                "DELETE",
                &format!("/api/v1/rounds/{open}/bids/{bid}"),
                Some(w.t("supplier")),
                None,
            )
            .await
            .expect_problem(404);
            let after = items(
                &w.get(&format!("/api/v1/rounds/{open}/bids"), "supplier2")
                    .await,
            );
            assert_eq!(after[0]["status"], "live");
        }
        "GET /api/v1/rounds/{id}/revival-offers" => {
            let all = items(
                &w.get(
                    &format!("/api/v1/rounds/{evaluated}/revival-offers"),
                    "officer",
                )
                .await,
            );
            for who in ["supplier", "supplier2", "supplier3"] {
                let mine = items(
                    &w.get(&format!("/api/v1/rounds/{evaluated}/revival-offers"), who)
                        .await,
                );
                let expected = all
                    .iter()
                    .filter(|o| o["supplier_org_id"] == w.orgs[who])
                    .count();
                assert_eq!(mine.len(), expected, "{who}");
                assert!(mine.iter().all(|o| o["supplier_org_id"] == w.orgs[who]));
            }
        }
        "POST /api/v1/rounds/{id}/revival-offers/{lot_id}" => {
            let all = items(
                &w.get(
                    &format!("/api/v1/rounds/{evaluated}/revival-offers"),
                    "officer",
                )
                .await,
            );
            if let Some(offer) = all.first() {
                let outsider = ["supplier", "supplier2", "supplier3"]
                    .into_iter()
                    .find(|who| offer["supplier_org_id"] != w.orgs[who])
                    .unwrap();
                let lot = offer["lot_id"].as_str().unwrap();
                let res = app
                    .post(
                        &format!("/api/v1/rounds/{evaluated}/revival-offers/{lot}"),
                        w.t(outsider),
                        json!({"accept": true}),
                    )
                    .await;
                assert!(matches!(res.status.as_u16(), 404 | 403), "{}", res.body);
                let again = items(
                    &w.get(
                        &format!("/api/v1/rounds/{evaluated}/revival-offers"),
                        "officer",
                    )
                    .await,
                );
                assert_eq!(again, all, "an outsider's answer changed an offer");
            } else {
                // no offer in this demo: the scope is shown by the list above
                let res = app
                    .post(
                        &format!("/api/v1/rounds/{evaluated}/revival-offers/{NIL}"),
                        w.t("supplier"),
                        json!({"accept": true}),
                    )
                    .await;
                assert_eq!(res.status.as_u16(), 404);
            }
        }
        "GET /api/v1/supplier-bars" => {
            // a bar, from a supply failure in the awarded round
            let contracts = items(&w.get("/api/v1/contracts?per_page=200", "officer").await);
            let c = contracts
                .iter()
                .find(|c| c["backup"].is_object() && c["status"] == "active")
                .expect("an awarded demo contract with a backup");
            let barred = c["supplier_org_id"].as_str().unwrap().to_owned();
            app.post(
                &format!(
                    "/api/v1/contracts/{}/supply-failure",
                    c["id"].as_str().unwrap()
                ),
                w.t("officer"),
                json!({"reason": "scope test", "bar_until": "2099-12-31"}),
            )
            .await
            .expect(201);
            let officer_view = items(
                &w.get(&format!("/api/v1/supplier-bars?org_id={barred}"), "officer")
                    .await,
            );
            assert_eq!(officer_view.len(), 1);
            for who in ["supplier", "supplier2", "supplier3"] {
                let mine = items(
                    &w.get(&format!("/api/v1/supplier-bars?org_id={barred}"), who)
                        .await,
                );
                assert!(
                    mine.iter().all(|b| b["org_id"] == w.orgs[who]),
                    "{who} sees another's bar"
                );
                assert_eq!(mine.len(), usize::from(w.orgs[who] == barred));
            }
        }
        "PUT /api/v1/rounds/{id}/demand" | "GET /api/v1/rounds/{id}/demand" => {
            let before = w
                .get(&format!("/api/v1/rounds/{collecting}/demand"), "officer")
                .await;
            let lots = items(
                &w.get(&format!("/api/v1/rounds/{collecting}/lots"), "buyer")
                    .await,
            );
            app.request(
                "PUT",
                &format!("/api/v1/rounds/{collecting}/demand"),
                Some(w.t("buyer")),
                Some(json!({"lines": [{"lot_id": lots[0]["id"], "annual_quantity": 777}]})),
            )
            .await
            .expect(200);
            let after = w
                .get(&format!("/api/v1/rounds/{collecting}/demand"), "officer")
                .await;
            let rows = |v: &Value, province: &str| -> Vec<Value> {
                v["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["province"] == province)
                    .cloned()
                    .collect()
            };
            assert_eq!(
                rows(&before, "310000"),
                rows(&after, "310000"),
                "Shanghai changed"
            );
            assert_ne!(rows(&before, "110000"), rows(&after, "110000"));
            for (who, province) in [("buyer", "110000"), ("buyer2", "310000")] {
                let seen = w
                    .get(&format!("/api/v1/rounds/{collecting}/demand"), who)
                    .await;
                let rows = seen["rows"].as_array().unwrap();
                assert!(!rows.is_empty());
                assert!(
                    rows.iter().all(|r| r["province"] == province),
                    "{who}: {seen}"
                );
            }
        }
        "GET /api/v1/contracts" | "GET /api/v1/contracts/{id}" => {
            let all = items(&w.get("/api/v1/contracts?per_page=200", "officer").await);
            assert!(!all.is_empty());
            // a distributor sees the contracts whose supplier named it, and no other
            let named = items(&w.get("/api/v1/contracts?per_page=200", "distributor").await);
            assert!(
                !named.is_empty(),
                "the demo names the distributor on a contract"
            );
            for c in &named {
                let quotas = app
                    .get(
                        &format!("/api/v1/contracts/{}/quotas", c["id"].as_str().unwrap()),
                        w.t("distributor"),
                    )
                    .await;
                assert_eq!(quotas.status.as_u16(), 403, "distributors see no quotas");
            }
            if let Some(other) = all
                .iter()
                .find(|c| !named.iter().any(|n| n["id"] == c["id"]))
            {
                app.get(
                    &format!("/api/v1/contracts/{}", other["id"].as_str().unwrap()),
                    w.t("distributor"),
                )
                .await
                .expect_problem(404);
            }
            for (who, province) in [
                ("buyer", "110000"),
                ("buyer2", "310000"),
                ("insurer", "110000"),
                ("hospital", "110000"),
            ] {
                let seen = items(&w.get("/api/v1/contracts?per_page=200", who).await);
                assert!(!seen.is_empty(), "{who} sees no contract");
                assert!(seen.iter().all(|c| c["province"] == province), "{who}");
                let foreign = all.iter().find(|c| c["province"] != province).unwrap();
                app.get(
                    &format!("/api/v1/contracts/{}", foreign["id"].as_str().unwrap()),
                    w.t(who),
                )
                .await
                .expect_problem(404);
            }
            for who in ["supplier", "supplier2", "supplier3"] {
                let org = &w.orgs[who];
                let seen = items(&w.get("/api/v1/contracts?per_page=200", who).await);
                assert!(
                    seen.iter()
                        .all(|c| &c["supplier_org_id"] == org
                            || &c["backup"]["supplier_org_id"] == org),
                    "{who} sees a contract it is no party to"
                );
                if let Some(foreign) = all.iter().find(|c| {
                    &c["supplier_org_id"] != org && &c["backup"]["supplier_org_id"] != org
                }) {
                    app.get(
                        &format!("/api/v1/contracts/{}", foreign["id"].as_str().unwrap()),
                        w.t(who),
                    )
                    .await
                    .expect_problem(404);
                }
            }
        }
        "POST /api/v1/orders" => {
            // an order is the caller's own hospital's, on its own province's contracts
            let awarded = &w.rounds["awarded"];
            let all = items(
                &w.get(
                    &format!("/api/v1/contracts?round_id={awarded}&per_page=200&status=active"),
                    "officer",
                )
                .await,
            );
            let beijing = all.iter().find(|c| c["province"] == "110000").unwrap();
            let shanghai = all.iter().find(|c| c["province"] == "310000").unwrap();
            let res = app
                .post(
                    "/api/v1/orders",
                    w.t("hospital"),
                    json!({"lines": [{"contract_id": shanghai["id"], "quantity": 10}]}),
                )
                .await
                .expect_code(422, "contract_other_province");
            assert!(res.body["detail"].as_str().unwrap().contains("310000"));
            let made = app
                .post(
                    "/api/v1/orders",
                    w.t("hospital"),
                    json!({"lines": [{"contract_id": beijing["id"], "quantity": 10}]}),
                )
                .await
                .expect(201)
                .body;
            assert_eq!(made["hospital_org_id"], w.orgs["hospital"]);
        }
        "GET /api/v1/orders" | "GET /api/v1/orders/{id}" => {
            let all = items(&w.get("/api/v1/orders?per_page=200", "officer").await);
            assert!(all.len() >= 20, "the demo has orders");
            for who in ["hospital", "hospital3"] {
                let mine = items(&w.get("/api/v1/orders?per_page=200", who).await);
                assert!(!mine.is_empty(), "{who} has demo orders");
                assert!(
                    mine.iter().all(|o| o["hospital_org_id"] == w.orgs[who]),
                    "{who} sees another's order"
                );
                let other = all
                    .iter()
                    .find(|o| o["hospital_org_id"] != w.orgs[who])
                    .unwrap();
                app.get(
                    &format!("/api/v1/orders/{}", other["id"].as_str().unwrap()),
                    w.t(who),
                )
                .await
                .expect_problem(404);
            }
            for (who, province) in [
                ("buyer", "110000"),
                ("insurer", "110000"),
                ("buyer2", "310000"),
            ] {
                let seen = items(&w.get("/api/v1/orders?per_page=200", who).await);
                assert!(seen.iter().all(|o| o["province"] == province), "{who}");
            }
            let shanghai = items(&w.get("/api/v1/orders?per_page=200", "buyer2").await);
            assert!(!shanghai.is_empty() && shanghai.len() < all.len());
            for who in ["supplier", "supplier2", "supplier3"] {
                let seen = items(&w.get("/api/v1/orders?per_page=200", who).await);
                assert!(
                    seen.iter().all(|o| o["supplier_org_id"] == w.orgs[who]),
                    "{who}"
                );
            }
            let named: Vec<Value> =
                items(&w.get("/api/v1/contracts?per_page=200", "distributor").await);
            let theirs = items(&w.get("/api/v1/orders?per_page=200", "distributor").await);
            assert!(
                !theirs.is_empty(),
                "the distributor sees the orders it ships"
            );
            assert!(theirs.iter().all(|o| {
                o["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| named.iter().any(|c| c["id"] == l["contract_id"]))
            }));
            let other = all
                .iter()
                .find(|o| !theirs.iter().any(|t| t["id"] == o["id"]))
                .unwrap();
            app.get(
                &format!("/api/v1/orders/{}", other["id"].as_str().unwrap()),
                w.t("distributor"),
            )
            .await
            .expect_problem(404);
        }
        "PUT /api/v1/orders/{id}" | "POST /api/v1/orders/{id}/withdraw" => {
            let theirs = items(
                &w.get("/api/v1/orders?status=submitted&per_page=200", "hospital3")
                    .await,
            );
            let o = &theirs[0];
            let id = o["id"].as_str().unwrap();
            app.request(
                "POST",
                &format!("/api/v1/orders/{id}/withdraw"),
                Some(w.t("hospital")),
                None,
            )
            .await
            .expect_problem(404);
            app.request("PUT", &format!("/api/v1/orders/{id}"), Some(w.t("hospital")),
                Some(json!({"lines": [{"contract_id": o["lines"][0]["contract_id"], "quantity": 1}]})))
                .await
                .expect_problem(404);
            let after = w.get(&format!("/api/v1/orders/{id}"), "hospital3").await;
            assert_eq!(
                (
                    after["status"].clone(),
                    after["lines"][0]["quantity"].clone()
                ),
                (json!("submitted"), o["lines"][0]["quantity"].clone())
            );
        }
        "POST /api/v1/orders/{id}/confirm" | "POST /api/v1/orders/{id}/refuse" => {
            let submitted = items(
                &w.get("/api/v1/orders?status=submitted&per_page=200", "officer")
                    .await,
            );
            let o = &submitted[0];
            let id = o["id"].as_str().unwrap();
            let outsider = ["supplier", "supplier2", "supplier3"]
                .into_iter()
                .find(|who| o["supplier_org_id"] != w.orgs[who])
                .unwrap();
            app.request(
                "POST",
                &format!("/api/v1/orders/{id}/confirm"),
                Some(w.t(outsider)),
                None,
            )
            .await
            .expect_problem(404);
            app.post(
                &format!("/api/v1/orders/{id}/refuse"),
                w.t(outsider),
                json!({"reason": "x"}),
            )
            .await
            .expect_problem(404);
            assert_eq!(
                w.get(&format!("/api/v1/orders/{id}"), "officer").await["status"],
                "submitted"
            );
        }
        "POST /api/v1/orders/{id}/deliveries" => {
            let confirmed = items(
                &w.get("/api/v1/orders?status=confirmed&per_page=200", "officer")
                    .await,
            );
            let named = items(&w.get("/api/v1/contracts?per_page=200", "distributor").await);
            let o = confirmed
                .iter()
                .find(|o| {
                    o["lines"][0]["open"].as_i64().unwrap() > 0
                        && !named
                            .iter()
                            .any(|c| c["id"] == o["lines"][0]["contract_id"])
                })
                .unwrap();
            let id = o["id"].as_str().unwrap();
            let body = json!({"batch_no": "X1", "expiry_date": "2030-01-01", "invoice_no": "X1",
                "lines": [{"order_line_id": o["lines"][0]["id"], "quantity": 1}]});
            let outsider = ["supplier", "supplier2", "supplier3"]
                .into_iter()
                .find(|who| o["supplier_org_id"] != w.orgs[who])
                .unwrap();
            app.post(
                &format!("/api/v1/orders/{id}/deliveries"),
                w.t(outsider),
                body.clone(),
            )
            .await
            .expect_problem(404);
            // the distributor is not named on this order's contract
            app.post(
                &format!("/api/v1/orders/{id}/deliveries"),
                w.t("distributor"),
                body,
            )
            .await
            .expect_problem(404);
            assert_eq!(
                w.get(&format!("/api/v1/orders/{id}"), "officer").await["lines"][0]["shipped"],
                o["lines"][0]["shipped"]
            );
        }
        "GET /api/v1/deliveries" | "GET /api/v1/deliveries/{id}" => {
            let all = items(&w.get("/api/v1/deliveries?per_page=200", "officer").await);
            assert!(all.len() >= 20);
            for who in ["hospital", "hospital3"] {
                let mine = items(&w.get("/api/v1/deliveries?per_page=200", who).await);
                assert!(!mine.is_empty());
                assert!(mine.iter().all(|d| d["hospital_org_id"] == w.orgs[who]));
                let other = all
                    .iter()
                    .find(|d| d["hospital_org_id"] != w.orgs[who])
                    .unwrap();
                app.get(
                    &format!("/api/v1/deliveries/{}", other["id"].as_str().unwrap()),
                    w.t(who),
                )
                .await
                .expect_problem(404);
            }
            // a centre sees the deliveries of its province's orders only
            let sh_orders: Vec<Value> =
                items(&w.get("/api/v1/orders?per_page=200", "buyer2").await);
            let sh = items(&w.get("/api/v1/deliveries?per_page=200", "buyer2").await);
            assert!(!sh.is_empty());
            assert!(
                sh.iter()
                    .all(|d| sh_orders.iter().any(|o| o["id"] == d["order_id"]))
            );
            for who in ["supplier", "supplier2", "supplier3"] {
                let seen = items(&w.get("/api/v1/deliveries?per_page=200", who).await);
                assert!(
                    seen.iter().all(|d| d["supplier_org_id"] == w.orgs[who]),
                    "{who}"
                );
            }
            let shipped = items(
                &w.get("/api/v1/deliveries?per_page=200", "distributor")
                    .await,
            );
            assert!(!shipped.is_empty());
        }
        "POST /api/v1/deliveries/{id}/acceptance" => {
            let theirs = items(
                &w.get(
                    "/api/v1/deliveries?status=shipped&per_page=200",
                    "hospital3",
                )
                .await,
            );
            let d = &theirs[0];
            let id = d["id"].as_str().unwrap();
            let body = json!({"lines": [{"delivery_line_id": d["lines"][0]["id"], "accepted": d["lines"][0]["quantity"]}]});
            app.post(
                &format!("/api/v1/deliveries/{id}/acceptance"),
                w.t("hospital"),
                body,
            )
            .await
            .expect_problem(404);
            assert_eq!(
                w.get(&format!("/api/v1/deliveries/{id}"), "hospital3")
                    .await["status"],
                "shipped"
            );
        }
        "GET /api/v1/progress" => {
            let mine = w.get("/api/v1/progress", "hospital").await;
            let rows = mine["rows"].as_array().unwrap();
            assert!(!rows.is_empty());
            assert!(rows.iter().all(|r| r["key"] == w.orgs["hospital"]));
            let by_province = w.get("/api/v1/progress?group_by=province", "buyer2").await;
            assert!(
                by_province["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r["key"] == "310000")
            );
            let beijing = w.get("/api/v1/progress?group_by=province", "insurer").await;
            assert!(
                beijing["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r["key"] == "110000")
            );
        }
        "PUT /api/v1/rounds/{id}/hospital-demand" | "GET /api/v1/rounds/{id}/hospital-demand" => {
            let lots = items(
                &w.get(&format!("/api/v1/rounds/{collecting}/lots"), "hospital2")
                    .await,
            );
            let line = json!([{"lot_id": lots[0]["id"], "annual_quantity": 555}]);
            // a hospital reports for itself only; a centre for its own province's hospitals
            app.request(
                "PUT",
                &format!("/api/v1/rounds/{collecting}/hospital-demand"),
                Some(w.t("hospital2")),
                Some(json!({"hospital_org_id": w.orgs["hospital"], "lines": line})),
            )
            .await
            .expect_problem(403);
            app.request(
                "PUT",
                &format!("/api/v1/rounds/{collecting}/hospital-demand"),
                Some(w.t("buyer")),
                Some(json!({"hospital_org_id": w.orgs["hospital2"], "lines": line})),
            )
            .await
            .expect_problem(403);
            let own = app
                .request(
                    "PUT",
                    &format!("/api/v1/rounds/{collecting}/hospital-demand"),
                    Some(w.t("hospital2")),
                    Some(json!({"lines": line})),
                )
                .await
                .expect(200)
                .body;
            assert!(
                own.as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r["hospital_org_id"] == w.orgs["hospital2"])
            );
            let seen = w
                .get(
                    &format!("/api/v1/rounds/{collecting}/hospital-demand"),
                    "buyer",
                )
                .await;
            assert!(
                seen.as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r["province"] == "110000")
            );
            let seen = w
                .get(
                    &format!("/api/v1/rounds/{collecting}/hospital-demand"),
                    "buyer2",
                )
                .await;
            assert_eq!(seen.as_array().unwrap().len(), 1);
        }
        "GET /api/v1/contracts/{id}/quotas" | "POST /api/v1/contracts/{id}/quotas/transfer" => {
            let awarded = &w.rounds["awarded"];
            let all = items(&w.get(&format!("/api/v1/contracts?round_id={awarded}&province=110000&per_page=200&status=active"), "officer").await);
            let c = &all[0];
            let id = c["id"].as_str().unwrap();
            let whole = w
                .get(&format!("/api/v1/contracts/{id}/quotas"), "buyer")
                .await;
            assert_eq!(whole["quotas"].as_array().unwrap().len(), 3);
            assert_eq!(whole["total"], c["agreed_volume"]);
            let own = w
                .get(&format!("/api/v1/contracts/{id}/quotas"), "hospital")
                .await;
            assert_eq!(own["quotas"].as_array().unwrap().len(), 1);
            assert_eq!(own["quotas"][0]["hospital_org_id"], w.orgs["hospital"]);
            app.get(&format!("/api/v1/contracts/{id}/quotas"), w.t("buyer2"))
                .await
                .expect_problem(404);
            app.post(&format!("/api/v1/contracts/{id}/quotas/transfer"), w.t("buyer2"),
                json!({"from_hospital_org_id": w.orgs["hospital"], "to_hospital_org_id": w.orgs["hospital3"], "quantity": 1}))
                .await
                .expect_problem(404);
            // not to another province's hospital either
            app.post(&format!("/api/v1/contracts/{id}/quotas/transfer"), w.t("buyer"),
                json!({"from_hospital_org_id": w.orgs["hospital"], "to_hospital_org_id": w.orgs["hospital2"], "quantity": 1}))
                .await
                .expect_code(422, "not_a_hospital");
            assert_eq!(
                w.get(&format!("/api/v1/contracts/{id}/quotas"), "buyer")
                    .await,
                whole
            );
        }
        "PUT /api/v1/contracts/{id}/distributor" => {
            let all = items(
                &w.get("/api/v1/contracts?per_page=200&status=active", "officer")
                    .await,
            );
            let c = all
                .iter()
                .find(|c| c["supplier_org_id"] != w.orgs["supplier"])
                .unwrap();
            app.request(
                "PUT",
                &format!(
                    "/api/v1/contracts/{}/distributor",
                    c["id"].as_str().unwrap()
                ),
                Some(w.t("supplier")),
                Some(json!({"distributor_org_id": null})),
            )
            .await
            .expect_problem(404);
        }
        "POST /api/v1/shortages" => {
            // a report is the caller's own hospital's, on its own province's contracts
            let awarded = &w.rounds["awarded"];
            let all = items(
                &w.get(
                    &format!("/api/v1/contracts?round_id={awarded}&per_page=200&status=active"),
                    "officer",
                )
                .await,
            );
            let shanghai = all.iter().find(|c| c["province"] == "310000").unwrap();
            app.post(
                "/api/v1/shortages",
                w.t("hospital"),
                json!({"contract_id": shanghai["id"], "note": "x"}),
            )
            .await
            .expect_code(422, "contract_other_province");
            let beijing = all.iter().find(|c| c["province"] == "110000").unwrap();
            let made = app
                .post(
                    "/api/v1/shortages",
                    w.t("hospital"),
                    json!({"contract_id": beijing["id"], "note": "x"}),
                )
                .await
                .expect(201)
                .body;
            assert_eq!(made["hospital_org_id"], w.orgs["hospital"]);
        }
        "GET /api/v1/supply-problems" => {
            let all = w
                .get("/api/v1/supply-problems?term_days=0", "officer")
                .await;
            assert!(
                !all.as_array().unwrap().is_empty(),
                "the demo has refused orders"
            );
            let beijing = w.get("/api/v1/supply-problems?term_days=0", "buyer").await;
            assert!(
                beijing
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|p| p["province"] == "110000")
            );
            let sh = w.get("/api/v1/supply-problems?term_days=0", "buyer2").await;
            assert!(!sh.as_array().unwrap().is_empty());
            assert!(
                sh.as_array()
                    .unwrap()
                    .iter()
                    .all(|p| p["province"] == "310000")
            );
        }
        "GET /api/v1/rounds/{id}/key-shares/mine" | "POST /api/v1/rounds/{id}/open" => {
            // an officer who is no custodian of the round holds no share and cannot open it
            let closed = &w.rounds["closed"];
            let admin = w.t("admin");
            let office = &w.orgs["officer"];
            app.post(
                "/api/v1/users",
                admin,
                json!({"email": "officer4@vbp.demo", "role": "procurement_officer", "org_id": office,
                       "password": "scope-test-password-1"}),
            )
            .await;
            let outsider = app
                .login("officer4@vbp.demo", "scope-test-password-1")
                .await;
            app.get(
                &format!("/api/v1/rounds/{closed}/key-shares/mine"),
                &outsider,
            )
            .await
            .expect_problem(403);
            app.post(
                &format!("/api/v1/rounds/{closed}/open"),
                &outsider,
                json!({"share": "x"}),
            )
            .await
            .expect_problem(403);
            let round = w.get(&format!("/api/v1/rounds/{closed}"), "officer").await;
            assert_eq!(round["status"], "closed");
        }
        "GET /api/v1/settlements/prepayments" => {
            let awarded = &w.rounds["awarded"];
            let path = format!("/api/v1/settlements/prepayments?round_id={awarded}");
            let beijing = arr(&w.get(&path, "insurer").await);
            assert_eq!(beijing.len(), 3, "the demo's Beijing hospitals");
            // another province's insurer sees none of them; a hospital itself only
            let shanghai = arr(&w.get(&path, "insurer2").await);
            assert!(shanghai.iter().all(|r| {
                !beijing
                    .iter()
                    .any(|b| b["hospital_org_id"] == r["hospital_org_id"])
            }));
            let own = arr(&w.get(&path, "hospital3").await);
            assert_eq!(own.len(), 1);
            assert_eq!(own[0]["hospital_org_id"], w.orgs["hospital3"]);
            let other = format!("{path}&hospital_org_id={}", w.orgs["hospital"]);
            assert!(arr(&w.get(&other, "hospital3").await).is_empty());
        }
        "POST /api/v1/settlements/prepayments" => {
            let awarded = &w.rounds["awarded"];
            app.post(
                "/api/v1/settlements/prepayments",
                w.t("insurer2"),
                json!({"round_id": awarded, "hospital_org_id": w.orgs["hospital3"], "bank_reference": "SCOPE-1"}),
            )
            .await
            .expect_problem(404);
            let path = format!(
                "/api/v1/settlements/prepayments?round_id={awarded}&hospital_org_id={}",
                w.orgs["hospital3"]
            );
            let row = arr(&w.get(&path, "insurer").await);
            assert_ne!(row[0]["bank_reference"], "SCOPE-1");
        }
        "GET /api/v1/settlements/ledgers/{hospital_org_id}" => {
            let path = format!("/api/v1/settlements/ledgers/{}", w.orgs["hospital"]);
            assert_eq!(w.get(&path, "hospital").await["balanced"], true);
            assert_eq!(
                w.get(&path, "insurer").await["hospital_org_id"],
                w.orgs["hospital"]
            );
            for who in ["hospital3", "insurer2", "supplier"] {
                let status = app.get(&path, w.t(who)).await.status.as_u16();
                assert!(matches!(status, 403 | 404), "{who}: {status}");
            }
        }
        "POST /api/v1/settlements/batches" => {
            // an insurer settles its own province's lines only
            let res = app
                .post("/api/v1/settlements/batches", w.t("insurer2"), json!({}))
                .await;
            match res.status.as_u16() {
                201 => {
                    assert_eq!(res.body["province"], "310000");
                    assert!(
                        arr(&res.body["payment_orders"])
                            .iter()
                            .all(|o| o["province"] == "310000")
                    );
                }
                422 => assert_eq!(res.body["code"], "batch_empty"),
                other => panic!("{other}: {}", res.body),
            }
        }
        "GET /api/v1/settlements/batches" => {
            let beijing = items(&w.get("/api/v1/settlements/batches", "insurer").await);
            assert!(beijing.len() >= 2, "the demo's paid and open batches");
            assert!(beijing.iter().all(|b| b["province"] == "110000"));
            let shanghai = items(&w.get("/api/v1/settlements/batches", "insurer2").await);
            assert!(shanghai.iter().all(|b| b["province"] == "310000"));
        }
        "GET /api/v1/settlements/batches/{id}" => {
            let beijing = items(&w.get("/api/v1/settlements/batches", "insurer").await);
            let id = beijing[0]["id"].as_str().unwrap();
            w.get(&format!("/api/v1/settlements/batches/{id}"), "insurer")
                .await;
            app.get(
                &format!("/api/v1/settlements/batches/{id}"),
                w.t("insurer2"),
            )
            .await
            .expect_problem(404);
        }
        "GET /api/v1/settlements/payment-orders" => {
            for who in ["supplier", "supplier2"] {
                let mine = arr(&w.get("/api/v1/settlements/payment-orders", who).await);
                assert!(
                    mine.iter().all(|o| o["supplier_org_id"] == w.orgs[who]),
                    "{who}"
                );
            }
            assert!(
                !arr(&w
                    .get("/api/v1/settlements/payment-orders", "supplier2")
                    .await)
                .is_empty()
            );
            let beijing = arr(&w.get("/api/v1/settlements/payment-orders", "insurer").await);
            assert!(!beijing.is_empty() && beijing.iter().all(|o| o["province"] == "110000"));
        }
        "GET /api/v1/settlements/payment-orders/{id}" => {
            let theirs = arr(&w
                .get("/api/v1/settlements/payment-orders", "supplier2")
                .await);
            let id = theirs[0]["id"].as_str().unwrap();
            w.get(
                &format!("/api/v1/settlements/payment-orders/{id}"),
                "supplier2",
            )
            .await;
            app.get(
                &format!("/api/v1/settlements/payment-orders/{id}"),
                w.t("supplier"),
            )
            .await
            .expect_problem(404);
        }
        "POST /api/v1/settlements/payment-orders/{id}/payments" => {
            let open = arr(&w
                .get("/api/v1/settlements/payment-orders?paid=false", "insurer")
                .await);
            let order = &open[0];
            let path = format!(
                "/api/v1/settlements/payment-orders/{}/payments",
                order["id"].as_str().unwrap()
            );
            app.post(
                &path,
                w.t("insurer2"),
                json!({"bank_reference": "SCOPE-2", "amount": order["total"]}),
            )
            .await
            .expect_problem(404);
            let after = w
                .get(
                    &format!(
                        "/api/v1/settlements/payment-orders/{}",
                        order["id"].as_str().unwrap()
                    ),
                    "insurer",
                )
                .await;
            assert!(after["paid_at"].is_null());
        }
        "GET /api/v1/settlements/overdue" => {
            let beijing = items(&w.get("/api/v1/settlements/overdue", "insurer").await);
            assert!(!beijing.is_empty(), "the demo's overdue line");
            assert!(
                items(&w.get("/api/v1/settlements/overdue", "insurer2").await)
                    .iter()
                    .all(|l| l["province"] == "310000")
            );
            assert!(
                items(&w.get("/api/v1/settlements/overdue", "supplier").await)
                    .iter()
                    .all(|l| l["supplier_org_id"] == w.orgs["supplier"])
            );
            assert!(
                items(&w.get("/api/v1/settlements/overdue", "hospital").await)
                    .iter()
                    .all(|l| l["hospital_org_id"] == w.orgs["hospital"])
            );
        }
        "POST /api/v1/settlements/overdue/scan" => {
            let before = w.get("/api/v1/settlements/overdue", "insurer").await["total"].clone();
            let scan = app
                .request(
                    "POST",
                    "/api/v1/settlements/overdue/scan",
                    Some(w.t("insurer2")),
                    None,
                )
                .await
                .expect(200)
                .body;
            assert_eq!(scan["flagged"], 0, "Shanghai has nothing overdue");
            assert_eq!(
                w.get("/api/v1/settlements/overdue", "insurer").await["total"],
                before
            );
        }
        "GET /api/v1/settlements/statements/suppliers/{org_id}/{month}" => {
            let month = china_month();
            let qilu = format!(
                "/api/v1/settlements/statements/suppliers/{}/{month}",
                w.orgs["supplier2"]
            );
            let own = w.get(&qilu, "supplier2").await;
            assert!(own["line_count"].as_i64().unwrap() > 0);
            app.get(&qilu, w.t("supplier")).await.expect_problem(404);
            // an insurer reads the supplier's lines in its own province only
            let sh = w.get(&qilu, "insurer2").await;
            assert!(arr(&sh["lines"]).iter().all(|l| l["province"] == "310000"));
            assert!(sh["line_count"].as_i64().unwrap() < own["line_count"].as_i64().unwrap());
        }
        "GET /api/v1/settlements/statements/hospitals/{org_id}/{month}" => {
            let month = china_month();
            let path = format!(
                "/api/v1/settlements/statements/hospitals/{}/{month}",
                w.orgs["hospital"]
            );
            let own = w.get(&path, "hospital").await;
            assert!(
                arr(&own["lines"])
                    .iter()
                    .all(|l| l["hospital_org_id"] == w.orgs["hospital"])
            );
            w.get(&path, "insurer").await;
            for who in ["hospital3", "insurer2"] {
                app.get(&path, w.t(who)).await.expect_problem(404);
            }
        }
        "POST /api/v1/settlements/statements/suppliers/{org_id}/{month}/confirm" => {
            let month = china_month();
            let path = format!(
                "/api/v1/settlements/statements/suppliers/{}/{month}/confirm",
                w.orgs["supplier2"]
            );
            app.request("POST", &path, Some(w.t("supplier")), None)
                .await
                .expect_problem(404);
        }
        "POST /api/v1/settlements/disputes" => {
            let month = china_month();
            let qilu = format!(
                "/api/v1/settlements/statements/suppliers/{}/{month}",
                w.orgs["supplier2"]
            );
            let line =
                arr(&w.get(&qilu, "supplier2").await["lines"])[0]["delivery_line_id"].clone();
            app.post(
                "/api/v1/settlements/disputes",
                w.t("supplier"),
                json!({"delivery_line_id": line, "reason": "not my line"}),
            )
            .await
            .expect_problem(404);
        }
        "GET /api/v1/settlements/disputes" => {
            let qilu = arr(&w.get("/api/v1/settlements/disputes", "supplier2").await);
            assert!(!qilu.is_empty(), "the demo's disputed line");
            assert!(
                qilu.iter()
                    .all(|d| d["supplier_org_id"] == w.orgs["supplier2"])
            );
            assert!(
                arr(&w.get("/api/v1/settlements/disputes", "supplier").await)
                    .iter()
                    .all(|d| d["supplier_org_id"] == w.orgs["supplier"])
            );
            assert!(
                arr(&w.get("/api/v1/settlements/disputes", "insurer2").await)
                    .iter()
                    .all(|d| d["province"] == "310000")
            );
        }
        "POST /api/v1/settlements/disputes/{id}/resolve" => {
            let open = arr(&w
                .get("/api/v1/settlements/disputes?open=true", "insurer")
                .await);
            let id = open[0]["id"].as_str().unwrap();
            app.post(
                &format!("/api/v1/settlements/disputes/{id}/resolve"),
                w.t("insurer2"),
                json!({"resolution": "not mine"}),
            )
            .await
            .expect_problem(404);
            let still = arr(&w
                .get("/api/v1/settlements/disputes?open=true", "insurer")
                .await);
            assert!(still.iter().any(|d| d["id"] == id));
        }
        "GET /api/v1/monitoring/warnings" => {
            // a centre sees its own province's warnings and may not ask for another's
            for (who, province) in [("buyer", "110000"), ("buyer2", "310000")] {
                let list = w.get("/api/v1/monitoring/warnings", who).await;
                let warnings = arr(&list["warnings"]);
                assert!(!warnings.is_empty(), "the demo has warnings in {province}");
                assert!(warnings.iter().all(|x| x["province"] == province));
            }
            app.get("/api/v1/monitoring/warnings?province=310000", w.t("buyer"))
                .await
                .expect_problem(403);
            let all = w.get("/api/v1/monitoring/warnings", "officer").await;
            assert!(arr(&all["by_province"]).len() >= 2);
        }
        "POST /api/v1/rounds/{id}/complaints" => {
            // a complaint is the caller's own organisation's
            let awarded = &w.rounds["awarded"];
            let results = w
                .get(&format!("/api/v1/rounds/{awarded}/results"), "officer")
                .await;
            let lot = results["lots"][2]["lot_id"].clone();
            let made = app
                .post(
                    &format!("/api/v1/rounds/{awarded}/complaints"),
                    w.t("supplier"),
                    json!({"lot_id": lot, "grounds": "x"}),
                )
                .await
                .expect(201)
                .body;
            assert_eq!(made["supplier_org_id"], w.orgs["supplier"]);
        }
        "GET /api/v1/complaints" | "GET /api/v1/complaints/{id}" => {
            // a supplier sees its own complaints only; another's is not found
            let all = items(&w.get("/api/v1/complaints?per_page=50", "officer").await);
            for who in ["supplier", "supplier2"] {
                let own = items(&w.get("/api/v1/complaints?per_page=50", who).await);
                assert!(!own.is_empty());
                assert!(own.iter().all(|c| c["supplier_org_id"] == w.orgs[who]));
                assert_eq!(
                    own.len(),
                    all.iter()
                        .filter(|c| c["supplier_org_id"] == w.orgs[who])
                        .count()
                );
            }
            let theirs = all
                .iter()
                .find(|c| c["supplier_org_id"] == w.orgs["supplier2"])
                .unwrap();
            app.get(
                &format!("/api/v1/complaints/{}", theirs["id"].as_str().unwrap()),
                w.t("supplier"),
            )
            .await
            .expect_problem(404);
        }
        "POST /api/v1/complaints/{id}/actions" => {
            // a supplier withdraws only its own complaint
            let all = items(&w.get("/api/v1/complaints?per_page=50", "officer").await);
            let theirs = all
                .iter()
                .find(|c| {
                    c["supplier_org_id"] == w.orgs["supplier2"] && c["status"] == "under_review"
                })
                .unwrap();
            let path = format!("/api/v1/complaints/{}", theirs["id"].as_str().unwrap());
            app.post(
                &format!("{path}/actions"),
                w.t("supplier"),
                json!({"action": "withdraw"}),
            )
            .await
            .expect_problem(404);
            assert_eq!(w.get(&path, "officer").await["status"], "under_review");
        }
        "POST /api/v1/complaints/{id}/attachments"
        | "GET /api/v1/complaints/{id}/attachments/{attachment_id}" => {
            // evidence is its supplier's (and the officers'): another supplier can neither
            // read nor add to it
            let all = items(&w.get("/api/v1/complaints?per_page=50", "officer").await);
            let with_file = all
                .iter()
                .find(|c| !arr(&c["attachments"]).is_empty())
                .unwrap();
            let other = if with_file["supplier_org_id"] == w.orgs["supplier"] {
                "supplier2"
            } else {
                "supplier"
            };
            let cid = with_file["id"].as_str().unwrap();
            let file = format!(
                "/api/v1/complaints/{cid}/attachments/{}",
                with_file["attachments"][0]["id"].as_str().unwrap()
            );
            assert_eq!(app.get_text(&file, w.t(other)).await.0, 404);
            assert_eq!(app.get_text(&file, w.t("officer")).await.0, 200);
            let status = app
                .post_bytes(
                    &format!("/api/v1/complaints/{cid}/attachments?file_name=x.txt"),
                    Some(w.t(other)),
                    "text/plain",
                    "x",
                )
                .await
                .status
                .as_u16();
            assert_eq!(status, 404);
        }
        "GET /api/v1/settlements/retained-savings" => {
            let awarded = &w.rounds["awarded"];
            let path = format!("/api/v1/settlements/retained-savings?round_id={awarded}");
            let own = arr(&w.get(&path, "hospital").await);
            assert_eq!(own.len(), 1);
            assert_eq!(own[0]["hospital_org_id"], w.orgs["hospital"]);
            assert!(
                arr(&w.get(&path, "insurer").await)
                    .iter()
                    .all(|r| r["province"] == "110000")
            );
            assert!(
                arr(&w.get(&path, "insurer2").await)
                    .iter()
                    .all(|r| r["province"] == "310000")
            );
        }
        _ => return false,
    }
    true
}

#[actix_web::test]
async fn scoped_routes_show_and_change_only_what_is_the_callers() {
    let w = World::new().await;
    let doc = document(&w.app).await;
    let mut unchecked = Vec::new();
    let mut checked = 0;
    for op in operations(&doc) {
        if matches!(op.scope.as_str(), "public" | "all") {
            continue;
        }
        if check_scope(&w, &op.key()).await {
            checked += 1;
        } else {
            unchecked.push(op.key());
        }
    }
    assert!(
        unchecked.is_empty(),
        "scoped routes without a scope check in tests/tests/integration/roles.rs: {unchecked:?}"
    );
    assert!(checked >= 14, "only {checked} scoped routes checked");
}
