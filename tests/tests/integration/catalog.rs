//! The national catalog: CSV import (all or nothing, UTF-8/BOM/GBK, errors by line and
//! column, upsert with created/updated/unchanged), ceiling history, search, export.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use serde_json::{Value, json};
use tests::{TestApp, vbp_binary};

const IMPORTS: &str = "/api/v1/catalog/imports";
const HEADER: &str = "kind,code,generic_name,dosage_form,strength,strength_unit,pack_count,min_unit,consistency,manufacturer,ceiling_price,ceiling_valid_from\n";

/// Three good rows: two drugs (one by a demo supplier, any case) and a stent.
fn good_rows() -> String {
    [
        "drug,XC10AAZ901A002010100483,测试阿托伐他汀钙片,film_coated_tablet,20,mg,28,tablet,passed,\"ZHEJIANG HUAHAI PHARMACEUTICAL CO., LTD.\",0.8500,2026-01-01",
        "drug,XC10AAZ902A002020100483,测试瑞舒伐他汀钙片,片剂,10,mg,7,片,原研,Example Originator Ltd.,1.2000,2026-01-01",
        "consumable,C02040199900001999990000001,测试冠脉支架,,,,1,piece,,Example Stent Co.,2850,2026-01-01",
    ]
    .join("\n")
        + "\n"
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn file(rows: &str) -> String {
    format!("{HEADER}{rows}")
}

async fn import(app: &TestApp, token: &str, body: impl Into<actix_web::web::Bytes>) -> Value {
    app.post_bytes(IMPORTS, Some(token), "text/csv", body)
        .await
        .expect(200)
        .body
}

async fn item(app: &TestApp, token: &str, code: &str) -> tests::Resp {
    app.get(&format!("/api/v1/catalog/items/{code}"), token)
        .await
}

#[actix_web::test]
async fn import_creates_then_reimport_is_all_unchanged_and_audited() {
    let app = TestApp::with_demo().await;
    let officer = app.login_demo("officer").await;
    // the first row's manufacturer is a demo supplier (in other case): linked to it
    let body = file(&good_rows());
    let report = import(&app, &officer, body.clone()).await;
    assert_eq!(report["rows"], 3);
    assert_eq!(report["created"], 3);
    assert_eq!(report["updated"], 0);
    assert_eq!(report["unchanged"], 0);
    assert_eq!(report["ceilings_added"], 3);
    assert_eq!(report["encoding"], "utf-8");

    let again = import(&app, &officer, body).await;
    assert_eq!(
        (
            &again["created"],
            &again["updated"],
            &again["unchanged"],
            &again["ceilings_added"]
        ),
        (&json!(0), &json!(0), &json!(3), &json!(0))
    );

    let drug = item(&app, &officer, "XC10AAZ901A002010100483")
        .await
        .expect(200)
        .body;
    assert_eq!(drug["kind"], "drug");
    assert_eq!(drug["dosage_form"], "film_coated_tablet");
    assert_eq!(drug["strength"], "20");
    assert_eq!(drug["strength_unit"], "mg");
    assert_eq!(drug["consistency"], "passed");
    assert_eq!(drug["ceiling"]["price"], "0.8500");
    assert!(drug["manufacturer_org_id"].is_string(), "{drug}");
    let rosu = item(&app, &officer, "xc10aaz902a002020100483") // any case
        .await
        .expect(200)
        .body;
    assert_eq!(rosu["dosage_form"], "tablet");
    assert_eq!(rosu["min_unit"], "tablet");
    assert_eq!(rosu["consistency"], "originator");
    assert!(rosu["manufacturer_org_id"].is_null());
    let stent = item(&app, &officer, "C02040199900001999990000001")
        .await
        .expect(200)
        .body;
    assert_eq!(stent["consumable_class"], "02.04.01");
    assert_eq!(stent["ceiling"]["price"], "2850.0000");
    assert!(stent["dosage_form"].is_null() && stent["consistency"].is_null());

    // one audit entry per import, with the counts
    app.seal_audit().await;
    let auditor = app.login_demo("auditor").await;
    let entries = app
        .get("/api/v1/audit?action=catalog.import&per_page=200", &auditor)
        .await
        .expect(200)
        .body;
    let http: Vec<&Value> = entries["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["details"]["origin"] == "http")
        .collect();
    assert_eq!(http.len(), 2);
    assert_eq!(http[0]["actor_role"], "procurement_officer");
    assert_eq!(http[0]["details"]["unchanged"], 3);
    assert_eq!(http[1]["details"]["created"], 3);
    assert_eq!(http[0]["entity_id"], again["import_id"]);
}

/// A file with one bad row (line 3) imports nothing and names the line and column.
#[actix_web::test]
async fn one_bad_row_imports_nothing_and_names_line_and_column() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let good = good_rows();
    let lines: Vec<&str> = good.lines().collect();
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "bad code",
            file(&good.replace("XC10AAZ902A002020100483", "XC10AAZ902A0020201004")).into_bytes(),
            "code",
            "23 characters",
        ),
        (
            "bad code structure",
            file(&good.replace("XC10AAZ902A002020100483", "XE10AAZ902A002020100483")).into_bytes(),
            "code",
            "positions 2-6",
        ),
        (
            "negative ceiling",
            file(&good.replace("1.2000,2026", "-1.2000,2026")).into_bytes(),
            "ceiling_price",
            "0 or more",
        ),
        (
            "unknown unit",
            file(&good.replace(",10,mg,", ",10,mgg,")).into_bytes(),
            "strength_unit",
            "unknown unit",
        ),
        (
            "duplicate code",
            file(&format!(
                "{}\n{}\n",
                lines[0],
                lines[0].replace("测试阿托伐他汀钙片", "重复")
            ))
            .into_bytes(),
            "code",
            "appears again (first on line 2)",
        ),
        (
            "broken encoding",
            {
                let mut b = file(&format!("{}\n", lines[0])).into_bytes();
                b.extend_from_slice(b"drug,XC10AAZ902A002020100483,\xFF\xFE\xFF,tablet,10,mg,7,tablet,passed,X,1.2,2026-01-01\n");
                b
            },
            "generic_name",
            "broken encoding",
        ),
        (
            "CRLF line endings, as Excel writes them",
            file(&good.replace("XC10AAZ902A002020100483", "XC10AAZ902A0020201004"))
                .replace('\n', "\r\n")
                .into_bytes(),
            "code",
            "23 characters",
        ),
        (
            "a strength in 万IU past its column once in IU",
            file(&good.replace(",10,mg,7,", ",100000000000,万IU,7,")).into_bytes(),
            "strength",
            "10^12",
        ),
        (
            "a NUL in a cell",
            file(&good.replace("测试瑞舒伐他汀钙片", "测试瑞舒伐\0他汀钙片")).into_bytes(),
            "generic_name",
            "NUL",
        ),
    ];
    for (what, body, column, reason) in cases {
        let res = app
            .post_bytes(IMPORTS, Some(&admin), "text/csv", body)
            .await
            .expect_problem(422);
        let errors = res.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{what}: {}", res.body);
        assert_eq!(errors[0]["line"], 3, "{what}: {}", res.body);
        assert_eq!(errors[0]["field"], column, "{what}: {}", res.body);
        let message = errors[0]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{what}: {message}");
        assert!(
            res.body["detail"]
                .as_str()
                .unwrap()
                .contains("nothing was imported"),
            "{what}"
        );
        // nothing of the file exists, not even its good first row
        item(&app, &admin, "XC10AAZ901A002010100483")
            .await
            .expect_problem(404);
    }
}

