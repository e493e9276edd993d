//! `vbp-load`: the load benchmark of sealed-bid submission at a deadline (issue #6).
//!
//! ```text
//! vbp-load setup   drop and recreate the database, `vbp migrate`, `vbp demo`, then add
//!                  N supplier organisations (one user each) and a catalog with one
//!                  eligible product per supplier and generic, with ceilings
//! vbp-load run     (against a running `vbp serve`) mint one session + token per supplier,
//!                  then for each concurrency level: a round with L lots, published by an
//!                  officer through the API, and, in the last minute before its deadline,
//!                  N x L bids through POST /api/v1/rounds/{id}/bids; after the deadline the
//!                  frozen register is fetched and every 201 receipt is looked up in it
//! ```
//!
//! Run by bench/bids_load.sh, which builds, starts the server and runs pgbench as well.
//! Only 127.0.0.1 is ever contacted; the request count is bounded (N x L per level), no
//! bid is sent after the deadline, and every request times out after 30 s.

use std::{
    cell::RefCell,
    collections::{BTreeMap, HashMap},
    error::Error,
    io::Write,
    path::PathBuf,
    process::Command,
    rc::Rc,
    time::{Duration, Instant},
};

use api::platform::auth::{Claims, ISSUER, Role, TokenKeys};
use chrono::Utc;
use diesel::{QueryableByName, sql_types};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::{Value, json};
use uuid::Uuid;

type BoxError = Box<dyn Error>;

/// Supplier organisation and user ids are fixed, so pgbench can address them.
fn org_id(i: usize) -> Uuid {
    Uuid::parse_str(&format!("00000000-0000-7000-8000-{i:012}")).expect("a valid uuid")
}
fn user_id(i: usize) -> Uuid {
    Uuid::parse_str(&format!("00000000-0000-7000-9000-{i:012}")).expect("a valid uuid")
}
/// Supplier `i`'s product in lot `j` (1-based): odd suppliers a 10 mg tablet (own ceiling
/// 0.5000), even ones the 20 mg of the representative (0.8500).
fn product_code(i: usize, j: usize) -> String {
    let strength = if i % 2 == 1 { "01" } else { "02" };
    format!("XC10AAL{j:03}A001{strength}01{i:05}")
}
fn representative_code(j: usize) -> String {
    format!("XC10AAL{j:03}A001020100000")
}
/// A price below the product's ceiling, different per supplier and lot.
fn unit_price(i: usize, j: usize) -> String {
    let spread = (i * 7 + j * 13) % 1999;
    let base = if i % 2 == 1 { 3000 } else { 5000 };
    let p = base + spread;
    format!("{}.{:04}", p / 10000, p % 10000)
}

struct Opts {
    vbp: PathBuf,
    base: String,
    db_url: String,
    suppliers: usize,
    lots: usize,
    concurrency: Vec<usize>,
    /// Open-loop levels: bids sent at this many a second, whatever the answers.
    rates: Vec<u32>,
    /// Most requests in flight in an open-loop level (one connection each).
    max_in_flight: usize,
    /// Seconds from round creation to its deadline.
    deadline_in: u64,
    /// Seconds before the deadline at which the suppliers start.
    lead: u64,
    password: String,
    out: Option<PathBuf>,
    /// The server under test, for its CPU time per bid.
    /// (Several, comma-separated, for a cluster: their CPU time is summed.)
    server_pid: Vec<u32>,
    /// Resend a bid whose answer was lost (no response, 502, 503, 504) up to this many
    /// times, with the same Idempotency-Key; with retries, a register entry without a
    /// receipt fails the run (the crash drill).
    retries: u32,
}

fn usage() -> ! {
    eprintln!(
        "usage: vbp-load setup|run [--vbp target/release/vbp] [--base http://127.0.0.1:8080] \
         [--database-url postgres://postgres@127.0.0.1:5432/vbp_load] [--suppliers 2000] [--lots 10] \
         [--concurrency 64,128,256] [--rate 2000] [--max-in-flight 1000] [--deadline-in 75] [--lead 60] [--password P] [--out results.jsonl] \
         [--server-pid PID[,PID...]] [--retries 0]"
    );
    std::process::exit(2)
}

/// A comma-separated list of numbers; empty for none.
fn numbers<T: std::str::FromStr>(list: &str) -> Result<Vec<T>, T::Err> {
    list.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::parse)
        .collect()
}

