//! Builders of the world a test starts from: a catalog, supplier organisations, and a
//! round taken to the state the test needs. Every step goes through the real HTTP API,
//! as a user would, and asserts its status; the one shortcut is time (a deadline is
//! moved to now in the database).
//!
//! ```ignore
//! CatalogBuilder::new(&app).drug(Drug::new(CODE, "测试他汀钙片", "Qilu").ceiling("0.85")).import().await;
//! let round = RoundBuilder::new(&app).threshold(2).lot(CODE)
//!     .demand("buyer@vbp.demo", [1_000_000]).published().await;
//! ```

use diesel_async::SimpleAsyncConnection;
use serde_json::{Value, json};

use crate::{DEMO_PASSWORD, Resp, TestApp};

/// The header of a catalog CSV file.
pub const CATALOG_HEADER: &str = "kind,code,generic_name,dosage_form,strength,strength_unit,pack_count,min_unit,consistency,manufacturer,ceiling_price,ceiling_valid_from\n";

/// One drug of the catalog. Unless told otherwise: a pack of 28 tablets of 20 mg that
/// passed the consistency evaluation, without a ceiling price.
#[derive(Clone, Debug)]
pub struct Drug {
    code: String,
    generic: String,
    manufacturer: String,
    form: String,
    min_unit: String,
    strength: String,
    unit: String,
    pack: u32,
    consistency: String,
    ceiling: Option<String>,
}

impl Drug {
    pub fn new(code: impl Into<String>, generic: &str, manufacturer: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            generic: generic.into(),
            manufacturer: manufacturer.into(),
            form: "tablet".into(),
            min_unit: "tablet".into(),
            strength: "20".into(),
            unit: "mg".into(),
            pack: 28,
            consistency: "passed".into(),
            ceiling: None,
        }
    }

    /// The dosage form and its smallest unit (`"capsule", "capsule"`).
    pub fn form(mut self, form: &str, min_unit: &str) -> Self {
        form.clone_into(&mut self.form);
        min_unit.clone_into(&mut self.min_unit);
        self
    }

    pub fn strength(mut self, strength: impl ToString, unit: &str) -> Self {
        self.strength = strength.to_string();
        unit.clone_into(&mut self.unit);
        self
    }

    pub fn pack(mut self, count: u32) -> Self {
        self.pack = count;
        self
    }

    pub fn consistency(mut self, consistency: &str) -> Self {
        consistency.clone_into(&mut self.consistency);
        self
    }

    /// A ceiling price per smallest unit, valid from 2020-01-01.
    pub fn ceiling(mut self, price: &str) -> Self {
        self.ceiling = Some(price.into());
        self
    }

    fn row(&self) -> String {
        let (ceiling, valid) = match &self.ceiling {
            Some(p) => (p.as_str(), "2020-01-01"),
            None => ("", ""),
        };
        format!(
            "drug,{},{},{},{},{},{},{},{},\"{}\",{ceiling},{valid}\n",
            self.code,
            self.generic,
            self.form,
            self.strength,
            self.unit,
            self.pack,
            self.min_unit,
            self.consistency,
            self.manufacturer
        )
    }
}

/// Catalog rows, imported as one CSV file through `POST /api/v1/catalog/imports`.
pub struct CatalogBuilder<'a> {
    app: &'a TestApp,
    drugs: Vec<Drug>,
}

impl<'a> CatalogBuilder<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            drugs: Vec::new(),
        }
    }

    pub fn drug(mut self, drug: Drug) -> Self {
        self.drugs.push(drug);
        self
    }

    pub fn drugs(mut self, drugs: impl IntoIterator<Item = Drug>) -> Self {
        self.drugs.extend(drugs);
        self
    }

    /// The file the import sends.
    pub fn csv(&self) -> String {
        let mut csv = CATALOG_HEADER.to_owned();
        for d in &self.drugs {
            csv.push_str(&d.row());
        }
        csv
    }

    /// Imports the file as the demo officer; returns the import report.
    pub async fn import(self) -> Value {
        let officer = self.app.login_demo("officer").await;
        self.app
            .post_bytes(
                "/api/v1/catalog/imports",
                Some(&officer),
                "text/csv",
                self.csv(),
            )
            .await
            .expect(200)
            .body
    }
}

/// A supplier organisation of a test's own, with one signed-in user.
#[derive(Clone)]
pub struct Supplier {
    pub name: String,
    pub org: String,
    pub email: String,
    pub token: String,
}

