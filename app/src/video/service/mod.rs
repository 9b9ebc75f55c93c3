//! (ssr) Video answers on the server: the per-interview choice, chunks stored one by one in
//! the blob store (each once, checked by its bytes), joined when the answer is finished
//! (WebM made seekable on the way, see `container`), playback for the owner, retention.

use surrealdb::types::SurrealValue;

use super::container::{self, Container, Piece};
use super::model::*;
use crate::blob::Blobs;
use crate::db::Db;
use crate::ids::check_id;
use crate::voice::AnswerDesk;
use crate::AppError;

fn bad(msg: impl Into<String>) -> AppError {
    AppError::BadRequest(msg.into())
}

/// One take of one part of one question of someone's interview.
#[derive(Clone, Copy, Debug)]
pub struct Take<'a> {
    pub user: &'a str,
    pub interview: &'a str,
    pub position: u32,
    pub part: Part,
    pub take: &'a str,
}

impl Take<'_> {
    fn check(&self) -> Result<(), AppError> {
        check_id(self.interview)?;
        if !take_ok(self.take) {
            return Err(bad(format!(
                "\"take\" must be 1 to {MAX_TAKE_CHARS} letters, digits or dashes."
            )));
        }
        Ok(())
    }
}

/// Records whether `uid`'s interview `id` records its answers on video.
pub async fn choose(db: &Db, uid: &str, id: &str, record: bool, now: i64) -> Result<(), AppError> {
    check_id(id)?;
    // Behind the account's fence: no choice outlives an account deleted meanwhile.
    crate::db::write(|| {
        db.query(crate::fenced!(
            "UPSERT type::record('video_choice', $id) SET user = type::record('user', $uid),
             interview = type::record('interview', $id), record = $record, created_at = $now;",
        ))
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .bind(("record", record))
        .bind(("now", now))
    })
    .await?;
    Ok(())
}

/// Whether `uid`'s interview `id` records its answers on video (false when never chosen).
pub async fn records(db: &Db, uid: &str, id: &str) -> Result<bool, AppError> {
    check_id(id)?;
    let mut r = db
        .query("SELECT VALUE record FROM type::record('video_choice', $id) WHERE user = type::record('user', $uid)")
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let v: Vec<bool> = r.take(0)?;
    Ok(v.first().copied().unwrap_or(false))
}

#[derive(Debug, Clone, SurrealValue)]
struct RecRow {
    id: String,
    status: VideoStatus,
    container: Option<String>,
    chunks: i64,
    bytes: i64,
}

/// A query about one part of question `position` of `uid`'s interview `id`: `$id`, `$uid`,
/// `$pos` and `$part` bound.
fn on_part<'d>(
    db: &'d Db,
    uid: &str,
    id: &str,
    position: u32,
    part: Part,
    sql: String,
) -> surrealdb::method::Query<'d, surrealdb::engine::any::Any> {
    db.query(sql)
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .bind(("pos", position as i64))
        .bind(("part", part))
}

/// The container a recording's row names.
fn container_of(name: &str) -> Option<Container> {
    [Container::WebM, Container::Mp4]
        .into_iter()
        .find(|c| c.extension() == name)
}

async fn find(db: &Db, t: &Take<'_>) -> Result<Option<RecRow>, AppError> {
    let sql = format!(
        "SELECT record::id(id) AS id, status, container, chunks, bytes FROM video_recording WHERE {}
             AND position = $pos AND part = $part AND take = $take LIMIT 1",
        crate::of_interview!()
    );
    let mut r = on_part(db, t.user, t.interview, t.position, t.part, sql)
        .bind(("take", t.take.to_string()))
        .await?
        .check()?;
    let rows: Vec<RecRow> = r.take(0)?;
    Ok(rows.into_iter().next())
}

/// The blob key of one chunk, and of a finished recording.
fn chunk_key(uid: &str, rec: &str, seq: u32) -> String {
    format!("video/{uid}/{rec}/chunk-{seq:05}")
}
fn recording_key(uid: &str, rec: &str, c: Container) -> String {
    format!("video/{uid}/{rec}.{}", c.extension())
}

