//! The database: one SurrealDB handle for every storage engine (`surrealkv://PATH` embedded
//! file by default, `mem://` for tests, `ws://host:port` for a SurrealDB server), and the
//! schema migrations applied at start-up, each once.

use surrealdb::engine::any::{self, Any};
use surrealdb::opt::auth::{Database, Root};
use surrealdb::types::SurrealValue;
use surrealdb::Surreal;

/// The database handle every feature shares. Cloning it is an `Arc` clone: the one SurrealDB
/// session opened at start-up serves every request. (Cloning a `Surreal` itself opens a new
/// session — a registry entry made, and a message sent and a reclamation run when it drops —,
/// which cost every page view and server function two of them.) Nothing in Viva keeps state
/// in a session: every query names what it needs.
#[derive(Clone)]
pub struct Db(std::sync::Arc<Surreal<Any>>);

impl Db {
    pub fn new(db: Surreal<Any>) -> Self {
        Db(std::sync::Arc::new(db))
    }
}

impl std::ops::Deref for Db {
    type Target = Surreal<Any>;
    fn deref(&self) -> &Surreal<Any> {
        &self.0
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Db")
    }
}

/// Namespace and database that hold Viva's tables.
pub const NAMESPACE: &str = "viva";
pub const DATABASE: &str = "main";

/// Named limit: how long opening the database may take before start-up gives up.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Named limit: how long start-up waits for the embedded store to be let go by another
/// process (one that was just stopped or killed and is still exiting) before it gives up.
pub const STORE_IN_USE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Schema migrations, in order. A migration is never edited once released: add a new one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../migrations/0001_init.surql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sql: include_str!("../migrations/0002_accounts.surql"),
    },
    Migration {
        version: 3,
        name: "interviews",
        sql: include_str!("../migrations/0003_interviews.surql"),
    },
    Migration {
        version: 4,
        name: "voice",
        sql: include_str!("../migrations/0004_voice.surql"),
    },
    Migration {
        version: 5,
        name: "voice_queue",
        sql: include_str!("../migrations/0005_voice_queue.surql"),
    },
    Migration {
        version: 6,
        name: "security",
        sql: include_str!("../migrations/0006_security.surql"),
    },
    Migration {
        version: 7,
        name: "oidc_login",
        sql: include_str!("../migrations/0007_oidc_login.surql"),
    },
    Migration {
        version: 8,
        name: "objects",
        sql: include_str!("../migrations/0008_objects.surql"),
    },
    Migration {
        version: 9,
        name: "erasure",
        sql: include_str!("../migrations/0009_erasure.surql"),
    },
    Migration {
        version: 10,
        name: "data_rights",
        sql: include_str!("../migrations/0010_data_rights.surql"),
    },
    Migration {
        version: 11,
        name: "policies",
        sql: include_str!("../migrations/0011_policies.surql"),
    },
    Migration {
        version: 12,
        name: "billing",
        sql: include_str!("../migrations/0012_billing.surql"),
    },
    Migration {
        version: 13,
        name: "video",
        sql: include_str!("../migrations/0013_video.surql"),
    },
    Migration {
        version: 14,
        name: "shared_key",
        sql: include_str!("../migrations/0014_shared_key.surql"),
    },
    Migration {
        version: 15,
        name: "account_fence",
        sql: include_str!("../migrations/0015_account_fence.surql"),
    },
    Migration {
        version: 16,
        name: "sliding_rate_limits",
        sql: include_str!("../migrations/0016_sliding_rate_limits.surql"),
    },
];

