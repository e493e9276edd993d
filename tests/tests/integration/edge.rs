//! The class, not the instances: every operation of the served OpenAPI document is fed
//! hostile input in every parameter and body field it declares (NUL characters, strings
//! past their bound, numbers just past their column, negative and exponent decimals,
//! wrong types, lists too long, a deeply nested body) on top of an otherwise valid call
//! against the demo's real rounds, lots, bids and contracts. Each answer must be a 4xx
//! problem+json with a `code`, never a 5xx and never a success, and nothing may be
//! stored: every table holds as many rows afterwards as before.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use diesel::{QueryableByName, sql_types::Text};
use diesel_async::RunQueryDsl;
use serde_json::{Map, Value, json};
use tests::{DEMO_BY_ROLE, TestApp};

const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// `schema` with `$ref`s followed and nullable unions reduced to their non-null member.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return resolve(doc, &doc["components"]["schemas"][name]);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(alts) = schema[key].as_array()
            && let Some(alt) = alts.iter().find(|a| a["type"] != "null")
        {
            return resolve(doc, alt);
        }
    }
    schema
}

fn type_of(schema: &Value) -> &str {
    match &schema["type"] {
        Value::String(t) => t,
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema["properties"].is_object() => "object",
        _ => "any",
    }
}

/// A plausible value of `schema` for a field called `name` (`known` holds real values
/// for some names: the lot of the round the operation acts on).
fn base(doc: &Value, schema: &Value, name: &str, known: &BTreeMap<&str, Value>) -> Value {
    if let Some(v) = known.get(name) {
        return v.clone();
    }
    let schema = resolve(doc, schema);
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.iter().next()) {
        return first.clone();
    }
    match type_of(schema) {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (k, v) in props {
                    out.insert(k.clone(), base(doc, v, k, known));
                }
            }
            Value::Object(out)
        }
        "array" => json!([base(doc, &schema["items"], name, known)]),
        "integer" => json!(1),
        "number" => json!(1),
        "boolean" => json!(true),
        "string" => match schema["format"].as_str() {
            Some("uuid") => json!(NIL),
            Some("date") => json!("2031-01-01"),
            Some("date-time") => json!("2031-01-01T00:00:00Z"),
            _ if name.contains("price") => json!("0.5000"),
            _ if name.contains("province") => json!("110000"),
            _ => json!("x"),
        },
        _ => json!({}),
    }
}

/// Hostile values for a field of `schema` called `name`, each with a label.
fn hostile(doc: &Value, schema: &Value, name: &str) -> Vec<(String, Value)> {
    let schema = resolve(doc, schema);
    let mut out: Vec<(String, Value)> = vec![("an object for a scalar".into(), json!({"a": 1}))];
    match type_of(schema) {
        "string" => {
            out.push(("a NUL character".into(), json!("a\u{0}b")));
            let over = schema["maxLength"].as_u64().map_or(100_001, |m| m + 1) as usize;
            out.push((format!("{over} characters"), json!("x".repeat(over))));
            out.push(("a number for a string".into(), json!(12345)));
            if name.contains("price") {
                for v in [
                    "1e10",
                    "100000000",
                    "-1",
                    "1e-30",
                    "0.00001",
                    "1e400",
                    "NaN",
                ] {
                    out.push((format!("price {v}"), json!(v)));
                }
            }
            if matches!(schema["format"].as_str(), Some("date" | "date-time")) {
                for v in ["0001-01-01", "9999-12-31", "+262143-01-01", "2031-02-30"] {
                    let v = if schema["format"] == "date-time" {
                        format!("{v}T00:00:00Z")
                    } else {
                        v.to_owned()
                    };
                    out.push((format!("date {v}"), json!(v)));
                }
            }
        }
        "integer" | "number" => {
            if let Some(max) = schema["maximum"].as_i64() {
                out.push((format!("{} (past its maximum)", max + 1), json!(max + 1)));
            }
            out.push(("2^63".into(), json!(9_223_372_036_854_775_808u64)));
            out.push(("2^64 - 1".into(), json!(u64::MAX)));
            out.push(("-1".into(), json!(-1)));
            out.push(("1e30".into(), json!(1e30)));
            out.push(("a string for a number".into(), json!("1")));
        }
        "boolean" => out.push(("a string for a boolean".into(), json!("true"))),
        "array" => {
            let item = base(doc, &schema["items"], name, &BTreeMap::new());
            out.push(("10,001 items".into(), Value::Array(vec![item; 10_001])));
            out.push(("a string for a list".into(), json!("x")));
            let items = resolve(doc, &schema["items"]);
            if type_of(items) == "string" {
                out.push(("a NUL in an item".into(), json!(["a\u{0}"])));
                out.push((
                    "an item of 100,001 characters".into(),
                    json!(["x".repeat(100_001)]),
                ));
            }
        }
        _ => {
            // a free-form object (the rules): nested past any sane depth
            let mut deep = json!(1);
            for _ in 0..200 {
                deep = json!({ "a": deep });
            }
            out.push(("an object nested 200 deep".into(), deep));
            out.push(("a string for an object".into(), json!("x")));
        }
    }
    out
}