/// What storing a chunk needs besides the chunk.
pub struct Upload<'a> {
    pub db: &'a Db,
    pub blobs: &'a Blobs,
    pub desk: &'a dyn AnswerDesk,
    pub payments: &'a crate::billing::service::Payments,
    pub retention_days: u32,
    pub now: i64,
}

/// Stores chunk `seq` of a take. The first chunk of a take opens it, only while its part of
/// the question is open (someone else's interview is a 404); later ones may arrive after the
/// answer was handed in. A chunk that already arrived is acknowledged and not stored again;
/// nothing is stored for a refused one.
pub async fn chunk(
    u: &Upload<'_>,
    t: Take<'_>,
    seq: u32,
    bytes: Vec<u8>,
) -> Result<ChunkAck, AppError> {
    let db = u.db;
    t.check()?;
    if bytes.is_empty() {
        return Err(bad("The video chunk is empty."));
    }
    if bytes.len() > MAX_CHUNK_BYTES {
        return Err(bad(format!(
            "The video chunk is {} bytes; the limit is {MAX_CHUNK_BYTES}.",
            bytes.len()
        )));
    }
    if seq >= MAX_CHUNKS {
        return Err(bad(format!(
            "A recording holds at most {MAX_CHUNKS} chunks."
        )));
    }
    // The first chunk starts the file: its first bytes say what it is, whatever was declared.
    let sniffed = if seq == 0 {
        Some(container::sniff(&bytes).ok_or_else(|| {
            bad("This is not a video recording: its first bytes are neither WebM nor MP4. Nothing was stored.")
        })?)
    } else {
        None
    };
    let rec = match find(db, &t).await? {
        Some(r) => r,
        None => open(u, &t).await?,
    };
    if rec.status != VideoStatus::Uploading {
        // Finished: a chunk the browser sends again is one the server already has.
        if (seq as i64) < rec.chunks {
            return Ok(ChunkAck {
                seq,
                duplicate: true,
                chunks: rec.chunks as u32,
                bytes: rec.bytes as u64,
            });
        }
        return Err(bad("This recording is already finished."));
    }
    if rec.bytes as u64 + bytes.len() as u64 > MAX_BYTES {
        return Err(bad(format!(
            "A video answer holds at most {} MB.",
            MAX_BYTES / (1024 * 1024)
        )));
    }
    let n = bytes.len() as i64;
    let key = chunk_key(t.user, &rec.id, seq);
    // Already here? (The browser retries when an acknowledgement was lost.)
    let mut r = db
        .query("SELECT VALUE bytes FROM video_chunk WHERE recording = type::record('video_recording', $rec) AND seq = $seq")
        .bind(("rec", rec.id.clone()))
        .bind(("seq", seq as i64))
        .await?
        .check()?;
    let had: Vec<i64> = r.take(0)?;
    if let Some(&was) = had.first() {
        if was != n {
            return Err(bad(format!(
                "Chunk {seq} already arrived with {was} bytes; this one has {n}. Start the recording again."
            )));
        }
        return Ok(ChunkAck {
            seq,
            duplicate: true,
            chunks: rec.chunks as u32,
            bytes: rec.bytes as u64,
        });
    }
    u.blobs.put(&key, bytes).await?;
    let res = db
        .query(
            "BEGIN TRANSACTION;
             CREATE video_chunk SET recording = type::record('video_recording', $rec), user = type::record('user', $uid),
                 seq = $seq, bytes = $n, key = $key, created_at = $now;
             LET $r = (UPDATE type::record('video_recording', $rec) SET chunks += 1, bytes += $n,
                 container = IF $container != NONE THEN $container ELSE container END,
                 mime = IF $mime != NONE THEN $mime ELSE mime END
                 WHERE status = 'uploading' RETURN chunks, bytes)[0];
             IF $r = NONE { THROW 'finished' };
             RETURN $r;
             COMMIT TRANSACTION;",
        )
        .bind(("rec", rec.id.clone()))
        .bind(("uid", t.user.to_string()))
        .bind(("seq", seq as i64))
        .bind(("n", n))
        .bind(("key", key.clone()))
        .bind(("now", u.now))
        .bind(("container", sniffed.map(|c| c.extension())))
        .bind(("mime", sniffed.map(|c| c.mime())))
        .await
        .and_then(crate::db::check_tx);
    #[derive(Debug, Clone, SurrealValue)]
    struct Totals {
        chunks: i64,
        bytes: i64,
    }
    match res {
        Ok(mut r) => {
            // Results: BEGIN (0), CREATE (1), LET (2), IF (3), RETURN (4).
            let totals: Option<Totals> = r.take(4).ok().flatten();
            let totals = totals.unwrap_or(Totals {
                chunks: rec.chunks + 1,
                bytes: rec.bytes + n,
            });
            Ok(ChunkAck {
                seq,
                duplicate: false,
                chunks: totals.chunks as u32,
                bytes: totals.bytes as u64,
            })
        }
        Err(e) => {
            // Not stored: its blob goes (a racing copy that won keeps its own).
            let fault = crate::db::classify(&e);
            if fault == crate::db::Fault::Duplicate("video_chunk_key") {
                // The twin's row names the same key: keep the blob.
                return Ok(ChunkAck {
                    seq,
                    duplicate: true,
                    chunks: rec.chunks as u32 + 1,
                    bytes: rec.bytes as u64 + n as u64,
                });
            }
            let _ = u.blobs.delete(&key).await;
            if matches!(fault, crate::db::Fault::Thrown(ref m) if m.contains("finished")) {
                return Err(bad("This recording is already finished."));
            }
            Err(e.into())
        }
    }
}

