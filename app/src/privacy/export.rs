//! (ssr) "Download my data": everything Viva keeps about a person in one ZIP — `data.json`
//! (every owner's part, [`SECTIONS`]; schema in `docs/export-schema.md`), each interview's
//! report as Markdown, each kept recording as WAV. Built by a job any node may run (state in
//! the database, under a lease), written to a temporary file as it goes (never the whole ZIP
//! in memory), then stored in chunks so any node can serve the download, for
//! [`EXPORT_TTL_SECS`].

use std::io::{Read, Seek, Write};
use std::time::Duration;

use serde_json::{json, Value};
use surrealdb::types::SurrealValue;

use crate::db::Db;
use crate::AppError;

/// The version of `data.json`'s layout (`docs/export-schema.md`); raised when a field changes
/// meaning or goes, not when one is added.
pub const SCHEMA_VERSION: u32 = 2;
/// A finished export can be downloaded for this long, then it is deleted.
pub const EXPORT_TTL_SECS: i64 = 24 * 3600;
/// The ZIP is stored in pieces of this size.
pub const CHUNK_BYTES: usize = 1 << 20;
/// A job whose node went quiet for this long is taken up by another.
pub const LEASE_SECS: i64 = 600;
/// Attempts per job before it is marked failed.
pub const ATTEMPTS: i64 = 3;
/// How often idle export workers look for work (they are also woken when one is asked for).
pub const POLL: Duration = Duration::from_secs(5);

/// Every table owner's part of `data.json`: (key, SurrealQL expression), with `$user`,
/// `$uid` and `$email` bound. A feature that keeps personal data adds its part here (and its
/// erasure to `service::PARTS`).
pub const SECTIONS: &[&[(&str, &str)]] = &[
    crate::auth::service::EXPORT_USER,
    crate::policy::service::EXPORT_USER,
    crate::interview::service::EXPORT_USER,
    crate::voice::service::EXPORT_USER,
    crate::video::service::EXPORT_USER,
    crate::contact::service::EXPORT_USER,
    crate::billing::service::EXPORT_USER,
    EXPORT_USER,
];

/// Privacy's own part: the downloads that exist now (this one included; a new one replaces
/// the one before).
pub const EXPORT_USER: &[(&str, &str)] = &[(
    "exports",
    "(SELECT record::id(id) AS id, status, created_at, finished_at, expires_at FROM export_job WHERE user = $user ORDER BY created_at)",
)];

pub use super::model::{ExportStatus, ExportView};

/// What the browser needs from the server to wake this node's export worker at once.
#[derive(Clone, Default)]
pub struct Exports {
    pub wake: std::sync::Arc<tokio::sync::Notify>,
}

impl JobRow {
    pub fn view(self, now: i64) -> ExportView {
        ExportView {
            expired: self.expires_at.is_some_and(|t| t <= now),
            id: self.id,
            status: self.status,
            step: self.step,
            done: self.done_steps.max(0) as u32,
            total: self.total_steps.max(0) as u32,
            bytes: self.bytes.max(0) as u64,
            created_at: self.created_at,
            expires_at: self.expires_at,
            error: self.error,
        }
    }
}

/// What is written so far, for the progress bar: a step's name and how many of how many.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub step: String,
    pub done: u32,
    pub total: u32,
}

/// Everything `uid` has, as the object that becomes `data.json`.
pub async fn data_json(db: &Db, uid: &str, product: &str, now: i64) -> Result<Value, AppError> {
    let fields = SECTIONS
        .iter()
        .flat_map(|s| s.iter())
        .map(|(k, q)| format!("{k}: {q}"))
        .collect::<Vec<_>>()
        .join(",\n");
    let user = crate::auth::service::user_by_id(db, uid)
        .await?
        .ok_or(AppError::NotFound)?;
    let sql = format!(
        "LET $user = type::record('user', $uid);
         RETURN {{ {fields} }};"
    );
    let mut r = db
        .query(sql)
        .bind(("uid", uid.to_string()))
        .bind(("email", user.email))
        .await?
        .check()?;
    let data: Option<Value> = r.take(1)?;
    let Some(Value::Object(mut data)) = data else {
        return Err(AppError::NotFound);
    };
    let mut out = serde_json::Map::new();
    out.insert("schema".into(), json!("viva-export"));
    out.insert("version".into(), json!(SCHEMA_VERSION));
    out.insert("product".into(), json!(product));
    out.insert("exported_at".into(), json!(now));
    out.append(&mut data);
    Ok(Value::Object(out))
}