#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// Its file in app/migrations, e.g. `0002_accounts.surql`.
    pub fn file_name(&self) -> String {
        format!("{:04}_{}.surql", self.version, self.name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("could not open the database at {url}: {source}. Check that the address is right, that a SurrealDB server answers there, or that the data directory is writable")]
    Connect {
        url: String,
        source: surrealdb::Error,
    },
    #[error("the database in {dir} is in use by another process (another Viva on the same --data-dir, or a backup or admin command) and was not let go within {secs} s. Stop the other one, or give this one another --data-dir")]
    InUse { dir: String, secs: u64 },
    #[error("the embedded store in {dir} was not let go: {why}. Stop any other Viva, backup or admin command using this --data-dir, then try again")]
    NotClosed { dir: String, why: String },
    #[error("the database at {url} did not answer within {secs} s. Check that a SurrealDB server is running there")]
    Timeout { url: String, secs: u64 },
    #[error("could not sign in to the database at {url} as {user}: {source}. Check --db-user and --db-pass")]
    SignIn {
        url: String,
        user: String,
        source: surrealdb::Error,
    },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: surrealdb::Error,
    },
    #[error("app/migrations/{file} was changed after it was applied to this database (migration {version}). A released migration is never edited: restore the file as it was and put the change in a new migration")]
    MigrationChanged { file: String, version: i64 },
    #[error("{0} is missing from the database")]
    Missing(&'static str),
    #[error("database query failed: {0}")]
    Query(#[from] surrealdb::Error),
    #[error("rewriting the embedded store after an erasure failed: {0}. The store is unchanged; the next start tries again")]
    Rebuild(String),
}

/// Credentials for a remote SurrealDB server: a user of Viva's database (recommended: it can
/// reach nothing else on the server), or a root user. Not used by embedded engines.
#[derive(Debug, Clone, Default)]
pub struct DbAuth {
    pub user: Option<String>,
    pub pass: Option<crate::secret::Secret>,
}

/// What kind of failure a database error is: the one place that tells them apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A concurrent transaction wrote the same record first; running it again is safe.
    Conflict,
    /// A unique index (named) refused a second record with the same key.
    Duplicate(&'static str),
    /// A `THROW` in the query, with its message.
    Thrown(String),
    /// The account a write was for is gone (the `THROW` of auth's fence, [`ACCOUNT_GONE`]).
    AccountGone,
    /// Anything else: a fault to log and answer with a 500.
    Other,
}

/// A database error as the caller hears it: a write for an account deleted meanwhile (its
/// session went with it) is a sign-in request; anything else is logged and a 500.
impl From<surrealdb::Error> for crate::AppError {
    fn from(e: surrealdb::Error) -> Self {
        if classify(&e) == Fault::AccountGone {
            return crate::AppError::Unauthorized;
        }
        crate::AppError::internal("database error", e)
    }
}

/// What auth's fence (its `account_fence!` macro) throws when the account a write is for no longer
/// exists: the caller is answered as signed out.
pub const ACCOUNT_GONE: &str = "account gone";

/// The unique indexes of the schema, so that a violation names one of them.
pub const UNIQUE_INDEXES: &[&str] = &[
    "user_email",
    "refresh_token_hash",
    "oidc_login_state",
    "oidc_identity_subject",
    "profile_user",
    "resume_user",
    "item_position",
    "segment_key",
    "voice_answer_key",
    "export_chunk_key",
    "billing_account_user",
    "billing_event_once",
    "payment_invoice",
    "referral_code_user",
    "referral_referred",
    "video_take",
    "video_chunk_key",
];

/// Classifies a database error. SurrealDB 3 reports a transaction conflict as a structured
/// query error; a unique-index violation and a thrown error carry their detail only in their
/// message, which is read here and nowhere else.
pub fn classify(e: &surrealdb::Error) -> Fault {
    use surrealdb::types::QueryError;
    if e.query_details() == Some(&QueryError::TransactionConflict) {
        return Fault::Conflict;
    }
    let msg = e.to_string();
    if msg.contains("can be retried") {
        return Fault::Conflict;
    }
    if e.is_thrown() {
        let thrown = msg.trim_start_matches("An error occurred: ").trim();
        if thrown == ACCOUNT_GONE {
            return Fault::AccountGone;
        }
        return Fault::Thrown(thrown.to_string());
    }
    if msg.contains("already contains") {
        if let Some(ix) = UNIQUE_INDEXES.iter().find(|ix| {
            msg.contains(&format!("index `{ix}`")) || msg.contains(&format!("index {ix}"))
        }) {
            return Fault::Duplicate(ix);
        }
    }
    Fault::Other
}

/// The condition "this row belongs to interview `$id` of account `$uid`", for `concat!` into
/// the queries of the tables that hang off an interview (bind `$id` and `$uid`).
#[macro_export]
macro_rules! of_interview {
    () => {
        "interview = type::record('interview', $id) AND user = type::record('user', $uid)"
    };
}

/// A stored object (scores, an evaluation, speech analytics) as its type. One that does not
/// decode (a renamed field, a damaged row) is a logged fault naming `what`, never a silent
/// empty value.
pub fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    v: serde_json::Value,
) -> Result<T, crate::AppError> {
    serde_json::from_value(v)
        .map_err(|e| crate::AppError::internal(&format!("stored {what} does not decode"), e))
}

/// A value to store as an object.
pub fn encode<T: serde::Serialize>(
    what: &str,
    v: &T,
) -> Result<serde_json::Value, crate::AppError> {
    serde_json::to_value(v)
        .map_err(|e| crate::AppError::internal(&format!("{what} does not encode"), e))
}

/// The error that failed a transaction, from the errors of all its statements: SurrealDB
/// reports the others as "not executed due to a failed transaction".
pub fn cause(
    errors: std::collections::HashMap<usize, surrealdb::Error>,
) -> Option<surrealdb::Error> {
    let mut errors: Vec<(usize, surrealdb::Error)> = errors.into_iter().collect();
    errors.sort_by_key(|(i, _)| *i);
    let cancelled = |e: &surrealdb::Error| {
        e.to_string()
            .contains("not executed due to a failed transaction")
    };
    match errors.iter().position(|(_, e)| !cancelled(e)) {
        Some(i) => Some(errors.swap_remove(i).1),
        None => errors.into_iter().next().map(|(_, e)| e),
    }
}