/// Opens a take: its part must be the question's open part, recording must be on for the
/// interview, and the plan must include video.
async fn open(u: &Upload<'_>, t: &Take<'_>) -> Result<RecRow, AppError> {
    let db = u.db;
    let part = u
        .desk
        .open_part(db, t.user, t.interview, t.position)
        .await?;
    if part != t.part {
        return Err(bad(format!(
            "This question is waiting for its {}, not its {}.",
            part.as_str(),
            t.part.as_str()
        )));
    }
    if !records(db, t.user, t.interview).await? {
        return Err(bad("Video recording is off for this interview, so no video is kept. Start a new interview with recording on to record your answers."));
    }
    crate::billing::service::allows_video(u.payments, db, t.user, u.now).await?;
    // Behind the account's fence: a deletion running meanwhile sees this row or refuses it (its
    // chunks then update the row, which a deletion writes too).
    let sql = crate::fenced!(
        "CREATE video_recording SET user = type::record('user', $uid), interview = type::record('interview', $id),
             position = $pos, part = $part, take = $take, container = NONE, mime = NONE, status = 'uploading',
             chunks = 0, bytes = 0, duration_s = NONE, key = NONE, error = NONE, keep_until = $until,
             created_at = $now, finished_at = NONE;");
    let res = crate::db::transact(|| {
        on_part(db, t.user, t.interview, t.position, t.part, sql.into())
            .bind(("take", t.take.to_string()))
            .bind(("until", u.now + u.retention_days as i64 * 86_400))
            .bind(("now", u.now))
    })
    .await;
    match res {
        Ok(Some(_)) => {}
        Ok(None) => return Err(AppError::RateLimited(1)),
        // Two first chunks racing: the other made it.
        Err(e) if crate::db::classify(&e) == crate::db::Fault::Duplicate("video_take") => {}
        Err(e) => return Err(e.into()),
    }
    find(db, t)
        .await?
        .ok_or_else(|| AppError::internal("video take", "not found after creating it"))
}

#[derive(Debug, Clone, SurrealValue)]
struct ChunkRow {
    seq: i64,
    bytes: i64,
    key: String,
}

async fn chunks_of(db: &Db, rec: &str) -> Result<Vec<ChunkRow>, AppError> {
    let mut r = db
        .query("SELECT seq, bytes, key FROM video_chunk WHERE recording = type::record('video_recording', $rec) ORDER BY seq")
        .bind(("rec", rec.to_string()))
        .await?
        .check()?;
    Ok(r.take(0)?)
}

/// Reads the stored chunks as one byte stream, in order, a chunk at a time.
struct Chunks<'a> {
    blobs: &'a Blobs,
    rows: &'a [ChunkRow],
    /// The chunk held now: its index and bytes.
    held: Option<(usize, Vec<u8>)>,
    /// Where each chunk starts in the whole.
    starts: Vec<u64>,
}