fn parse() -> Result<(String, Opts), BoxError> {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_else(|| usage());
    let mut o = Opts {
        vbp: "target/release/vbp".into(),
        base: "http://127.0.0.1:8080".into(),
        db_url: "postgres://postgres@127.0.0.1:5432/vbp_load".into(),
        suppliers: 2000,
        lots: 10,
        concurrency: vec![128],
        rates: Vec::new(),
        max_in_flight: 1000,
        deadline_in: 75,
        lead: 60,
        password: "load-bench-password-1".into(),
        out: None,
        server_pid: Vec::new(),
        retries: 0,
    };
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--vbp" => o.vbp = value.into(),
            "--base" => o.base = value.trim_end_matches('/').to_owned(),
            "--database-url" => o.db_url = value,
            "--suppliers" => o.suppliers = value.parse()?,
            "--lots" => o.lots = value.parse()?,
            "--concurrency" => o.concurrency = numbers(&value)?,
            "--rate" => o.rates = numbers(&value)?,
            "--max-in-flight" => o.max_in_flight = value.parse()?,
            "--deadline-in" => o.deadline_in = value.parse()?,
            "--lead" => o.lead = value.parse()?,
            "--password" => o.password = value,
            "--out" => o.out = Some(value.into()),
            "--server-pid" => o.server_pid = numbers(&value)?,
            "--retries" => o.retries = value.parse()?,
            _ => usage(),
        }
    }
    // loopback only
    if !o.base.starts_with("http://127.0.0.1:") {
        return Err("--base must be http://127.0.0.1:<port>".into());
    }
    let host_ok = ["@127.0.0.1:", "@127.0.0.1/", "@localhost:", "@localhost/"]
        .iter()
        .any(|h| o.db_url.contains(h));
    if !host_ok {
        return Err("--database-url must point at 127.0.0.1".into());
    }
    if !(1..=99_999).contains(&o.suppliers) || !(1..=999).contains(&o.lots) {
        return Err("--suppliers must be 1..99999 and --lots 1..999".into());
    }
    if o.concurrency.iter().any(|&c| c == 0 || c > 1024) {
        return Err("--concurrency must be 1..1024".into());
    }
    if o.rates.iter().any(|&r| r == 0 || r > 100_000) || !(1..=4096).contains(&o.max_in_flight) {
        return Err("--rate must be 1..100000 bids a second and --max-in-flight 1..4096".into());
    }
    if o.lead + 5 > o.deadline_in {
        return Err("--deadline-in must exceed --lead by at least 5 s".into());
    }
    Ok((cmd, o))
}

/// (URL of the `postgres` maintenance database, database name).
fn split_db_url(url: &str) -> Result<(String, String), BoxError> {
    let slash = url
        .rfind('/')
        .ok_or("database URL without a database name")?;
    let name = &url[slash + 1..];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("unexpected database name {name:?}").into());
    }
    Ok((format!("{}/postgres", &url[..slash]), name.to_owned()))
}

fn vbp(o: &Opts, args: &[&str]) -> Result<(), BoxError> {
    let status = Command::new(&o.vbp)
        .args(args)
        .env("DATABASE_URL", &o.db_url)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("vbp {args:?} failed: {status}").into());
    }
    Ok(())
}

