//! Settings: command-line flags, `VIVA_*` environment variables, and an optional TOML file,
//! in that order of precedence, over defaults that need no configuration at all.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

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
}

#[derive(Args, Debug, Default, Clone)]
pub struct ServeArgs {
    /// TOML file with any of the settings below (keys as the long flag names, with '_' for '-').
    #[arg(long, env = "VIVA_CONFIG", value_name = "FILE")]
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
    #[arg(long, env = "VIVA_DB_PASS", value_name = "PASSWORD", hide_env_values = true)]
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
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT [default: 20].
    #[arg(long, env = "VIVA_SHUTDOWN_TIMEOUT", value_name = "SECONDS")]
    pub shutdown_timeout: Option<u64>,
}

#[derive(ValueEnum, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// The same settings as read from a TOML file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    db: Option<String>,
    db_user: Option<String>,
    db_pass: Option<String>,
    public_url: Option<String>,
    site_root: Option<PathBuf>,
    log_format: Option<LogFormat>,
    log: Option<String>,
    max_body_bytes: Option<usize>,
    shutdown_timeout: Option<u64>,
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
    pub db: String,
    pub db_user: Option<String>,
    pub db_pass: Option<String>,
    /// None: the address is only known once bound (port 0); derived from it then.
    pub public_url: Option<String>,
    pub site_root: Option<PathBuf>,
    pub log_format: LogFormat,
    pub log: String,
    pub max_body_bytes: usize,
    pub shutdown_timeout_secs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the config file {path} is not valid: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    pub fn resolve(args: ServeArgs) -> Result<Settings, ConfigError> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
                toml::from_str::<FileConfig>(&text).map_err(|source| ConfigError::Parse { path: path.clone(), source })?
            }
            None => FileConfig::default(),
        };
        let addr = args.addr.or(file.addr).unwrap_or_else(|| DEFAULT_ADDR.parse().unwrap());
        let data_dir = args.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let db = args
            .db
            .or(file.db)
            .unwrap_or_else(|| format!("surrealkv://{}", data_dir.join("db").display()));
        let known = ["surrealkv://", "mem://", "memory", "ws://", "wss://"];
        if !known.iter().any(|p| db.starts_with(p)) {
            return Err(ConfigError::Invalid(format!(
                "--db {db:?} is not a database URL Viva can use: give surrealkv://PATH, mem:// or ws://HOST:PORT"
            )));
        }
        let public_url = args.public_url.or(file.public_url).map(|u| u.trim_end_matches('/').to_string());
        if let Some(u) = &public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(ConfigError::Invalid(format!(
                    "--public-url {u:?} must start with http:// or https://"
                )));
            }
        }
        let max_body_bytes = args.max_body_bytes.or(file.max_body_bytes).unwrap_or(DEFAULT_MAX_BODY_BYTES);
        if max_body_bytes < 1024 {
            return Err(ConfigError::Invalid("--max-body-bytes must be at least 1024".into()));
        }
        Ok(Settings {
            addr,
            data_dir,
            db,
            db_user: args.db_user.or(file.db_user),
            db_pass: args.db_pass.or(file.db_pass),
            public_url,
            site_root: args.site_root.or(file.site_root),
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            log: args.log.or(file.log).unwrap_or_else(|| DEFAULT_LOG.into()),
            max_body_bytes,
            shutdown_timeout_secs: args.shutdown_timeout.or(file.shutdown_timeout).unwrap_or(DEFAULT_SHUTDOWN_TIMEOUT_SECS),
        })
    }

    /// The public URL, or one made from the bound address.
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{bound}"))
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
        writeln!(f, "addr = \"127.0.0.1:4000\"\ndata_dir = \"/tmp/x\"\nlog_format = \"json\"").unwrap();
        let args = ServeArgs { config: Some(f.path().into()), addr: Some("127.0.0.1:5000".parse().unwrap()), ..Default::default() };
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
        let err = Settings::resolve(ServeArgs { config: Some(f.path().into()), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("adress"), "{err}");

        let err = Settings::resolve(ServeArgs { db: Some("postgres://x".into()), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("surrealkv://"), "{err}");

        let err = Settings::resolve(ServeArgs { public_url: Some("viva.example.org".into()), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("http"), "{err}");
    }
}