impl<'a> Chunks<'a> {
    fn new(blobs: &'a Blobs, rows: &'a [ChunkRow]) -> Self {
        let mut at = 0;
        let starts = rows
            .iter()
            .map(|r| {
                let s = at;
                at += r.bytes as u64;
                s
            })
            .collect();
        Chunks {
            blobs,
            rows,
            held: None,
            starts,
        }
    }

    async fn chunk(&mut self, i: usize) -> Result<&[u8], AppError> {
        if self.held.as_ref().map(|h| h.0) != Some(i) {
            let bytes = self.blobs.get(&self.rows[i].key).await?.ok_or_else(|| {
                AppError::internal("video chunk", format!("chunk {i} is missing"))
            })?;
            self.held = Some((i, bytes));
        }
        Ok(self
            .held
            .as_ref()
            .map(|h| h.1.as_slice())
            .unwrap_or_default())
    }

    /// Writes bytes `start..end` of the whole to `w`.
    async fn copy(
        &mut self,
        start: u64,
        end: u64,
        w: &mut crate::blob::BlobWriter,
    ) -> Result<(), AppError> {
        let mut at = start;
        while at < end {
            let i = match self.starts.binary_search(&at) {
                Ok(i) => i,
                Err(i) => i.saturating_sub(1),
            };
            let base = self.starts[i];
            let c = self.chunk(i).await?;
            let from = (at - base) as usize;
            let to = ((end - base) as usize).min(c.len());
            if from >= to {
                return Err(AppError::internal("video join", "range outside the chunks"));
            }
            let piece = c[from..to].to_vec();
            w.write(&piece).await?;
            at += piece.len() as u64;
        }
        Ok(())
    }
}