async fn setup(o: &Opts) -> Result<(), BoxError> {
    let (admin_url, name) = split_db_url(&o.db_url)?;
    let started = Instant::now();
    let mut admin = AsyncPgConnection::establish(&admin_url).await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    drop(admin);
    vbp(o, &["migrate"])?;
    vbp(o, &["demo", "--password", &o.password])?;
    let mut conn = AsyncPgConnection::establish(&o.db_url).await?;
    let (n, lots) = (o.suppliers, o.lots);
    conn.batch_execute(&format!(
        r"BEGIN;
INSERT INTO organisations (id, name, kind)
SELECT ('00000000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid,
       'Load Test Pharmaceutical ' || lpad(i::text, 5, '0') || ' Co., Ltd.', 'supplier'
  FROM generate_series(1, {n}) i;
INSERT INTO users (id, email, display_name, password_hash, role, org_id)
SELECT ('00000000-0000-7000-9000-' || lpad(i::text, 12, '0'))::uuid,
       'bidder' || i || '@supplier' || lpad(i::text, 5, '0') || '.load.test',
       '投标专员 ' || i,
       (SELECT password_hash FROM users WHERE email = 'supplier@vbp.demo'),
       'supplier',
       ('00000000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid
  FROM generate_series(1, {n}) i;
INSERT INTO catalog_items (code, kind, generic_name, dosage_form, strength, strength_unit,
                           pack_count, min_unit, consistency, manufacturer)
SELECT 'XC10AAL' || lpad(j::text, 3, '0') || 'A001020100000', 'drug', '负载测试' || j || '号片',
       'tablet', 20, 'mg', 28, 'tablet', 'originator', 'Load Test Reference Holder Ltd.'
  FROM generate_series(1, {lots}) j;
INSERT INTO catalog_items (code, kind, generic_name, dosage_form, strength, strength_unit,
                           pack_count, min_unit, consistency, manufacturer, manufacturer_org_id)
SELECT 'XC10AAL' || lpad(j::text, 3, '0') || 'A001' || CASE WHEN i % 2 = 1 THEN '01' ELSE '02' END
           || '01' || lpad(i::text, 5, '0'),
       'drug', '负载测试' || j || '号片', 'tablet', CASE WHEN i % 2 = 1 THEN 10 ELSE 20 END, 'mg',
       28, 'tablet', 'passed', o.name, o.id
  FROM generate_series(1, {n}) i
  CROSS JOIN generate_series(1, {lots}) j
  JOIN organisations o ON o.id = ('00000000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid;
INSERT INTO catalog_ceilings (item_code, price, valid_from)
SELECT code, CASE WHEN strength = 10 THEN 0.5000 ELSE 0.8500 END, DATE '2020-01-01'
  FROM catalog_items WHERE code LIKE 'XC10AAL%';
COMMIT;
ANALYZE;"
    ))
    .await?;
    println!(
        "setup: database {name}: demo, {n} suppliers (one user each), {lots} generics x {n} products with ceilings, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = sql_types::Uuid)]
    id: Uuid,
}

fn jwt_secret() -> Result<Vec<u8>, BoxError> {
    if let Ok(s) = std::env::var("VBP_JWT_SECRET")
        && !s.trim().is_empty()
    {
        return Ok(s.into_bytes());
    }
    let path = std::env::var("VBP_JWT_SECRET_FILE")
        .map_err(|_| "VBP_JWT_SECRET or VBP_JWT_SECRET_FILE (the server's) must be set")?;
    Ok(std::fs::read(path)?.trim_ascii().to_vec())
}

/// One session row and one signed token per supplier user, as a login would make them.
async fn mint_tokens(conn: &mut AsyncPgConnection, n: usize) -> Result<Vec<String>, BoxError> {
    let keys = TokenKeys::new(&jwt_secret()?);
    let now = Utc::now();
    let exp = now + chrono::Duration::hours(8);
    let mut tokens = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    for i in 1..=n {
        let jti = Uuid::now_v7();
        values.push(format!(
            "('{jti}', '{}', '{}', '127.0.0.1')",
            user_id(i),
            exp.to_rfc3339()
        ));
        tokens.push(keys.sign(&Claims {
            sub: user_id(i),
            role: Role::Supplier,
            org: org_id(i),
            province: None,
            iat: now.timestamp(),
            exp: exp.timestamp(),
            jti,
            iss: ISSUER.into(),
        })?);
    }
    for chunk in values.chunks(1000) {
        conn.batch_execute(&format!(
            "INSERT INTO sessions (jti, user_id, expires_at, client_ip) VALUES {}",
            chunk.join(",")
        ))
        .await?;
    }
    Ok(tokens)
}

struct Resp {
    status: u16,
    body: Value,
}

async fn call(
    client: &awc::Client,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<Resp, BoxError> {
    let mut req = match method {
        "GET" => client.get(url),
        _ => client.post(url),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let mut res = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    }
    .map_err(|e| format!("{method} {url}: {e}"))?;
    let bytes = res.body().limit(256 << 20).await?;
    Ok(Resp {
        status: res.status().as_u16(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    })
}

fn expect(r: Resp, status: u16, what: &str) -> Result<Value, BoxError> {
    if r.status != status {
        return Err(format!("{what}: expected {status}, got {}: {}", r.status, r.body).into());
    }
    Ok(r.body)
}

/// A published round with `lots` lots; returns (round id, lot ids, deadline).
async fn publish_round(
    o: &Opts,
    client: &awc::Client,
    officer: &str,
    custodians: &[Uuid],
    label: &str,
) -> Result<(Uuid, Vec<Uuid>, chrono::DateTime<Utc>), BoxError> {
    let deadline = Utc::now() + chrono::Duration::seconds(o.deadline_in as i64);
    let round = expect(
        call(
            client,
            "POST",
            &format!("{}/api/v1/rounds", o.base),
            Some(officer),
            Some(json!({
                "name": format!("负载测试 {label}"), "kind": "drug", "preset": "batch7",
                "bidding_deadline": deadline.to_rfc3339(), "key_mode": "threshold",
                "quorum": 2, "custodians": custodians,
            })),
        )
        .await?,
        201,
        "create round",
    )?;
    let round_id: Uuid = serde_json::from_value(round["id"].clone())?;
    let mut lots = Vec::with_capacity(o.lots);
    for j in 1..=o.lots {
        let lot = expect(
            call(
                client,
                "POST",
                &format!("{}/api/v1/rounds/{round_id}/lots", o.base),
                Some(officer),
                Some(json!({ "representative_code": representative_code(j) })),
            )
            .await?,
            201,
            "add lot",
        )?;
        lots.push(serde_json::from_value(lot["id"].clone())?);
    }
    for step in ["demand-collection", "publish"] {
        expect(
            call(
                client,
                "POST",
                &format!("{}/api/v1/rounds/{round_id}/{step}", o.base),
                Some(officer),
                None,
            )
            .await?,
            200,
            step,
        )?;
    }
    Ok((round_id, lots, deadline))
}

struct Outcome {
    status: u16,
    latency: Duration,
}

#[derive(Default)]
struct Shared {
    next: usize,
    first_start: Option<Instant>,
    last_end: Option<Instant>,
    outcomes: Vec<Outcome>,
    /// bid id -> commitment, from every 201 receipt
    receipts: HashMap<Uuid, String>,
    /// status -> (count, first message)
    errors: BTreeMap<u16, (usize, String)>,
    malformed_receipts: usize,
    /// Requests resent after a lost answer (`--retries`).
    retried: usize,
}

/// The order in which bids arrive: every (supplier, lot) once, shuffled (xorshift, fixed seed).
fn schedule(n: usize, lots: usize) -> Vec<(usize, usize)> {
    let mut v: Vec<(usize, usize)> = (1..=n)
        .flat_map(|i| (1..=lots).map(move |j| (i, j)))
        .collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for k in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(k, (x % (k as u64 + 1)) as usize);
    }
    v
}

/// CPU seconds (user + system) a process has used, from /proc/PID/stat.
fn cpu_seconds(stat: &str) -> Option<f64> {
    // the command name, in parentheses, may hold spaces: the fields follow the last ')'
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, in clock ticks (100 a second)
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// CPU seconds used so far by every `postgres` process, by the server under test and by
/// this load generator (Linux only; zeros elsewhere).
fn cpu_now(server_pid: &[u32]) -> [f64; 3] {
    let read = |path: std::path::PathBuf| std::fs::read_to_string(path).ok();
    let mut postgres = 0.0;
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            if let Some(stat) = read(entry.path().join("stat"))
                && stat.contains("(postgres)")
            {
                postgres += cpu_seconds(&stat).unwrap_or(0.0);
            }
        }
    }
    let server = server_pid
        .iter()
        .filter_map(|pid| read(format!("/proc/{pid}/stat").into()))
        .filter_map(|s| cpu_seconds(&s))
        .sum();
    let this = read("/proc/self/stat".into())
        .and_then(|s| cpu_seconds(&s))
        .unwrap_or(0.0);
    [postgres, server, this]
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// How a level sends its bids.
#[derive(Clone, Copy)]
enum Mode {
    /// Closed loop: this many requests in flight, each sent when one is answered.
    InFlight(usize),
    /// Open loop: this many bids a second on a fixed schedule, whatever the answers (up to
    /// `--max-in-flight` at once); latency counts from the scheduled time, so a stalled
    /// server cannot hide behind a client that waits for it.
    Rate(u32),
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mode::InFlight(n) => write!(f, "{n} in flight"),
            Mode::Rate(r) => write!(f, "{r} bids/s offered"),
        }
    }
}

/// What one level's requests need.
struct Level {
    client: awc::Client,
    retries: u32,
    url: String,
    tokens: Rc<Vec<String>>,
    lots: Vec<Uuid>,
    shared: RefCell<Shared>,
}

impl Level {
    /// Sends supplier `i`'s bid on lot `j` and records the answer; `since` is when it was
    /// due (latency counts from then).
    async fn bid(&self, (i, j): (usize, usize), since: Instant) {
        let body = json!({
            "lot_id": self.lots[j - 1], "product_code": product_code(i, j),
            "unit_price": unit_price(i, j), "annual_capacity": 1_000_000 + i * 10 + j,
            "province_preferences": ["110000", "310000", "440000"],
        });
        let started = Instant::now();
        let key = Uuid::new_v4().to_string();
        let mut attempt = 0;
        let (status, bytes) = loop {
            let sent = self
                .client
                .post(self.url.as_str())
                .bearer_auth(&self.tokens[i - 1])
                .insert_header(("idempotency-key", key.as_str()))
                .send_json(&body)
                .await;
            let (status, bytes) = match sent {
                Ok(mut res) => {
                    let status = res.status().as_u16();
                    match res.body().limit(1 << 20).await {
                        Ok(b) => (status, b.to_vec()),
                        Err(_) => (0, Vec::new()),
                    }
                }
                Err(e) => (0, e.to_string().into_bytes()),
            };
            if attempt >= self.retries || !matches!(status, 0 | 502 | 503 | 504) {
                break (status, bytes);
            }
            attempt += 1;
            self.shared.borrow_mut().retried += 1;
            actix_web::rt::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
        };
        // a retried bid that had gone through the first time is answered 200 with the
        // first receipt
        let status = if status == 200 { 201 } else { status };
        let ended = Instant::now();
        let mut s = self.shared.borrow_mut();
        s.first_start = Some(s.first_start.map_or(started, |f| f.min(started)));
        s.last_end = Some(s.last_end.map_or(ended, |l| l.max(ended)));
        s.outcomes.push(Outcome {
            status,
            latency: ended - since.min(started),
        });
        if status == 201 {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            match (
                v["bid_id"].as_str().and_then(|b| Uuid::parse_str(b).ok()),
                v["commitment"].as_str(),
            ) {
                (Some(id), Some(c)) => {
                    s.receipts.insert(id, c.to_owned());
                }
                _ => s.malformed_receipts += 1,
            }
        } else {
            let e = s.errors.entry(status).or_insert((0, String::new()));
            e.0 += 1;
            if e.1.is_empty() {
                e.1 = String::from_utf8_lossy(&bytes).chars().take(300).collect();
            }
        }
    }
}

async fn load_level(
    o: &Opts,
    client: &awc::Client,
    officer: &str,
    custodians: &[Uuid],
    tokens: &Rc<Vec<String>>,
    mode: Mode,
) -> Result<Value, BoxError> {
    let label = format!("{mode} {}", Uuid::now_v7());
    let (round_id, lots, deadline) = publish_round(o, client, officer, custodians, &label).await?;
    let until = |t: chrono::DateTime<Utc>| (t - Utc::now()).to_std().unwrap_or_default();
    let start_at = deadline - chrono::Duration::seconds(o.lead as i64);
    println!(
        "\nround {round_id} published ({} lots), deadline {}; starting {:.1} s before it, {mode}",
        o.lots,
        deadline.format("%H:%M:%S%.3f"),
        (deadline - start_at).num_milliseconds() as f64 / 1000.0
    );
    actix_web::rt::time::sleep(until(start_at)).await;
    let cpu_before = cpu_now(&o.server_pid);
    let stop = Instant::now() + until(deadline);
    let jobs = schedule(o.suppliers, o.lots);
    let level = Rc::new(Level {
        client: client.clone(),
        retries: o.retries,
        url: format!("{}/api/v1/rounds/{round_id}/bids", o.base),
        tokens: tokens.clone(),
        lots,
        shared: RefCell::new(Shared::default()),
    });
    match mode {
        Mode::InFlight(concurrency) => {
            let jobs = Rc::new(jobs);
            let mut workers = Vec::new();
            for _ in 0..concurrency {
                let (level, jobs) = (level.clone(), jobs.clone());
                workers.push(actix_web::rt::spawn(async move {
                    loop {
                        let job = {
                            let mut s = level.shared.borrow_mut();
                            if s.next >= jobs.len() || Instant::now() >= stop {
                                break;
                            }
                            s.next += 1;
                            jobs[s.next - 1]
                        };
                        level.bid(job, Instant::now()).await;
                    }
                }));
            }
            for w in workers {
                w.await?;
            }
        }
        Mode::Rate(rate) => {
            let began = Instant::now();
            let in_flight = std::sync::Arc::new(tokio::sync::Semaphore::new(o.max_in_flight));
            let mut tasks = Vec::with_capacity(jobs.len());
            for (k, job) in jobs.into_iter().enumerate() {
                let due = began + Duration::from_secs_f64(k as f64 / f64::from(rate));
                if due >= stop {
                    break;
                }
                actix_web::rt::time::sleep_until(due.into()).await;
                let permit = in_flight.clone().acquire_owned().await?;
                level.shared.borrow_mut().next += 1;
                let level = level.clone();
                tasks.push(actix_web::rt::spawn(async move {
                    level.bid(job, due).await;
                    drop(permit);
                }));
            }
            for t in tasks {
                t.await?;
            }
        }
    }
    let cpu_after = cpu_now(&o.server_pid);
    let s = Rc::try_unwrap(level)
        .map_err(|_| "workers still running")?
        .shared
        .into_inner();
    let finished_before_deadline = Utc::now() < deadline;
    let sent = s.outcomes.len();
    let not_sent = o.suppliers * o.lots - sent;
    let ok = s.receipts.len();
    let wall = match (s.first_start, s.last_end) {
        (Some(a), Some(b)) => (b - a).as_secs_f64(),
        _ => 0.0,
    };
    let mut lat: Vec<Duration> = s.outcomes.iter().map(|x| x.latency).collect();
    lat.sort_unstable();
    let mut lat_ok: Vec<Duration> = s
        .outcomes
        .iter()
        .filter(|x| x.status == 201)
        .map(|x| x.latency)
        .collect();
    lat_ok.sort_unstable();
    let mean_ms = if lat.is_empty() {
        0.0
    } else {
        lat.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / lat.len() as f64
    };
    println!(
        "sent {sent} requests in {wall:.2} s: {ok} accepted (201), {} errors, {not_sent} not sent (deadline), {:.0} bids/s",
        sent - ok,
        ok as f64 / wall.max(1e-9)
    );
    println!(
        "latency ms (all requests): mean {mean_ms:.1}  p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&lat, 50.0),
        percentile(&lat, 90.0),
        percentile(&lat, 99.0),
        percentile(&lat, 100.0)
    );
    // CPU per accepted bid, in microseconds: PostgreSQL (every backend: the writes, the
    // audit sealer, autovacuum), the server, the load generator
    let per_bid = |k: usize| (cpu_after[k] - cpu_before[k]) * 1e6 / ok.max(1) as f64;
    let cpu_us = [per_bid(0), per_bid(1), per_bid(2)];
    println!(
        "CPU per bid: postgres {:.0} us, vbp serve {:.0} us, load generator {:.0} us (machine: {} cores)",
        cpu_us[0],
        cpu_us[1],
        cpu_us[2],
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for (status, (count, msg)) in &s.errors {
        println!("  status {status}: {count} x, first: {msg}");
    }
    if o.retries > 0 {
        println!(
            "resent after a lost answer (same Idempotency-Key): {}",
            s.retried
        );
    }

    // the frozen register, once the deadline has passed
    actix_web::rt::time::sleep(until(deadline) + Duration::from_millis(500)).await;
    let register_url = format!("{}/api/v1/rounds/{round_id}/register", o.base);
    let mut register = None;
    for _ in 0..60 {
        let r = call(client, "GET", &register_url, Some(officer), None).await?;
        if r.status == 200 {
            register = Some(r.body);
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    }
    let register = register.ok_or("the register did not freeze within 30 s of the deadline")?;
    let entries = register["bids"].as_array().ok_or("register without bids")?;
    let in_register: HashMap<Uuid, String> = entries
        .iter()
        .filter_map(|e| {
            Some((
                Uuid::parse_str(e["bid_id"].as_str()?).ok()?,
                e["commitment"].as_str()?.to_owned(),
            ))
        })
        .collect();
    let lost = s
        .receipts
        .iter()
        .filter(|(id, c)| in_register.get(id) != Some(c))
        .count();
    let extra = in_register
        .keys()
        .filter(|id| !s.receipts.contains_key(id))
        .count();
    println!(
        "register: {} entries; {} receipts checked: {lost} missing or different, {extra} entries without a receipt, {} malformed receipts",
        in_register.len(),
        s.receipts.len(),
        s.malformed_receipts
    );
    Ok(json!({
        "mode": mode.to_string(),
        "concurrency": match mode { Mode::InFlight(n) => Some(n), Mode::Rate(_) => None },
        "rate": match mode { Mode::Rate(r) => Some(r), Mode::InFlight(_) => None },
        "round": round_id, "suppliers": o.suppliers, "lots": o.lots,
        "requests": sent, "accepted": ok, "errors": sent - ok, "not_sent": not_sent,
        "errors_by_status": s.errors.iter().map(|(k, v)| (k.to_string(), json!(v.0))).collect::<serde_json::Map<_, _>>(),
        "wall_s": wall, "bids_per_s": ok as f64 / wall.max(1e-9),
        "mean_ms": mean_ms,
        "p50_ms": percentile(&lat, 50.0), "p90_ms": percentile(&lat, 90.0),
        "p99_ms": percentile(&lat, 99.0), "max_ms": percentile(&lat, 100.0),
        "ok_p99_ms": percentile(&lat_ok, 99.0),
        "cpu_us_per_bid": { "postgres": cpu_us[0], "vbp": cpu_us[1], "load": cpu_us[2] },
        "finished_before_deadline": finished_before_deadline,
        "register_entries": in_register.len(), "receipts_checked": s.receipts.len(),
        "receipts_missing": lost, "register_extra": extra, "malformed_receipts": s.malformed_receipts,
        "retried": s.retried,
    }))
}

async fn run(o: &Opts) -> Result<bool, BoxError> {
    let mut conn = AsyncPgConnection::establish(&o.db_url).await?;
    let tokens = Rc::new(mint_tokens(&mut conn, o.suppliers).await?);
    let custodians: Vec<Uuid> = diesel::sql_query(
        "SELECT id FROM users WHERE email IN ('officer@vbp.demo', 'officer2@vbp.demo', 'officer3@vbp.demo') ORDER BY email",
    )
    .load::<IdRow>(&mut conn)
    .await?
    .into_iter()
    .map(|r| r.id)
    .collect();
    drop(conn);
    let max_c = o
        .concurrency
        .iter()
        .copied()
        .chain((!o.rates.is_empty()).then_some(o.max_in_flight))
        .max()
        .unwrap_or(1);
    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(max_c + 4))
        .timeout(Duration::from_secs(30))
        .finish();
    let login = expect(
        call(
            &client,
            "POST",
            &format!("{}/api/v1/auth/login", o.base),
            None,
            Some(json!({"email": "officer@vbp.demo", "password": o.password})),
        )
        .await?,
        200,
        "officer login",
    )?;
    let officer = login["access_token"]
        .as_str()
        .ok_or("login without access_token")?
        .to_owned();
    let mut all_ok = true;
    let modes = o
        .concurrency
        .iter()
        .map(|&c| Mode::InFlight(c))
        .chain(o.rates.iter().map(|&r| Mode::Rate(r)));
    for mode in modes {
        let result = load_level(o, &client, &officer, &custodians, &tokens, mode).await?;
        all_ok &= result["receipts_missing"] == 0 && result["malformed_receipts"] == 0;
        // with retries every bid's answer reached its client: none may be registered
        // without a receipt
        all_ok &= o.retries == 0 || result["register_extra"] == 0;
        if let Some(path) = &o.out {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            writeln!(f, "{result}")?;
        }
    }
    Ok(all_ok)
}

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let outcome = match parse() {
        Ok((cmd, o)) => match cmd.as_str() {
            "setup" => setup(&o).await.map(|()| true),
            "run" => run(&o).await,
            _ => usage(),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!(
                "vbp-load: receipts are missing from the register (or, with --retries, bids are registered without a receipt)"
            );
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("vbp-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