/// The name of test supplier `n`.
pub fn supplier_name(n: usize) -> String {
    format!("E2E Pharma {n:02} Co., Ltd.")
}

/// Creates `n` supplier organisations (E2E Pharma 01..n, users tender01@e2e-pharma.test
/// ...) as the demo admin, and signs their users in; `suppliers[i]` is number `i + 1`.
pub async fn new_suppliers(app: &TestApp, n: usize) -> Vec<Supplier> {
    let admin = app.login_demo("admin").await;
    let mut out = Vec::new();
    for i in 1..=n {
        let name = supplier_name(i);
        let org = app
            .post(
                "/api/v1/orgs",
                &admin,
                json!({"name": name, "kind": "supplier"}),
            )
            .await
            .expect(201)
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let email = format!("tender{i:02}@e2e-pharma.test");
        app.post(
            "/api/v1/users",
            &admin,
            json!({"email": email, "display_name": format!("{name} tender desk"),
                   "role": "supplier", "org_id": org, "password": DEMO_PASSWORD}),
        )
        .await
        .expect(201);
        let token = app.login(&email, DEMO_PASSWORD).await;
        out.push(Supplier {
            name,
            org,
            email,
            token,
        });
    }
    out
}

/// How a round's opening key is held.
#[derive(Clone, Copy, Debug)]
pub enum Key {
    /// Under the platform's master key: any officer opens it alone.
    Master,
    /// Split among the demo officers `officer`, `officer2`, `officer3`; this many open it.
    Threshold(i16),
}

/// The demo officers who hold a threshold round's shares, in order.
pub const CUSTODIANS: [&str; 3] = ["officer", "officer2", "officer3"];

struct PlannedBid {
    token: String,
    lot: usize,
    body: Value,
}

/// A drug round, built by the demo officer: batch 7 rules, master key, bidding closing
/// in two hours, evaluated with supply starting 2030-01-01, unless told otherwise.
/// Needs the demo (`TestApp::with_demo`) and, for its lots, a catalog.
pub struct RoundBuilder<'a> {
    app: &'a TestApp,
    name: String,
    preset: String,
    key: Key,
    min_bidders: Option<u32>,
    lots: Vec<Value>,
    demand: Vec<(String, Vec<i64>)>,
    bids: Vec<PlannedBid>,
    cycle_start: String,
}

