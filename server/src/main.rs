//! `viva`: the one binary a self-hoster runs. With no configuration it serves the site on
//! http://127.0.0.1:3000 with its data in ./viva-data.

mod assets;
mod backup;
mod config;
mod dbhealth;
mod files;
mod http;
mod metrics;
mod models;
mod net;
mod pagecache;
mod secrets;
mod webhooks;

use std::{process::ExitCode, sync::Arc, time::Duration};

use clap::Parser;
use config::{Cli, Command, LogFormat, Settings};
use leptos::config::LeptosOptions;

/// mimalloc rather than glibc's malloc: a signed-in page spent about a fifth of its CPU time in
/// glibc's malloc and free under load (SurrealDB's queries and page rendering allocate a great
/// deal); `bash bench/pages.sh` measures the difference.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes: 2 for a configuration the person must fix, 1 for a failure to start or run.
const EXIT_CONFIG: u8 = 2;
const EXIT_FAILURE: u8 = 1;

/// Stack of each runtime thread (the workers and the blocking pool). Tokio's default is 2 MiB,
/// and SurrealDB's embedded engine recurses on the call stack (lowering a query, formatting
/// and dropping deep values), with frames several times larger in an unoptimised build: the
/// first command's build (the `ci` profile, mostly at opt-level 0) overflowed 2 MiB confirming
/// a Stripe checkout (integration test `billing::stripe_checkout_…`), which aborted the process.
/// 8 MiB is only reserved; a thread touches what it uses.
const THREAD_STACK_BYTES: usize = 8 * 1024 * 1024;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (args, task) = match cli.command {
        // First, before anything starts: the resume reader limits itself and reads stdin.
        Some(Command::Internal {
            action: config::InternalAction::ExtractPdf,
        }) => return app::interview::resume::child::main(),
        Some(Command::Internal {
            action: config::InternalAction::RecoverStore { db_url },
        }) => return recover_store(&db_url),
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
        Some(Command::Admin { action, serve }) => (serve, Some(Task::Admin(action))),
        Some(Command::Backup { file, serve }) => (serve, Some(Task::Backup(file))),
        Some(Command::Restore { file, force, serve }) => (serve, Some(Task::Restore(file, force))),
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
        .thread_stack_size(THREAD_STACK_BYTES)
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
    if let Some(task) = task {
        private_files();
        let (verb, done) = match task {
            Task::Admin(action) => (
                "admin",
                runtime
                    .block_on(admin_command(settings, action))
                    .map_err(|e| e.to_string()),
            ),
            Task::Backup(file) => ("backup", runtime.block_on(backup::backup(&settings, &file))),
            Task::Restore(file, force) => (
                "restore",
                runtime.block_on(backup::restore(&settings, &file, force)),
            ),
        };
        return match done {
            Ok(msg) => {
                println!("{msg}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("viva {verb}: {e}");
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

/// A one-off command: it runs against the configured data and exits.
enum Task {
    Admin(config::AdminAction),
    Backup(std::path::PathBuf),
    Restore(std::path::PathBuf, bool),
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

/// The file in the data directory with the operations token, when none is configured.
pub(crate) const METRICS_TOKEN_FILE: &str = "metrics-token";

/// Files this process creates (database, keys, tokens) are for its owner alone.
fn private_files() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

async fn serve(settings: Settings) -> Result<(), StartError> {
    private_files();
    let data_err = |source| StartError::DataDir {
        dir: settings.data_dir.display().to_string(),
        source,
    };
    secrets::prepare_data_dir(&settings.data_dir).map_err(data_err)?;
    // Proves the directory is writable before anything else is started.
    let probe = settings.data_dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(data_err)?;
    let _ = std::fs::remove_file(&probe);
    let signing_key = secrets::load_or_create_signing_key(&settings.data_dir).map_err(data_err)?;

    let auth = app::db::DbAuth {
        user: settings.db_user.clone(),
        pass: settings.db_pass.clone(),
    };
    // The store is opened once. When personal data was deleted since the last start, an
    // embedded store is first rewritten from its live data (a rewrite cut short before is
    // finished or undone), so the deleted values leave its files too.
    app::db::recover_rebuild(&settings.db).map_err(|e| app::db::DbError::Rebuild(e.to_string()))?;
    if app::db::log_to_recover(&settings.db).await? {
        recover_in_child(&settings.db).await;
    }
    let db = app::db::connect(&settings.db, &auth).await?;
    let (db, rebuilt) = app::db::rebuild_if_erased(db, &settings.db, &auth).await?;
    // The background workers, each holding a handle to the database: stopped before it closes.
    let mut workers = tokio::task::JoinSet::new();
    if let Some(r) = rebuilt {
        tracing::info!(
            before = r.bytes_before,
            after = r.bytes_after,
            secs = format!("{:.2}", r.secs),
            "deleted personal data left the disk: the store was rebuilt from its live data"
        );
    }
    secrets::tighten_tree(&settings.data_dir).map_err(data_err)?;
    let instance_id = app::db::instance_id(&db).await?;
    // This process is the embedded store's one writer: what it changes is all that changes, so
    // people's reads can be kept (app::memo). Nodes sharing a server read every time.
    app::memo::enable(app::db::is_embedded(&settings.db));
    // Nodes sharing a SurrealDB server share one signing key through it (a session started on
    // one node works on every other); the embedded store keeps it in the data directory.
    let signing_key = if app::db::is_embedded(&settings.db) {
        signing_key
    } else {
        let shared = app::db::shared_signing_key(&db, &secrets::encode_hex(&signing_key)).await?;
        secrets::decode_hex(&shared).ok_or(app::db::DbError::Missing(
            "a valid shared signing key (instance:main.signing_key is not hex)",
        ))?
    };
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
    )?
    .printing(settings.print_mail);
    if settings.print_mail {
        tracing::warn!("--print-mail: every e-mail, one-time codes included, is printed to this log. For development only: anyone who reads the log can use these codes");
    }
    if mailer.delivers() {
        mailer.spawn_worker(db.clone(), clock.clone(), &mut workers);
    } else if !settings.print_mail {
        tracing::warn!("no SMTP server set up (--smtp-url): e-mails, sign-up codes included, stay in the outbox and reach nobody. Set --smtp-url (or, on your own machine, --print-mail)");
    }
    admin_setup(&db, &settings.data_dir, clock.now())
        .await
        .map_err(data_err)?;
    let metrics_token = match &settings.metrics_token {
        Some(t) => t.clone(),
        None => secrets::load_or_create_token(&settings.data_dir, METRICS_TOKEN_FILE)
            .map_err(data_err)?,
    };
    let blobs = open_blobs(&settings)?;
    // Audio stored in the database by earlier versions moves to the blob store first.
    match app::voice::service::move_audio_to_blobs(&db, &blobs).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            segments = n,
            "recordings moved from the database to the blob store"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "recordings could not all be moved to the blob store; they stay in the database until the next start")
        }
    }
    // Files of rows deleted before a stop (or a crash) go before serving.
    if let Err(e) = app::blob::reap(&db, &blobs).await {
        tracing::warn!(error = %e, "recording files of deleted rows are left for the retention sweep");
    }
    spawn_sweeper(db.clone(), blobs.clone(), clock.clone(), &mut workers);
    let exports = app::privacy::export::Exports::default();
    app::privacy::service::spawn_export_worker(
        db.clone(),
        blobs.clone(),
        clock.clone(),
        settings.product_name.clone(),
        exports.wake.clone(),
        &mut workers,
    );
    if let Some(h) = &settings.hosted_engine {
        tracing::info!(engine = %h.name(), host = %h.host(), "answers are evaluated by a hosted engine: they are sent to {}", h.host());
    }
    let embedder = load_embedder(&settings.models_dir).await;
    let payments = payments(&settings)?;
    let evaluator = Arc::new(app::feedback::evaluator::Evaluator {
        hosted: settings.hosted_engine.clone(),
        embedder,
        payments: payments.clone(),
    });
    let transcriber = Arc::new(match &settings.hosted_stt {
        Some(h) => {
            tracing::info!(engine = %h.name(), host = %h.host(), "spoken answers are transcribed by a hosted engine: speech segments are sent to {}", h.host());
            app::voice::transcribe::Transcriber::Hosted(
                h.clone(),
                load_whisper(&settings.whisper_model).await,
            )
        }
        None => match load_whisper(&settings.whisper_model).await {
            Some(w) => app::voice::transcribe::Transcriber::Local(w),
            None => app::voice::transcribe::Transcriber::None,
        },
    });
    // Voice answers are handed in at interview practice's desk (voice sits below it).
    let desk: Arc<dyn app::voice::AnswerDesk> = Arc::new(app::interview::desk::Desk {
        evaluator: evaluator.clone(),
    });
    let voice_workers = app::voice::transcribe::Workers::spawn(
        db.clone(),
        blobs.clone(),
        transcriber.clone(),
        desk.clone(),
        clock.clone(),
        &mut workers,
    );

    let installation = Arc::new(installation(
        &settings,
        &public_url,
        insecure_cookies,
        &transcriber,
    ));
    if installation.operator.name.is_none() || installation.operator.email.is_none() {
        let host = host_of(&public_url);
        let local = host == "localhost" || host.starts_with("127.") || host == "[::1]";
        if !local {
            tracing::warn!("--operator-name and --operator-email are not set: the privacy notice and the terms of {public_url} cannot say who runs the site and how to reach them. Set both on any site other people use");
        }
    }
    let published = Arc::new(app::privacy::notice::publish(&db, &installation, clock.now()).await?);
    tracing::info!(
        privacy = %published.privacy.version,
        terms = %published.terms.version,
        "privacy notice and terms published"
    );

    let site = assets::Site::choose(settings.site_root.clone());
    if !site.has_bundle() {
        tracing::warn!(site = %site.describe(), "no wasm bundle found: pages render but do not become interactive. Build with `bash .ci/build`, or pass --site-root");
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
    let state = http::AppState::new(http::Shared {
        leptos_options,
        ctx: Arc::new(http::Contexts {
            db: db.clone(),
            site: app::request::Site {
                public_url: public_url.clone(),
                insecure_cookies,
            },
            auth: app::auth::AuthState {
                keys: app::auth::service::AuthKeys::new(&signing_key, &public_url),
                oidc: Arc::new(settings.oidc.clone()),
            },
            clock,
            mailer,
            evaluator,
            voice: app::voice::VoiceState {
                transcriber,
                wake: voice_workers.wake,
                desk,
                blobs,
                retention_days: settings.retention_days,
            },
            exports: exports.clone(),
            installation,
            published,
            payments,
            assets: site.asset_urls(),
        }),
        trusted_proxies: Arc::new(settings.trusted_proxies.clone()),
        origins: Arc::new(allowed_origins(
            &public_url,
            settings.public_url.is_none(),
            bound,
        )),
        metrics_token: Arc::new(metrics_token),
        proxy_warned: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        db_health: if app::db::is_embedded(&settings.db) {
            dbhealth::DbHealth::always_up()
        } else {
            dbhealth::DbHealth::watch(db.clone())
        },
        site: site.clone(),
        metrics: Arc::new(metrics::Metrics::default()),
        security: Arc::new(http::Security {
            https: public_url.starts_with("https://"),
            reload_port,
            payment_origins: settings
                .billing
                .iter()
                .flat_map(|b| b.razorpay.iter())
                .flat_map(|r| {
                    [
                        http::origin_of(&r.checkout_js),
                        http::origin_of(&r.api_base),
                    ]
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
        }),
        instance_id,
    });
    let app = http::router(state, settings.max_body_bytes);
    // Listened for before the node says it listens and answers anyone: a stop sent as soon as
    // it answers (a supervisor, a test) ends it cleanly instead of killing it.
    let stop_signal = shutdown_signal();

    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        db = %settings.db,
        data_dir = %settings.data_dir.display(),
        site = %site.describe(),
        "Viva is listening on http://{bound} (public URL {public_url})"
    );

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(accept_loop(listener, app, stop_rx));
    let cut_off = server.abort_handle();
    stop_signal.await;
    tracing::info!(
        "shutting down: no new connections; letting requests in flight finish (up to {} s)",
        settings.shutdown_timeout_secs
    );
    let _ = stop_tx.send(true);
    match tokio::time::timeout(Duration::from_secs(settings.shutdown_timeout_secs), server).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(StartError::Serve(std::io::Error::other(e))),
        Err(_) => {
            cut_off.abort();
            tracing::warn!("requests still running after the shutdown timeout were cut off")
        }
    }
    // The workers stop where they are: what one had claimed, another node or the next start
    // takes up again (as after a crash). With them and the server gone, this is the last
    // handle to the database: the engine flushes and closes.
    workers.shutdown().await;
    match app::db::close(db, &settings.db, STORE_CLOSE_WAIT).await {
        Ok(()) => tracing::info!("stopped cleanly"),
        Err(e) => {
            tracing::warn!(error = %e, "stopped; the store did not close in time, so the next start recovers its log first")
        }
    }
    Ok(())
}

/// The arguments (before the database URL) that make `viva` the store-recovering child.
pub const RECOVER_STORE_ARGS: [&str; 2] = ["internal", "recover-store"];

/// `viva internal recover-store DB_URL`: exit 0 once the store's log is recovered and empty.
fn recover_store(db_url: &str) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("viva internal recover-store: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(app::db::recover_log(db_url)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("viva internal recover-store: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Recovers the embedded store's log in a child process (`viva internal recover-store`): the
/// recovery opens the store once more, and the memory of that open's memtable (up to 1 GiB)
/// would stay with this process, zeroed and resident, after the real open reused it. When the
/// child fails, `connect` recovers the log itself.
async fn recover_in_child(db_url: &str) {
    tracing::info!("{}", app::db::RECOVERING_LOG);
    let status = match app::process::this_program() {
        Ok(p) => {
            tokio::process::Command::new(p)
                .args(RECOVER_STORE_ARGS)
                .arg(db_url)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .status()
                .await
        }
        Err(e) => Err(e),
    };
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            tracing::warn!(status = %s, "the store's log could not be recovered in a child process; recovering it here")
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not start a child process to recover the store's log; recovering it here")
        }
    }
}

/// Named limit: how long a stopping node waits for the embedded store to flush and close.
const STORE_CLOSE_WAIT: Duration = Duration::from_secs(10);

/// Origins that may send state-changing requests: the public URL's; when the operator did not
/// set one (a local install), also the other loopback names of the bound port, so that
/// http://localhost:3000 works as well as http://127.0.0.1:3000.
fn allowed_origins(public_url: &str, derived: bool, bound: std::net::SocketAddr) -> Vec<String> {
    let mut out = vec![http::origin_of(public_url)];
    if derived && bound.ip().is_loopback() {
        let p = bound.port();
        out.extend([
            format!("http://127.0.0.1:{p}"),
            format!("http://localhost:{p}"),
            format!("http://[::1]:{p}"),
        ]);
    }
    out.sort();
    out.dedup();
    out
}

/// Serves HTTP/1.1 connections until `stop` turns true, then lets each finish its requests.
/// Every connection gets [`http::HEADER_READ_TIMEOUT_SECS`] to send each request header (a
/// client that trickles headers to hold connections open is cut off).
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let (sock, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        // A page streamed in pieces (the shell, then each resolved part) must not wait for
        // the client's delayed ACK before its next piece: without this every signed-in page
        // took ~40 ms (Nagle's algorithm), whatever its work.
        if let Err(e) = sock.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
        let app = app.clone();
        let mut stop = stop.clone();
        conns.spawn(async move {
            let svc = hyper::service::service_fn(
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    tower::ServiceExt::oneshot(app.clone(), req)
                },
            );
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(http::HEADER_READ_TIMEOUT_SECS))
                .serve_connection(TokioIo::new(sock), svc)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
        // Forget connections that have ended.
        while conns.try_join_next().is_some() {}
    }
    while conns.join_next().await.is_some() {}
}

/// With nobody administering this installation, the one-time setup token waits in the data
/// directory (0600) for the operator; the log says where, never what it is.
async fn admin_setup(
    db: &app::db::Db,
    data_dir: &std::path::Path,
    now: i64,
) -> std::io::Result<()> {
    use app::auth::people::{register_setup_token, Setup, SETUP_TOKEN_FILE};
    let path = data_dir.join(SETUP_TOKEN_FILE);
    if app::auth::people::has_admin(db)
        .await
        .map_err(std::io::Error::other)?
    {
        let _ = std::fs::remove_file(&path);
        return Ok(());
    }
    let token = secrets::load_or_create_token(data_dir, SETUP_TOKEN_FILE)?;
    match register_setup_token(db, &token, now).await.map_err(std::io::Error::other)? {
        Setup::HasAdmin => {
            let _ = std::fs::remove_file(&path);
        }
        Setup::Ready => tracing::warn!(
            "nobody administers this installation yet: sign up, confirm your address, and enter the setup token from {} on your dashboard (or run `viva admin create`)",
            path.display()
        ),
        Setup::ElsewhereMade => tracing::warn!(
            "nobody administers this installation yet: the setup token is in the data directory of the node that started first (or run `viva admin create`)"
        ),
    }
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

/// The blob store `--blob-store` names (files under the data directory by default).
fn open_blobs(settings: &config::Settings) -> Result<app::blob::Blobs, config::ConfigError> {
    let blobs = app::blob::Blobs::open(&settings.blob_store, &settings.data_dir)
        .map_err(config::ConfigError::Invalid)?;
    tracing::info!(store = %blobs.place, "recordings are kept in the blob store");
    Ok(blobs)
}

/// Retention: every `SWEEP_EVERY_SECS` this node offers to run the sweep, and one node at a
/// time (a lease in the database) drops what has run out (`app::privacy::service::sweep`).
fn spawn_sweeper(
    db: app::db::Db,
    blobs: app::blob::Blobs,
    clock: app::clock::Clock,
    tasks: &mut tokio::task::JoinSet<()>,
) {
    let node = app::ids::new_id();
    tasks.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(
            app::privacy::service::SWEEP_EVERY_SECS as u64,
        ));
        loop {
            tick.tick().await;
            if let Err(e) = app::privacy::service::sweep(&db, &blobs, &node, clock.now()).await {
                tracing::warn!(error = %e, "retention sweep");
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
    secrets::prepare_data_dir(&settings.data_dir).map_err(|source| StartError::DataDir {
        dir: settings.data_dir.display().to_string(),
        source,
    })?;
    let db = app::db::connect(&settings.db, &auth).await?;
    let done = admin_action(&settings, &db, action).await;
    // Closed, so the next start finds the store's log empty (nothing to recover).
    if let Err(e) = app::db::close(db, &settings.db, STORE_CLOSE_WAIT).await {
        eprintln!("viva admin: {e}; the next start recovers the store's log first");
    }
    done
}

async fn admin_action(
    settings: &Settings,
    db: &app::db::Db,
    action: config::AdminAction,
) -> Result<String, StartError> {
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
            app::auth::people::create_admin(db, &email, &name, &password, now).await?;
            Ok(format!("{email} is now an admin account; sign in with it."))
        }
        config::AdminAction::Promote { email } => {
            app::auth::people::promote(db, &email, now).await?;
            Ok(format!("{email} is now an admin."))
        }
        config::AdminAction::DeleteUser { email } => {
            let mailer = match &settings.smtp_url {
                Some(url) => Some(app::mail::Mailer::new(
                    &settings.product_name,
                    &settings.mail_from_for(&settings.public_url_for(settings.addr)),
                    Some(url),
                )?),
                None => None,
            };
            app::privacy::service::delete_by_email(db, mailer.as_ref(), &email, now).await?;
            Ok(format!(
                "The account of {email} and everything in it were deleted."
            ))
        }
        config::AdminAction::AnnouncePolicyChange => {
            let public_url = settings.public_url_for(settings.addr);
            let mailer = app::mail::Mailer::new(
                &settings.product_name,
                &settings.mail_from_for(&public_url),
                settings.smtp_url.as_deref(),
            )?;
            let n = app::admin::announce_policy_change(
                db,
                &mailer,
                &settings.product_name,
                &public_url,
                now,
            )
            .await?;
            Ok(format!(
                "{n} e-mail(s) queued; the server sends them at most {} a minute{}.",
                app::admin::ANNOUNCE_PER_MINUTE,
                if settings.smtp_url.is_some() {
                    ""
                } else {
                    " once an SMTP server is set up (--smtp-url); until then they wait in the outbox"
                }
            ))
        }
        config::AdminAction::ExportUser { email, file } => {
            let size = app::privacy::export::export_to_file(
                db,
                &open_blobs(settings)?,
                &email,
                &settings.product_name,
                now,
                &file,
            )
            .await?;
            Ok(format!(
                "Everything the account of {email} holds is in {} ({size} bytes).",
                file.display()
            ))
        }
    }
}

/// SIGTERM or SIGINT (Ctrl-C). Their handlers are installed when this is called, not when the
/// future is first polled: until then either signal would kill the process outright (seen: a
/// SIGTERM right after `/readyz` answered, on a loaded machine, while the accept loop, already
/// running on another thread, had answered it).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            async fn received(s: std::io::Result<Signal>) {
                match s {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            }
            tokio::select! { _ = received(term) => {}, _ = received(int) => {} }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// What the settings say this installation does: the privacy notice, the terms, the footer
/// and the landing page are written from it.
fn installation(
    settings: &config::Settings,
    public_url: &str,
    insecure_cookies: bool,
    transcriber: &app::voice::transcribe::Transcriber,
) -> app::policy::Installation {
    use app::policy::Service;
    use app::voice::transcribe::Transcriber;
    app::policy::Installation {
        product_name: settings.product_name.clone(),
        public_url: public_url.to_string(),
        operator: settings.operator.clone(),
        smtp_host: settings.smtp_url.as_deref().map(host_of),
        evaluator: settings.hosted_engine.as_ref().map(|h| Service {
            name: h.name(),
            host: h.host(),
        }),
        transcriber: settings.hosted_stt.as_ref().map(|h| Service {
            name: format!("{} (transcription)", h.name()),
            host: h.host(),
        }),
        local_transcriber: matches!(
            transcriber,
            Transcriber::Local(_) | Transcriber::Hosted(_, Some(_))
        ),
        sign_in: settings
            .oidc
            .iter()
            .map(|p| Service {
                name: p.label.clone(),
                host: host_of(&p.issuer),
            })
            .collect(),
        recording_retention_days: settings.retention_days,
        insecure_cookies,
        log_mail: settings.print_mail,
        extra_terms: settings.extra_terms.clone(),
        try_enabled: settings.try_enabled,
        payments: settings
            .billing
            .iter()
            .flat_map(|b| {
                b.stripe
                    .iter()
                    .map(|(_, _, base)| Service {
                        name: "Stripe".into(),
                        host: host_of(base),
                    })
                    .chain(b.razorpay.iter().map(|r| Service {
                        name: "Razorpay".into(),
                        host: host_of(&r.api_base),
                    }))
            })
            .collect(),
    }
}

/// Billing's clients from the settings (off when no provider is configured).
fn payments(
    settings: &config::Settings,
) -> Result<app::billing::service::Payments, config::ConfigError> {
    use app::billing::service::{razorpay::RazorpayConf, stripe::StripeConf, Billing, Payments};
    let Some(b) = &settings.billing else {
        return Ok(Payments::default());
    };
    let stripe = match &b.stripe {
        Some((key, webhook, base)) => Some(
            StripeConf::new(key, webhook.clone(), base).map_err(config::ConfigError::Invalid)?,
        ),
        None => None,
    };
    let razorpay = b.razorpay.as_ref().map(|r| RazorpayConf {
        key_id: r.key_id.clone(),
        key_secret: r.key_secret.clone(),
        webhook_secret: r.webhook_secret.clone(),
        base: r.api_base.clone(),
        checkout_js: r.checkout_js.clone(),
    });
    tracing::info!(
        plans = b.catalog.plans.len(),
        stripe = stripe.is_some(),
        razorpay = razorpay.is_some(),
        "billing is on"
    );
    Ok(Payments(Some(Arc::new(Billing {
        catalog: b.catalog.clone(),
        stripe,
        razorpay,
    }))))
}

/// The host of a URL (`smtp://user:pass@mail.example.org:587` -> `mail.example.org`), without
/// its user, password or port.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return host_port
            .split_inclusive(']')
            .next()
            .unwrap_or(host_port)
            .to_string();
    }
    host_port.split(':').next().unwrap_or(host_port).to_string()
}