#[actix_web::test]
async fn every_error_is_listed_up_to_a_cap_with_the_total() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let mut rows = String::new();
    for i in 0..150 {
        rows.push_str(&format!(
            "drug,XC10AAZ{i:03}A00201010048,x,tablet,1,mg,1,tablet,passed,M,,\n"
        ));
    }
    let res = app
        .post_bytes(IMPORTS, Some(&admin), "text/csv", file(&rows))
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"].as_array().unwrap().len(), 100);
    let detail = res.body["detail"].as_str().unwrap();
    assert!(detail.contains("150 errors"), "{detail}");
    assert_eq!(res.body["errors"][99]["line"], 101);
    // a header naming an unknown column, and missing a required one
    let res = app
        .post_bytes(
            IMPORTS,
            Some(&admin),
            "text/csv",
            "kind,code,generic_name,colour\n",
        )
        .await
        .expect_problem(422);
    let errors = res.body["errors"].as_array().unwrap();
    assert!(errors.iter().all(|e| e["line"] == 1));
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("colour"))
    );
    assert!(errors.iter().any(|e| e["field"] == "manufacturer"));
}

#[actix_web::test]
async fn gbk_and_bom_files_and_chinese_headers_are_accepted() {
    let app = TestApp::with_demo().await;
    let officer = app.login_demo("officer").await;
    let chinese = "类别,编码,通用名,剂型,规格,规格单位,包装数量,最小单位,一致性评价,生产企业,最高有效申报价,限价生效日期\n\
                   药品,XC10AAZ901A002010100483,测试阿托伐他汀钙片,薄膜衣片,20,mg,28,片,过评,示例制药有限公司,0.85,2026-01-01\n\
                   药品,XJ01CEZ903B017010100483,测试注射用青霉素钠,注射用无菌粉末,80,万IU,1,西林瓶,通过,示例制药有限公司,0.26,2026-01-01\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(chinese);
    assert!(!unmappable);
    let report = import(&app, &officer, gbk.into_owned()).await;
    assert_eq!(
        (&report["created"], &report["encoding"]),
        (&json!(2), &json!("gbk"))
    );
    let pen = item(&app, &officer, "XJ01CEZ903B017010100483")
        .await
        .expect(200)
        .body;
    assert_eq!(pen["generic_name"], "测试注射用青霉素钠");
    assert_eq!(
        (&pen["strength"], &pen["strength_unit"]),
        (&json!("800000"), &json!("IU"))
    );
    assert_eq!(pen["min_unit"], "vial");
    // the same rows in UTF-8 with a byte-order mark: the same items, unchanged
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(chinese.as_bytes());
    let report = import(&app, &officer, bom).await;
    assert_eq!(
        (&report["unchanged"], &report["encoding"]),
        (&json!(2), &json!("utf-8-bom"))
    );
}