impl<'a> RoundBuilder<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            name: "测试轮次".into(),
            preset: "batch7".into(),
            key: Key::Master,
            min_bidders: None,
            lots: Vec::new(),
            demand: Vec::new(),
            bids: Vec::new(),
            cycle_start: "2030-01-01".into(),
        }
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The rules preset (`batch7`, `batch10`...).
    pub fn preset(mut self, preset: &str) -> Self {
        preset.clone_into(&mut self.preset);
        self
    }

    pub fn key(mut self, key: Key) -> Self {
        self.key = key;
        self
    }

    /// `k` of the three demo officers open it.
    pub fn threshold(self, k: i16) -> Self {
        self.key(Key::Threshold(k))
    }

    pub fn min_bidders(mut self, n: u32) -> Self {
        self.min_bidders = Some(n);
        self
    }

    /// A lot represented by this catalog product.
    pub fn lot(self, representative: &str) -> Self {
        self.lot_with(json!({"representative_code": representative}))
    }

    /// A lot with this request body (`previous_price`, `special_antibacterial`...).
    pub fn lot_with(mut self, body: Value) -> Self {
        self.lots.push(body);
        self
    }

    /// The annual demand of the buyer signing in as `buyer` (a demo email): one quantity
    /// per lot, in the order of the lots.
    pub fn demand(mut self, buyer: &str, quantities: impl IntoIterator<Item = i64>) -> Self {
        self.demand
            .push((buyer.to_owned(), quantities.into_iter().collect()));
        self
    }

    /// A bid on lot `lot` (its index), submitted after the publication.
    pub fn bid(
        mut self,
        token: &str,
        lot: usize,
        product: &str,
        price: &str,
        capacity: u64,
        preferences: &[&str],
    ) -> Self {
        self.bids.push(PlannedBid {
            token: token.to_owned(),
            lot,
            body: json!({"product_code": product, "unit_price": price,
                         "annual_capacity": capacity, "province_preferences": preferences}),
        });
        self
    }

    /// The first day of supply the evaluation is asked for.
    pub fn cycle_start(mut self, date: &str) -> Self {
        date.clone_into(&mut self.cycle_start);
        self
    }

    /// Created, with its lots: status `draft`.
    pub async fn draft(self) -> Round {
        let app = self.app;
        let officer = app.login_demo("officer").await;
        let deadline = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
        let mut body = json!({"name": self.name, "kind": "drug", "preset": self.preset,
                              "bidding_deadline": deadline});
        match self.key {
            Key::Master => {
                body["key_mode"] = json!("master");
                body["quorum"] = json!(1);
            }
            Key::Threshold(k) => {
                let mut custodians = Vec::new();
                for who in CUSTODIANS {
                    let t = app.login_demo(who).await;
                    custodians.push(app.me(&t).await["id"].clone());
                }
                body["key_mode"] = json!("threshold");
                body["quorum"] = json!(k);
                body["custodians"] = json!(custodians);
            }
        }
        if let Some(n) = self.min_bidders {
            body["min_bidders"] = json!(n);
        }
        let created = app
            .post("/api/v1/rounds", &officer, body)
            .await
            .expect(201)
            .body;
        assert_eq!(created["status"], "draft");
        let id = created["id"].as_str().unwrap().to_owned();
        let mut lots = Vec::new();
        let mut lot_details = Vec::new();
        for lot in &self.lots {
            let res = app
                .post(&format!("/api/v1/rounds/{id}/lots"), &officer, lot.clone())
                .await
                .expect(201)
                .body;
            lots.push(res["id"].as_str().unwrap().to_owned());
            lot_details.push(res);
        }
        Round {
            id,
            lots,
            lot_details,
            officer,
            key: self.key,
            cycle_start: self.cycle_start,
            receipts: Vec::new(),
            opening: Value::Null,
            evaluation: Value::Null,
            award: Value::Null,
            planned_demand: self.demand,
            planned_bids: self.bids,
        }
    }

    /// Demand collected from the buyers: status `demand_collection`.
    pub async fn collecting(self) -> Round {
        let app = self.app;
        let mut round = self.draft().await;
        round.collect_demand(app).await;
        round
    }

    /// Published: status `bidding_open`, the opening key's public half announced.
    pub async fn published(self) -> Round {
        let app = self.app;
        let mut round = self.collecting().await;
        round.publish(app).await;
        round
    }

    /// The planned bids submitted, then the deadline passed and the register frozen:
    /// status `closed`.
    pub async fn closed(self) -> Round {
        let app = self.app;
        let mut round = self.published().await;
        round.submit_bids(app).await;
        round.close(app).await;
        round
    }

    /// Closed, then opened by the officer (master key) or the first `k` custodians
    /// presenting their shares: status `opened`.
    pub async fn opened(self) -> Round {
        let app = self.app;
        let mut round = self.closed().await;
        round.open(app).await;
        round
    }

    /// Opened, then evaluated from its cycle start: status `evaluated`.
    pub async fn evaluated(self) -> Round {
        let app = self.app;
        let mut round = self.opened().await;
        round.evaluate(app).await;
        round
    }

    /// Evaluated, then awarded on that evaluation: status `awarded`, contracts made.
    pub async fn awarded(self) -> Round {
        let app = self.app;
        let mut round = self.evaluated().await;
        round.award(app).await;
        round
    }
}

/// A round a [`RoundBuilder`] made; its steps take it further, one state at a time.
pub struct Round {
    pub id: String,
    /// Lot ids, in the order they were added.
    pub lots: Vec<String>,
    /// The lots as their creation answered.
    pub lot_details: Vec<Value>,
    /// The token of the demo officer who created it.
    pub officer: String,
    pub key: Key,
    pub cycle_start: String,
    /// The receipts of the bids the builder submitted, in order.
    pub receipts: Vec<Value>,
    /// The answer of the call that opened it.
    pub opening: Value,
    /// The answer of the evaluation (`digest`, `evaluation`).
    pub evaluation: Value,
    /// The answer of the award.
    pub award: Value,
    planned_demand: Vec<(String, Vec<i64>)>,
    planned_bids: Vec<PlannedBid>,
}

impl Round {
    /// `/api/v1/rounds/{id}` followed by `tail` (`"/bids"`...).
    pub fn path(&self, tail: &str) -> String {
        format!("/api/v1/rounds/{}{tail}", self.id)
    }

