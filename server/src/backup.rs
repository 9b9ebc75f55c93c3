//! `viva backup FILE` and `viva restore FILE`: a whole installation in one ZIP — the database
//! as SurrealQL (gzip), every blob (recordings), and the data directory's secrets (so sessions,
//! e-mailed codes and tokens stay valid) — and back into an empty data directory.
//!
//! The embedded store belongs to one process: it is backed up while Viva is stopped (a
//! SurrealDB server is exported by its own tools while it runs; see the README).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use app::blob::Blobs;

use crate::config::Settings;

/// The backup format this binary writes and reads.
pub const FORMAT: u64 = 1;
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "db.surql.gz";
const BLOBS: &str = "blobs/";
const SECRETS: &str = "secrets/";
/// The data directory's files a backup carries (the setup token is made afresh when needed).
pub const SECRET_FILES: &[&str] = &[crate::secrets::SIGNING_KEY_FILE, crate::METRICS_TOKEN_FILE];
/// How much of a blob is held in memory at a time, either way.
const PIECE: u64 = 8 * 1024 * 1024;

type Result<T> = std::result::Result<T, String>;

/// The embedded store's folder, or why this command cannot work on the configured database.
fn embedded_store(s: &Settings, what: &str) -> Result<PathBuf> {
    if s.db.starts_with("mem://") {
        return Err(format!(
            "--db {} keeps nothing on disk: there is nothing to {what}",
            s.db
        ));
    }
    app::db::store_dir(&s.db).ok_or_else(|| {
        format!(
            "--db {} is a SurrealDB server: {what} it with SurrealDB's own export and import while it runs \
             (`surreal export` / `surreal import`, namespace {} database {}) and copy the blob store beside it; see the README's \"Backups\"",
            s.db,
            app::db::NAMESPACE,
            app::db::DATABASE
        )
    })
}

fn not_running(store: &Path, data_dir: &Path) -> Result<()> {
    match app::db::store_in_use(store) {
        Ok(false) => Ok(()),
        Ok(true) => Err(format!(
            "Viva is running on {} (its database is open): stop it first, then run this again. The embedded database belongs to one process at a time",
            data_dir.display()
        )),
        Err(e) => Err(format!("reading {}: {e}", store.join("LOCK").display())),
    }
}

fn io(what: impl std::fmt::Display) -> impl Fn(std::io::Error) -> String {
    move |e| format!("{what}: {e}")
}

fn zip_err(what: impl std::fmt::Display) -> impl Fn(zip::result::ZipError) -> String {
    move |e| format!("{what}: {e}")
}