#[actix_web::test]
async fn updating_a_row_keeps_the_ceiling_history() {
    let app = TestApp::with_demo().await;
    let officer = app.login_demo("officer").await;
    import(&app, &officer, file(&good_rows())).await;
    // the stent's ceiling is cut from 2027; one more item field changes elsewhere
    let changed = good_rows()
        .replace("2850,2026-01-01", "1900,2027-01-01")
        .replace(",28,tablet,", ",30,tablet,");
    let report = import(&app, &officer, file(&changed)).await;
    assert_eq!(
        (
            &report["created"],
            &report["updated"],
            &report["unchanged"],
            &report["ceilings_added"]
        ),
        (&json!(0), &json!(2), &json!(1), &json!(1))
    );
    let stent = item(&app, &officer, "C02040199900001999990000001")
        .await
        .expect(200)
        .body;
    let history = stent["ceiling_history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["price"], "2850.0000");
    assert_eq!(history[0]["valid_from"], "2026-01-01");
    assert_eq!(history[0]["valid_to"], "2027-01-01");
    assert_eq!(history[1]["price"], "1900.0000");
    assert!(history[1]["valid_to"].is_null());
    // the ceiling valid at a date: the function a round uses at publication
    let mut conn = app.db.connect().await;
    let at = |day: &'static str| {
        diesel::sql_query(format!(
            "SELECT catalog_ceiling_at('C02040199900001999990000001', DATE '{day}')::text AS price"
        ))
    };
    #[derive(diesel::QueryableByName)]
    struct P {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        price: Option<String>,
    }
    use diesel_async::RunQueryDsl;
    let p: P = at("2026-06-30").get_result(&mut conn).await.unwrap();
    assert_eq!(p.price.as_deref(), Some("2850.0000"));
    let p: P = at("2027-01-01").get_result(&mut conn).await.unwrap();
    assert_eq!(p.price.as_deref(), Some("1900.0000"));
    let p: P = at("2025-12-31").get_result(&mut conn).await.unwrap();
    assert_eq!(p.price, None);
    // the history cannot be rewritten
    let refused = diesel::sql_query("UPDATE catalog_ceilings SET price = 1")
        .execute(&mut conn)
        .await;
    assert!(refused.is_err());
    // re-importing the changed file changes nothing more
    let report = import(&app, &officer, file(&changed)).await;
    assert_eq!(report["unchanged"], 3);
}