    async fn call(&self, app: &TestApp, method: &str, tail: &str, body: Option<Value>) -> Resp {
        app.request(method, &self.path(tail), Some(&self.officer), body)
            .await
    }

    /// Starts the demand collection and records the planned demand.
    pub async fn collect_demand(&mut self, app: &TestApp) {
        self.call(app, "POST", "/demand-collection", None)
            .await
            .expect(200);
        for (buyer, quantities) in std::mem::take(&mut self.planned_demand) {
            let token = app.login(&buyer, DEMO_PASSWORD).await;
            let lines: Vec<Value> = self
                .lots
                .iter()
                .zip(quantities)
                .map(|(lot, q)| json!({"lot_id": lot, "annual_quantity": q}))
                .collect();
            app.request(
                "PUT",
                &self.path("/demand"),
                Some(&token),
                Some(json!({ "lines": lines })),
            )
            .await
            .expect(200);
        }
    }

    pub async fn publish(&mut self, app: &TestApp) {
        let published = self.call(app, "POST", "/publish", None).await.expect(200);
        assert_eq!(published.body["status"], "bidding_open");
        assert_eq!(published.body["public_key"].as_str().unwrap().len(), 64);
    }

    /// Submits a bid: `body` without its `lot_id`, taken from lot index `lot`.
    pub async fn bid(&self, app: &TestApp, token: &str, lot: usize, mut body: Value) -> Resp {
        body["lot_id"] = json!(self.lots[lot]);
        app.post(&self.path("/bids"), token, body).await
    }

    /// Submits the bids planned by the builder, each accepted.
    pub async fn submit_bids(&mut self, app: &TestApp) {
        for b in std::mem::take(&mut self.planned_bids) {
            let receipt = self.bid(app, &b.token, b.lot, b.body).await.expect(201);
            self.receipts.push(receipt.body);
        }
    }

    /// Time passes: the bidding deadline is now.
    pub async fn pass_deadline(&self, app: &TestApp) {
        let mut conn = app.db.connect().await;
        conn.batch_execute(&format!(
            "UPDATE rounds SET bidding_deadline = clock_timestamp() WHERE id = '{}'",
            self.id
        ))
        .await
        .unwrap();
    }

    /// Passes the deadline and reads the register, which freezes it: status `closed`.
    pub async fn close(&mut self, app: &TestApp) {
        self.pass_deadline(app).await;
        self.call(app, "GET", "/register", None).await.expect(200);
    }

    /// The share of a custodian (a demo local part), fetched as the custodian.
    pub async fn share(&self, app: &TestApp, who: &str) -> String {
        let token = app.login_demo(who).await;
        let res = app
            .get(&self.path("/key-shares/mine"), &token)
            .await
            .expect(200);
        res.body["share"].as_str().unwrap().to_owned()
    }

    /// Opens the bids: as the officer (master key) or with the first `k` custodians'
    /// shares.
    pub async fn open(&mut self, app: &TestApp) {
        let opened = match self.key {
            Key::Master => self.call(app, "POST", "/open", Some(json!({}))).await,
            Key::Threshold(k) => {
                let mut last = None;
                for who in &CUSTODIANS[..usize::try_from(k).unwrap()] {
                    let share = self.share(app, who).await;
                    let token = app.login_demo(who).await;
                    last = Some(
                        app.post(&self.path("/open"), &token, json!({ "share": share }))
                            .await,
                    );
                }
                last.unwrap()
            }
        };
        let opened = opened.expect(200).body;
        assert_eq!(opened["status"], "opened", "{opened}");
        self.opening = opened;
    }

    /// Evaluates from the cycle start; the answer is kept in `evaluation`.
    pub async fn evaluate(&mut self, app: &TestApp) {
        let body = json!({ "cycle_start": self.cycle_start });
        self.evaluation = self
            .call(app, "POST", "/evaluate", Some(body))
            .await
            .expect(200)
            .body;
    }

    /// Awards on the evaluation kept: status `awarded`.
    pub async fn award(&mut self, app: &TestApp) {
        let body = json!({ "evaluation_digest": self.evaluation["digest"] });
        self.award = self
            .call(app, "POST", "/award", Some(body))
            .await
            .expect(200)
            .body;
        assert_eq!(self.award["status"], "awarded");
    }
}
