//! `viva`: the one binary a self-hoster runs. With no configuration it serves the site on
//! http://127.0.0.1:3000 with its data in ./viva-data.

mod assets;
mod config;
mod http;
mod metrics;
mod models;
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
    let (args, admin) = match cli.command {
        Some(Command::Serve(args)) => (args, None),
        Some(Command::Models {
            action: config::ModelsAction::Fetch(serve),
        }) => {
            let settings = match Settings::resolve(serve) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("viva: {e}");
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            return match models::fetch(&settings.models_dir) {
                Ok(lines) => {
                    for l in lines {
                        println!("{l}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("viva models fetch: {e}");
                    ExitCode::from(EXIT_FAILURE)
                }
            };
        }
        Some(Command::Voice {
            action: config::VoiceAction::Segments { file },
        }) => return voice_segments(&file),
        Some(Command::Admin { action, serve }) => (serve, Some(action)),
        Some(Command::Routes) => {
            // Listing the routes renders the app once, and its resources need a runtime.
            let table = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(async { http::route_table() }),
                Err(e) => {
                    eprintln!("viva: could not start the async runtime: {e}");
                    return ExitCode::from(EXIT_FAILURE);
                }
            };
            for line in table {
                println!("{line}");
            }
            return ExitCode::SUCCESS;
        }
        None => (cli.serve, None),
    };
    let settings = match Settings::resolve(args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("viva: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    init_tracing(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("viva: could not start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    // Both of rustls's crypto back-ends are compiled in (by different dependencies); choose one.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    if let Some(action) = admin {
        return match runtime.block_on(admin_command(settings, action)) {
            Ok(msg) => {
                println!("{msg}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("viva admin: {e}");
                ExitCode::from(EXIT_FAILURE)
            }
        };
    }
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
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("e-mail settings: {0}")]
    Mail(#[from] app::mail::MailerError),
    #[error("{0}")]
    App(#[from] app::AppError),
}

impl StartError {
    fn exit_code(&self) -> u8 {
        match self {
            StartError::DataDir { .. }
            | StartError::Bind { .. }
            | StartError::Config(_)
            | StartError::Mail(_) => EXIT_CONFIG,
            _ => EXIT_FAILURE,
        }
    }
}

async fn serve(settings: Settings) -> Result<(), StartError> {
    let data_err = |source| StartError::DataDir {
        dir: settings.data_dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(&settings.data_dir).map_err(data_err)?;
    // Proves the directory is writable before anything else is started.
    let probe = settings.data_dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(data_err)?;
    let _ = std::fs::remove_file(&probe);
    let signing_key = secrets::load_or_create_signing_key(&settings.data_dir).map_err(data_err)?;

    let auth = app::db::DbAuth {
        user: settings.db_user.clone(),
        pass: settings.db_pass.clone(),
    };
    let db = app::db::connect(&settings.db, &auth).await?;
    let instance_id = app::db::instance_id(&db).await?;
    // The question bank ships inside the binary; it is (re)loaded when its files changed.
    app::interview::service::sync_bank(&db, app::clock::Clock::default().now()).await?;

    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: settings.addr,
            source,
        })?;
    let bound = listener.local_addr().map_err(StartError::Serve)?;
    let public_url = settings.public_url_for(bound);
    let insecure_cookies = settings.insecure_cookies(&public_url)?;
    if insecure_cookies {
        tracing::warn!("--allow-insecure-http: {public_url} is plain HTTP, so session cookies are sent without the Secure flag and can be read on the network. Serve Viva over HTTPS");
    }
    let clock = app::clock::Clock::default();
    let mailer = app::mail::Mailer::new(
        &settings.product_name,
        &settings.mail_from_for(&public_url),
        settings.smtp_url.as_deref(),
    )?;
    if mailer.delivers() {
        mailer.spawn_worker(db.clone(), clock.clone());
    } else {
        tracing::info!("no SMTP server set up (--smtp-url): e-mails are kept in the outbox at /admin/outbox and printed here");
    }
    spawn_sweeper(db.clone(), clock.clone());
    if let Some(h) = &settings.hosted_engine {
        tracing::info!(engine = %h.name(), host = %h.host(), "answers are evaluated by a hosted engine: they are sent to {}", h.host());
    }
    let embedder = load_embedder(&settings.models_dir).await;
    let evaluator = Arc::new(app::feedback::evaluator::Evaluator {
        hosted: settings.hosted_engine.clone(),
        embedder,
    });
    let transcriber = Arc::new(match &settings.hosted_stt {
        Some(h) => {
            tracing::info!(engine = %h.name(), host = %h.host(), "spoken answers are transcribed by a hosted engine: speech segments are sent to {}", h.host());
            app::voice::transcribe::Transcriber::Hosted(h.clone())
        }
        None => match load_whisper(&settings.whisper_model).await {
            Some(w) => app::voice::transcribe::Transcriber::Local(w),
            None => app::voice::transcribe::Transcriber::None,
        },
    });
    let voice_workers = app::voice::transcribe::Workers::spawn(
        db.clone(),
        transcriber.clone(),
        evaluator.clone(),
        clock.clone(),
    );

    let site = assets::Site::choose(settings.site_root.clone());
    if !site.has_bundle() {
        tracing::warn!(site = %site.describe(), "no wasm bundle found: pages render but do not become interactive. Build with `cargo leptos build --release`, or pass --site-root");
    }
    let leptos_options = LeptosOptions::builder()
        .output_name("viva")
        .site_addr(bound)
        .site_pkg_dir("pkg")
        .build();
    let reload_port = std::env::var("LEPTOS_WATCH")
        .ok()
        .and(std::env::var("LEPTOS_RELOAD_PORT").ok())
        .and_then(|p| p.parse().ok());
    let state = http::AppState {
        leptos_options,
        ctx: app::server_context::ServerContext {
            db: db.clone(),
            public_url: public_url.clone(),
            keys: app::auth::service::AuthKeys::new(&signing_key, &public_url),
            clock,
            mailer,
            insecure_cookies,
            oidc: Arc::new(settings.oidc.clone()),
            evaluator,
            transcriber,
            voice_wake: voice_workers.wake,
        },
        behind_proxy: settings.behind_proxy,
        site: site.clone(),
        metrics: Arc::new(metrics::Metrics::default()),
        security: Arc::new(http::Security {
            https: public_url.starts_with("https://"),
            reload_port,
        }),
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
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stop_rx.await;
        })
        .await
    });
    shutdown_signal().await;
    tracing::info!(
        "shutting down: no new connections; letting requests in flight finish (up to {} s)",
        settings.shutdown_timeout_secs
    );
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