/// Hostile values of a query or path parameter (as text).
fn hostile_param(schema: &Value) -> Vec<(String, String)> {
    let mut out = vec![
        ("a NUL character".into(), "a%00b".into()),
        ("5,000 characters".into(), "x".repeat(5000)),
        ("a %-escape that is not UTF-8".into(), "%E9%98".into()),
    ];
    match type_of(schema) {
        "integer" => {
            if let Some(max) = schema["maximum"].as_i64() {
                out.push(("past its maximum".into(), (max + 1).to_string()));
            }
            out.push(("2^64".into(), "18446744073709551616".into()));
            out.push(("-1".into(), "-1".into()));
            out.push(("not a number".into(), "x".into()));
        }
        "boolean" => out.push(("not a boolean".into(), "maybe".into())),
        _ => {
            if matches!(schema["format"].as_str(), Some("uuid" | "date")) {
                out.push(("not of its format".into(), "x".into()));
            }
            if schema["format"] == "date" {
                out.push(("year 9999".into(), "9999-12-31".into()));
                out.push(("year 1".into(), "0001-01-01".into()));
            }
        }
    }
    out
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Text)]
    row: String,
}

/// Rows per table (sessions and login counters aside: the test's own logins write them).
async fn row_counts(app: &TestApp) -> BTreeMap<String, String> {
    let mut conn = app.db.connect().await;
    let tables: Vec<Count> = diesel::sql_query(
        "SELECT tablename AS row FROM pg_tables WHERE schemaname = 'public'
           AND tablename NOT IN ('sessions', 'login_throttle', '__diesel_schema_migrations')",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let n: Count =
            diesel::sql_query(format!("SELECT count(*)::text AS row FROM \"{}\"", t.row))
                .get_result(&mut conn)
                .await
                .unwrap();
        out.insert(t.row, n.row);
    }
    out
}

/// The demo world's real ids, to reach each handler past its 404.
struct Ids {
    rounds: BTreeMap<String, String>,
    org: String,
    user: String,
    contract: String,
    bid: String,
    evaluated_lot: String,
    /// The first lot of the round in each state (the supplier's own bid's lot when open).
    lots: BTreeMap<String, String>,
}

async fn ids(app: &TestApp, tokens: &BTreeMap<&str, String>) -> Ids {
    let officer = &tokens["procurement_officer"];
    let rounds = tests::rounds_by_status(app, officer).await;
    let me = app
        .get("/api/v1/me", &tokens["supplier"])
        .await
        .expect(200)
        .body;
    let contracts = app.get("/api/v1/contracts", officer).await.expect(200).body;
    let bids = app
        .get(
            &format!("/api/v1/rounds/{}/bids", rounds["bidding_open"]),
            &tokens["supplier"],
        )
        .await
        .expect(200)
        .body;
    let lots = app
        .get(
            &format!("/api/v1/rounds/{}/lots", rounds["evaluated"]),
            officer,
        )
        .await
        .expect(200)
        .body;
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    let mut round_lots = BTreeMap::new();
    for (state, id) in &rounds {
        let l = app
            .get(&format!("/api/v1/rounds/{id}/lots"), officer)
            .await
            .expect(200)
            .body;
        if let Some(first) = l["items"][0]["id"].as_str() {
            round_lots.insert(state.clone(), first.to_owned());
        }
    }
    round_lots.insert("bidding_open".into(), s(&bids["items"][0]["lot_id"]));
    Ids {
        lots: round_lots,
        org: s(&me["org_id"]),
        user: s(&me["id"]),
        contract: s(&contracts["items"][0]["id"]),
        bid: s(&bids["items"][0]["bid_id"]),
        evaluated_lot: s(&lots["items"][0]["id"]),
        rounds,
    }
}