/// Like `check()`, for a transaction: the error that failed it (a THROW, a conflict, a
/// duplicate), not the "not executed" of the statements it cancelled.
pub fn check_tx(
    mut r: surrealdb::IndexedResults,
) -> Result<surrealdb::IndexedResults, surrealdb::Error> {
    match cause(r.take_errors()) {
        Some(e) => Err(e),
        None => Ok(r),
    }
}

/// Whether a query failed only because a concurrent transaction wrote the same record first
/// (SurrealKV refuses one of the two); running it again is safe and expected.
pub fn is_conflict(e: &surrealdb::Error) -> bool {
    classify(e) == Fault::Conflict
}

/// Tries of a write that meets a concurrent write to the same record.
pub const CONFLICT_RETRIES: u32 = 12;

/// Runs a query (made afresh by `run` each time) again after a short random wait while it fails
/// only because a concurrent transaction wrote the same record first. `None` when it was still
/// contended after every try: callers refuse that one request rather than fail it.
pub async fn retry_conflicts<T, F, Fut>(mut run: F) -> Result<Option<T>, surrealdb::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, surrealdb::Error>>,
{
    for attempt in 1..=CONFLICT_RETRIES {
        match run().await {
            Ok(v) => return Ok(Some(v)),
            Err(e) if is_conflict(&e) => {
                let wait = (1 + rand::random::<u64>() % 4) * u64::from(attempt);
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Runs a transaction (made afresh by `query` each time) with [`retry_conflicts`], its errors
/// checked ([`check_tx`]). `None`: still contended after every try.
pub async fn transact<'d>(
    query: impl Fn() -> surrealdb::method::Query<'d, Any>,
) -> Result<Option<surrealdb::IndexedResults>, surrealdb::Error> {
    let query = &query;
    retry_conflicts(move || async move { query().await.and_then(check_tx) }).await
}

/// [`transact`] for a caller with nothing to tell apart: still contended after every try is
/// refused with a short wait (the caller tries again), any other error is the caller's.
pub async fn write<'d>(
    query: impl Fn() -> surrealdb::method::Query<'d, Any>,
) -> Result<surrealdb::IndexedResults, crate::AppError> {
    transact(query)
        .await?
        .ok_or(crate::AppError::RateLimited(1))
}

/// The database URLs Viva takes, by their start, and whether each is an embedded engine (data
/// in this process) or a server.
pub const URL_SCHEMES: &[(&str, bool)] = &[
    ("surrealkv://", true),
    ("mem://", true),
    ("memory", true),
    ("ws://", false),
    ("wss://", false),
];

/// Whether a database URL is one Viva can use.
pub fn is_known_url(url: &str) -> bool {
    URL_SCHEMES.iter().any(|(p, _)| url.starts_with(p))
}

/// Whether a database URL names an embedded engine (data in this process) or a server.
pub fn is_embedded(url: &str) -> bool {
    URL_SCHEMES
        .iter()
        .any(|(p, embedded)| *embedded && url.starts_with(p))
}

/// Opens the database at `url` (within [`CONNECT_TIMEOUT`]).
async fn open(url: &str) -> Result<Surreal<Any>, DbError> {
    tokio::time::timeout(CONNECT_TIMEOUT, any::connect(url))
        .await
        .map_err(|_| DbError::Timeout {
            url: url.to_string(),
            secs: CONNECT_TIMEOUT.as_secs(),
        })?
        .map_err(|source| DbError::Connect {
            url: url.to_string(),
            source,
        })
}

/// Whether the embedded store in `dir` has writes in its log that are not yet flushed.
fn log_has_records(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir.join("wal"))
        .map(|entries| {
            entries.flatten().any(|e| {
                e.path().extension().is_some_and(|x| x == "wal")
                    && e.metadata().is_ok_and(|m| m.len() > 0)
            })
        })
        .unwrap_or(false)
}

/// Logged when a start recovers the embedded store's log before opening it for good.
pub const RECOVERING_LOG: &str =
    "the store was not closed cleanly last time (a crash or a kill): recovering its log first";

/// Closes the database after a clean stop. `db` must be the last handle (whatever else held
/// one has stopped). An embedded store is then given up to `limit` to flush its memtables
/// and close, which leaves its log empty: the next start has nothing to recover.
pub async fn close(db: Db, url: &str, limit: std::time::Duration) -> Result<(), DbError> {
    drop(db);
    match store_dir(url) {
        Some(dir) => wait_closed_within(&dir, limit).await,
        None => Ok(()),
    }
}

/// (embedded stores) Waits until no other process holds the store of `url` (up to
/// [`STORE_IN_USE_WAIT`]), then tells whether its log holds records to recover before the
/// store is opened for good (see [`connect`]).
pub async fn log_to_recover(url: &str) -> Result<bool, DbError> {
    let Some(dir) = store_dir(url) else {
        return Ok(false);
    };
    wait_until_free(&dir).await?;
    Ok(log_has_records(&dir))
}

/// (embedded stores) Opens and closes the store of `url` once: SurrealKV's recovery replays
/// the log and the close flushes it, leaving the log empty.
pub async fn recover_log(url: &str) -> Result<(), DbError> {
    drop(open(url).await?);
    match store_dir(url) {
        Some(dir) => wait_closed(&dir).await,
        None => Ok(()),
    }
}

async fn wait_until_free(dir: &std::path::Path) -> Result<(), DbError> {
    // (A lock file that cannot be read is left to the open to report.)
    match wait_free(dir, STORE_IN_USE_WAIT).await {
        Err(None) => Err(DbError::InUse {
            dir: dir.display().to_string(),
            secs: STORE_IN_USE_WAIT.as_secs(),
        }),
        _ => Ok(()),
    }
}

/// Opens the database, signs in when it is a server, selects Viva's namespace and database,
/// and applies pending migrations.
pub async fn connect(url: &str, auth: &DbAuth) -> Result<Db, DbError> {
    if let Some(dir) = store_dir(url) {
        wait_until_free(&dir).await?;
        // The log holds writes that were never flushed: the last run stopped without closing
        // the store, perhaps in the middle of writing a record. SurrealKV would append this
        // run's writes after that torn record and the next recovery would stop at it, losing
        // them all; opening and closing once first ends the recovery with a flush, so this run
        // writes to a fresh log. A clean stop closes the store, which empties the log. The
        // server recovers it in a child process first ([`recover_log`]): here, the recovery's
        // memtable would stay with this process, zeroed and resident (up to 1 GiB), once the
        // real open reused its memory.
        if log_has_records(&dir) {
            tracing::info!(store = %dir.display(), "{RECOVERING_LOG}");
            recover_log(url).await?;
        }
    }
    let db = open(url).await?;
    if !is_embedded(url) {
        if let (Some(user), Some(pass)) = (&auth.user, &auth.pass) {
            let scoped = Database {
                namespace: NAMESPACE.into(),
                database: DATABASE.into(),
                username: user.clone(),
                password: pass.expose().to_string(),
            };
            if db.signin(scoped).await.is_err() {
                db.signin(Root {
                    username: user.clone(),
                    password: pass.expose().to_string(),
                })
                .await
                .map_err(|source| DbError::SignIn {
                    url: url.to_string(),
                    user: user.clone(),
                    source,
                })?;
                tracing::warn!(
                    "signed in to {url} as the root user {user}: Viva can then reach every namespace on that server. Define a user of Viva's database only (DEFINE USER viva ON DATABASE … ROLES OWNER in namespace {NAMESPACE}, database {DATABASE}; see the README) and use it instead"
                );
            }
        }
    }
    // On a fresh server the first USE defines the namespace and database: two nodes starting
    // together both do, and one of them meets the other's write.
    retry_conflicts(|| async { db.use_ns(NAMESPACE).use_db(DATABASE).await })
        .await?
        .ok_or(DbError::Missing(
            "Viva's namespace and database (still contended)",
        ))?;
    let db = Db::new(db);
    migrate(&db).await?;
    Ok(db)
}

#[derive(Debug, Clone, SurrealValue)]
pub struct AppliedMigration {
    pub version: i64,
    pub name: String,
    pub checksum: String,
}

/// Applies every migration not yet recorded, each in its own transaction together with its
/// record, so a failed migration leaves nothing behind. Returns the versions it applied.
///
/// Several nodes may start together on one database: each migration's transaction writes the
/// same unique index entry, so one commits and the others fail; a node whose migration failed
/// looks again and goes on when another node applied that very migration.
pub async fn migrate(db: &Db) -> Result<Vec<i64>, DbError> {
    let defined = retry_conflicts(|| async {
        db.query(
            "DEFINE TABLE IF NOT EXISTS migration SCHEMAFULL;
             DEFINE FIELD IF NOT EXISTS version ON migration TYPE int;
             DEFINE FIELD IF NOT EXISTS name ON migration TYPE string;
             DEFINE FIELD IF NOT EXISTS checksum ON migration TYPE string;
             DEFINE FIELD IF NOT EXISTS applied_at ON migration TYPE datetime;
             DEFINE INDEX IF NOT EXISTS migration_version ON migration FIELDS version UNIQUE;",
        )
        .await?
        .check()
    })
    .await?;
    if defined.is_none() {
        return Err(DbError::Missing(
            "the migration table (other nodes kept defining it at the same time: start again)",
        ));
    }

    let applied = applied_migrations(db).await?;
    let mut done = Vec::new();
    for m in MIGRATIONS {
        if let Some(prev) = applied.iter().find(|a| a.version == m.version) {
            if prev.checksum != checksum(m.sql) {
                return Err(DbError::MigrationChanged {
                    file: m.file_name(),
                    version: m.version,
                });
            }
            continue;
        }
        let sql = format!(
            "BEGIN TRANSACTION;\n{}\n;CREATE migration SET version = $version, name = $name, checksum = $checksum, applied_at = time::now();\nCOMMIT TRANSACTION;",
            m.sql
        );
        let sum = checksum(m.sql);
        let run = retry_conflicts(|| async {
            db.query(sql.clone())
                .bind(("version", m.version))
                .bind(("name", m.name))
                .bind(("checksum", sum.clone()))
                .await
                .and_then(check_tx)
        })
        .await;
        if !matches!(run, Ok(Some(_))) {
            // Failed, or still contended: done by another node starting at the same time?
            let elsewhere = applied_migrations(db)
                .await?
                .iter()
                .any(|a| a.version == m.version && a.checksum == sum);
            if !elsewhere {
                return Err(match run {
                    Err(source) => DbError::Migration {
                        version: m.version,
                        name: m.name,
                        source,
                    },
                    _ => DbError::Missing(
                        "a migration (other nodes kept applying it at the same time: start again)",
                    ),
                });
            }
            tracing::info!(
                version = m.version,
                name = m.name,
                "migration applied by another node starting at the same time"
            );
            continue;
        }
        tracing::info!(version = m.version, name = m.name, "applied migration");
        done.push(m.version);
    }
    Ok(done)
}

pub async fn applied_migrations(db: &Db) -> Result<Vec<AppliedMigration>, DbError> {
    let mut res = db
        .query("SELECT version, name, checksum FROM migration ORDER BY version")
        .await?
        .check()?;
    Ok(res.take(0)?)
}

/// A cheap query that proves the database answers.
pub async fn ping(db: &Db) -> Result<(), DbError> {
    db.query("RETURN 1").await?.check()?;
    Ok(())
}

/// Takes or renews the lease `name` for `holder` until `now + secs`: true when `holder` has it
/// (nobody had it, it had run out, or `holder` had it already). One node at a time runs a
/// periodic job this way; two nodes asking at once: one gets it (the other's write conflicts).
pub async fn take_lease(
    db: &Db,
    name: &str,
    holder: &str,
    now: i64,
    secs: i64,
) -> Result<bool, surrealdb::Error> {
    let res = db
        .query(
            "UPSERT type::record('lease', $name) SET holder = $holder, until = $until
                 WHERE holder = NONE OR holder = $holder OR until <= $now RETURN VALUE holder",
        )
        .bind(("name", name.to_string()))
        .bind(("holder", holder.to_string()))
        .bind(("now", now))
        .bind(("until", now + secs))
        .await
        .and_then(|r| r.check());
    match res {
        Ok(mut r) => {
            let who: Vec<String> = r.take(0)?;
            Ok(who.first().map(String::as_str) == Some(holder))
        }
        Err(e) if is_conflict(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Marks that deleted personal data may still sit in the embedded store's files (its write-ahead
/// log and older tables keep what a DELETE removed until they are rewritten): the next start
/// rewrites the store from its live data ([`rebuild_if_erased`]).
pub async fn erasure_pending(db: &Db, now: i64) -> Result<(), surrealdb::Error> {
    db.query("UPDATE instance:main SET erasure_pending_at = $now")
        .bind(("now", now))
        .await?
        .check()?;
    Ok(())
}

/// What a rebuild did, for the log.
#[derive(Debug, Clone, Copy)]
pub struct Rebuilt {
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub secs: f64,
}

/// Named limit: how long closing the embedded store may take (its last flush) before a rebuild
/// gives up.
pub const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The folders and files of a rebuild next to the embedded store of `url` (none for other
/// stores): the store, the old store, the new store, the export.
fn rebuild_paths(url: &str) -> Option<[std::path::PathBuf; 4]> {
    let dir = store_dir(url)?;
    let with = |suffix: &str| {
        let mut s = dir.clone().into_os_string();
        s.push(suffix);
        std::path::PathBuf::from(s)
    };
    Some([with(".old"), with(".rebuild"), with(".erasure.surql"), dir])
}

fn rebuild_failed(what: &str, e: std::io::Error) -> DbError {
    DbError::Rebuild(format!("{what}: {e}"))
}

/// (embedded stores, before the store is opened) Finishes or undoes a rebuild cut short: a
/// half-done swap puts the old store back, a done one drops it; an unfinished new store or
/// export is dropped.
pub fn recover_rebuild(url: &str) -> std::io::Result<()> {
    let Some([old, fresh, dump, dir]) = rebuild_paths(url) else {
        return Ok(());
    };
    let doing = |what: &'static str| {
        move |e: std::io::Error| std::io::Error::new(e.kind(), format!("{what}: {e}"))
    };
    if old.exists() {
        if dir.exists() {
            std::fs::remove_dir_all(&old).map_err(doing("removing the old store"))?;
        } else {
            std::fs::rename(&old, &dir).map_err(doing("restoring the store"))?;
        }
    }
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).map_err(doing("removing an unfinished rebuild"))?;
    }
    if dump.exists() {
        std::fs::remove_file(&dump).map_err(doing("removing an old export"))?;
    }
    Ok(())
}

/// (embedded stores) When an erasure is pending, rewrites the open store `db` from its live
/// data: export, close, import into a fresh folder, swap, delete the old folder (with every
/// deleted value, old version and log in it) and the export, and open it again. Run at start,
/// before anything else holds the store; otherwise `db` comes back as it was.
pub async fn rebuild_if_erased(
    db: Db,
    url: &str,
    auth: &DbAuth,
) -> Result<(Db, Option<Rebuilt>), DbError> {
    let Some([old, fresh, dump, dir]) = rebuild_paths(url) else {
        return Ok((db, None));
    };
    let mut r = db
        .query("SELECT VALUE erasure_pending_at FROM ONLY instance:main")
        .await?
        .check()?;
    let pending: Option<i64> = r.take(0).unwrap_or(None);
    if pending.is_none() {
        return Ok((db, None));
    }
    let started = std::time::Instant::now();
    db.export(&dump).await?;
    drop(db);
    wait_closed(&dir).await?;

    let new = surrealdb::engine::any::connect(format!("surrealkv://{}", fresh.display())).await?;
    new.use_ns(NAMESPACE).use_db(DATABASE).await?;
    new.import(&dump).await?;
    new.query("UPDATE instance:main SET erasure_pending_at = NONE")
        .await?
        .check()?;
    drop(new);
    wait_closed(&fresh).await?;

    let bytes_before = dir_size(&dir);
    std::fs::rename(&dir, &old).map_err(|e| rebuild_failed("moving the old store aside", e))?;
    std::fs::rename(&fresh, &dir)
        .map_err(|e| rebuild_failed("putting the rebuilt store in place", e))?;
    std::fs::remove_dir_all(&old).map_err(|e| rebuild_failed("removing the old store", e))?;
    std::fs::remove_file(&dump).map_err(|e| rebuild_failed("removing the export", e))?;
    let rebuilt = Rebuilt {
        bytes_before,
        bytes_after: dir_size(&dir),
        secs: started.elapsed().as_secs_f64(),
    };
    Ok((connect(url, auth).await?, Some(rebuilt)))
}

/// Whether the embedded store in `dir` is open (in this process or another): the store holds
/// an exclusive lock on its LOCK file while it is.
pub fn store_in_use(dir: &std::path::Path) -> std::io::Result<bool> {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join("LOCK"))
    {
        Ok(f) => Ok(f.try_lock().is_err()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// The folder of an embedded SurrealKV store's URL (`None` for other stores).
pub fn store_dir(url: &str) -> Option<std::path::PathBuf> {
    url.strip_prefix("surrealkv://")
        .map(std::path::PathBuf::from)
}

/// (embedded stores; backups) Writes the whole database of the store at `url` — definitions
/// and records, as they are: no migration runs — as SurrealQL into `file`, from one read
/// transaction, and closes the store again. Nothing else may have it open.
pub async fn export_store(url: &str, file: &std::path::Path) -> Result<(), DbError> {
    let db = any::connect(url).await?;
    db.use_ns(NAMESPACE).use_db(DATABASE).await?;
    db.export(file).await?;
    drop(db);
    if let Some(dir) = store_dir(url) {
        wait_closed(&dir).await?;
    }
    Ok(())
}

/// (restores) Imports the SurrealQL `file` written by [`export_store`] into a new embedded
/// store in `dir`, and closes it. The normal start then applies any later migrations.
pub async fn import_store(dir: &std::path::Path, file: &std::path::Path) -> Result<(), DbError> {
    let db = any::connect(format!("surrealkv://{}", dir.display())).await?;
    db.use_ns(NAMESPACE).use_db(DATABASE).await?;
    db.import(file).await?;
    drop(db);
    wait_closed(dir).await
}

/// Waits until the embedded store in `dir` is closed: its last handle went, and the store
/// flushed and released its lock file.
async fn wait_closed(dir: &std::path::Path) -> Result<(), DbError> {
    wait_closed_within(dir, CLOSE_TIMEOUT).await
}

async fn wait_closed_within(
    dir: &std::path::Path,
    limit: std::time::Duration,
) -> Result<(), DbError> {
    wait_free(dir, limit).await.map_err(|e| DbError::NotClosed {
        dir: dir.display().to_string(),
        why: match e {
            Some(e) => format!("its lock file could not be read: {e}"),
            None => format!("it was still open after {} s", limit.as_secs()),
        },
    })
}

/// Waits up to `limit` until no process holds the embedded store in `dir`: `Err(None)` when
/// it is still held then, `Err(Some(e))` when its lock file cannot be read.
async fn wait_free(
    dir: &std::path::Path,
    limit: std::time::Duration,
) -> Result<(), Option<std::io::Error>> {
    let deadline = std::time::Instant::now() + limit;
    while store_in_use(dir).map_err(Some)? {
        if std::time::Instant::now() > deadline {
            return Err(None);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(())
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The id of this installation, made on first start and kept in the database.
pub async fn instance_id(db: &Db) -> Result<String, DbError> {
    // Two nodes starting together both insert it: one wins, the other reads it.
    installation_value(
        db,
        "INSERT IGNORE INTO instance { id: 'main', uid: <string> rand::uuid::v7(), created_at: time::now() };
         RETURN (SELECT VALUE uid FROM ONLY instance:main);",
        "",
        "the installation record",
    )
    .await
}

/// The key that signs access tokens, when the database is a server that several nodes share:
/// kept in the installation record, so a session started on one node works on every other.
/// The first node to ask stores `proposed` (its data directory's key, so sessions it signed
/// before keep working); every later one gets that key. Anyone who can read the database can
/// read it — as they can read every session in it.
pub async fn shared_signing_key(db: &Db, proposed: &str) -> Result<String, DbError> {
    installation_value(
        db,
        "UPDATE instance:main SET signing_key = $value WHERE signing_key = NONE;
         RETURN (SELECT VALUE signing_key FROM ONLY instance:main);",
        proposed,
        "the shared signing key",
    )
    .await
}

/// A write to the installation record that the first node to start makes and every other
/// node finds made (two at once: one wins, the other retries and reads it), then the value its
/// second statement returns.
async fn installation_value(
    db: &Db,
    sql: &'static str,
    value: &str,
    what: &'static str,
) -> Result<String, DbError> {
    let res = retry_conflicts(|| async {
        db.query(sql)
            .bind(("value", value.to_string()))
            .await?
            .check()
    })
    .await?;
    let got: Option<String> = match res {
        Some(mut r) => r.take(1)?,
        None => None,
    };
    got.ok_or(DbError::Missing(what))
}

/// FNV-1a, enough to notice that a migration file changed.
fn checksum(s: &str) -> String {
    format!("{:016x}", crate::ids::fnv1a(0, s.as_bytes()))
}

/// (tests) A fresh embedded database in a temporary directory, migrated; the directory lives
/// as long as the returned guard.
#[cfg(test)]
pub async fn temp() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("db");
    copy_tree(&template().await.path().join("db"), &store);
    let url = format!("surrealkv://{}", store.display());
    let db = connect(&url, &DbAuth::default()).await.unwrap();
    (dir, db)
}

/// (tests) One embedded store per test process, migrated and closed, that [`temp`] copies:
/// migrating took each test's store about 0.8 s of CPU in the tests' unoptimised build. The
/// first start itself is exercised here, and by `db::tests`' own fresh stores.
#[cfg(test)]
async fn template() -> &'static tempfile::TempDir {
    static TEMPLATE: tokio::sync::OnceCell<tempfile::TempDir> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let (dir, url) = empty_store();
            let db = connect(&url, &DbAuth::default()).await.unwrap();
            close(db, &url, CLOSE_TIMEOUT).await.unwrap();
            dir
        })
        .await
}

#[cfg(test)]
fn empty_store() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("db").display());
    (dir, url)
}

#[cfg(test)]
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store's first start (not [`temp`]'s copy).
    async fn fresh() -> (tempfile::TempDir, Db) {
        let (dir, url) = empty_store();
        let db = connect(&url, &DbAuth::default()).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn migrations_apply_once_and_are_recorded() {
        let (_dir, db) = fresh().await;
        let applied = applied_migrations(&db).await.unwrap();
        assert_eq!(applied.len(), MIGRATIONS.len());
        assert_eq!(
            applied.iter().map(|m| m.version).collect::<Vec<_>>(),
            (1..=MIGRATIONS.len() as i64).collect::<Vec<_>>()
        );
        // A second run applies nothing and records nothing twice.
        assert!(migrate(&db).await.unwrap().is_empty());
        assert_eq!(
            applied_migrations(&db).await.unwrap().len(),
            MIGRATIONS.len()
        );
    }

    #[tokio::test]
    async fn a_lease_has_one_holder_until_it_runs_out() {
        let (_dir, db) = fresh().await;
        assert!(take_lease(&db, "sweep", "a", 100, 60).await.unwrap());
        assert!(!take_lease(&db, "sweep", "b", 120, 60).await.unwrap());
        // The holder renews it; another job's lease is its own.
        assert!(take_lease(&db, "sweep", "a", 150, 60).await.unwrap());
        assert!(take_lease(&db, "other", "b", 150, 60).await.unwrap());
        assert!(!take_lease(&db, "sweep", "b", 209, 60).await.unwrap());
        // Run out: the next asker gets it.
        assert!(take_lease(&db, "sweep", "b", 210, 60).await.unwrap());
        assert!(!take_lease(&db, "sweep", "a", 211, 60).await.unwrap());
    }

    #[tokio::test]
    async fn instance_id_is_stable() {
        let (_dir, db) = fresh().await;
        let a = instance_id(&db).await.unwrap();
        let b = instance_id(&db).await.unwrap();
        assert_eq!(a, b);
        assert!(a.len() >= 32, "{a}");
    }

    #[tokio::test]
    async fn schemafull_tables_reject_unknown_fields() {
        let (_dir, db) = fresh().await;
        let res = db
            .query("CREATE instance:other SET uid = 'x', created_at = time::now(), colour = 'red'")
            .await
            .unwrap()
            .check();
        assert!(
            res.is_err(),
            "a SCHEMAFULL table accepted a field it does not define"
        );
        let mut r = db
            .query("SELECT VALUE uid FROM instance:other")
            .await
            .unwrap();
        let v: Vec<String> = r.take(0).unwrap();
        assert!(v.is_empty(), "the rejected record was half-stored");
    }

    /// What `connect` relies on to skip the log's recovery after a clean stop.
    #[tokio::test]
    async fn closing_the_store_leaves_nothing_in_its_log() {
        let (dir, url) = empty_store();
        let store = dir.path().join("db");
        let db = connect(&url, &DbAuth::default()).await.unwrap();
        assert!(take_lease(&db, "sweep", "a", 100, 60).await.unwrap());
        assert!(log_has_records(&store), "written, yet nothing in the log");
        close(db, &url, CLOSE_TIMEOUT).await.unwrap();
        assert!(!log_has_records(&store), "closed, yet the log has records");
    }

    #[test]
    fn embedded_urls_are_recognised() {
        assert!(is_embedded("surrealkv://viva-data/db"));
        assert!(is_embedded("mem://"));
        assert!(!is_embedded("ws://127.0.0.1:8000"));
    }

    #[test]
    fn checksum_notices_a_change() {
        assert_ne!(checksum("a"), checksum("b"));
        assert_eq!(checksum("same"), checksum("same"));
    }

    #[test]
    fn every_unique_index_of_the_schema_is_known_by_name() {
        for m in MIGRATIONS {
            let name = m.name;
            for line in m
                .sql
                .lines()
                .filter(|l| l.contains("UNIQUE") && l.contains("DEFINE INDEX"))
            {
                let ix = line.split_whitespace().nth(2).unwrap();
                assert!(
                    UNIQUE_INDEXES.contains(&ix),
                    "{name}: unique index {ix} is not in UNIQUE_INDEXES"
                );
            }
        }
    }

    #[tokio::test]
    async fn errors_are_classified_by_kind_not_guessed() {
        let (_dir, db) = fresh().await;
        let add = || {
            db.query("CREATE user SET email = 'a@example.org', name = 'A', password_hash = 'x', role = 'user', job_role = 'Nurse', experience = 'mid',
                 email_verified = true, disabled = false, terms_version = '1', terms_accepted_at = 0, age_confirmed_at = 0, created_at = 0")
        };
        add().await.unwrap().check().unwrap();
        let e = add().await.unwrap().check().unwrap_err();
        assert_eq!(classify(&e), Fault::Duplicate("user_email"), "{e}");
        let e = db
            .query("THROW 'wrong token'")
            .await
            .unwrap()
            .check()
            .unwrap_err();
        assert_eq!(classify(&e), Fault::Thrown("wrong token".into()), "{e}");
        // In a transaction every statement reports an error; the cause is the THROW.
        let mut r = db
            .query("BEGIN TRANSACTION; CREATE scratch:x SET a = 1; THROW 'taken'; CREATE scratch:y SET a = 2; COMMIT TRANSACTION;")
            .await
            .unwrap();
        let e = cause(r.take_errors()).expect("an error");
        assert_eq!(classify(&e), Fault::Thrown("taken".into()), "{e}");
        let e = db
            .query("SELECT * FROM type::record('user', 1, 2)")
            .await
            .and_then(|r| r.check())
            .unwrap_err();
        assert_eq!(classify(&e), Fault::Other, "{e}");
    }

    #[test]
    fn every_migration_names_its_file() {
        for m in MIGRATIONS {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(m.file_name());
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                m.sql,
                "{}",
                path.display()
            );
        }
    }

    #[tokio::test]
    async fn a_changed_migration_stops_the_start_naming_its_file() {
        let (_dir, db) = fresh().await;
        db.query("UPDATE migration SET checksum = 'edited' WHERE version = 2")
            .await
            .unwrap()
            .check()
            .unwrap();
        let e = migrate(&db).await.unwrap_err();
        assert!(
            matches!(&e, DbError::MigrationChanged { version: 2, .. }),
            "{e}"
        );
        assert!(
            e.to_string().contains("app/migrations/0002_accounts.surql"),
            "{e}"
        );
    }

    /// Rows from before 0008 held JSON text; the migration turns them into objects.
    #[tokio::test]
    async fn json_text_columns_become_objects() {
        let (_dir, db) = fresh().await;
        db.query(
            "DEFINE FIELD OVERWRITE scores ON interview TYPE option<string>;
             CREATE interview:old CONTENT { user: user:ann, role: 'nurse', kinds: [], difficulty: 2, question_count: 3,
                 company: NONE, job_description: NONE, mode: 'text', timer_secs: NONE, focus: [], status: 'finished',
                 created_at: 0, finished_at: 1, scores: '{\"relevance\":70,\"overall\":66}' };",
        )
        .await
        .unwrap()
        .check()
        .unwrap();
        let m = MIGRATIONS.iter().find(|m| m.name == "objects").unwrap();
        db.query(m.sql).await.unwrap().check().unwrap();
        let mut r = db
            .query("SELECT VALUE scores FROM ONLY interview:old")
            .await
            .unwrap();
        let v: Option<serde_json::Value> = r.take(0).unwrap();
        assert_eq!(v, Some(serde_json::json!({"relevance": 70, "overall": 66})));
    }
}
