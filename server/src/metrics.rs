//! Request counts and latencies in the Prometheus text format, at `/metrics`.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, Mutex,
    },
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    in_flight: AtomicI64,
}

impl Metrics {
    pub fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .unwrap()
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let mut lat = self.latency.lock().unwrap();
        let h = lat.entry(route.to_string()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP viva_build_info Version of this Viva binary.\n# TYPE viva_build_info gauge"
        );
        let _ = writeln!(
            out,
            "viva_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(out, "# HELP viva_http_requests_in_flight Requests being answered now.\n# TYPE viva_http_requests_in_flight gauge");
        let _ = writeln!(
            out,
            "viva_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let (memo, database) = app::memo::counts();
        let _ = writeln!(out, "# HELP viva_memo_reads_total People's page reads (app::memo), by where they were answered from.\n# TYPE viva_memo_reads_total counter");
        let _ = writeln!(out, "viva_memo_reads_total{{from=\"memo\"}} {memo}");
        let _ = writeln!(out, "viva_memo_reads_total{{from=\"database\"}} {database}");
        let _ = writeln!(out, "# HELP viva_pages_total Pages kept in memory (server/src/pagecache.rs) answered from it or rendered, by whose.\n# TYPE viva_pages_total counter");
        for (who, from, n) in crate::pagecache::counts() {
            let _ = writeln!(out, "viva_pages_total{{who=\"{who}\",from=\"{from}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP viva_http_requests_total Requests answered, by method, route and status.\n# TYPE viva_http_requests_total counter");
        for ((m, r, s), n) in self.requests.lock().unwrap().iter() {
            let _ = writeln!(
                out,
                "viva_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{s}\"}} {n}",
                escape(r)
            );
        }
        let _ = writeln!(out, "# HELP viva_http_request_duration_seconds Time to answer a request, by route.\n# TYPE viva_http_request_duration_seconds histogram");
        for (r, h) in self.latency.lock().unwrap().iter() {
            let r = escape(r);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "viva_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "viva_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "viva_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "viva_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count
            );
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: counts and times every request. Unmatched paths share one label so that
/// random URLs cannot grow the metric set.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "(static or unmatched)".into());
    let method = req.method().to_string();
    metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let start = Instant::now();
    let res = next.run(req).await;
    metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    metrics.record(
        &method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record("GET", "/", 200, 0.003);
        m.record("GET", "/", 200, 0.2);
        let text = m.render();
        assert!(
            text.contains("viva_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("viva_http_request_duration_seconds_bucket{route=\"/\",le=\"0.005\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("viva_http_request_duration_seconds_bucket{route=\"/\",le=\"0.25\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("viva_http_request_duration_seconds_count{route=\"/\"} 2"),
            "{text}"
        );
    }
}
