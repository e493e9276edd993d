//! `vbp-orders-load`: a province's month of orders through the API (issue #14), beside
//! the same writes sent to PostgreSQL directly, in the same run.
//!
//! ```text
//! vbp-orders-load --base http://127.0.0.1:18081 --database-url postgres://... \
//!     [--hospitals 20000] [--orders 5] [--concurrency 64] [--raw-orders 20000]
//! ```
//!
//! Against a running `vbp serve` whose database holds the demo (`vbp demo`): adds
//! `--hospitals` hospitals in Beijing (one user each) with a session and token each, and
//! tokens for the suppliers of Beijing's active contracts; then every hospital places
//! `--orders` orders of one line, each confirmed by its supplier, shipped in one
//! delivery and accepted: four requests per order, `--concurrency` orders in flight.
//! Reports orders/s and the latency of each step (p50, p99), then runs the same writes
//! (the rows, audit entries and mail jobs of the four steps, one transaction each) for
//! `--raw-orders` orders straight into PostgreSQL on as many connections, and reports
//! that rate. Only 127.0.0.1 is contacted; the work is bounded by the counts given.

use std::{
    cell::RefCell,
    error::Error,
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

struct Opts {
    base: String,
    db_url: String,
    hospitals: usize,
    orders: usize,
    concurrency: usize,
    raw_orders: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: vbp-orders-load --base http://127.0.0.1:18081 --database-url postgres://postgres@127.0.0.1:5432/vbp_load_orders \
         [--hospitals 20000] [--orders 5] [--concurrency 64] [--raw-orders 20000]"
    );
    std::process::exit(2)
}

fn parse() -> Result<Opts, BoxError> {
    let mut o = Opts {
        base: "http://127.0.0.1:18081".into(),
        db_url: "postgres://postgres@127.0.0.1:5432/vbp_load_orders".into(),
        hospitals: 20_000,
        orders: 5,
        concurrency: 64,
        raw_orders: 20_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--base" => o.base = value,
            "--database-url" => o.db_url = value,
            "--hospitals" => o.hospitals = value.parse()?,
            "--orders" => o.orders = value.parse()?,
            "--concurrency" => o.concurrency = value.parse()?,
            "--raw-orders" => o.raw_orders = value.parse()?,
            _ => usage(),
        }
    }
    if !o.base.starts_with("http://127.0.0.1:") {
        return Err(
            "--base must be http://127.0.0.1:<port>: load is sent to this machine only".into(),
        );
    }
    Ok(o)
}