/// Finishes a take once its `count` chunks of `total` bytes have all arrived: joins them into
/// one file (a WebM made seekable: Duration and Cues written), checks it is a whole video within
/// the limits, and keeps it; the chunks go, and so do the part's other takes. A refused
/// recording is deleted with a message saying why. Finishing twice is harmless.
pub async fn finish(
    u: &Upload<'_>,
    t: Take<'_>,
    count: u32,
    total: u64,
) -> Result<VideoView, AppError> {
    let db = u.db;
    t.check()?;
    let Some(rec) = find(db, &t).await? else {
        owner(u.desk, db, t.user, t.interview, t.position).await?;
        return Err(bad("No chunk of this recording has arrived yet."));
    };
    match rec.status {
        VideoStatus::Uploading => {}
        VideoStatus::Processing => return view_of(db, &rec.id).await,
        VideoStatus::Ready | VideoStatus::Failed => return view_of(db, &rec.id).await,
    }
    let rows = chunks_of(db, &rec.id).await?;
    let have = rows.len() as u32;
    if have < count {
        return Err(bad(format!(
            "{have} of the recording's {count} chunks have arrived; send the rest, then finish again."
        )));
    }
    if have > count || rows.iter().enumerate().any(|(i, r)| r.seq != i as i64) {
        return Err(bad(format!(
            "The recording has {have} chunks, not {count} numbered from 0."
        )));
    }
    let bytes: u64 = rows.iter().map(|r| r.bytes as u64).sum();
    if bytes != total {
        return Err(bad(format!(
            "The recording's chunks hold {bytes} bytes, not the {total} announced."
        )));
    }
    let Some(kind) = rec.container.as_deref().and_then(container_of) else {
        return Err(bad("The recording's first chunk has not arrived."));
    };
    // One finisher: the others see it processing.
    let mut r = db
        .query("UPDATE type::record('video_recording', $rec) SET status = 'processing' WHERE status = 'uploading' RETURN VALUE status")
        .bind(("rec", rec.id.clone()))
        .await?
        .check()?;
    let claimed: Vec<VideoStatus> = r.take(0)?;
    if claimed.is_empty() {
        return view_of(db, &rec.id).await;
    }
    match join(u, &t, &rec.id, kind, &rows).await {
        Ok((key, size, secs)) => {
            // Ready; its chunks and the part's other takes go.
            let sql = format!(
                "BEGIN TRANSACTION;
                 UPDATE type::record('video_recording', $rec) SET status = 'ready', key = $key, bytes = $size,
                     duration_s = $secs, finished_at = $now;
                 DELETE video_chunk WHERE recording = type::record('video_recording', $rec);
                 DELETE video_recording WHERE {} AND position = $pos AND part = $part AND id != type::record('video_recording', $rec);
                 COMMIT TRANSACTION;",
                crate::of_interview!()
            );
            on_part(db, t.user, t.interview, t.position, t.part, sql)
                .bind(("rec", rec.id.clone()))
                .bind(("key", key))
                .bind(("size", size as i64))
                .bind(("secs", secs))
                .bind(("now", u.now))
                .await
                .and_then(crate::db::check_tx)?;
            // The chunks' files go now, not at the next sweep (the disk holds each video once).
            if let Err(e) = crate::blob::reap(db, u.blobs).await {
                tracing::warn!(error = %e, "chunk files are left for the retention sweep");
            }
            view_of(db, &rec.id).await
        }
        Err(e) => {
            let msg = match &e {
                AppError::BadRequest(m) | AppError::QuotaReached(m) => m.clone(),
                _ => "The recording could not be processed.".to_string(),
            };
            // Refused for good (the chunks are wrong, or past a limit): nothing is kept.
            if matches!(e, AppError::BadRequest(_) | AppError::QuotaReached(_)) {
                db.query(
                    "UPDATE type::record('video_recording', $rec) SET status = 'failed', error = $msg, finished_at = $now;
                     DELETE video_chunk WHERE recording = type::record('video_recording', $rec);",
                )
                .bind(("rec", rec.id.clone()))
                .bind(("msg", msg))
                .bind(("now", u.now))
                .await?
                .check()?;
                let _ = crate::blob::reap(db, u.blobs).await;
            } else {
                // A fault on the way (the store, the database): try again later.
                let _ = db
                    .query("UPDATE type::record('video_recording', $rec) SET status = 'uploading'")
                    .bind(("rec", rec.id.clone()))
                    .await;
            }
            Err(e)
        }
    }
}

/// Joins the chunks into the recording's blob; returns its key, size and length in seconds.
async fn join(
    u: &Upload<'_>,
    t: &Take<'_>,
    rec: &str,
    kind: Container,
    rows: &[ChunkRow],
) -> Result<(String, u64, f64), AppError> {
    let not_ok = |e: container::ContainerError| bad(format!("{e} Nothing was kept."));
    let mut src = Chunks::new(u.blobs, rows);
    // Pass 1: read it through (a chunk at a time) to learn its length and layout.
    let (secs, plan) = match kind {
        Container::WebM => {
            let mut ix = container::WebmIndexer::new();
            for i in 0..rows.len() {
                ix.feed(src.chunk(i).await?).map_err(not_ok)?;
            }
            let index = ix.finish().map_err(not_ok)?;
            (index.duration_secs(), index.plan())
        }
        Container::Mp4 => {
            let mut ck = container::Mp4Checker::new();
            for i in 0..rows.len() {
                ck.feed(src.chunk(i).await?).map_err(not_ok)?;
            }
            let info = ck.finish().map_err(not_ok)?;
            let total: u64 = rows.iter().map(|r| r.bytes as u64).sum();
            (
                info.duration_secs.unwrap_or(0.0),
                vec![Piece::Source {
                    start: 0,
                    end: total,
                }],
            )
        }
    };
    if !secs.is_finite() || secs > MAX_SECS + 5.0 {
        return Err(bad(format!(
            "The recording lasts {secs:.0} s; a video answer may last at most {:.0} minutes.",
            MAX_SECS / 60.0
        )));
    }
    // The plan's minutes (nothing when billing is off).
    let spent = secs.ceil() as i64;
    crate::billing::service::spend(
        u.payments,
        u.db,
        t.user,
        crate::billing::Meter::VideoSeconds,
        spent,
        u.now,
    )
    .await?;
    // Pass 2: write the file, new bytes and ranges of the chunks, a part at a time.
    let key = recording_key(t.user, rec, kind);
    let written = async {
        let mut w = u.blobs.writer(&key).await?;
        for p in &plan {
            let r = match p {
                Piece::Bytes(b) => w.write(b).await,
                Piece::Source { start, end } => src.copy(*start, *end, &mut w).await,
            };
            if let Err(e) = r {
                w.abort().await;
                return Err(e);
            }
        }
        w.finish().await
    }
    .await;
    match written {
        Ok(size) => Ok((key, size, secs)),
        Err(e) => {
            let _ = crate::billing::service::give_back(
                u.payments,
                u.db,
                t.user,
                crate::billing::Meter::VideoSeconds,
                spent,
                u.now,
            )
            .await;
            Err(e)
        }
    }
}

