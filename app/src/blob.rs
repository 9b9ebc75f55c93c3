//! (ssr) Blob storage: recordings (voice segments, video answers) live here, not in the
//! database. Files under the data directory by default (the single binary needs nothing
//! else); any S3-compatible store by URL when several nodes share one database
//! (`--blob-store s3://bucket/prefix?endpoint=…`). One interface over both: the
//! `object_store` crate.
//!
//! Rows name their blobs by key. When a row lets go of a key (deleted, or its recording
//! dropped) a database event notes the key in `blob_gone` in the same transaction, so every
//! path that deletes (an answer reset, an interview, an account, the retention sweep) frees
//! the blob; [`reap`] deletes the noted blobs and runs with the retention sweep.

use std::ops::Range;
use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::db::Db;
use crate::AppError;

/// Where blobs go and how they are read back. Cheap to clone.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// Where, for the log and the status page (never a credential).
    pub place: String,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blobs({})", self.place)
    }
}

/// How big the pieces of a multipart write are (S3 takes at least 5 MiB a part but the last).
pub const PART_BYTES: usize = 8 * 1024 * 1024;

fn fault(what: &str, e: object_store::Error) -> AppError {
    AppError::internal(what, e)
}

impl Blobs {
    /// Opens the store `spec` names: empty for files under `data_dir/blobs`, a path or
    /// `file:///path` for files elsewhere, `s3://bucket[/prefix][?key=value&…]` for an
    /// S3-compatible store (keys: `endpoint`, `region`, `allow_http`, and any other
    /// `object_store` S3 option; credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
    /// or the URL's `access_key_id`/`secret_access_key`).
    pub fn open(spec: &str, data_dir: &std::path::Path) -> Result<Blobs, String> {
        let spec = spec.trim();
        if spec.starts_with("s3://") {
            return Self::s3(spec);
        }
        let dir = if spec.is_empty() {
            data_dir.join("blobs")
        } else if let Some(p) = spec.strip_prefix("file://") {
            std::path::PathBuf::from(p)
        } else if spec.contains("://") {
            return Err(format!(
                "--blob-store {spec:?}: use a directory, file:///path or s3://bucket (other stores are not supported)"
            ));
        } else {
            std::path::PathBuf::from(spec)
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("--blob-store: cannot create {}: {e}", dir.display()))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(&dir)
            .map_err(|e| format!("--blob-store: cannot use {}: {e}", dir.display()))?
            .with_automatic_cleanup(true);
        Ok(Blobs {
            store: Arc::new(fs),
            place: format!("files under {}", dir.display()),
        })
    }

    fn s3(spec: &str) -> Result<Blobs, String> {
        use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
        let url = url::Url::parse(spec)
            .map_err(|e| format!("--blob-store: not a URL ({e}): s3://bucket/prefix?endpoint=…"))?;
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or("--blob-store: name the bucket: s3://bucket")?
            .to_string();
        let mut b = AmazonS3Builder::from_env().with_bucket_name(&bucket);
        for (k, v) in url.query_pairs() {
            let key: AmazonS3ConfigKey = k
                .parse()
                .map_err(|_| format!("--blob-store: unknown S3 option {k:?}"))?;
            b = b.with_config(key, v.to_string());
        }
        let s3 = b
            .build()
            .map_err(|e| format!("--blob-store: the S3 store cannot be used: {e}"))?;
        let prefix = url.path().trim_matches('/').to_string();
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(s3, prefix.as_str()))
        };
        Ok(Blobs {
            store,
            place: format!(
                "S3 bucket {bucket}{}",
                if prefix.is_empty() {
                    String::new()
                } else {
                    format!(" under {prefix}/")
                }
            ),
        })
    }

    fn path(key: &str) -> Result<Path, AppError> {
        Path::parse(key).map_err(|e| AppError::internal("blob key", e))
    }

    /// Stores `bytes` under `key` (replacing what was there).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), AppError> {
        self.store
            .put(&Self::path(key)?, PutPayload::from(bytes))
            .await
            .map_err(|e| fault("blob put", e))?;
        Ok(())
    }

    /// The whole blob, or `None` when there is none under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, AppError> {
        match self.store.get(&Self::path(key)?).await {
            Ok(r) => Ok(Some(
                r.bytes().await.map_err(|e| fault("blob read", e))?.to_vec(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(fault("blob get", e)),
        }
    }

    /// Bytes `range` of the blob under `key`.
    pub async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, AppError> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .get_range(&Self::path(key)?, range)
            .await
            .map_err(|e| fault("blob range", e))?
            .to_vec())
    }

    /// The size of the blob under `key`, or `None` when there is none.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, AppError> {
        match self.store.head(&Self::path(key)?).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(fault("blob head", e)),
        }
    }

    /// Every key in the store, in order (a backup copies them all).
    pub async fn keys(&self) -> Result<Vec<String>, AppError> {
        let mut keys = Vec::new();
        let mut folders = vec![None::<Path>];
        while let Some(folder) = folders.pop() {
            let listed = self
                .store
                .list_with_delimiter(folder.as_ref())
                .await
                .map_err(|e| fault("blob list", e))?;
            keys.extend(listed.objects.into_iter().map(|o| o.location.to_string()));
            folders.extend(listed.common_prefixes.into_iter().map(Some));
        }
        keys.sort();
        Ok(keys)
    }

    /// Deletes the blob under `key` (nothing there is fine).
    pub async fn delete(&self, key: &str) -> Result<(), AppError> {
        match self.store.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(fault("blob delete", e)),
        }
    }

    /// A writer that streams a new blob under `key` in parts of [`PART_BYTES`]: memory stays
    /// at a part or two, whatever the blob's size. Nothing is visible under `key` until
    /// [`BlobWriter::finish`].
    pub async fn writer(&self, key: &str) -> Result<BlobWriter, AppError> {
        let up = self
            .store
            .put_multipart(&Self::path(key)?)
            .await
            .map_err(|e| fault("blob multipart", e))?;
        Ok(BlobWriter {
            inner: object_store::WriteMultipart::new_with_chunk_size(up, PART_BYTES),
            written: 0,
        })
    }
}