fn hospital_org(i: usize) -> Uuid {
    Uuid::parse_str(&format!("00000000-0000-7000-a000-{i:012}")).expect("a valid uuid")
}
fn hospital_user(i: usize) -> Uuid {
    Uuid::parse_str(&format!("00000000-0000-7000-b000-{i:012}")).expect("a valid uuid")
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

#[derive(QueryableByName)]
struct ContractRow {
    #[diesel(sql_type = sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    supplier_org_id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    user_id: Uuid,
    #[diesel(sql_type = sql_types::Text)]
    unit_price: String,
}

/// A signed token and its session row, as a login makes them.
fn token(
    keys: &TokenKeys,
    sessions: &mut Vec<String>,
    user: Uuid,
    org: Uuid,
    role: Role,
    province: Option<&str>,
) -> Result<String, BoxError> {
    let now = Utc::now();
    let exp = now + chrono::Duration::hours(8);
    let jti = Uuid::now_v7();
    sessions.push(format!(
        "('{jti}', '{user}', '{}', '127.0.0.1')",
        exp.to_rfc3339()
    ));
    Ok(keys.sign(&Claims {
        sub: user,
        role,
        org,
        province: province.map(str::to_owned),
        iat: now.timestamp(),
        exp: exp.timestamp(),
        jti,
        iss: ISSUER.into(),
    })?)
}

struct Contract {
    id: Uuid,
    supplier_org: Uuid,
    supplier_token: String,
    unit_price: String,
}

async fn setup(
    conn: &mut AsyncPgConnection,
    o: &Opts,
) -> Result<(Vec<String>, Vec<Contract>), BoxError> {
    let n = o.hospitals;
    conn.batch_execute(&format!(
        "DELETE FROM sessions WHERE client_ip = '127.0.0.1' AND user_id IN (SELECT id FROM users WHERE email LIKE '%.orders-load.test');
         INSERT INTO organisations (id, name, kind, province)
         SELECT ('00000000-0000-7000-a000-' || lpad(i::text, 12, '0'))::uuid,
                '负载测试医院 Load Hospital ' || lpad(i::text, 5, '0'), 'hospital', '110000'
           FROM generate_series(1, {n}) i ON CONFLICT DO NOTHING;
         INSERT INTO users (id, email, display_name, password_hash, role, org_id)
         SELECT ('00000000-0000-7000-b000-' || lpad(i::text, 12, '0'))::uuid,
                'pharmacy' || i || '@h' || lpad(i::text, 5, '0') || '.orders-load.test', '药剂科 ' || i,
                (SELECT password_hash FROM users WHERE email = 'hospital@vbp.demo'), 'hospital',
                ('00000000-0000-7000-a000-' || lpad(i::text, 12, '0'))::uuid
           FROM generate_series(1, {n}) i ON CONFLICT DO NOTHING;"
    ))
    .await?;
    let rows: Vec<ContractRow> = diesel::sql_query(
        "SELECT DISTINCT ON (c.id) c.id, c.supplier_org_id, u.id AS user_id, c.unit_price::text AS unit_price
           FROM contracts c JOIN users u ON u.org_id = c.supplier_org_id AND u.active
          WHERE c.province = '110000' AND c.status = 'active' AND c.cycle_end >= china_today()
          ORDER BY c.id, u.email",
    )
    .load(conn)
    .await?;
    if rows.is_empty() {
        return Err("no active Beijing contract: run `vbp demo` on this database first".into());
    }
    let keys = TokenKeys::new(&jwt_secret()?);
    let mut sessions = Vec::new();
    let mut hospital_tokens = Vec::with_capacity(n);
    for i in 1..=n {
        hospital_tokens.push(token(
            &keys,
            &mut sessions,
            hospital_user(i),
            hospital_org(i),
            Role::Hospital,
            Some("110000"),
        )?);
    }
    let mut contracts = Vec::new();
    for r in rows {
        contracts.push(Contract {
            id: r.id,
            supplier_org: r.supplier_org_id,
            supplier_token: token(
                &keys,
                &mut sessions,
                r.user_id,
                r.supplier_org_id,
                Role::Supplier,
                None,
            )?,
            unit_price: r.unit_price,
        });
    }
    for chunk in sessions.chunks(1000) {
        conn.batch_execute(&format!(
            "INSERT INTO sessions (jti, user_id, expires_at, client_ip) VALUES {}",
            chunk.join(",")
        ))
        .await?;
    }
    Ok((hospital_tokens, contracts))
}

async fn call(
    client: &awc::Client,
    url: &str,
    token: &str,
    body: Value,
    want: u16,
) -> Result<Value, BoxError> {
    let mut res = client
        .post(url)
        .bearer_auth(token)
        .send_json(&body)
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let bytes = res.body().limit(16 << 20).await?;
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if res.status().as_u16() != want {
        return Err(format!("POST {url}: {} {value}", res.status()).into());
    }
    Ok(value)
}

#[derive(Default)]
struct Stats {
    next: usize,
    steps: [Vec<Duration>; 4],
    cycles: Vec<Duration>,
    errors: Vec<String>,
}

/// One order's life: placed, confirmed, shipped, accepted.
async fn cycle(
    client: &awc::Client,
    base: &str,
    hospital: &str,
    c: &Contract,
    stats: &RefCell<Stats>,
) -> Result<(), BoxError> {
    let began = Instant::now();
    let mut mark = Instant::now();
    let mut lap = |step: usize| {
        let now = Instant::now();
        stats.borrow_mut().steps[step].push(now - mark);
        mark = now;
    };
    let order = call(
        client,
        &format!("{base}/api/v1/orders"),
        hospital,
        json!({"lines": [{"contract_id": c.id, "quantity": 100}]}),
        201,
    )
    .await?;
    lap(0);
    let id = order["id"].as_str().ok_or("an order without id")?;
    call(
        client,
        &format!("{base}/api/v1/orders/{id}/confirm"),
        &c.supplier_token,
        Value::Null,
        200,
    )
    .await?;
    lap(1);
    let delivery = call(
        client,
        &format!("{base}/api/v1/orders/{id}/deliveries"),
        &c.supplier_token,
        json!({"batch_no": "LOAD-1", "expiry_date": "2030-12-31", "invoice_no": format!("FP-{id}"),
               "lines": [{"order_line_id": order["lines"][0]["id"], "quantity": 100}]}),
        201,
    )
    .await?;
    lap(2);
    call(
        client,
        &format!(
            "{base}/api/v1/deliveries/{}/acceptance",
            delivery["id"].as_str().unwrap_or_default()
        ),
        hospital,
        json!({"lines": [{"delivery_line_id": delivery["lines"][0]["id"], "accepted": 100}]}),
        200,
    )
    .await?;
    lap(3);
    stats.borrow_mut().cycles.push(began.elapsed());
    Ok(())
}

fn ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

async fn through_the_api(
    o: &Opts,
    tokens: Vec<String>,
    contracts: Vec<Contract>,
) -> Result<Value, BoxError> {
    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(o.concurrency + 4))
        .timeout(Duration::from_secs(30))
        .finish();
    let total = o.hospitals * o.orders;
    let stats = Rc::new(RefCell::new(Stats::default()));
    let tokens = Rc::new(tokens);
    let contracts = Rc::new(contracts);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..o.concurrency {
        let (stats, tokens, contracts, client, base) = (
            stats.clone(),
            tokens.clone(),
            contracts.clone(),
            client.clone(),
            o.base.clone(),
        );
        let hospitals = o.hospitals;
        workers.push(actix_web::rt::spawn(async move {
            loop {
                let k = {
                    let mut s = stats.borrow_mut();
                    if s.next >= total {
                        break;
                    }
                    s.next += 1;
                    s.next - 1
                };
                // order k: hospital k mod H (its (k / H)-th order), a contract in turn
                let h = k % hospitals;
                let c = &contracts[(h + k / hospitals) % contracts.len()];
                if let Err(e) = cycle(&client, &base, &tokens[h], c, &stats).await {
                    stats.borrow_mut().errors.push(e.to_string());
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let wall = started.elapsed().as_secs_f64();
    let mut s = Rc::try_unwrap(stats)
        .map_err(|_| "workers still running")?
        .into_inner();
    for v in s.steps.iter_mut() {
        v.sort();
    }
    s.cycles.sort();
    let done = s.cycles.len();
    let names = ["create", "confirm", "ship", "accept"];
    let steps: serde_json::Map<String, Value> = names
        .iter()
        .zip(&s.steps)
        .map(|(n, v)| {
            (
                n.to_string(),
                json!({"p50_ms": ms(v, 50.0), "p99_ms": ms(v, 99.0), "n": v.len()}),
            )
        })
        .collect();
    if let Some(e) = <[String]>::first(&s.errors) {
        eprintln!("first error: {e}");
    }
    Ok(json!({
        "orders": done, "errors": s.errors.len(), "wall_s": wall,
        "orders_per_s": done as f64 / wall, "requests_per_s": (done * 4) as f64 / wall,
        "order_cycle_p50_ms": ms(&s.cycles, 50.0), "order_cycle_p99_ms": ms(&s.cycles, 99.0),
        "steps": steps,
    }))
}

/// The same writes as the four requests of one order (rows, audit entries, mail jobs),
/// one transaction per step, sent as plain SQL: what PostgreSQL alone does.
fn raw_order_sql(k: usize, hospital: Uuid, c: &Contract) -> [String; 4] {
    let order = Uuid::now_v7();
    let line = Uuid::now_v7();
    let delivery = Uuid::now_v7();
    let dline = Uuid::now_v7();
    // one notice per step and recipient, as the API's (its dedupe key names the step)
    let mail = |step: &str, to: &str| {
        format!(
            "INSERT INTO jobs (kind, payload, max_attempts, dedupe_key) VALUES ('email', \
             '{{\"template\": \"order_update\", \"to\": \"{to}\", \"context\": {{\"order_id\": \"{order}\"}}}}'::jsonb, 8, 'raw:{order}:{step}:{to}');"
        )
    };
    let audit = |action: &str, id: Uuid| {
        format!(
            "INSERT INTO audit_log (actor_role, action, entity_type, entity_id, details) VALUES ('hospital', '{action}', 'order', '{id}', '{{\"raw\": {k}}}');"
        )
    };
    [
        format!(
            "BEGIN; INSERT INTO orders (id, hospital_org_id, province, supplier_org_id, status, created_by) \
             SELECT '{order}', '{hospital}', '110000', '{}', 'submitted', u.id FROM users u WHERE u.org_id = '{hospital}' LIMIT 1; \
             INSERT INTO order_lines (id, order_id, province, line_no, contract_id, product_code, unit_price, quantity) \
             SELECT '{line}', '{order}', '110000', 1, c.id, c.product_code, c.unit_price, 100 FROM contracts c WHERE c.id = '{}'; {} {} COMMIT;",
            c.supplier_org,
            c.id,
            audit("order.create", order),
            mail("placed", "supplier")
        ),
        format!(
            "BEGIN; UPDATE orders SET status = 'confirmed', decided_at = now(), updated_at = now() WHERE id = '{order}'; {} {} COMMIT;",
            audit("order.confirm", order),
            mail("confirmed", "hospital")
        ),
        format!(
            "BEGIN; INSERT INTO deliveries (id, order_id, province, hospital_org_id, supplier_org_id, shipped_by_org_id, shipped_by, batch_no, expiry_date, invoice_no) \
             SELECT '{delivery}', '{order}', '110000', '{hospital}', '{s}', '{s}', u.id, 'RAW-1', '2030-12-31', 'FP-{order}' FROM users u WHERE u.org_id = '{s}' LIMIT 1; \
             INSERT INTO delivery_lines (id, delivery_id, order_line_id, province, contract_id, unit_price, quantity) VALUES ('{dline}', '{delivery}', '{line}', '110000', '{}', {}, 100); \
             UPDATE order_lines SET shipped = shipped + 100 WHERE id = '{line}' AND province = '110000'; {} {} COMMIT;",
            c.id,
            c.unit_price,
            audit("delivery.ship", delivery),
            mail("shipped", "hospital"),
            s = c.supplier_org
        ),
        format!(
            "BEGIN; SELECT 1 FROM deliveries WHERE id = '{delivery}' AND province = '110000' FOR UPDATE; \
             UPDATE delivery_lines SET accepted = 100 WHERE id = '{dline}' AND province = '110000'; \
             UPDATE order_lines SET accepted = accepted + 100 WHERE id = '{line}' AND province = '110000'; \
             UPDATE deliveries SET status = 'accepted', accepted_at = now(), accepted_by = (SELECT id FROM users WHERE org_id = '{hospital}' LIMIT 1), \
               accepted_on = china_today(), due_date = china_today() + 30 WHERE id = '{delivery}' AND province = '110000'; {} COMMIT;",
            audit("delivery.accept", delivery)
        ),
    ]
}

async fn straight_to_postgres(o: &Opts, contracts: &[Contract]) -> Result<Value, BoxError> {
    let total = o.raw_orders;
    let next = Rc::new(RefCell::new(0usize));
    let errors = Rc::new(RefCell::new(0usize));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..o.concurrency.min(64) {
        let mut conn = AsyncPgConnection::establish(&o.db_url).await?;
        let next = next.clone();
        let errors = errors.clone();
        let contracts: Vec<(Uuid, String, String)> = contracts
            .iter()
            .map(|c| (c.supplier_org, c.unit_price.clone(), c.id.to_string()))
            .collect();
        let hospitals = o.hospitals;
        workers.push(actix_web::rt::spawn(async move {
            loop {
                let k = {
                    let mut n = next.borrow_mut();
                    if *n >= total {
                        break;
                    }
                    *n += 1;
                    *n - 1
                };
                let h = k % hospitals;
                let (supplier_org, unit_price, id) =
                    &contracts[(h + k / hospitals) % contracts.len()];
                let c = Contract {
                    id: Uuid::parse_str(id).unwrap_or_default(),
                    supplier_org: *supplier_org,
                    supplier_token: String::new(),
                    unit_price: unit_price.clone(),
                };
                for sql in raw_order_sql(k, hospital_org(h + 1), &c) {
                    if let Err(e) = conn.batch_execute(&sql).await {
                        let n = {
                            let mut n = errors.borrow_mut();
                            *n += 1;
                            *n
                        };
                        if n <= 5 {
                            eprintln!("raw: {e}");
                        }
                        let _ = conn.batch_execute("ROLLBACK").await;
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let wall = started.elapsed().as_secs_f64();
    Ok(
        json!({"orders": total, "connections": o.concurrency.min(64), "wall_s": wall, "orders_per_s": total as f64 / wall,
               "failed_steps": *errors.borrow()}),
    )
}

async fn run(o: &Opts) -> Result<(), BoxError> {
    let mut conn = AsyncPgConnection::establish(&o.db_url).await?;
    let (tokens, contracts) = setup(&mut conn, o).await?;
    println!(
        "setup: {} hospitals in Beijing, {} Beijing contracts; {} orders of one line each, {} in flight",
        o.hospitals,
        contracts.len(),
        o.hospitals * o.orders,
        o.concurrency
    );
    let raw_contracts: Vec<Contract> = contracts
        .iter()
        .map(|c| Contract {
            id: c.id,
            supplier_org: c.supplier_org,
            supplier_token: String::new(),
            unit_price: c.unit_price.clone(),
        })
        .collect();
    let api = through_the_api(o, tokens, contracts).await?;
    println!("api: {api}");
    let raw = straight_to_postgres(o, &raw_contracts).await?;
    println!("raw: {raw}");
    println!(
        "{}",
        json!({"hospitals": o.hospitals, "orders_each": o.orders, "concurrency": o.concurrency, "api": api, "raw": raw})
    );
    Ok(())
}

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let result = match parse() {
        Ok(o) => run(&o).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vbp-orders-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