/// The state of the round an operation acts on.
fn round_state(method: &str, path: &str) -> &'static str {
    match (method, path.rsplit('/').next().unwrap_or("")) {
        ("POST", "lots" | "demand-collection" | "publish" | "cancel") | ("PATCH", _) => "draft",
        ("PUT", "demand") => "demand_collection",
        ("POST", "bids") | ("DELETE", _) => "bidding_open",
        ("POST", "open") | (_, "register") => "closed",
        ("POST", "evaluate" | "award") | (_, "{lot_id}" | "revival-offers" | "evaluation") => {
            "evaluated"
        }
        _ => "awarded",
    }
}

/// The real path for an operation: the round in the state the operation acts on.
fn real_path(method: &str, path: &str, ids: &Ids) -> String {
    let round = round_state(method, path);
    let org_or_user = if path.starts_with("/api/v1/users") {
        &ids.user
    } else {
        &ids.org
    };
    let id = if path.starts_with("/api/v1/rounds") {
        &ids.rounds[round]
    } else if path.starts_with("/api/v1/contracts") {
        &ids.contract
    } else if path.starts_with("/api/v1/admin/jobs") {
        "1"
    } else {
        org_or_user
    };
    path.replace("{id}", id)
        .replace("{bid_id}", &ids.bid)
        .replace("{lot_id}", &ids.evaluated_lot)
        .replace("{code}", "XA01ABD075A002010100483")
}

/// A request body: its content type and bytes.
type Body = (String, Vec<u8>);

struct Case {
    at: String,
    what: String,
    status: u16,
    body: Value,
    problem: bool,
}