/// A folder for the work in progress next to `near`, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(near: &Path) -> Result<Scratch> {
        let mut name = near.as_os_str().to_owned();
        name.push(format!(".work-{}", std::process::id()));
        let dir = PathBuf::from(name);
        let _ = std::fs::remove_dir_all(&dir);
        crate::secrets::prepare_data_dir(&dir).map_err(io(dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the backup to `file` (through a temporary name, so a cut-short backup never looks
/// whole). Returns what it wrote, for the person running it.
pub async fn backup(s: &Settings, file: &Path) -> Result<String> {
    let store = embedded_store(s, "back up")?;
    if !store.exists() {
        return Err(format!(
            "there is no database in {}: nothing to back up",
            store.display()
        ));
    }
    not_running(&store, &s.data_dir)?;
    let blobs = Blobs::open(&s.blob_store, &s.data_dir)?;
    let scratch = Scratch::new(file)?;
    let dump = scratch.0.join("db.surql");
    eprintln!("exporting the database…");
    app::db::export_store(&s.db, &dump)
        .await
        .map_err(|e| format!("exporting the database: {e}"))?;

    let partial = scratch.0.join("backup.zip");
    let out = std::fs::File::create(&partial).map_err(io(partial.display()))?;
    let mut zip = zip::ZipWriter::new(out);
    // Stored: the dump is gzipped here, and recordings do not shrink.
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true)
        .unix_permissions(0o600);

    zip.start_file(DATABASE, opts).map_err(zip_err(DATABASE))?;
    let mut gz = flate2::write::GzEncoder::new(&mut zip, flate2::Compression::default());
    let mut src = std::fs::File::open(&dump).map_err(io(dump.display()))?;
    let db_bytes = std::io::copy(&mut src, &mut gz).map_err(io(DATABASE))?;
    gz.finish().map_err(io(DATABASE))?;

    let keys = blobs.keys().await.map_err(|e| e.to_string())?;
    let mut blob_bytes = 0u64;
    for (i, key) in keys.iter().enumerate() {
        if i % 500 == 0 {
            eprintln!("copying recordings: {i} of {}…", keys.len());
        }
        let Some(size) = blobs.size(key).await.map_err(|e| e.to_string())? else {
            continue; // deleted meanwhile
        };
        zip.start_file(format!("{BLOBS}{key}"), opts)
            .map_err(zip_err(key))?;
        let mut at = 0;
        while at < size {
            let end = (at + PIECE).min(size);
            let piece = blobs
                .get_range(key, at..end)
                .await
                .map_err(|e| e.to_string())?;
            zip.write_all(&piece).map_err(io(key))?;
            at = end;
        }
        blob_bytes += size;
    }

    let mut secrets = Vec::new();
    for name in SECRET_FILES {
        match std::fs::read(s.data_dir.join(name)) {
            Ok(bytes) => {
                zip.start_file(format!("{SECRETS}{name}"), opts)
                    .map_err(zip_err(name))?;
                zip.write_all(&bytes).map_err(io(name))?;
                secrets.push(*name);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", s.data_dir.join(name).display())),
        }
    }

    let manifest = serde_json::json!({
        "format": FORMAT,
        "viva": env!("CARGO_PKG_VERSION"),
        "created_at": app::clock::Clock::default().now(),
        "database": DATABASE,
        "database_bytes": db_bytes,
        "blobs": keys.len(),
        "blob_bytes": blob_bytes,
        "secrets": secrets,
    });
    zip.start_file(MANIFEST, opts).map_err(zip_err(MANIFEST))?;
    zip.write_all(manifest.to_string().as_bytes())
        .map_err(io(MANIFEST))?;
    let out = zip.finish().map_err(zip_err("finishing the ZIP"))?;
    out.sync_all().map_err(io(partial.display()))?;
    drop(out);
    std::fs::rename(&partial, file).map_err(io(file.display()))?;
    Ok(format!(
        "backed up {} to {}: the database ({} KB of SurrealQL), {} recordings ({} KB) and {} secret files",
        s.data_dir.display(),
        file.display(),
        db_bytes / 1000,
        keys.len(),
        blob_bytes / 1000,
        secrets.len()
    ))
}

/// Whether `dir` holds anything.
fn has_entries(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

/// Puts the backup in `file` into the configured data directory, which must hold no database
/// (or `force`: what is there is replaced). The database goes in last, in one move, so a
/// restore cut short leaves no database behind and can simply run again.
pub async fn restore(s: &Settings, file: &Path, force: bool) -> Result<String> {
    let store = embedded_store(s, "restore")?;
    not_running(&store, &s.data_dir)?;
    let default_blobs = s.blob_store.trim().is_empty();
    let blob_dir = s.data_dir.join("blobs");
    if !force && (has_entries(&store) || (default_blobs && has_entries(&blob_dir))) {
        return Err(format!(
            "{} already holds a database: a backup is restored into an empty data directory. Give an empty --data-dir, or add --force to replace what is there (it is deleted)",
            s.data_dir.display()
        ));
    }
    let src = std::fs::File::open(file).map_err(io(file.display()))?;
    let mut zip = zip::ZipArchive::new(src).map_err(|e| {
        format!(
            "{} is not a Viva backup (a ZIP made by `viva backup`): {e}",
            file.display()
        )
    })?;
    let manifest: serde_json::Value = {
        let mut m = String::new();
        zip.by_name(MANIFEST)
            .map_err(|_| {
                format!(
                    "{} is not a Viva backup: it has no {MANIFEST}",
                    file.display()
                )
            })?
            .read_to_string(&mut m)
            .map_err(io(MANIFEST))?;
        serde_json::from_str(&m).map_err(|e| format!("{MANIFEST}: {e}"))?
    };
    if manifest["format"].as_u64() != Some(FORMAT) {
        return Err(format!(
            "{} is a backup in format {} and this Viva reads format {FORMAT}: restore it with the Viva version that made it ({})",
            file.display(),
            manifest["format"],
            manifest["viva"]
        ));
    }
    crate::secrets::prepare_data_dir(&s.data_dir).map_err(io(s.data_dir.display()))?;
    let scratch = Scratch::new(&store)?;

    // The database, into a new store beside the old (nothing replaced yet).
    let dump = scratch.0.join("db.surql");
    {
        let entry = zip
            .by_name(DATABASE)
            .map_err(|_| format!("the backup has no {DATABASE}"))?;
        let mut gz = flate2::read::GzDecoder::new(entry);
        let mut out = std::fs::File::create(&dump).map_err(io(dump.display()))?;
        std::io::copy(&mut gz, &mut out).map_err(io(DATABASE))?;
    }
    let fresh = scratch.0.join("db");
    eprintln!("importing the database…");
    app::db::import_store(&fresh, &dump)
        .await
        .map_err(|e| format!("importing the database: {e}"))?;

    // Blobs and secrets, then the database in one move.
    if force && default_blobs {
        let _ = std::fs::remove_dir_all(&blob_dir);
    }
    let blobs = Blobs::open(&s.blob_store, &s.data_dir)?;
    let (mut count, mut bytes) = (0u64, 0u64);
    let mut buf = vec![0; PIECE as usize];
    eprintln!(
        "restoring the recordings and secrets ({} files)…",
        zip.len()
    );
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(zip_err("reading the backup"))?;
        let name = entry
            .name()
            .map_err(zip_err("reading the backup"))?
            .to_string();
        if let Some(key) = name.strip_prefix(BLOBS) {
            let mut w = blobs.writer(key).await.map_err(|e| e.to_string())?;
            loop {
                let n = entry.read(&mut buf).map_err(io(&name))?;
                if n == 0 {
                    break;
                }
                w.write(&buf[..n]).await.map_err(|e| e.to_string())?;
            }
            bytes += w.finish().await.map_err(|e| e.to_string())?;
            count += 1;
        } else if let Some(secret) = name.strip_prefix(SECRETS) {
            if !SECRET_FILES.contains(&secret) {
                return Err(format!(
                    "the backup holds an unknown secret file {secret:?}"
                ));
            }
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(io(&name))?;
            let path = s.data_dir.join(secret);
            let _ = std::fs::remove_file(&path);
            crate::secrets::write_private(&path, &data).map_err(io(path.display()))?;
        }
    }
    if store.exists() {
        std::fs::remove_dir_all(&store).map_err(io(store.display()))?;
    }
    std::fs::rename(&fresh, &store).map_err(io(store.display()))?;
    crate::secrets::tighten_tree(&s.data_dir).map_err(io(s.data_dir.display()))?;
    Ok(format!(
        "restored {} (made by Viva {}) into {}: the database and {count} recordings ({} KB). Start Viva on it as usual",
        file.display(),
        manifest["viva"].as_str().unwrap_or("?"),
        s.data_dir.display(),
        bytes / 1000
    ))
}
