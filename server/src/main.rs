//! `viva`: the one binary a self-hoster runs. With no configuration it serves the site on
//! http://127.0.0.1:3000 with its data in ./viva-data.

mod assets;
mod config;
mod http;
mod metrics;
mod secrets;

use std::{process::ExitCode, sync::Arc, time::Duration};

use clap::Parser;
use config::{Cli, Command, LogFormat, Settings};
use leptos::config::LeptosOptions;

/// Exit codes: 2 for a configuration the person must fix, 1 for a failure to start or run.
const EXIT_CONFIG: u8 = 2;
const EXIT_FAILURE: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        None => cli.serve,
    };
    let settings = match Settings::resolve(args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("viva: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    init_tracing(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("viva: could not start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(serve(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("viva: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn init_tracing(s: &Settings) {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_new(&s.log).unwrap_or_else(|_| {
        eprintln!("viva: log filter {:?} is not valid; using info", s.log);
        EnvFilter::new("info")
    });
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match s.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}

#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("the data directory {dir} cannot be used: {source}. Choose another with --data-dir (VIVA_DATA_DIR) or fix its permissions")]
    DataDir { dir: String, source: std::io::Error },
    #[error(transparent)]
    Db(#[from] app::db::DbError),
    #[error("cannot listen on {addr}: {source}. Is another program using it? Choose another with --addr (VIVA_ADDR)")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
}

impl StartError {
    fn exit_code(&self) -> u8 {
        match self {
            StartError::DataDir { .. } | StartError::Bind { .. } => EXIT_CONFIG,
            _ => EXIT_FAILURE,
        }
    }
}

async fn serve(settings: Settings) -> Result<(), StartError> {
    let data_err = |source| StartError::DataDir { dir: settings.data_dir.display().to_string(), source };
    std::fs::create_dir_all(&settings.data_dir).map_err(data_err)?;
    // Proves the directory is writable before anything else is started.
    let probe = settings.data_dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(data_err)?;
    let _ = std::fs::remove_file(&probe);
    let _signing_key = secrets::load_or_create_signing_key(&settings.data_dir).map_err(data_err)?;

    let auth = app::db::DbAuth { user: settings.db_user.clone(), pass: settings.db_pass.clone() };
    let db = app::db::connect(&settings.db, &auth).await?;
    let instance_id = app::db::instance_id(&db).await?;

    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|source| StartError::Bind { addr: settings.addr, source })?;
    let bound = listener.local_addr().map_err(StartError::Serve)?;
    let public_url = settings.public_url_for(bound);

    let site = assets::Site::choose(settings.site_root.clone());
    if !site.has_bundle() {
        tracing::warn!(site = %site.describe(), "no wasm bundle found: pages render but do not become interactive. Build with `cargo leptos build --release`, or pass --site-root");
    }
    let leptos_options = LeptosOptions::builder().output_name("viva").site_addr(bound).site_pkg_dir("pkg").build();
    let reload_port = std::env::var("LEPTOS_WATCH").ok().and(std::env::var("LEPTOS_RELOAD_PORT").ok()).and_then(|p| p.parse().ok());
    let state = http::AppState {
        leptos_options,
        ctx: app::server_context::ServerContext { db: db.clone(), public_url: public_url.clone() },
        site: site.clone(),
        metrics: Arc::new(metrics::Metrics::default()),
        security: Arc::new(http::Security { https: public_url.starts_with("https://"), reload_port }),
        instance_id,
    };
    let app = http::router(state, settings.max_body_bytes);

    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        db = %settings.db,
        data_dir = %settings.data_dir.display(),
        site = %site.describe(),
        "Viva is listening on http://{bound} (public URL {public_url})"
    );

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });
    shutdown_signal().await;
    tracing::info!("shutting down: no new connections; letting requests in flight finish (up to {} s)", settings.shutdown_timeout_secs);
    let _ = stop_tx.send(());
    match tokio::time::timeout(Duration::from_secs(settings.shutdown_timeout_secs), server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => return Err(StartError::Serve(e)),
        Ok(Err(e)) => return Err(StartError::Serve(std::io::Error::other(e))),
        Err(_) => tracing::warn!("requests still running after the shutdown timeout were cut off"),
    }
    // Every handle to the database is gone with the server; let the engine flush and close.
    drop(db);
    tokio::time::sleep(Duration::from_millis(100)).await;
    tracing::info!("stopped cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