#[actix_web::test]
async fn every_operation_refuses_hostile_input_with_a_4xx_and_stores_nothing() {
    let app = TestApp::with_demo().await;
    tests::api::demo::rounds::load(app.state.settings.clone())
        .await
        .unwrap();
    let mut tokens = BTreeMap::new();
    for (role, who) in DEMO_BY_ROLE {
        tokens.insert(*role, app.login_demo(who).await);
    }
    let ids = ids(&app, &tokens).await;
    let doc = app
        .request("GET", "/api/openapi.json", None, None)
        .await
        .expect(200)
        .body;
    let before = row_counts(&app).await;

    let mut cases: Vec<Case> = Vec::new();
    let mut sent = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            if path == "/api/v1/auth/logout" {
                continue; // it takes nothing, and would end the session
            }
            let token = op["security"].as_array().map(|_| {
                let role = op["security"][0]["bearer"][0].as_str().unwrap_or("admin");
                tokens[role].clone()
            });
            let real = real_path(&method, path, &ids);
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut requests: Vec<(String, String, Option<Body>)> = Vec::new();

            // path parameters
            for p in params.iter().filter(|p| p["in"] == "path") {
                let name = p["name"].as_str().unwrap();
                for (what, v) in hostile_param(&p["schema"]) {
                    let url = real_path(&method, &path.replace(&format!("{{{name}}}"), &v), &ids);
                    requests.push((format!("path {name}: {what}"), url, None));
                }
            }
            // query parameters
            for p in params.iter().filter(|p| p["in"] == "query") {
                let name = p["name"].as_str().unwrap();
                for (what, v) in hostile_param(&p["schema"]) {
                    requests.push((
                        format!("query {name}: {what}"),
                        format!("{real}?{name}={v}"),
                        None,
                    ));
                }
            }
            // the body
            let content = &op["requestBody"]["content"];
            if let Some(schema) = content["application/json"]["schema"].as_object() {
                let schema = Value::Object(schema.clone());
                let mut known = BTreeMap::new();
                if let Some(lot) = ids.lots.get(round_state(&method, path)) {
                    known.insert("lot_id", json!(lot));
                }
                let valid = base(&doc, &schema, "", &known);
                let resolved = resolve(&doc, &schema);
                let mut bodies: Vec<(String, Value)> = Vec::new();
                if let Some(props) = resolved["properties"].as_object() {
                    for (k, s) in props {
                        for (what, v) in hostile(&doc, s, k) {
                            let mut b = valid.clone();
                            b[k] = v;
                            bodies.push((format!("body {k}: {what}"), b));
                        }
                        // one level down: the fields of a list's objects
                        let inner = resolve(&doc, &resolve(&doc, s)["items"]);
                        if let Some(inner_props) = inner["properties"].as_object() {
                            for (ik, is) in inner_props {
                                for (what, v) in hostile(&doc, is, ik) {
                                    let mut b = valid.clone();
                                    b[k][0][ik] = v;
                                    bodies.push((format!("body {k}[0].{ik}: {what}"), b));
                                }
                            }
                        }
                    }
                }
                for (what, b) in bodies {
                    requests.push((
                        what,
                        real.clone(),
                        Some(("application/json".into(), b.to_string().into_bytes())),
                    ));
                }
                let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
                for (what, raw) in [
                    ("a body nested 10,000 deep".to_owned(), deep),
                    ("a body that is null".to_owned(), "null".to_owned()),
                    ("a body that is a list".to_owned(), "[]".to_owned()),
                    ("a truncated body".to_owned(), "{\"a\": ".to_owned()),
                ] {
                    requests.push((
                        what,
                        real.clone(),
                        Some(("application/json".into(), raw.into_bytes())),
                    ));
                }
            }
            if content["text/csv"].is_object() {
                let head = "kind,code,generic_name,dosage_form,strength,strength_unit,pack_count,min_unit,consistency,manufacturer";
                let row = |generic: &str, pack: &str| {
                    format!(
                        "{head}\ndrug,XC10AAT901A001020100102,{generic},tablet,20,mg,{pack},tablet,passed,Edge Co.\n"
                    )
                };
                for (what, csv) in [
                    (
                        "a CSV cell with a NUL".to_owned(),
                        row("他汀\0钙片", "28").into_bytes(),
                    ),
                    (
                        "a CSV cell of 100,001 characters".to_owned(),
                        row(&"x".repeat(100_001), "28").into_bytes(),
                    ),
                    (
                        "a pack count of 2^63".to_owned(),
                        row("他汀钙片", "9223372036854775808").into_bytes(),
                    ),
                    (
                        "a pack count of -1".to_owned(),
                        row("他汀钙片", "-1").into_bytes(),
                    ),
                ] {
                    requests.push((what, real.clone(), Some(("text/csv".into(), csv))));
                }
            }

            for (what, url, body) in requests {
                sent += 1;
                let m = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
                let mut req = app.client.request(m, format!("{}{url}", app.base));
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                let mut res = match body {
                    Some((ct, bytes)) => req
                        .insert_header(("content-type", ct))
                        .send_body(bytes)
                        .await
                        .unwrap(),
                    None => req.send().await.unwrap(),
                };
                let bytes = res.body().limit(64 << 20).await.unwrap();
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                let problem = res
                    .headers()
                    .get("content-type")
                    .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"))
                    && body["code"].is_string();
                cases.push(Case {
                    at: format!("{method} {path}"),
                    what,
                    status: res.status().as_u16(),
                    body,
                    problem,
                });
            }
        }
    }
    let bad: Vec<String> = cases
        .iter()
        .filter(|c| !(400..500).contains(&c.status) || !c.problem)
        .map(|c| format!("{} with {}: {} {}", c.at, c.what, c.status, c.body))
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {sent} hostile requests were not refused with a 4xx problem:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(sent >= 600, "only {sent} hostile requests");
    // most of them reach the checks of their field, not a 404 or 403 before it
    let mut by_status = BTreeMap::new();
    for c in &cases {
        *by_status.entry(c.status).or_insert(0) += 1;
    }
    let checked =
        by_status.get(&422).copied().unwrap_or(0) + by_status.get(&400).copied().unwrap_or(0);
    assert!(checked * 10 > sent * 8, "statuses: {by_status:?}");
    let after = row_counts(&app).await;
    assert_eq!(before, after, "hostile requests stored something");
}

/// A round's custom rules hold no number past what a real rule could need: a ratio the
/// evaluation's exact arithmetic would overflow on is refused when the round is created
/// or changed, not found by a failing evaluation after the opening.
#[actix_web::test]
async fn rules_with_numbers_past_any_real_rule_are_refused() {
    let app = TestApp::with_demo().await;
    let officer = app.login_demo("officer").await;
    let round = app
        .post("/api/v1/rounds", &officer, tests::master_round("规则"))
        .await
        .expect(201)
        .body;
    // the preset's rules, with one ratio set to `ratio` wherever it stands
    fn with_ratio(v: &Value, ratio: &str) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| {
                        let v = if k == "ratio_to_lowest" {
                            json!(ratio)
                        } else {
                            with_ratio(v, ratio)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    assert!(
        round["rules"].to_string().contains("ratio_to_lowest"),
        "{}",
        round["rules"]
    );
    let mut body = tests::master_round("规则上限");
    body["rules"] = with_ratio(&round["rules"], "79228162514264337593543950335");
    let res = app
        .post("/api/v1/rounds", &officer, body.clone())
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["field"], "rules", "{}", res.body);
    body["rules"] = with_ratio(&round["rules"], "1.8");
    app.post("/api/v1/rounds", &officer, body).await.expect(201);
}