/// The name of a kept recording in the ZIP: by interview, question and segment.
pub fn recording_name(s: &crate::voice::service::KeptSegment) -> String {
    format!(
        "recordings/{}/question-{:02}-{}-segment-{:03}.wav",
        s.interview,
        s.position + 1,
        s.part.as_str(),
        s.seq + 1
    )
}

/// The name of a video answer in the ZIP: by interview and question.
pub fn video_name(v: &crate::video::service::KeptVideo) -> String {
    format!(
        "videos/{}/question-{:02}-{}.{}",
        v.interview,
        v.position + 1,
        v.part.as_str(),
        v.container
    )
}

/// How much of a video is read at a time into the ZIP.
const VIDEO_PIECE: u64 = 8 * 1024 * 1024;

/// Writes `uid`'s export as a ZIP into `out`, one entry at a time, telling `progress` how far it
/// is. Returns the ZIP's size.
pub async fn write_zip<W: Write + Seek>(
    db: &Db,
    blobs: &crate::blob::Blobs,
    uid: &str,
    product: &str,
    now: i64,
    out: W,
    mut progress: impl AsyncProgress,
) -> Result<u64, AppError> {
    use zip::write::SimpleFileOptions;
    let fail = |e: zip::result::ZipError| AppError::internal("export: writing the ZIP", e);
    let io = |e: std::io::Error| AppError::internal("export: writing the ZIP", e);
    // Stored, not deflated: recordings do not shrink, and the text is small.
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    let mut zip = zip::ZipWriter::new(out);

    let mut data = data_json(db, uid, product, now).await?;
    let kept = crate::voice::service::kept_segments(db, uid).await?;
    let videos = crate::video::service::kept(db, uid).await?;
    let interviews: Vec<(String, i64)> = data["interviews"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| Some((i["id"].as_str()?.to_string(), i["created_at"].as_i64()?)))
                .collect()
        })
        .unwrap_or_default();
    let total = (2 + interviews.len() + kept.len() + videos.len()) as u32;
    let mut done = 0u32;
    data["recordings"] = Value::Array(
        kept.iter()
            .map(|s| {
                json!({ "file": recording_name(s), "interview": s.interview, "position": s.position,
                        "part": s.part.as_str(), "seq": s.seq, "created_at": s.created_at })
            })
            .collect(),
    );
    data["videos"] = Value::Array(
        videos
            .iter()
            .map(|v| {
                json!({ "file": video_name(v), "interview": v.interview, "position": v.position,
                        "part": v.part.as_str(), "created_at": v.created_at })
            })
            .collect(),
    );
    progress
        .tell(Progress {
            step: "Gathering your account and interviews".into(),
            done,
            total,
        })
        .await?;
    zip.start_file("data.json", opts).map_err(fail)?;
    serde_json::to_writer_pretty(&mut zip, &data)
        .map_err(|e| AppError::internal("export: data.json", e))?;
    zip.start_file("README.md", opts).map_err(fail)?;
    zip.write_all(readme(product, now).as_bytes()).map_err(io)?;
    zip.start_file("export-schema.md", opts).map_err(fail)?;
    zip.write_all(SCHEMA_DOC.as_bytes()).map_err(io)?;
    done += 1;

    for (i, (id, created)) in interviews.iter().enumerate() {
        if i % 5 == 0 {
            let step = format!("Writing report {} of {}", i + 1, interviews.len());
            progress.tell(Progress { step, done, total }).await?;
        }
        let report = crate::interview::service::report(db, uid, id).await?;
        let date = crate::ui::time::format_utc(report.finished_at.unwrap_or(*created));
        let md = crate::interview::types::report_markdown(&report, &date);
        zip.start_file(
            format!("reports/{}-{id}.md", &date.get(..10).unwrap_or(&date)),
            opts,
        )
        .map_err(fail)?;
        zip.write_all(md.as_bytes()).map_err(io)?;
        done += 1;
    }
    for (i, s) in kept.iter().enumerate() {
        if i % 10 == 0 {
            let step = format!("Adding recording {} of {}", i + 1, kept.len());
            progress.tell(Progress { step, done, total }).await?;
        }
        // One recording in memory at a time; one deleted meanwhile is left out.
        if let Some(audio) = crate::voice::service::segment_audio(db, blobs, uid, &s.id).await? {
            zip.start_file(recording_name(s), opts).map_err(fail)?;
            zip.write_all(&audio).map_err(io)?;
        }
        done += 1;
    }
    for (i, v) in videos.iter().enumerate() {
        let step = format!("Adding video {} of {}", i + 1, videos.len());
        progress.tell(Progress { step, done, total }).await?;
        // Piece by piece: a long video never sits in memory whole. One deleted meanwhile is
        // left out.
        if let Some(size) = blobs.size(&v.key).await? {
            zip.start_file(video_name(v), opts).map_err(fail)?;
            let mut at = 0;
            while at < size {
                let end = (at + VIDEO_PIECE).min(size);
                zip.write_all(&blobs.get_range(&v.key, at..end).await?)
                    .map_err(io)?;
                at = end;
            }
        }
        done += 1;
    }
    let mut out = zip.finish().map_err(fail)?;
    let size = out.stream_position().map_err(io)?;
    out.flush().map_err(io)?;
    progress
        .tell(Progress {
            step: "Finishing".into(),
            done,
            total,
        })
        .await?;
    Ok(size)
}

