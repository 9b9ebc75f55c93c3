//! The baseline for `bench/run.sh`: a bare axum handler returning a fixed page of the same
//! size as Viva's landing page, on the same runtime settings.

use axum::{response::Html, routing::get, Router};

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3999".into());
    let size: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(8000);
    let page: &'static str = Box::leak(
        format!(
            "<!DOCTYPE html><html><body>{}</body></html>",
            "x".repeat(size)
        )
        .into_boxed_str(),
    );
    let app = Router::new().route("/", get(move || async move { Html(page) }));
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