/// A blob being written piece by piece (see [`Blobs::writer`]).
pub struct BlobWriter {
    inner: object_store::WriteMultipart,
    pub written: u64,
}

impl BlobWriter {
    /// Appends `bytes`, waiting while two parts are still on their way.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), AppError> {
        self.inner
            .wait_for_capacity(2)
            .await
            .map_err(|e| fault("blob write", e))?;
        self.inner.write(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }

    pub async fn finish(self) -> Result<u64, AppError> {
        self.inner
            .finish()
            .await
            .map_err(|e| fault("blob finish", e))?;
        Ok(self.written)
    }

    /// Gives up: what was written is dropped.
    pub async fn abort(self) {
        let _ = self.inner.abort().await;
    }
}

/// A store in a fresh temporary directory, for tests (the directory is left for the OS).
#[cfg(test)]
pub fn for_tests() -> Blobs {
    let dir = tempfile::tempdir().expect("a temporary directory").keep();
    Blobs::open("", &dir).expect("a blob store")
}

/// How many files a test's store holds (a store of files).
#[cfg(test)]
pub fn files_for_tests(blobs: &Blobs) -> usize {
    fn walk(p: &std::path::Path) -> usize {
        std::fs::read_dir(p)
            .map(|d| {
                d.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(std::path::Path::new(
        blobs.place.trim_start_matches("files under "),
    ))
}

/// Blobs let go of at most this many at a time by [`reap`].
const REAP_BATCH: i64 = 500;

/// Deletes the blobs rows have let go of (noted in `blob_gone` by the database's events).
/// Returns how many went.
pub async fn reap(db: &Db, blobs: &Blobs) -> Result<u64, AppError> {
    use surrealdb::types::SurrealValue;
    #[derive(Debug, Clone, SurrealValue)]
    struct Gone {
        id: surrealdb::types::RecordId,
        key: String,
    }
    let mut total = 0;
    loop {
        let mut r = db
            .query("SELECT id, key FROM blob_gone LIMIT $n")
            .bind(("n", REAP_BATCH))
            .await?
            .check()?;
        let gone: Vec<Gone> = r.take(0)?;
        if gone.is_empty() {
            return Ok(total);
        }
        let mut done = Vec::new();
        for g in &gone {
            // A key still in use again (never happens: keys are fresh ids) would be kept.
            if blobs.delete(&g.key).await.is_ok() {
                done.push(g.id.clone());
            }
        }
        if done.is_empty() {
            return Err(AppError::internal("blob reap", "no blob could be deleted"));
        }
        total += done.len() as u64;
        db.query("DELETE $ids").bind(("ids", done)).await?.check()?;
        if gone.len() < REAP_BATCH as usize {
            return Ok(total);
        }
    }
}

/// On a request that deleted something: its files go now, not at the next sweep (best effort,
/// with the blob store of the request's context; what is left, the sweep deletes).
pub async fn reap_now(db: &Db) {
    if let Ok(blobs) = crate::request::expect::<Blobs>() {
        if let Err(e) = reap(db, &blobs).await {
            tracing::warn!(error = %e, "recording files are left for the retention sweep");
        }
    }
}

/// How many blobs wait to be deleted.
#[cfg(test)]
pub async fn waiting(db: &Db) -> Result<i64, AppError> {
    let mut r = db
        .query("RETURN count(SELECT id FROM blob_gone)")
        .await?
        .check()?;
    let n: Option<i64> = r.take(0)?;
    Ok(n.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_store_round_trips_ranges_and_streams_parts() {
        let dir = tempfile::tempdir().unwrap();
        let b = Blobs::open("", dir.path()).unwrap();
        assert!(b.place.contains("blobs"));
        b.put("a/b.wav", b"0123456789".to_vec()).await.unwrap();
        assert_eq!(b.get("a/b.wav").await.unwrap().unwrap(), b"0123456789");
        assert_eq!(b.get_range("a/b.wav", 2..5).await.unwrap(), b"234");
        assert_eq!(b.size("a/b.wav").await.unwrap(), Some(10));
        assert_eq!(b.get("a/none").await.unwrap(), None);
        let mut w = b.writer("big").await.unwrap();
        let piece = vec![7u8; 3 * 1024 * 1024];
        for _ in 0..4 {
            w.write(&piece).await.unwrap();
        }
        assert_eq!(
            b.size("big").await.unwrap(),
            None,
            "nothing shows before finish"
        );
        assert_eq!(w.finish().await.unwrap(), 12 * 1024 * 1024);
        assert_eq!(b.size("big").await.unwrap(), Some(12 * 1024 * 1024));
        b.delete("big").await.unwrap();
        b.delete("big").await.unwrap();
        assert_eq!(b.size("big").await.unwrap(), None);
        assert!(Blobs::open("gs://x", dir.path())
            .unwrap_err()
            .contains("s3://"));
        assert!(Blobs::open("s3://b?nonsense=1", dir.path())
            .unwrap_err()
            .contains("nonsense"));
    }
}