/// The sentence-embedding model, when `viva models fetch` put it in the models folder.
async fn load_embedder(
    models_dir: &std::path::Path,
) -> Option<Arc<app::feedback::embed::Embedder>> {
    let dir = models::minilm_dir(models_dir);
    if !dir.exists() {
        tracing::info!("no sentence-embedding model in {}: relevance is judged by shared words. Run `viva models fetch` to judge it by meaning", dir.display());
        return None;
    }
    match tokio::task::spawn_blocking(move || app::feedback::embed::Embedder::load(&dir)).await {
        Ok(Ok(m)) => {
            tracing::info!(model = %m.dir.display(), "sentence embeddings loaded: relevance is judged by meaning");
            Some(Arc::new(m))
        }
        Ok(Err(e)) => {
            tracing::warn!("{e}; relevance is judged by shared words");
            None
        }
        Err(e) => {
            tracing::warn!("loading the embedding model failed: {e}");
            None
        }
    }
}

async fn load_whisper(dir: &std::path::Path) -> Option<Arc<app::voice::whisper::Whisper>> {
    if !dir.exists() {
        tracing::info!("no speech model in {}: spoken answers are kept and people type what they said. Run `viva models fetch` to transcribe them here", dir.display());
        return None;
    }
    let d = dir.to_path_buf();
    match tokio::task::spawn_blocking(move || app::voice::whisper::Whisper::load(&d)).await {
        Ok(Ok(w)) => {
            tracing::info!(model = %dir.display(), "{} loaded: spoken answers are transcribed on this machine", w.name);
            Some(Arc::new(w))
        }
        Ok(Err(e)) => {
            tracing::warn!("{e}; spoken answers are kept and people type what they said");
            None
        }
        Err(e) => {
            tracing::warn!("loading the speech model failed: {e}");
            None
        }
    }
}

/// Removes ended rate-limit windows and abandoned provider sign-ins now and then.
fn spawn_sweeper(db: app::db::Db, clock: app::clock::Clock) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = app::ratelimit::sweep(&db, clock.now()).await {
                tracing::warn!(error = %e, "rate-limit sweep");
            }
            if let Err(e) = app::auth::oidc::sweep(&db, clock.now()).await {
                tracing::warn!(error = %e, "sign-in sweep");
            }
        }
    });
}

/// `viva admin create|promote`.
/// `viva voice segments FILE.wav`: exit 0 with the JSON, 2 for a file that is not a WAV we read.
fn voice_segments(file: &std::path::Path) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("viva voice segments: cannot read {}: {e}", file.display());
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    match voice::wav::decode(&bytes) {
        Ok(audio) => {
            println!(
                "{}",
                voice::segments_json(&voice::segments(&audio, voice::Config::default()))
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("viva voice segments: {}: {e}", file.display());
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

async fn admin_command(
    settings: Settings,
    action: config::AdminAction,
) -> Result<String, StartError> {
    let auth = app::db::DbAuth {
        user: settings.db_user.clone(),
        pass: settings.db_pass.clone(),
    };
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartError::DataDir {
        dir: settings.data_dir.display().to_string(),
        source,
    })?;
    let db = app::db::connect(&settings.db, &auth).await?;
    let now = app::clock::Clock::default().now();
    match action {
        config::AdminAction::Create { email, name } => {
            let password = match std::env::var("VIVA_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .map_err(StartError::Serve)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            app::admin::service::create_admin(&db, &email, &name, &password, now).await?;
            Ok(format!("{email} is now an admin account; sign in with it."))
        }
        config::AdminAction::Promote { email } => {
            app::admin::service::promote(&db, &email, now).await?;
            Ok(format!("{email} is now an admin."))
        }
    }
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