#[derive(Debug, Clone, SurrealValue)]
struct ViewRow {
    position: i64,
    part: Part,
    status: VideoStatus,
    chunks: i64,
    bytes: i64,
    duration_s: Option<f64>,
    mime: Option<String>,
    error: Option<String>,
    keep_until: i64,
}

impl From<ViewRow> for VideoView {
    fn from(r: ViewRow) -> Self {
        VideoView {
            position: r.position as u32,
            part: r.part,
            status: r.status,
            chunks: r.chunks as u32,
            bytes: r.bytes as u64,
            duration_secs: r.duration_s,
            mime: r.mime,
            error: r.error,
            keep_until: r.keep_until,
        }
    }
}

const VIEW_FIELDS: &str =
    "position, part, status, chunks, bytes, duration_s, mime, error, keep_until";

async fn view_of(db: &Db, rec: &str) -> Result<VideoView, AppError> {
    let mut r = db
        .query(format!(
            "SELECT {VIEW_FIELDS} FROM type::record('video_recording', $rec)"
        ))
        .bind(("rec", rec.to_string()))
        .await?
        .check()?;
    let rows: Vec<ViewRow> = r.take(0)?;
    rows.into_iter()
        .next()
        .map(Into::into)
        .ok_or(AppError::NotFound)
}