#[actix_web::test]
async fn search_by_chinese_name_code_prefix_filters_and_pages() {
    let app = TestApp::with_demo().await;
    let buyer = app.login_demo("buyer").await;
    // the demo catalog: statins by a Chinese substring
    let page = app
        .get(
            &format!("/api/v1/catalog/items?q={}&per_page=200", enc("他汀")),
            &buyer,
        )
        .await
        .expect(200)
        .body;
    let total = page["total"].as_i64().unwrap();
    assert!(total > 20, "{total}");
    for it in page["items"].as_array().unwrap() {
        assert!(it["generic_name"].as_str().unwrap().contains("他汀"));
        assert!(it["ceiling"]["price"].is_string(), "{it}");
    }
    // code prefix (ATC C10AA), any case; sorted by code
    let page = app
        .get("/api/v1/catalog/items?code=xc10aa&per_page=5", &buyer)
        .await
        .expect(200)
        .body;
    let codes: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 5);
    assert!(codes.iter().all(|c| c.starts_with("XC10AA")));
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
    // page 2 continues page 1
    let p2 = app
        .get(
            "/api/v1/catalog/items?code=XC10AA&per_page=5&page=2",
            &buyer,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(p2["page"], 2);
    assert_eq!(p2["total"], page["total"]);
    assert!(p2["items"][0]["code"].as_str().unwrap() > codes[4]);
    // kind, consistency, manufacturer, exact generic name
    let stents = app
        .get(
            &format!("/api/v1/catalog/items?kind=consumable&q={}", enc("支架")),
            &buyer,
        )
        .await
        .expect(200)
        .body;
    assert!(stents["total"].as_i64().unwrap() >= 10);
    assert!(
        stents["items"][0]["product_system"]
            .as_str()
            .unwrap()
            .contains("stent")
    );
    let originators = app
        .get(
            &format!(
                "/api/v1/catalog/items?consistency=originator&generic_name={}",
                enc("阿托伐他汀钙片")
            ),
            &buyer,
        )
        .await
        .expect(200)
        .body;
    assert!(originators["total"].as_i64().unwrap() > 0);
    for it in originators["items"].as_array().unwrap() {
        assert_eq!(it["consistency"], "originator");
        assert_eq!(it["generic_name"], "阿托伐他汀钙片");
    }
    let qilu = app
        .get("/api/v1/catalog/items?manufacturer=qilu&per_page=1", &buyer)
        .await
        .expect(200)
        .body;
    assert!(qilu["total"].as_i64().unwrap() > 0);
    assert!(qilu["items"][0]["manufacturer_org_id"].is_string());
    // nothing found is an empty page; bad terms are refused
    let none = app
        .get(
            &format!("/api/v1/catalog/items?q={}", enc("不存在的药品名称")),
            &buyer,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(none["total"], 0);
    app.get("/api/v1/catalog/items?code=X%25", &buyer)
        .await
        .expect_problem(422);
    app.get("/api/v1/catalog/items?kind=pill", &buyer)
        .await
        .expect_problem(400);
    app.get("/api/v1/catalog/items/XA01ABD075A002010100000", &buyer)
        .await
        .expect_problem(404);
}

#[actix_web::test]
async fn only_officers_and_admins_import_everyone_reads() {
    let app = TestApp::with_demo().await;
    for who in ["supplier", "buyer", "insurer", "auditor"] {
        let token = app.login_demo(who).await;
        app.post_bytes(IMPORTS, Some(&token), "text/csv", file(&good_rows()))
            .await
            .expect_problem(403);
        app.get("/api/v1/catalog/items?per_page=1", &token)
            .await
            .expect(200);
    }
    app.post_bytes(IMPORTS, None, "text/csv", file(&good_rows()))
        .await
        .expect_problem(401);
    app.request("GET", "/api/v1/catalog/items", None, None)
        .await
        .expect_problem(401);
    let officer = app.login_demo("officer").await;
    app.post_bytes(IMPORTS, Some(&officer), "application/json", "{}")
        .await
        .expect_problem(415);
    let res = app
        .post_bytes(IMPORTS, Some(&officer), "text/csv", "")
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["line"], 1);
    // nothing was imported by the refused calls
    item(&app, &officer, "XC10AAZ901A002010100483")
        .await
        .expect_problem(404);
}