/// The schema document, shipped inside every export too.
pub const SCHEMA_DOC: &str = include_str!("../../../docs/export-schema.md");

fn readme(product: &str, now: i64) -> String {
    format!(
        "# Your data from {product}\n\nExported {}.\n\n\
         - `data.json`: your account, profile, resume text, every interview with its questions, answers, \
         transcripts, scores, feedback and speech analytics, your sessions, security events and consents \
         (layout: `export-schema.md`, version {SCHEMA_VERSION}).\n\
         - `reports/`: each interview's report, as Markdown.\n\
         - `recordings/`: the recordings you chose to keep, as WAV (16 kHz mono), by interview, question and segment.\n",
        crate::ui::time::format_utc(now)
    )
}

/// Told how far an export is; may stop it (an error ends the export).
pub trait AsyncProgress {
    fn tell(
        &mut self,
        p: Progress,
    ) -> impl std::future::Future<Output = Result<(), AppError>> + Send;
}

/// Progress nobody watches (the operator's command line).
pub struct Quiet;

impl AsyncProgress for Quiet {
    async fn tell(&mut self, _p: Progress) -> Result<(), AppError> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The job: asked for on the page, run by whichever node claims it, downloaded by its owner.

/// Where the caller's latest export stands.
#[derive(Debug, Clone, SurrealValue)]
pub struct JobRow {
    pub id: String,
    pub status: ExportStatus,
    pub step: String,
    pub done_steps: i64,
    pub total_steps: i64,
    pub bytes: i64,
    pub chunks: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub expires_at: Option<i64>,
}

const JOB_FIELDS: &str = "record::id(id) AS id, status, step, done_steps, total_steps, bytes, chunks, error, created_at, finished_at, expires_at";

/// The caller's latest export, if any.
pub async fn latest(db: &Db, uid: &str) -> Result<Option<JobRow>, AppError> {
    let mut r = db
        .query(format!(
            "SELECT {JOB_FIELDS} FROM export_job WHERE user = type::record('user', $uid) ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let rows: Vec<JobRow> = r.take(0)?;
    Ok(rows.into_iter().next())
}

/// Asks for a new export of `uid`'s data. One at a time: while one is being prepared, asking
/// again is refused. A new one replaces the one before (its file is deleted).
pub async fn request(db: &Db, uid: &str, now: i64) -> Result<JobRow, AppError> {
    let id = crate::ids::new_id();
    // Behind the account's fence: a deletion running meanwhile sees the job or refuses it. Two
    // requests at once: the one run again finds the other's job.
    let res = crate::db::transact(|| {
        db.query(crate::fenced!(
            "IF count(SELECT id FROM export_job WHERE user = type::record('user', $uid) AND status IN ['queued', 'running']) > 0 {
                 THROW 'export already running';
             };
             DELETE export_chunk WHERE user = type::record('user', $uid);
             DELETE export_job WHERE user = type::record('user', $uid);
             CREATE type::record('export_job', $id) SET user = type::record('user', $uid), status = 'queued',
                 step = 'Waiting to start', done_steps = 0, total_steps = 0, bytes = 0, chunks = 0, error = NONE,
                 attempts = 0, lease_until = 0, created_at = $now, finished_at = NONE, expires_at = NONE;",
        ))
        .bind(("uid", uid.to_string()))
        .bind(("id", id.clone()))
        .bind(("now", now))
    })
    .await;
    match res {
        Ok(Some(_)) => {}
        Ok(None) => return Err(AppError::RateLimited(1)),
        Err(e) if matches!(crate::db::classify(&e), crate::db::Fault::Thrown(_)) => {
            return Err(AppError::BadRequest(
                "Your data is being gathered already. Wait for that download to be ready.".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    latest(db, uid).await?.ok_or(AppError::Internal)
}

/// Writes progress into the job's row; stops the export when the row is gone (the account was
/// deleted meanwhile).
struct JobProgress<'a> {
    db: &'a Db,
    id: String,
    lease_until: i64,
}

impl AsyncProgress for JobProgress<'_> {
    async fn tell(&mut self, p: Progress) -> Result<(), AppError> {
        let mut r = self
            .db
            .query("UPDATE type::record('export_job', $id) SET step = $step, done_steps = $done, total_steps = $total, lease_until = $lease RETURN VALUE id")
            .bind(("id", self.id.clone()))
            .bind(("step", p.step))
            .bind(("done", p.done as i64))
            .bind(("total", p.total as i64))
            .bind(("lease", self.lease_until))
            .await?
            .check()?;
        still_there(&mut r)
    }
}

#[derive(Debug, Clone, SurrealValue)]
struct Claimed {
    id: String,
    user: String,
}

/// Claims one export that is waiting (or whose node went quiet), builds it and stores it.
/// Returns whether there was one.
pub async fn run_one(
    db: &Db,
    blobs: &crate::blob::Blobs,
    product: &str,
    now: i64,
) -> Result<bool, AppError> {
    let r = db
        .query(
            "LET $job = (SELECT VALUE id FROM export_job
                 WHERE (status = 'queued' OR (status = 'running' AND lease_until <= $now)) ORDER BY created_at LIMIT 1)[0];
             IF $job != NONE {
                 UPDATE $job SET status = IF attempts >= $attempts { 'failed' } ELSE { 'running' },
                     error = IF attempts >= $attempts { 'It could not be finished. Ask for a new download.' } ELSE { NONE },
                     attempts = attempts + 1, lease_until = $lease
                     WHERE status = 'queued' OR (status = 'running' AND lease_until <= $now)
                     RETURN record::id(id) AS id, record::id(user) AS user, status;
             };",
        )
        .bind(("now", now))
        .bind(("lease", now + LEASE_SECS))
        .bind(("attempts", ATTEMPTS))
        .await
        .and_then(|r| r.check());
    let mut r = match r {
        Ok(r) => r,
        // Another node claimed it at the same moment.
        Err(e) if crate::db::is_conflict(&e) => return Ok(true),
        Err(e) => return Err(e.into()),
    };
    let claimed: Vec<ClaimedStatus> = r.take(1).unwrap_or_default();
    let Some(job) = claimed.into_iter().next() else {
        return Ok(false);
    };
    if job.status != ExportStatus::Running {
        return Ok(true);
    }
    let job = Claimed {
        id: job.id,
        user: job.user,
    };
    if let Err(e) = build_and_store(db, blobs, &job, product, now).await {
        // Gone (the account was deleted): nothing to record. Otherwise the next attempt may do.
        db.query("DELETE export_chunk WHERE job = type::record('export_job', $id);
                  UPDATE type::record('export_job', $id) SET status = IF attempts >= $attempts { 'failed' } ELSE { 'queued' },
                      error = IF attempts >= $attempts { 'It could not be finished. Ask for a new download.' } ELSE { NONE }, lease_until = 0;")
            .bind(("id", job.id.clone()))
            .bind(("attempts", ATTEMPTS))
            .await?
            .check()?;
        if !matches!(e, AppError::NotFound) {
            tracing::warn!(job = %job.id, error = %e, "an export failed");
        }
    }
    Ok(true)
}

#[derive(Debug, Clone, SurrealValue)]
struct ClaimedStatus {
    id: String,
    user: String,
    status: ExportStatus,
}

async fn build_and_store(
    db: &Db,
    blobs: &crate::blob::Blobs,
    job: &Claimed,
    product: &str,
    now: i64,
) -> Result<(), AppError> {
    let io = |e: std::io::Error| AppError::internal("export: the temporary file", e);
    let mut file = tempfile::tempfile().map_err(io)?;
    let progress = JobProgress {
        db,
        id: job.id.clone(),
        lease_until: now + LEASE_SECS,
    };
    let size = write_zip(db, blobs, &job.user, product, now, &mut file, progress).await?;
    file.rewind().map_err(io)?;
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut n = 0i64;
    loop {
        let mut got = 0;
        while got < CHUNK_BYTES {
            let k = file.read(&mut buf[got..]).map_err(io)?;
            if k == 0 {
                break;
            }
            got += k;
        }
        if got == 0 {
            break;
        }
        db.query("CREATE export_chunk SET job = type::record('export_job', $id), user = type::record('user', $uid), n = $n, data = $data")
            .bind(("id", job.id.clone()))
            .bind(("uid", job.user.clone()))
            .bind(("n", n))
            .bind(("data", surrealdb::types::Bytes::from(buf[..got].to_vec())))
            .await?
            .check()?;
        n += 1;
    }
    let mut r = db
        .query("UPDATE type::record('export_job', $id) SET status = 'done', step = 'Ready', done_steps = total_steps, bytes = $bytes,
                    chunks = $n, finished_at = $now, expires_at = $expires RETURN VALUE id")
        .bind(("id", job.id.clone()))
        .bind(("bytes", size as i64))
        .bind(("n", n))
        .bind(("now", now))
        .bind(("expires", now + EXPORT_TTL_SECS))
        .await?
        .check()?;
    // The account went while the file was stored: so does the file.
    still_there(&mut r)
}

/// The job an UPDATE … RETURN VALUE id touched still exists: else NotFound (its account went
/// meanwhile, and the export stops).
fn still_there(r: &mut surrealdb::IndexedResults) -> Result<(), AppError> {
    let ids: Vec<surrealdb::types::RecordId> = r.take(0)?;
    if ids.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Why a download is refused.
#[derive(Debug, PartialEq)]
pub enum NoDownload {
    /// No such export of the caller's (someone else's is the same).
    NotFound,
    /// It expired (and is deleted, or about to be).
    Expired,
    /// Not ready yet.
    NotReady,
}

/// The caller's finished export `id`: its size and number of chunks.
pub async fn download(
    db: &Db,
    uid: &str,
    id: &str,
    now: i64,
) -> Result<Result<(i64, i64), NoDownload>, AppError> {
    if crate::ids::check_id(id).is_err() {
        return Ok(Err(NoDownload::NotFound));
    }
    let mut r = db
        .query(format!("SELECT {JOB_FIELDS} FROM type::record('export_job', $id) WHERE user = type::record('user', $uid)"))
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let rows: Vec<JobRow> = r.take(0)?;
    let Some(job) = rows.into_iter().next() else {
        return Ok(Err(NoDownload::NotFound));
    };
    Ok(match (job.status, job.expires_at) {
        (ExportStatus::Done, Some(t)) if t <= now => Err(NoDownload::Expired),
        (ExportStatus::Done, _) => Ok((job.bytes, job.chunks)),
        _ => Err(NoDownload::NotReady),
    })
}

/// Piece `n` of export `id`.
pub async fn chunk(db: &Db, id: &str, n: i64) -> Result<Vec<u8>, AppError> {
    let mut r = db
        .query("SELECT VALUE data FROM export_chunk WHERE job = type::record('export_job', $id) AND n = $n")
        .bind(("id", id.to_string()))
        .bind(("n", n))
        .await?
        .check()?;
    let data: Vec<surrealdb::types::Bytes> = r.take(0)?;
    data.into_iter().next().map(|b| b.to_vec()).ok_or_else(|| {
        AppError::internal("export download", format!("piece {n} of {id} is missing"))
    })
}

/// Deletes expired exports (their files at once; the row a day later, so a late download
/// hears "expired" rather than "not found") and pieces whose job is gone.
pub async fn sweep(db: &Db, now: i64) -> Result<(), AppError> {
    db.query(
        "DELETE export_chunk WHERE job.expires_at != NONE AND job.expires_at <= $now;
         UPDATE export_job SET chunks = 0 WHERE expires_at != NONE AND expires_at <= $now;
         DELETE export_job WHERE (expires_at != NONE AND expires_at <= $now - $ttl)
             OR (status = 'failed' AND created_at <= $now - $ttl);
         DELETE export_chunk WHERE job.id = NONE;",
    )
    .bind(("now", now))
    .bind(("ttl", EXPORT_TTL_SECS))
    .await?
    .check()?;
    Ok(())
}

/// Privacy's part of deleting an account: its exports and their files.
pub const ERASE_USER: &str =
    "DELETE export_chunk WHERE user = $user; DELETE export_job WHERE user = $user;";

/// `viva admin export-user EMAIL FILE`: the same ZIP, written to `path` (readable by its owner
/// only; written beside it first, so a failed export leaves no half file). Returns its size.
pub async fn export_to_file(
    db: &Db,
    blobs: &crate::blob::Blobs,
    email: &str,
    product: &str,
    now: i64,
    path: &std::path::Path,
) -> Result<u64, AppError> {
    let email = crate::address::normalize_email(email)?;
    let user = crate::auth::service::user_by_email(db, &email)
        .await?
        .ok_or_else(|| AppError::BadRequest(format!("No account has the address {email}.")))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let cannot =
        |e: std::io::Error| AppError::BadRequest(format!("Cannot write {}: {e}.", path.display()));
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(cannot)?;
    let size = write_zip(db, blobs, &user.id, product, now, tmp.as_file_mut(), Quiet).await?;
    tmp.as_file().sync_all().map_err(cannot)?;
    tmp.persist(path).map_err(|e| cannot(e.error))?;
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::voice::model::{Question, Segment};

    /// A person with `interviews` interviews, each with a spoken answer of `segments` kept
    /// recordings to its first question (recordings kept), and a resume.
    fn keeping(blobs: &crate::blob::Blobs) -> crate::voice::service::Keeping<'_> {
        crate::voice::service::Keeping {
            blobs,
            retention_days: 90,
        }
    }

    pub(crate) async fn seeded(
        db: &Db,
        blobs: &crate::blob::Blobs,
        uid: &str,
        interviews: usize,
        segments: u32,
    ) {
        crate::interview::service::sync_bank(db, 1_000)
            .await
            .unwrap();
        db.query(
            "CREATE type::record('user', $uid) SET email = $email, name = 'Ann Export', password_hash = '!', role = 'user',
                 job_role = 'Backend developer', experience = 'mid', email_verified = true, disabled = false,
                 terms_version = '1', terms_accepted_at = 5, age_confirmed_at = 5, created_at = 5;
             CREATE type::record('resume', $uid) SET user = type::record('user', $uid), file_name = 'cv.pdf', bytes = 1000,
                 text = 'Ann Export, backend developer: Rust and Postgres.', skills = ['Rust'], uploaded_at = 6;",
        )
        .bind(("uid", uid.to_string()))
        .bind(("email", format!("{uid}@example.org")))
        .await
        .unwrap()
        .check()
        .unwrap();
        crate::voice::service::set_keep(db, uid, true, 7)
            .await
            .unwrap();
        let desk = crate::interview::desk::Desk {
            evaluator: std::sync::Arc::new(crate::feedback::evaluator::Evaluator::default()),
        };
        let text =
            "In my last role our deploys failed every week. I owned the fix: contract tests and a \
            canary stage, and failures fell from four a month to none within a quarter.";
        for i in 0..interviews {
            let now = 1_000 + i as i64 * 100;
            let id = crate::interview::service::warm_up(db, uid, now)
                .await
                .unwrap();
            let q = Question {
                user: uid,
                interview: &id,
                position: 0,
            };
            for seq in 0..segments {
                // Each segment different, to find each one in the ZIP.
                let wav =
                    voice::wav::encode_i16(16_000, &vec![(i as i16) * 100 + seq as i16; 8_000]);
                let seg = Segment {
                    seq,
                    start: seq as f64,
                    end: seq as f64 + 0.25,
                    wav,
                };
                crate::voice::service::upload(db, &desk, keeping(blobs), q, seg, false, now)
                    .await
                    .unwrap();
            }
            crate::voice::service::hand_in(
                db,
                &desk,
                q,
                segments,
                Some(text.into()),
                &crate::voice::transcribe::Transcriber::None,
                now + 1,
            )
            .await
            .unwrap();
        }
    }

    fn unzip(bytes: Vec<u8>) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap()
    }

    fn entry(z: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
        let mut f = z.by_name(name).unwrap();
        let mut out = Vec::new();
        f.read_to_end(&mut out).unwrap();
        out
    }

    /// The promise: every interview, answer and kept recording in the ZIP, `data.json` valid
    /// against the published schema; the job runs once at a time, is stored in pieces and
    /// expires.
    #[tokio::test]
    async fn an_export_holds_every_interview_answer_and_recording() {
        let (_dir, db) = crate::db::temp().await;
        let blobs = crate::blob::for_tests();
        seeded(&db, &blobs, "ann", 15, 7).await; // 105 recordings
        let started = std::time::Instant::now();
        let job = request(&db, "ann", 10_000).await.unwrap();
        assert_eq!(job.status, ExportStatus::Queued);
        let again = request(&db, "ann", 10_001).await.unwrap_err();
        assert!(
            again.to_string().contains("being gathered already"),
            "{again}"
        );
        assert!(run_one(&db, &blobs, "Viva", 10_002).await.unwrap());
        assert!(
            !run_one(&db, &blobs, "Viva", 10_003).await.unwrap(),
            "nothing left to do"
        );
        let done = latest(&db, "ann").await.unwrap().unwrap();
        assert_eq!(done.status, ExportStatus::Done, "{:?}", done.error);
        assert_eq!(done.done_steps, done.total_steps);
        assert_eq!(done.expires_at, Some(10_002 + EXPORT_TTL_SECS));
        let (bytes, chunks) = download(&db, "ann", &done.id, 10_010)
            .await
            .unwrap()
            .unwrap();
        let mut file = Vec::new();
        for n in 0..chunks {
            file.extend(chunk(&db, &done.id, n).await.unwrap());
        }
        assert_eq!(file.len() as i64, bytes);
        assert!(chunks > 1, "a {bytes}-byte export is stored in pieces");
        eprintln!(
            "export of 15 interviews and 105 recordings: {bytes} bytes in {chunks} pieces, built and read back in {:.2} s",
            started.elapsed().as_secs_f64()
        );

        let mut z = unzip(file);
        let data: Value = serde_json::from_slice(&entry(&mut z, "data.json")).unwrap();
        assert_eq!(data["schema"], "viva-export");
        assert_eq!(data["account"]["email"], "ann@example.org");
        assert_eq!(
            data["resume"]["text"],
            "Ann Export, backend developer: Rust and Postgres."
        );
        let interviews = data["interviews"].as_array().unwrap();
        assert_eq!(interviews.len(), 15);
        for iv in interviews {
            let id = iv["id"].as_str().unwrap();
            assert!(iv["questions"][0]["answer"]
                .as_str()
                .unwrap()
                .contains("canary stage"));
            assert_eq!(iv["questions"].as_array().unwrap().len(), 3);
            // Evaluated, or asked a follow-up first.
            let q0 = &iv["questions"][0];
            assert!(
                q0["evaluation"].is_object() || q0["follow_up"].is_string(),
                "{q0}"
            );
            let report =
                String::from_utf8(entry(&mut z, &format!("reports/1970-01-01-{id}.md"))).unwrap();
            assert!(report.contains("canary stage"), "{report}");
        }
        assert_eq!(data["spoken_answers"].as_array().unwrap().len(), 15);
        let recordings = data["recordings"].as_array().unwrap();
        assert_eq!(recordings.len(), 105);
        for seg in crate::voice::service::kept_segments(&db, "ann")
            .await
            .unwrap()
        {
            let audio = crate::voice::service::segment_audio(&db, &blobs, "ann", &seg.id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                entry(&mut z, &recording_name(&seg)),
                audio,
                "{}",
                recording_name(&seg)
            );
        }
        assert!(entry(&mut z, "export-schema.md").starts_with(b"#"));
        // No secret of the account travels.
        let text = String::from_utf8(entry(&mut z, "data.json")).unwrap();
        assert!(!text.contains("password_hash") && !text.contains("\"hash\""));

        // The published schema accepts it (Python's jsonschema, from Debian's python3-jsonschema).
        let json_path = _dir.path().join("data.json");
        std::fs::write(&json_path, &text).unwrap();
        let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/export-schema.json");
        let check = std::process::Command::new("python3")
            .args(["-c", "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), cls=jsonschema.Draft202012Validator)"])
            .arg(&json_path)
            .arg(schema)
            .output()
            .expect("python3 with jsonschema (Debian python3-jsonschema) checks the export");
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );

        // Only its owner; expired after a day, then gone.
        assert_eq!(
            download(&db, "bob", &done.id, 10_010).await.unwrap(),
            Err(NoDownload::NotFound)
        );
        assert_eq!(
            download(&db, "ann", &done.id, 10_002 + EXPORT_TTL_SECS)
                .await
                .unwrap(),
            Err(NoDownload::Expired)
        );
        sweep(&db, 10_002 + EXPORT_TTL_SECS).await.unwrap();
        let mut r = db
            .query("RETURN count(SELECT id FROM export_chunk)")
            .await
            .unwrap();
        assert_eq!(
            r.take::<Option<i64>>(0).unwrap(),
            Some(0),
            "an expired export's file is deleted"
        );
        assert_eq!(
            download(&db, "ann", &done.id, 10_002 + EXPORT_TTL_SECS + 1)
                .await
                .unwrap(),
            Err(NoDownload::Expired),
            "a late download hears that it expired"
        );
    }
}