/// The recordings of `uid`'s interview `id` that are ready, by question and part.
pub async fn ready(db: &Db, uid: &str, id: &str) -> Result<Vec<VideoView>, AppError> {
    check_id(id)?;
    let mut r = db
        .query(format!(
            "SELECT {VIEW_FIELDS} FROM video_recording WHERE {} AND status = 'ready' ORDER BY position, part",
            crate::of_interview!()
        ))
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let rows: Vec<ViewRow> = r.take(0)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Whether question `position` of interview `id` is `uid`'s (404 when not), asked of interview
/// practice's desk: an answered question or a finished interview is still theirs.
async fn owner(
    desk: &dyn AnswerDesk,
    db: &Db,
    uid: &str,
    id: &str,
    position: u32,
) -> Result<(), AppError> {
    match desk.open_part(db, uid, id, position).await {
        Ok(_) | Err(AppError::BadRequest(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Where the latest take of one part of a question of `uid`'s stands (`None`: no take; someone
/// else's question is a 404).
pub async fn status(
    db: &Db,
    desk: &dyn AnswerDesk,
    uid: &str,
    id: &str,
    position: u32,
    part: Part,
) -> Result<Option<VideoView>, AppError> {
    check_id(id)?;
    let sql = format!(
        "SELECT {VIEW_FIELDS}, created_at FROM video_recording WHERE {} AND position = $pos AND part = $part
             ORDER BY created_at DESC LIMIT 1",
        crate::of_interview!()
    );
    let mut r = on_part(db, uid, id, position, part, sql).await?.check()?;
    let rows: Vec<ViewRow> = r.take(0)?;
    if rows.is_empty() {
        owner(desk, db, uid, id, position).await?;
    }
    Ok(rows.into_iter().next().map(Into::into))
}

/// A ready recording to play: its blob key, size and content type. `None` when there is none
/// of `uid`'s (someone else's is the same as none).
pub async fn playable(
    db: &Db,
    uid: &str,
    id: &str,
    position: u32,
    part: Part,
) -> Result<Option<(String, &'static str)>, AppError> {
    if check_id(id).is_err() {
        return Ok(None);
    }
    #[derive(Debug, Clone, SurrealValue)]
    struct Row {
        key: String,
        container: String,
    }
    let sql = format!(
        "SELECT key, container FROM video_recording WHERE {} AND position = $pos AND part = $part AND status = 'ready' LIMIT 1",
        crate::of_interview!()
    );
    let mut r = on_part(db, uid, id, position, part, sql).await?.check()?;
    let rows: Vec<Row> = r.take(0)?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| Some((r.key, container_of(&r.container)?.mime()))))
}

/// Deletes a question's recordings (its answer is being answered afresh).
pub async fn delete_for_item(db: &Db, uid: &str, id: &str, position: u32) -> Result<(), AppError> {
    check_id(id)?;
    db.query(concat!(
        "DELETE video_recording WHERE ",
        crate::of_interview!(),
        " AND position = $pos;"
    ))
    .bind(("id", id.to_string()))
    .bind(("uid", uid.to_string()))
    .bind(("pos", position as i64))
    .await?
    .check()?;
    Ok(())
}

/// Drops recordings past their retention and takes never finished. Returns how many went.
pub async fn sweep(db: &Db, now: i64) -> Result<u64, AppError> {
    let mut r = db
        .query(
            "DELETE video_recording WHERE keep_until <= $now RETURN BEFORE;
             DELETE video_recording WHERE status IN ['uploading', 'failed'] AND created_at <= $stale RETURN BEFORE;",
        )
        .bind(("now", now))
        .bind(("stale", now - ABANDONED_SECS))
        .await?
        .check()?;
    let a: Vec<surrealdb::types::Value> = r.take(0)?;
    let b: Vec<surrealdb::types::Value> = r.take(1)?;
    Ok((a.len() + b.len()) as u64)
}

/// The part of deleting an account that video owns.
pub const ERASE_USER: &str =
    "DELETE video_recording WHERE user = $user; DELETE video_chunk WHERE user = $user;
    DELETE video_choice WHERE user = $user;";

/// The part of a person's data export that video owns: each interview's choice and each
/// recording's facts. The recordings themselves go in as files.
pub const EXPORT_USER: &[(&str, &str)] = &[
    ("video_choices", "(SELECT record::id(interview) AS interview, record, created_at FROM video_choice WHERE user = $user ORDER BY created_at)"),
    ("video_recordings", "(SELECT record::id(interview) AS interview, position, part, status, container, bytes, duration_s, keep_until AS deleted_by, created_at
        FROM video_recording WHERE user = $user ORDER BY created_at, interview, position, part)"),
];

/// One ready recording of someone's, for their export.
#[derive(Debug, Clone, SurrealValue)]
pub struct KeptVideo {
    pub interview: String,
    pub position: i64,
    pub part: Part,
    pub container: String,
    pub key: String,
    pub created_at: i64,
}

/// Every ready recording of `uid`, oldest first.
pub async fn kept(db: &Db, uid: &str) -> Result<Vec<KeptVideo>, AppError> {
    let mut r = db
        .query(
            "SELECT record::id(interview) AS interview, position, part, container, key, created_at
                 FROM video_recording WHERE user = type::record('user', $uid) AND status = 'ready' AND key != NONE
                 ORDER BY created_at, interview, position, part",
        )
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    Ok(r.take(0)?)
}

#[cfg(test)]
mod tests;