#[actix_web::test]
async fn export_then_import_round_trips_as_unchanged() {
    let app = TestApp::with_demo().await;
    let officer = app.login_demo("officer").await;
    import(&app, &officer, file(&good_rows())).await;
    let supplier = app.login_demo("supplier").await;
    let (status, ct, csv) = app.get_text("/api/v1/catalog/export.csv", &supplier).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let total = app
        .get("/api/v1/catalog/items?per_page=1", &officer)
        .await
        .expect(200)
        .body["total"]
        .as_u64()
        .unwrap();
    assert!(total > 1000, "the demo catalog spans several export chunks");
    assert_eq!(csv.lines().count() as u64, total + 1);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .starts_with("kind,code,generic_name,")
    );
    let report = import(&app, &officer, csv).await;
    assert_eq!(report["rows"].as_u64().unwrap(), total);
    assert_eq!(report["unchanged"].as_u64().unwrap(), total, "{report}");
}

#[actix_web::test]
async fn vbp_import_catalog_reports_and_refuses_with_line_and_column() {
    let app = TestApp::with_demo().await;
    let dir = std::env::temp_dir().join(format!("vbp-catalog-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.csv");
    std::fs::write(&good, file(&good_rows())).unwrap();
    let out = Command::new(vbp_binary())
        .arg("import-catalog")
        .arg(&good)
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("3 rows, 3 created, 0 updated, 0 unchanged"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("read 3 rows"));

    let bad = dir.join("bad.csv");
    std::fs::write(&bad, file(&good_rows().replace(",10,mg,", ",10,furlong,"))).unwrap();
    let out = Command::new(vbp_binary())
        .arg("import-catalog")
        .arg(&bad)
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("bad.csv:3: column strength_unit: unknown unit \"furlong\""),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A supplier organisation created after its products were imported can bid them at once:
/// it is linked to its catalog items by manufacturer name (any case) when created, and
/// a rename moves the link as an import would.
#[actix_web::test]
async fn a_supplier_created_after_the_import_is_linked_to_its_products() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let code = "XC10AAZ903A002010100483";
    import(
        &app,
        &admin,
        file(&format!(
            "drug,{code},测试辛伐他汀片,tablet,20,mg,28,tablet,passed,\"Late Pharma Co., Ltd.\",0.5000,2026-01-01\n"
        )),
    )
    .await;
    let linked = |v: &Value| v["manufacturer_org_id"].clone();
    assert_eq!(
        linked(&item(&app, &admin, code).await.expect(200).body),
        Value::Null
    );
    let org = app
        .post(
            "/api/v1/orgs",
            &admin,
            json!({"name": "LATE PHARMA CO., LTD.", "kind": "supplier"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        linked(&item(&app, &admin, code).await.expect(200).body),
        org["id"]
    );
    let url = format!("/api/v1/orgs/{}", org["id"].as_str().unwrap());
    app.patch(&url, &admin, json!({"name": "Renamed Pharma Co."}))
        .await
        .expect(200);
    assert_eq!(
        linked(&item(&app, &admin, code).await.expect(200).body),
        Value::Null
    );
    app.patch(&url, &admin, json!({"name": "Late Pharma Co., Ltd."}))
        .await
        .expect(200);
    assert_eq!(
        linked(&item(&app, &admin, code).await.expect(200).body),
        org["id"]
    );
    // the creation's audit entry counts the items it linked
    let auditor = app.login_demo("auditor").await;
    let entries = app
        .get("/api/v1/audit?action=org.create", &auditor)
        .await
        .expect(200)
        .body;
    assert!(entries.to_string().contains("\"catalog_items_linked\":1"));
}
