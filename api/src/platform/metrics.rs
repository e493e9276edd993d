//! Prometheus metrics: request counts and latencies by route, and the connection pool.

use std::time::Instant;

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::platform::AppState;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_size: IntGauge,
    pool_available: IntGauge,
    pool_waiting: IntGauge,
    /// Bids per group-commit transaction (see `bid_writer`).
    pub bid_batch: prometheus::Histogram,
    /// Reads of the read-heavy routes by the server they went to (`replica`, `primary`).
    pub db_reads: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("vbp".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["method", "route"],
        )?;
        let pool_size = IntGauge::new("db_pool_connections", "Open database connections")?;
        let pool_available = IntGauge::new("db_pool_available", "Idle database connections")?;
        let pool_waiting = IntGauge::new("db_pool_waiting", "Requests waiting for a connection")?;
        let bid_batch = prometheus::Histogram::with_opts(
            HistogramOpts::new("bid_batch_size", "Sealed bids written per transaction")
                .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
        )?;
        let db_reads = IntCounterVec::new(
            Opts::new(
                "db_reads_total",
                "Reads of the read-heavy routes by target (replica, or primary when none is configured, it lags behind the client's last write or is down)",
            ),
            &["target"],
        )?;
        registry.register(Box::new(db_reads.clone()))?;
        registry.register(Box::new(bid_batch.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool_size.clone()))?;
        registry.register(Box::new(pool_available.clone()))?;
        registry.register(Box::new(pool_waiting.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            pool_size,
            pool_available,
            pool_waiting,
            bid_batch,
            db_reads,
        })
    }

    /// The text exposition of every metric, with the pool gauges read now.
    pub fn render(&self, pool: &crate::platform::db::Pool) -> Result<String, prometheus::Error> {
        let status = pool.status();
        self.pool_size.set(status.size as i64);
        self.pool_available.set(status.available as i64);
        self.pool_waiting.set(status.waiting as i64);
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
}

/// Middleware: counts and times every request by its route pattern (not its raw path,
/// so ids do not explode the label set), and writes the access log: one line a request,
/// at `debug` when it succeeded (thousands a second at a deadline), `info` for a refusal
/// and `warn` for a fault. The line names the method, the path without its query string
/// (search terms stay out of the log; the request's span, `telemetry::RootSpan`, records
/// no query either), the status and the time taken; never a header or a body, so no
/// token, password or share.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    if let Some(state) = state {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        let code = res.status().as_u16();
        let status = code.to_string();
        let path = res.request().path();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match code {
            500.. => tracing::warn!(%method, path, status = code, ms, "request"),
            400.. => tracing::info!(%method, path, status = code, ms, "request"),
            _ => tracing::debug!(%method, path, status = code, ms, "request"),
        }
        state
            .metrics
            .requests
            .with_label_values(&[&method, &route, &status])
            .inc();
        state
            .metrics
            .latency
            .with_label_values(&[&method, &route])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}
