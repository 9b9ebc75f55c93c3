//! Recognising video containers by their bytes, and making browser recordings seekable.
//!
//! Browsers record with `MediaRecorder`. Chromium writes WebM in a form meant for live
//! streaming: the Segment and every Cluster have an "unknown" size, the Info element has no
//! Duration and there is no Cues index. A `<video>` element shows such a file as lasting
//! forever and cannot seek in it. This module rewrites the file into an ordinary, seekable WebM
//! without ever holding the whole recording in memory:
//!
//! 1. Pass one: feed the stored upload chunks, in order, to a [`WebmIndexer`]. It keeps only the
//!    small header elements and, for each Cluster, where its body lies in the upload and its
//!    timecode. [`WebmIndexer::finish`] returns a [`WebmIndex`].
//! 2. Pass two: [`WebmIndex::plan`] describes the output as a list of [`Piece`]s: either new
//!    bytes (headers, the seek index, the cue index) or a byte range of the original upload
//!    (cluster bodies), which the caller copies from the stored chunks.
//!
//! MP4 recordings (Chromium on some platforms records fragmented MP4) are checked with an
//! [`Mp4Checker`] and are stored as they are.
//!
//! Everything here is plain safe Rust with the standard library only, and no input can make it
//! panic: damaged or cut-short files give a [`ContainerError`] whose message says what is wrong.

use std::fmt;

/// The most leading bytes of a file that [`sniff`] looks at. Passing more is fine.
pub const SNIFF_BYTES: usize = 64;

/// The largest header element (EBML header, Info, Tracks, Tags) a WebM file may have. Browser
/// recordings use a few hundred bytes; anything near this limit is not a recording.
const KEEP_LIMIT: usize = 1 << 20;
/// The largest MP4 movie header (`moov`) accepted.
const MOOV_LIMIT: usize = 16 << 20;
/// The largest MP4 fragment header (`moof`) accepted.
const MOOF_LIMIT: usize = 4 << 20;
/// The most clusters a WebM recording may have (a browser makes about one a second).
const MAX_CLUSTERS: usize = 1 << 20;
/// The most tracks a recording may have.
const MAX_TRACKS: usize = 64;
/// Cluster timecodes above this are treated as damage (it is far beyond any real recording and
/// keeps every timestamp sum well inside an `i64`).
const MAX_TIMECODE: u64 = 1 << 53;
/// The most bytes of a block's body needed to read its header: an 8-byte track number, a 16-bit
/// relative timecode and a flags byte.
const BLOCK_HEADER_MAX: u64 = 11;

/// A video container format that uploads may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Container {
    /// WebM (Matroska), as recorded by Chrome, Chromium, Edge and Firefox.
    WebM,
    /// MP4 (ISO base media file), as recorded by Safari and by Chromium on some platforms.
    Mp4,
}

impl Container {
    /// The MIME type to serve a file of this container with.
    pub fn mime(self) -> &'static str {
        match self {
            Container::WebM => "video/webm",
            Container::Mp4 => "video/mp4",
        }
    }

    /// The usual file name extension for this container, without a dot.
    pub fn extension(self) -> &'static str {
        match self {
            Container::WebM => "webm",
            Container::Mp4 => "mp4",
        }
    }
}

/// Tells which container a file is in from its first bytes (up to [`SNIFF_BYTES`] are used).
///
/// Only the signature counts, never a file name or a claimed MIME type: WebM must start with an
/// EBML header whose DocType is `webm` or `matroska`; MP4 must start with an `ftyp` box of a
/// sensible size. Anything else (an image, text, audio, a cut-off header) gives `None`.
pub fn sniff(head: &[u8]) -> Option<Container> {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    if is_webm_head(head) {
        Some(Container::WebM)
    } else if is_mp4_head(head) {
        Some(Container::Mp4)
    } else {
        None
    }
}

fn is_webm_head(head: &[u8]) -> bool {
    let Ok(Some(header)) = read_header(head) else {
        return false;
    };
    if header.id != EBML_HEADER {
        return false;
    }
    let Some(size) = header.size else {
        return false;
    };
    let end = (header.len as u64)
        .saturating_add(size)
        .min(head.len() as u64) as usize;
    let mut at = header.len;
    while at < end {
        let Ok(Some(child)) = read_header(&head[at..end]) else {
            return false;
        };
        let Some(body_end) = child
            .size
            .and_then(|s| usize::try_from(s).ok())
            .and_then(|s| (at + child.len).checked_add(s))
        else {
            return false;
        };
        if body_end > end {
            return false;
        }
        if child.id == DOC_TYPE {
            return is_webm_doc_type(&head[at + child.len..body_end]);
        }
        at = body_end;
    }
    false
}

fn is_webm_doc_type(value: &[u8]) -> bool {
    let value = trim_nuls(value);
    value == b"webm" || value == b"matroska"
}

fn trim_nuls(mut value: &[u8]) -> &[u8] {
    while let [rest @ .., 0] = value {
        value = rest;
    }
    value
}

fn is_mp4_head(head: &[u8]) -> bool {
    if head.len() < 12 || &head[4..8] != b"ftyp" {
        return false;
    }
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    (16..=4096).contains(&size)
        && size.is_multiple_of(4)
        && head[8..12].iter().all(|b| (0x20..=0x7E).contains(b))
}

/// One part of a rewritten file. The output is all the pieces of a plan, in order, joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// New bytes to write as they are.
    Bytes(Vec<u8>),
    /// The bytes of the original upload from `start` (inclusive) to `end` (exclusive), counted
    /// from the start of the upload's first chunk.
    Source {
        /// Offset of the first byte to copy.
        start: u64,
        /// Offset just past the last byte to copy.
        end: u64,
    },
}

impl Piece {
    /// How many bytes this piece adds to the output.
    pub fn len(&self) -> u64 {
        match self {
            Piece::Bytes(bytes) => bytes.len() as u64,
            Piece::Source { start, end } => end.saturating_sub(*start),
        }
    }

    /// Whether this piece adds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a recording could not be checked or rewritten.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerError {
    /// The data is not a WebM file at all.
    NotWebm {
        /// What gave it away, in plain words.
        reason: String,
    },
    /// The data is not an MP4 file at all.
    NotMp4 {
        /// What gave it away, in plain words.
        reason: String,
    },
    /// The data stops in the middle of something, so part of the recording is missing.
    Truncated {
        /// How many bytes there were.
        at: u64,
        /// What was being read when the data ran out, e.g. "a block".
        inside: &'static str,
    },
    /// The data is broken: the bytes at `at` cannot be what the format says they should be.
    Damaged {
        /// Offset of the broken part.
        at: u64,
        /// What is wrong, in plain words.
        reason: String,
    },
    /// A header part of the file is far larger than any recording needs.
    TooLarge {
        /// Which part, e.g. "the track list".
        what: &'static str,
        /// Offset where that part starts.
        at: u64,
        /// The largest size accepted, in bytes.
        limit: u64,
    },
    /// Something every playable recording has is not there.
    Missing {
        /// What is missing, e.g. "a track list".
        what: &'static str,
    },
}

impl fmt::Display for ContainerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContainerError::NotWebm { reason } => write!(
                f,
                "This is not a WebM recording: {reason}. Please upload the video file the browser recorded."
            ),
            ContainerError::NotMp4 { reason } => write!(
                f,
                "This is not an MP4 recording: {reason}. Please upload the video file the browser recorded."
            ),
            ContainerError::Truncated { at, inside } => write!(
                f,
                "The recording is cut short: it ends inside {inside} (at byte {at}). Part of it did not arrive; please upload it again."
            ),
            ContainerError::Damaged { at, reason } => write!(
                f,
                "The recording is damaged at byte {at}: {reason}. Please record it again."
            ),
            ContainerError::TooLarge { what, at, limit } => write!(
                f,
                "The recording is not one a browser makes: {what} at byte {at} is larger than {limit} bytes. Please upload the video file the browser recorded."
            ),
            ContainerError::Missing { what } => write!(
                f,
                "The recording cannot be played: it has no {what}. Please record it again."
            ),
        }
    }
}

impl std::error::Error for ContainerError {}

fn damaged(at: u64, reason: impl Into<String>) -> ContainerError {
    ContainerError::Damaged {
        at,
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// EBML basics
// ---------------------------------------------------------------------------------------------

const EBML_HEADER: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const SEEK_HEAD: u32 = 0x114D_9B74;
const SEEK: u32 = 0x4DBB;
const SEEK_ID: u32 = 0x53AB;
const SEEK_POSITION: u32 = 0x53AC;
const INFO: u32 = 0x1549_A966;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_TYPE: u32 = 0x83;
const DEFAULT_DURATION: u32 = 0x23_E383;
const CLUSTER: u32 = 0x1F43_B675;
const CLUSTER_TIMECODE: u32 = 0xE7;
const SILENT_TRACKS: u32 = 0x5854;
const POSITION: u32 = 0xA7;
const PREV_SIZE: u32 = 0xAB;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const BLOCK_DURATION: u32 = 0x9B;
const REFERENCE_BLOCK: u32 = 0xFB;
const ENCRYPTED_BLOCK: u32 = 0xAF;
const CUES: u32 = 0x1C53_BB6B;
const CUE_POINT: u32 = 0xBB;
const CUE_TIME: u32 = 0xB3;
const CUE_TRACK_POSITIONS: u32 = 0xB7;
const CUE_TRACK: u32 = 0xF7;
const CUE_CLUSTER_POSITION: u32 = 0xF1;
const TAGS: u32 = 0x1254_C367;
const CHAPTERS: u32 = 0x1043_A770;
const ATTACHMENTS: u32 = 0x1941_A469;
const VOID: u32 = 0xEC;
const CRC32: u32 = 0xBF;

/// The Segment's direct children: the IDs that end a Cluster of unknown size.
fn is_top_level(id: u32) -> bool {
    matches!(
        id,
        SEEK_HEAD | INFO | TRACKS | CUES | CLUSTER | TAGS | CHAPTERS | ATTACHMENTS
    )
}

/// An element header: its ID, body size (`None` for "unknown size") and header length.
#[derive(Clone, Copy, Debug)]
struct Header {
    id: u32,
    size: Option<u64>,
    len: usize,
}

/// Reads a variable-length integer. `Ok(None)` means more bytes are needed; `Err` means the
/// bytes cannot start one. Gives the value (marker bit removed), its length, and whether all the
/// value bits were ones (the "unknown size" marker).
fn read_vint(buf: &[u8]) -> Result<Option<(u64, usize, bool)>, ()> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first == 0 {
        return Err(());
    }
    let len = first.leading_zeros() as usize + 1;
    if buf.len() < len {
        return Ok(None);
    }
    let mut value = u64::from(first) & (0xFF >> len);
    for &byte in &buf[1..len] {
        value = (value << 8) | u64::from(byte);
    }
    let all_ones = value == (1u64 << (7 * len)) - 1;
    Ok(Some((value, len, all_ones)))
}

/// Reads an element header. `Ok(None)` means more bytes are needed.
fn read_header(buf: &[u8]) -> Result<Option<Header>, ()> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let id_len = first.leading_zeros() as usize + 1;
    if id_len > 4 {
        return Err(());
    }
    if buf.len() < id_len {
        return Ok(None);
    }
    let id = buf[..id_len]
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    let Some((value, size_len, unknown)) = read_vint(&buf[id_len..])? else {
        return Ok(None);
    };
    Ok(Some(Header {
        id,
        size: if unknown { None } else { Some(value) },
        len: id_len + size_len,
    }))
}

/// The children of a fully buffered element body: `(id, body, whole element)`. Yields one `Err`
/// and stops if a child is malformed, has an unknown size or runs past the end.
struct Children<'a> {
    buf: &'a [u8],
    at: usize,
}

fn children(buf: &[u8]) -> Children<'_> {
    Children { buf, at: 0 }
}

type Child<'a> = (u32, &'a [u8], &'a [u8]);

impl<'a> Iterator for Children<'a> {
    type Item = Result<Child<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let rest = &self.buf[self.at..];
        let parsed = match read_header(rest) {
            Ok(Some(Header {
                id,
                size: Some(size),
                len,
            })) => usize::try_from(size)
                .ok()
                .and_then(|size| len.checked_add(size))
                .filter(|&end| end <= rest.len())
                .map(|end| (id, &rest[len..end], &rest[..end])),
            _ => None,
        };
        match parsed {
            Some(child) => {
                self.at += child.2.len();
                Some(Ok(child))
            }
            None => {
                self.at = self.buf.len();
                Some(Err(()))
            }
        }
    }
}

fn read_uint(body: &[u8]) -> Option<u64> {
    if body.len() > 8 {
        return None;
    }
    Some(body.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

fn put_id(out: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = ((id.leading_zeros() / 8) as usize).min(3);
    out.extend_from_slice(&bytes[skip..]);
}

/// Writes a size in the fewest bytes (never the all-ones "unknown" pattern).
fn put_size(out: &mut Vec<u8>, size: u64) {
    let mut len = 1;
    while len < 8 && size >= (1u64 << (7 * len)) - 1 {
        len += 1;
    }
    let value = size | (1u64 << (7 * len));
    out.extend_from_slice(&value.to_be_bytes()[8 - len..]);
}

/// Writes a size as an 8-byte vint, so the header length does not depend on the value.
fn put_size8(out: &mut Vec<u8>, size: u64) {
    out.extend_from_slice(&(size | (1u64 << 56)).to_be_bytes());
}

fn put_element(out: &mut Vec<u8>, id: u32, body: &[u8]) {
    put_id(out, id);
    put_size(out, body.len() as u64);
    out.extend_from_slice(body);
}

fn put_uint(out: &mut Vec<u8>, id: u32, value: u64) {
    let len = (8 - (value.leading_zeros() / 8) as usize).max(1);
    put_element(out, id, &value.to_be_bytes()[8 - len..]);
}

fn put_uint8(out: &mut Vec<u8>, id: u32, value: u64) {
    put_element(out, id, &value.to_be_bytes());
}

// ---------------------------------------------------------------------------------------------
// WebM indexing (pass one)
// ---------------------------------------------------------------------------------------------

/// Reads a WebM recording chunk by chunk and remembers what is needed to rewrite it.
///
/// Memory stays small whatever the recording's length: the header elements (each at most
/// 1 MiB), a few bytes of any element header split between chunks, and three numbers per
/// Cluster. Chunks may be split anywhere, even one byte at a time.
#[derive(Debug)]
pub struct WebmIndexer {
    /// Offset in the upload of `carry[0]` (everything before it has been handled).
    pos: u64,
    /// Bytes received but not handled yet: a partial header or a header element being kept.
    carry: Vec<u8>,
    step: Step,
    phase: Phase,
    failed: Option<ContainerError>,
    segment_end: Option<u64>,
    ebml_header: Vec<u8>,
    info: Option<ParsedInfo>,
    tracks: Option<Vec<u8>>,
    track_list: Vec<Track>,
    cue_track: usize,
    tags: Vec<u8>,
    cluster: Option<OpenCluster>,
    group: Option<OpenGroup>,
    clusters: Vec<ClusterEntry>,
    blocks: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    BeforeHeader,
    BeforeSegment,
    InSegment,
    AfterSegment,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    /// Expecting an element header at `pos`.
    Header,
    /// Passing over element bytes without keeping them.
    Skip {
        remaining: u64,
        inside: &'static str,
    },
    /// Collecting `len` bytes (header included) in `carry`, then handling them.
    Keep { len: usize, what: Kept },
}

#[derive(Clone, Copy, Debug)]
enum Kept {
    EbmlHeader,
    Info,
    Tracks,
    Tags,
    ClusterTimecode {
        header_len: usize,
    },
    BlockDuration {
        header_len: usize,
    },
    Block {
        simple: bool,
        header_len: usize,
        body_len: u64,
    },
}

impl Kept {
    fn label(self) -> &'static str {
        match self {
            Kept::EbmlHeader => "the file header",
            Kept::Info => "the segment information",
            Kept::Tracks => "the track list",
            Kept::Tags => "the tags",
            Kept::ClusterTimecode { .. } => "a cluster timecode",
            Kept::BlockDuration { .. } => "a block duration",
            Kept::Block { .. } => "a block",
        }
    }
}

#[derive(Clone, Debug)]
struct ParsedInfo {
    /// Info's children except Duration, Void and CRC-32, as received.
    kept_children: Vec<u8>,
    timecode_scale: u64,
}

#[derive(Clone, Debug)]
struct Track {
    number: u64,
    video: bool,
    default_duration_ns: Option<u64>,
    last_ts: Option<i64>,
    max_ts: Option<i64>,
    gap: Option<i64>,
    max_end: Option<i64>,
}

#[derive(Clone, Copy, Debug)]
struct OpenCluster {
    start: u64,
    body_start: u64,
    end: Option<u64>,
    timecode: Option<u64>,
    /// The first block of the cue track in this cluster: `Some(Some(ts))` if it was a keyframe.
    cue: Option<Option<i64>>,
}

#[derive(Clone, Copy, Debug)]
struct OpenGroup {
    start: u64,
    end: u64,
    block: Option<(usize, i64)>,
    duration: Option<u64>,
    referenced: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ClusterEntry {
    body_start: u64,
    body_len: u64,
    timecode: u64,
    cue_time: Option<i64>,
}

impl Default for WebmIndexer {
    fn default() -> Self {
        Self::new()
    }
}

impl WebmIndexer {
    /// Starts reading a new recording from its first byte.
    pub fn new() -> Self {
        WebmIndexer {
            pos: 0,
            carry: Vec::new(),
            step: Step::Header,
            phase: Phase::BeforeHeader,
            failed: None,
            segment_end: None,
            ebml_header: Vec::new(),
            info: None,
            tracks: None,
            track_list: Vec::new(),
            cue_track: 0,
            tags: Vec::new(),
            cluster: None,
            group: None,
            clusters: Vec::new(),
            blocks: 0,
        }
    }

    /// Reads the next bytes of the recording. After an error, every later call returns the same
    /// error.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), ContainerError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.feed_inner(bytes);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    fn feed_inner(&mut self, mut data: &[u8]) -> Result<(), ContainerError> {
        loop {
            self.run()?;
            if data.is_empty() {
                return Ok(());
            }
            let want = match self.step {
                Step::Skip { remaining, inside } => {
                    // `run` has used up the carry, so skip straight over the new bytes.
                    let n = remaining.min(data.len() as u64) as usize;
                    self.pos += n as u64;
                    data = &data[n..];
                    let remaining = remaining - n as u64;
                    self.step = if remaining == 0 {
                        Step::Header
                    } else {
                        Step::Skip { remaining, inside }
                    };
                    continue;
                }
                Step::Keep { len, .. } => len.saturating_sub(self.carry.len()),
                // The longest header is a 4-byte ID and an 8-byte size.
                Step::Header => 12usize.saturating_sub(self.carry.len()),
            };
            let n = want.max(1).min(data.len());
            self.carry.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
    }

    /// Handles as much of `carry` as possible.
    fn run(&mut self) -> Result<(), ContainerError> {
        loop {
            self.close_finished()?;
            match self.step {
                Step::Skip { remaining, inside } => {
                    if self.carry.is_empty() {
                        return Ok(());
                    }
                    let n = remaining.min(self.carry.len() as u64) as usize;
                    self.consume(n);
                    let remaining = remaining - n as u64;
                    self.step = if remaining == 0 {
                        Step::Header
                    } else {
                        Step::Skip { remaining, inside }
                    };
                }
                Step::Keep { len, what } => {
                    if self.carry.len() < len {
                        return Ok(());
                    }
                    let rest = self.carry.split_off(len);
                    let bytes = std::mem::replace(&mut self.carry, rest);
                    let at = self.pos;
                    self.pos += len as u64;
                    self.step = Step::Header;
                    self.kept(what, at, &bytes)?;
                }
                Step::Header => match read_header(&self.carry) {
                    Err(()) => return Err(self.bad_header()),
                    Ok(None) => return Ok(()),
                    Ok(Some(header)) => self.on_header(header)?,
                },
            }
        }
    }

    fn consume(&mut self, n: usize) {
        self.carry.drain(..n);
        self.pos += n as u64;
    }

    fn bad_header(&self) -> ContainerError {
        if self.phase == Phase::BeforeHeader {
            ContainerError::NotWebm {
                reason: "it does not start with an EBML header".into(),
            }
        } else {
            damaged(self.pos, "these bytes are not an element header")
        }
    }

    /// Closes the block group, cluster and segment that end exactly at `pos`.
    fn close_finished(&mut self) -> Result<(), ContainerError> {
        if let Some(group) = self.group {
            if group.end == self.pos {
                self.group = None;
                self.close_group(group)?;
            }
        }
        if let Some(cluster) = self.cluster {
            let ends_here = match cluster.end {
                Some(end) => end == self.pos,
                None => self.segment_end == Some(self.pos),
            };
            if ends_here && self.group.is_none() {
                self.cluster = None;
                self.close_cluster(cluster, self.pos)?;
            }
        }
        if self.phase == Phase::InSegment
            && self.segment_end == Some(self.pos)
            && self.cluster.is_none()
        {
            self.phase = Phase::AfterSegment;
        }
        Ok(())
    }

    /// Where the innermost open element ends, if known.
    fn parent_end(&self) -> Option<u64> {
        if let Some(group) = &self.group {
            return Some(group.end);
        }
        if let Some(end) = self.cluster.and_then(|c| c.end) {
            return Some(end);
        }
        self.segment_end
    }

    fn on_header(&mut self, header: Header) -> Result<(), ContainerError> {
        let at = self.pos;
        // A Cluster of unknown size ends where the next top-level element begins.
        if let Some(cluster) = self.cluster {
            if self.group.is_none()
                && cluster.end.is_none()
                && (is_top_level(header.id) || header.id == EBML_HEADER)
            {
                self.cluster = None;
                self.close_cluster(cluster, at)?;
            }
        }
        let end = match header.size {
            Some(size) => Some(
                at.checked_add(header.len as u64)
                    .and_then(|x| x.checked_add(size))
                    .ok_or_else(|| damaged(at, "an element claims an impossible size"))?,
            ),
            None => None,
        };
        if let (Some(end), Some(parent_end)) = (end, self.parent_end()) {
            if end > parent_end {
                return Err(damaged(
                    at,
                    "an element runs past the end of the element that contains it",
                ));
            }
        }
        if self.group.is_some() {
            self.group_child(header, at)
        } else if self.cluster.is_some() {
            self.cluster_child(header, at)
        } else {
            match self.phase {
                Phase::BeforeHeader => {
                    if header.id != EBML_HEADER {
                        return Err(ContainerError::NotWebm {
                            reason: "it does not start with an EBML header".into(),
                        });
                    }
                    self.keep(header, at, Kept::EbmlHeader, "the file header")
                }
                Phase::BeforeSegment => match header.id {
                    SEGMENT => {
                        self.consume(header.len);
                        self.segment_end = end;
                        self.phase = Phase::InSegment;
                        Ok(())
                    }
                    VOID => self.skip(header, at, "an element"),
                    _ => Err(damaged(
                        at,
                        "the file header is not followed by the recording's Segment",
                    )),
                },
                Phase::InSegment => self.segment_child(header, at),
                Phase::AfterSegment => Err(damaged(
                    at,
                    "there are extra bytes after the end of the recording",
                )),
            }
        }
    }

    fn segment_child(&mut self, header: Header, at: u64) -> Result<(), ContainerError> {
        match header.id {
            INFO => {
                if self.info.is_some() {
                    return Err(damaged(at, "the segment information appears twice"));
                }
                self.keep(header, at, Kept::Info, "the segment information")
            }
            TRACKS => {
                if self.tracks.is_some() {
                    return Err(damaged(at, "the track list appears twice"));
                }
                self.keep(header, at, Kept::Tracks, "the track list")
            }
            TAGS => self.keep(header, at, Kept::Tags, "the tags"),
            CLUSTER => {
                if self.tracks.is_none() {
                    return Err(damaged(at, "a cluster comes before the track list"));
                }
                if self.clusters.len() >= MAX_CLUSTERS {
                    return Err(ContainerError::TooLarge {
                        what: "the number of clusters",
                        at,
                        limit: MAX_CLUSTERS as u64,
                    });
                }
                self.consume(header.len);
                self.cluster = Some(OpenCluster {
                    start: at,
                    body_start: self.pos,
                    end: header.size.map(|size| self.pos + size),
                    timecode: None,
                    cue: None,
                });
                Ok(())
            }
            SEEK_HEAD | CUES | CHAPTERS | ATTACHMENTS | VOID | CRC32 => {
                self.skip(header, at, "an element")
            }
            EBML_HEADER => Err(damaged(
                at,
                "a second recording starts here; recordings joined together are not supported",
            )),
            id => Err(damaged(
                at,
                format!("an element of unexpected type {id:X} is in the segment"),
            )),
        }
    }

    fn cluster_child(&mut self, header: Header, at: u64) -> Result<(), ContainerError> {
        let size = header
            .size
            .ok_or_else(|| damaged(at, "an element inside a cluster has no size"))?;
        match header.id {
            CLUSTER_TIMECODE => {
                if size > 8 {
                    return Err(damaged(at, "a cluster timecode is too long"));
                }
                self.keep(
                    header,
                    at,
                    Kept::ClusterTimecode {
                        header_len: header.len,
                    },
                    "a cluster timecode",
                )
            }
            SIMPLE_BLOCK => self.keep_block(header, at, size, true),
            BLOCK_GROUP => {
                self.consume(header.len);
                self.group = Some(OpenGroup {
                    start: at,
                    end: self.pos + size,
                    block: None,
                    duration: None,
                    referenced: false,
                });
                Ok(())
            }
            POSITION | PREV_SIZE | SILENT_TRACKS | ENCRYPTED_BLOCK | VOID | CRC32 => {
                self.skip(header, at, "an element")
            }
            id if is_top_level(id) || id == EBML_HEADER => Err(damaged(
                at,
                "a top-level element is inside a cluster of known size",
            )),
            id => Err(damaged(
                at,
                format!("an element of unexpected type {id:X} is inside a cluster"),
            )),
        }
    }

    fn group_child(&mut self, header: Header, at: u64) -> Result<(), ContainerError> {
        let size = header
            .size
            .ok_or_else(|| damaged(at, "an element inside a block group has no size"))?;
        match header.id {
            BLOCK => {
                if self.group.is_some_and(|g| g.block.is_some()) {
                    return Err(damaged(at, "a block group holds two blocks"));
                }
                self.keep_block(header, at, size, false)
            }
            BLOCK_DURATION => {
                if size > 8 {
                    return Err(damaged(at, "a block duration is too long"));
                }
                self.keep(
                    header,
                    at,
                    Kept::BlockDuration {
                        header_len: header.len,
                    },
                    "a block duration",
                )
            }
            REFERENCE_BLOCK => {
                if let Some(group) = &mut self.group {
                    group.referenced = true;
                }
                self.skip(header, at, "a block group")
            }
            id if is_top_level(id) || id == EBML_HEADER || id == CLUSTER_TIMECODE => Err(damaged(
                at,
                "a block group contains an element that cannot be there",
            )),
            _ => self.skip(header, at, "a block group"),
        }
    }

    fn skip(
        &mut self,
        header: Header,
        at: u64,
        inside: &'static str,
    ) -> Result<(), ContainerError> {
        let size = header
            .size
            .ok_or_else(|| damaged(at, "an element that must have a size has none"))?;
        self.consume(header.len);
        self.step = if size == 0 {
            Step::Header
        } else {
            Step::Skip {
                remaining: size,
                inside,
            }
        };
        Ok(())
    }

    fn keep(
        &mut self,
        header: Header,
        at: u64,
        what: Kept,
        label: &'static str,
    ) -> Result<(), ContainerError> {
        let size = header
            .size
            .ok_or_else(|| damaged(at, format!("{label} has no size")))?;
        let len = usize::try_from(size)
            .ok()
            .and_then(|size| size.checked_add(header.len))
            .filter(|&len| len <= KEEP_LIMIT)
            .ok_or(ContainerError::TooLarge {
                what: label,
                at,
                limit: KEEP_LIMIT as u64,
            })?;
        self.step = Step::Keep { len, what };
        Ok(())
    }

    fn keep_block(
        &mut self,
        header: Header,
        at: u64,
        size: u64,
        simple: bool,
    ) -> Result<(), ContainerError> {
        if self.cluster.is_some_and(|c| c.timecode.is_none()) {
            return Err(damaged(at, "a block comes before its cluster's timecode"));
        }
        self.step = Step::Keep {
            len: header.len + size.min(BLOCK_HEADER_MAX) as usize,
            what: Kept::Block {
                simple,
                header_len: header.len,
                body_len: size,
            },
        };
        Ok(())
    }
}

impl WebmIndexer {
    /// Handles a kept element (`bytes` is the whole element, header included, found at `at`).
    fn kept(&mut self, what: Kept, at: u64, bytes: &[u8]) -> Result<(), ContainerError> {
        match what {
            Kept::EbmlHeader => {
                let doc_type = children(body_of(bytes))
                    .map_while(Result::ok)
                    .find(|(id, _, _)| *id == DOC_TYPE)
                    .map(|(_, body, _)| body);
                match doc_type {
                    None => {
                        return Err(ContainerError::NotWebm {
                            reason: "its header does not say what kind of file it is".into(),
                        })
                    }
                    Some(value) if !is_webm_doc_type(value) => {
                        return Err(ContainerError::NotWebm {
                            reason: format!(
                                "its header says it is a \"{}\" file",
                                String::from_utf8_lossy(trim_nuls(value))
                            ),
                        })
                    }
                    Some(_) => {}
                }
                self.ebml_header = bytes.to_vec();
                self.phase = Phase::BeforeSegment;
            }
            Kept::Info => self.info = Some(parse_info(at, body_of(bytes))?),
            Kept::Tracks => {
                self.track_list = parse_tracks(at, body_of(bytes))?;
                self.cue_track = self.track_list.iter().position(|t| t.video).unwrap_or(0);
                self.tracks = Some(bytes.to_vec());
            }
            Kept::Tags => {
                if self.tags.len() + bytes.len() > KEEP_LIMIT {
                    return Err(ContainerError::TooLarge {
                        what: "the tags",
                        at,
                        limit: KEEP_LIMIT as u64,
                    });
                }
                self.tags.extend_from_slice(bytes);
            }
            Kept::ClusterTimecode { header_len } => {
                let value = read_uint(&bytes[header_len..])
                    .filter(|&v| v <= MAX_TIMECODE)
                    .ok_or_else(|| damaged(at, "a cluster timecode is out of range"))?;
                let Some(cluster) = &mut self.cluster else {
                    return Err(damaged(at, "a cluster timecode is outside a cluster"));
                };
                if cluster.timecode.is_some() {
                    return Err(damaged(at, "a cluster has two timecodes"));
                }
                cluster.timecode = Some(value);
            }
            Kept::BlockDuration { header_len } => {
                let value = read_uint(&bytes[header_len..])
                    .filter(|&v| v <= MAX_TIMECODE)
                    .ok_or_else(|| damaged(at, "a block duration is out of range"))?;
                if let Some(group) = &mut self.group {
                    group.duration = Some(value);
                }
            }
            Kept::Block {
                simple,
                header_len,
                body_len,
            } => {
                let body = &bytes[header_len..];
                let Ok(Some((number, number_len, _))) = read_vint(body) else {
                    return Err(damaged(at, "a block's header is malformed"));
                };
                if body.len() < number_len + 3 {
                    return Err(damaged(at, "a block is too short to hold its header"));
                }
                let relative = i16::from_be_bytes([body[number_len], body[number_len + 1]]);
                let flags = body[number_len + 2];
                let track = self
                    .track_list
                    .iter()
                    .position(|t| t.number == number)
                    .ok_or_else(|| {
                        damaged(
                            at,
                            format!("a block belongs to track {number}, which the track list does not have"),
                        )
                    })?;
                let timecode = self.cluster.and_then(|c| c.timecode).unwrap_or(0);
                // Both terms are far inside i64 (timecodes are capped at 2^53).
                let ts = timecode as i64 + i64::from(relative);
                if simple {
                    self.record_block(track, ts, flags & 0x80 != 0, None);
                } else if let Some(group) = &mut self.group {
                    group.block = Some((track, ts));
                }
                let rest = body_len - body.len() as u64;
                if rest > 0 {
                    self.step = Step::Skip {
                        remaining: rest,
                        inside: "a block",
                    };
                }
            }
        }
        Ok(())
    }

    fn record_block(&mut self, track: usize, ts: i64, keyframe: bool, duration: Option<u64>) {
        self.blocks += 1;
        if track == self.cue_track {
            if let Some(cluster) = &mut self.cluster {
                if cluster.cue.is_none() {
                    cluster.cue = Some(keyframe.then_some(ts));
                }
            }
        }
        let Some(t) = self.track_list.get_mut(track) else {
            return;
        };
        if let Some(last) = t.last_ts {
            let gap = ts - last;
            if gap > 0 {
                t.gap = Some(gap);
            }
        }
        t.last_ts = Some(ts);
        t.max_ts = Some(t.max_ts.map_or(ts, |m| m.max(ts)));
        if let Some(duration) = duration {
            // Durations are capped at 2^53 too, so this cannot overflow.
            let end = ts + duration as i64;
            t.max_end = Some(t.max_end.map_or(end, |m| m.max(end)));
        }
    }

    fn close_group(&mut self, group: OpenGroup) -> Result<(), ContainerError> {
        let (track, ts) = group
            .block
            .ok_or_else(|| damaged(group.start, "a block group has no block"))?;
        self.record_block(track, ts, !group.referenced, group.duration);
        Ok(())
    }

    fn close_cluster(&mut self, cluster: OpenCluster, end: u64) -> Result<(), ContainerError> {
        let timecode = cluster
            .timecode
            .ok_or_else(|| damaged(cluster.start, "a cluster has no timecode"))?;
        self.clusters.push(ClusterEntry {
            body_start: cluster.body_start,
            body_len: end - cluster.body_start,
            timecode,
            cue_time: cluster.cue.flatten(),
        });
        Ok(())
    }

    /// Checks that the recording is complete and returns what is needed to rewrite it.
    pub fn finish(mut self) -> Result<WebmIndex, ContainerError> {
        if let Some(error) = self.failed.take() {
            return Err(error);
        }
        let end = self.pos + self.carry.len() as u64;
        let truncated = |inside| ContainerError::Truncated { at: end, inside };
        match self.step {
            Step::Skip { inside, .. } => return Err(truncated(inside)),
            Step::Keep { what, .. } => {
                if self.phase == Phase::BeforeHeader && self.carry.len() < 4 {
                    return Err(ContainerError::NotWebm {
                        reason: "it is too short to have a WebM header".into(),
                    });
                }
                return Err(truncated(what.label()));
            }
            Step::Header if !self.carry.is_empty() => {
                if self.phase == Phase::BeforeHeader {
                    return Err(ContainerError::NotWebm {
                        reason: "it is too short to have a WebM header".into(),
                    });
                }
                return Err(truncated("an element header"));
            }
            Step::Header => {}
        }
        if self.group.is_some() {
            return Err(truncated("a block group"));
        }
        if let Some(cluster) = self.cluster.take() {
            if cluster.end.is_some() {
                return Err(truncated("a cluster"));
            }
            self.close_cluster(cluster, end)?;
        }
        match self.phase {
            Phase::BeforeHeader => {
                return Err(ContainerError::NotWebm {
                    reason: "the file is empty".into(),
                })
            }
            Phase::BeforeSegment => {
                return Err(ContainerError::Missing {
                    what: "recording data after its header",
                })
            }
            Phase::InSegment if self.segment_end.is_some() => {
                return Err(truncated("the segment"));
            }
            Phase::InSegment | Phase::AfterSegment => {}
        }
        let info = self.info.ok_or(ContainerError::Missing {
            what: "segment information (the Info element)",
        })?;
        let tracks = self.tracks.ok_or(ContainerError::Missing {
            what: "track list (the Tracks element)",
        })?;
        if self.clusters.is_empty() {
            return Err(ContainerError::Missing {
                what: "video or audio data (no clusters)",
            });
        }
        if self.blocks == 0 {
            return Err(ContainerError::Missing {
                what: "video or audio frames",
            });
        }
        let scale = info.timecode_scale as f64;
        let mut end_ticks = 0f64;
        for track in &self.track_list {
            let Some(max_ts) = track.max_ts else {
                continue;
            };
            let frame = match (track.default_duration_ns, track.gap) {
                (Some(ns), _) => ns as f64 / scale,
                (None, Some(gap)) => gap as f64,
                (None, None) => 0.0,
            };
            end_ticks = end_ticks.max(max_ts as f64 + frame);
            if let Some(max_end) = track.max_end {
                end_ticks = end_ticks.max(max_end as f64);
            }
        }
        let cue_track_number = self
            .track_list
            .get(self.cue_track)
            .map_or(1, |track| track.number);
        Ok(WebmIndex {
            ebml_header: self.ebml_header,
            info_children: info.kept_children,
            timecode_scale: info.timecode_scale,
            tracks,
            tags: self.tags,
            cue_track_number,
            clusters: self.clusters,
            duration_ticks: end_ticks,
        })
    }
}

/// The body of a kept element whose header was already read once.
fn body_of(element: &[u8]) -> &[u8] {
    match read_header(element) {
        Ok(Some(header)) => element.get(header.len..).unwrap_or(&[]),
        _ => &[],
    }
}

fn parse_info(at: u64, body: &[u8]) -> Result<ParsedInfo, ContainerError> {
    let malformed = || damaged(at, "the segment information is malformed");
    let mut info = ParsedInfo {
        kept_children: Vec::new(),
        timecode_scale: 1_000_000,
    };
    for child in children(body) {
        let (id, value, whole) = child.map_err(|()| malformed())?;
        match id {
            TIMECODE_SCALE => {
                info.timecode_scale = read_uint(value)
                    .filter(|&scale| scale > 0)
                    .ok_or_else(|| damaged(at, "the timecode scale is invalid"))?;
                info.kept_children.extend_from_slice(whole);
            }
            DURATION | VOID | CRC32 => {}
            _ => info.kept_children.extend_from_slice(whole),
        }
    }
    Ok(info)
}

fn parse_tracks(at: u64, body: &[u8]) -> Result<Vec<Track>, ContainerError> {
    let malformed = || damaged(at, "the track list is malformed");
    let mut tracks: Vec<Track> = Vec::new();
    for child in children(body) {
        let (id, entry, _) = child.map_err(|()| malformed())?;
        if id != TRACK_ENTRY {
            continue;
        }
        let mut track = Track {
            number: 0,
            video: false,
            default_duration_ns: None,
            last_ts: None,
            max_ts: None,
            gap: None,
            max_end: None,
        };
        for field in children(entry) {
            let (id, value, _) = field.map_err(|()| malformed())?;
            match id {
                TRACK_NUMBER => track.number = read_uint(value).ok_or_else(malformed)?,
                TRACK_TYPE => track.video = read_uint(value) == Some(1),
                DEFAULT_DURATION => {
                    track.default_duration_ns = read_uint(value).filter(|&ns| ns > 0)
                }
                _ => {}
            }
        }
        if track.number == 0 {
            return Err(damaged(at, "a track in the track list has no number"));
        }
        if tracks.iter().any(|t| t.number == track.number) {
            return Err(damaged(
                at,
                format!("track {} appears twice in the track list", track.number),
            ));
        }
        if tracks.len() >= MAX_TRACKS {
            return Err(damaged(at, "the track list has too many tracks"));
        }
        tracks.push(track);
    }
    if tracks.is_empty() {
        return Err(ContainerError::Missing {
            what: "tracks (the track list is empty)",
        });
    }
    Ok(tracks)
}

// ---------------------------------------------------------------------------------------------
// WebM rewriting (pass two)
// ---------------------------------------------------------------------------------------------

/// What [`WebmIndexer`] learnt about a complete WebM recording: enough to write a seekable copy.
#[derive(Clone, Debug, PartialEq)]
pub struct WebmIndex {
    ebml_header: Vec<u8>,
    info_children: Vec<u8>,
    timecode_scale: u64,
    tracks: Vec<u8>,
    tags: Vec<u8>,
    cue_track_number: u64,
    clusters: Vec<ClusterEntry>,
    /// The end of the last frame, in timecode-scale units.
    duration_ticks: f64,
}

impl WebmIndex {
    /// How long the recording lasts, in seconds: from time zero to the end of its last frame.
    pub fn duration_secs(&self) -> f64 {
        self.duration_ticks * self.timecode_scale as f64 / 1e9
    }

    /// How many clusters (groups of frames, usually about a second each) the recording has.
    pub fn clusters(&self) -> usize {
        self.clusters.len()
    }

    /// The seekable file, as pieces to write in order.
    ///
    /// The layout is: the EBML header as received; a Segment of known size holding a SeekHead
    /// (pointing to Info, Tracks, Tags if any, and Cues), Info with a Duration, Tracks and Tags
    /// as received, Cues with one entry per cluster that starts with a keyframe of the first
    /// video track, then every cluster with an explicit size and its body copied from the upload.
    /// The index comes before the clusters so a player can seek while the file is still loading.
    pub fn plan(&self) -> Vec<Piece> {
        let mut info_body = self.info_children.clone();
        put_id(&mut info_body, DURATION);
        put_size(&mut info_body, 8);
        info_body.extend_from_slice(&self.duration_ticks.to_be_bytes());
        let mut info = Vec::new();
        put_element(&mut info, INFO, &info_body);

        // (time, cluster) pairs: clusters that begin with a keyframe of the cue track, or every
        // cluster at its timecode if no cluster does.
        let mut cue_points: Vec<(u64, usize)> = self
            .clusters
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.cue_time.map(|ts| (ts.max(0) as u64, i)))
            .collect();
        if cue_points.is_empty() {
            cue_points = self
                .clusters
                .iter()
                .enumerate()
                .map(|(i, c)| (c.timecode, i))
                .collect();
        }

        // Every position is written in 8 bytes, so lengths are known before positions are.
        let mut targets = vec![INFO, TRACKS];
        if !self.tags.is_empty() {
            targets.push(TAGS);
        }
        targets.push(CUES);
        let seek_head_len = seek_head(&targets, &[0; 4]).len() as u64;
        let info_pos = seek_head_len;
        let tracks_pos = info_pos + info.len() as u64;
        let tags_pos = tracks_pos + self.tracks.len() as u64;
        let cues_pos = tags_pos + self.tags.len() as u64;
        let cues_len = cues(&cue_points, self.cue_track_number, &[]).len() as u64;
        let mut cluster_positions = Vec::with_capacity(self.clusters.len());
        let mut next = cues_pos + cues_len;
        for cluster in &self.clusters {
            cluster_positions.push(next);
            next += CLUSTER_HEADER_LEN + cluster.body_len;
        }
        let segment_size = next;

        let mut positions = vec![info_pos, tracks_pos];
        if !self.tags.is_empty() {
            positions.push(tags_pos);
        }
        positions.push(cues_pos);

        let mut head = self.ebml_header.clone();
        put_id(&mut head, SEGMENT);
        put_size8(&mut head, segment_size);
        head.extend_from_slice(&seek_head(&targets, &positions));
        head.extend_from_slice(&info);
        head.extend_from_slice(&self.tracks);
        head.extend_from_slice(&self.tags);
        head.extend_from_slice(&cues(
            &cue_points,
            self.cue_track_number,
            &cluster_positions,
        ));

        let mut pieces = Vec::with_capacity(2 * self.clusters.len() + 1);
        let mut pending = head;
        for cluster in &self.clusters {
            put_id(&mut pending, CLUSTER);
            put_size8(&mut pending, cluster.body_len);
            pieces.push(Piece::Bytes(std::mem::take(&mut pending)));
            if cluster.body_len > 0 {
                pieces.push(Piece::Source {
                    start: cluster.body_start,
                    end: cluster.body_start + cluster.body_len,
                });
            }
        }
        pieces
    }

    /// The length in bytes of the file [`plan`](Self::plan) describes.
    pub fn output_len(&self) -> u64 {
        self.plan().iter().map(Piece::len).sum()
    }
}

/// A Cluster ID (4 bytes) and an 8-byte size.
const CLUSTER_HEADER_LEN: u64 = 12;

fn seek_head(targets: &[u32], positions: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    for (i, &target) in targets.iter().enumerate() {
        let mut seek = Vec::new();
        put_element(&mut seek, SEEK_ID, &target.to_be_bytes());
        put_uint8(
            &mut seek,
            SEEK_POSITION,
            positions.get(i).copied().unwrap_or(0),
        );
        put_element(&mut body, SEEK, &seek);
    }
    let mut out = Vec::new();
    put_element(&mut out, SEEK_HEAD, &body);
    out
}

/// Cues for `points` (time, cluster index); `positions` are the clusters' offsets from the
/// Segment's data start (zeros when only the length is wanted).
fn cues(points: &[(u64, usize)], track: u64, positions: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    for &(time, cluster) in points {
        let mut track_positions = Vec::new();
        put_uint(&mut track_positions, CUE_TRACK, track);
        put_uint8(
            &mut track_positions,
            CUE_CLUSTER_POSITION,
            positions.get(cluster).copied().unwrap_or(0),
        );
        let mut point = Vec::new();
        put_uint(&mut point, CUE_TIME, time);
        put_element(&mut point, CUE_TRACK_POSITIONS, &track_positions);
        put_element(&mut body, CUE_POINT, &point);
    }
    let mut out = Vec::new();
    put_element(&mut out, CUES, &body);
    out
}

// ---------------------------------------------------------------------------------------------
// MP4 checking
// ---------------------------------------------------------------------------------------------

/// Reads an MP4 recording chunk by chunk and checks that it is complete and playable.
///
/// Only the top-level boxes are walked. The movie header (`moov`) and fragment headers (`moof`)
/// are buffered to read the duration; media data (`mdat`) is passed over without being kept.
#[derive(Debug)]
pub struct Mp4Checker {
    pos: u64,
    carry: Vec<u8>,
    step: Mp4Step,
    failed: Option<ContainerError>,
    saw_ftyp: bool,
    moov: Option<Movie>,
    saw_mdat: bool,
    fragments: u64,
}

#[derive(Clone, Copy, Debug)]
enum Mp4Step {
    /// Expecting a box header at `pos`.
    Header,
    /// Passing over box bytes.
    Skip {
        remaining: u64,
        inside: &'static str,
    },
    /// Passing over everything up to the end (a last box of size 0).
    SkipToEnd,
    /// Collecting a `moov` or `moof` box of `len` bytes (header included) in `carry`.
    Keep {
        len: usize,
        header_len: usize,
        moov: bool,
    },
    /// Collecting a `moov` or `moof` box that lasts to the end of the file.
    KeepToEnd { moov: bool },
}

/// What an MP4 recording's headers say.
#[derive(Clone, Debug, PartialEq)]
pub struct Mp4Info {
    /// How long the recording lasts in seconds, if the headers say.
    pub duration_secs: Option<f64>,
    /// Whether the recording is fragmented (written as it was recorded, as browsers do).
    pub fragmented: bool,
    /// How many tracks (video, audio) the recording has.
    pub tracks: usize,
}

#[derive(Clone, Debug, Default)]
struct Movie {
    timescale: u32,
    duration: u64,
    fragment_duration: u64,
    fragmented: bool,
    tracks: Vec<Mp4Track>,
}

#[derive(Clone, Debug, Default)]
struct Mp4Track {
    id: u32,
    timescale: u32,
    duration: u64,
    default_sample_duration: u32,
    /// Decode time where the next fragment of this track starts, in track units.
    next_decode: u64,
    /// The end of the last fragment seen, in track units.
    fragment_end: Option<u64>,
}

/// A box header: type, size of the whole box (`None`: to the end of the file), header length.
struct BoxHeader {
    kind: [u8; 4],
    size: Option<u64>,
    len: usize,
}

/// Reads a box header. `Ok(None)` means more bytes are needed.
fn read_box_header(buf: &[u8]) -> Result<Option<BoxHeader>, &'static str> {
    if buf.len() < 8 {
        return Ok(None);
    }
    let size = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let kind = [buf[4], buf[5], buf[6], buf[7]];
    if !kind.iter().all(|b| (0x20..=0x7E).contains(b)) {
        return Err("these bytes are not a box header");
    }
    match size {
        0 => Ok(Some(BoxHeader {
            kind,
            size: None,
            len: 8,
        })),
        1 => {
            if buf.len() < 16 {
                return Ok(None);
            }
            let mut large = [0u8; 8];
            large.copy_from_slice(&buf[8..16]);
            let size = u64::from_be_bytes(large);
            if size < 16 {
                return Err("a box has an impossible size");
            }
            Ok(Some(BoxHeader {
                kind,
                size: Some(size),
                len: 16,
            }))
        }
        2..=7 => Err("a box has an impossible size"),
        _ => Ok(Some(BoxHeader {
            kind,
            size: Some(u64::from(size)),
            len: 8,
        })),
    }
}

/// The boxes inside a buffered box body: `(type, body)`. Yields one `Err` and stops on damage.
struct Boxes<'a> {
    buf: &'a [u8],
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<([u8; 4], &'a [u8]), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        let parsed = match read_box_header(self.buf) {
            Ok(Some(header)) => {
                let size = match header.size {
                    Some(size) => usize::try_from(size).ok(),
                    None => Some(self.buf.len()),
                };
                size.filter(|&size| size >= header.len && size <= self.buf.len())
                    .map(|size| (header.kind, header.len, size))
            }
            _ => None,
        };
        match parsed {
            Some((kind, header_len, size)) => {
                let body = &self.buf[header_len..size];
                self.buf = &self.buf[size..];
                Some(Ok((kind, body)))
            }
            None => {
                self.buf = &[];
                Some(Err(()))
            }
        }
    }
}

fn boxes(buf: &[u8]) -> Boxes<'_> {
    Boxes { buf }
}

/// A cursor over a box body; every read fails cleanly past the end.
struct Reader<'a> {
    buf: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(b);
            u64::from_be_bytes(bytes)
        })
    }

    /// A version-dependent time field: 32 bits for version 0, 64 bits for version 1.
    fn time(&mut self, version: u8) -> Option<u64> {
        if version == 1 {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }

    /// A full box's version and flags.
    fn version_flags(&mut self) -> Option<(u8, u32)> {
        let version = self.u8()?;
        let b = self.take(3)?;
        Some((
            version,
            (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]),
        ))
    }
}

/// An all-ones duration means "unknown".
fn known_duration(value: u64, version: u8) -> u64 {
    if (version == 1 && value == u64::MAX) || (version != 1 && value == u64::from(u32::MAX)) {
        0
    } else {
        value
    }
}

fn parse_moov(body: &[u8]) -> Option<Movie> {
    let mut movie = Movie::default();
    for item in boxes(body) {
        let (kind, body) = item.ok()?;
        match &kind {
            b"mvhd" => {
                let mut r = Reader { buf: body };
                let (version, _) = r.version_flags()?;
                r.time(version)?;
                r.time(version)?;
                movie.timescale = r.u32()?;
                movie.duration = known_duration(r.time(version)?, version);
            }
            b"trak" => {
                if movie.tracks.len() >= MAX_TRACKS {
                    return None;
                }
                movie.tracks.push(parse_trak(body)?);
            }
            b"mvex" => {
                movie.fragmented = true;
                for item in boxes(body) {
                    let (kind, body) = item.ok()?;
                    let mut r = Reader { buf: body };
                    match &kind {
                        b"mehd" => {
                            let (version, _) = r.version_flags()?;
                            movie.fragment_duration = known_duration(r.time(version)?, version);
                        }
                        b"trex" => {
                            r.version_flags()?;
                            let id = r.u32()?;
                            r.u32()?;
                            let duration = r.u32()?;
                            if let Some(track) = movie.tracks.iter_mut().find(|t| t.id == id) {
                                track.default_sample_duration = duration;
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Some(movie)
}

fn parse_trak(body: &[u8]) -> Option<Mp4Track> {
    let mut track = Mp4Track::default();
    for item in boxes(body) {
        let (kind, body) = item.ok()?;
        match &kind {
            b"tkhd" => {
                let mut r = Reader { buf: body };
                let (version, _) = r.version_flags()?;
                r.time(version)?;
                r.time(version)?;
                track.id = r.u32()?;
            }
            b"mdia" => {
                for item in boxes(body) {
                    let (kind, body) = item.ok()?;
                    if &kind == b"mdhd" {
                        let mut r = Reader { buf: body };
                        let (version, _) = r.version_flags()?;
                        r.time(version)?;
                        r.time(version)?;
                        track.timescale = r.u32()?;
                        track.duration = known_duration(r.time(version)?, version);
                    }
                }
            }
            _ => {}
        }
    }
    Some(track)
}

/// Adds a movie fragment's sample durations to its tracks. `None` means the fragment is damaged.
fn apply_moof(movie: &mut Movie, body: &[u8]) -> Option<()> {
    for item in boxes(body) {
        let (kind, traf) = item.ok()?;
        if &kind != b"traf" {
            continue;
        }
        let mut track_index = None;
        let mut default_duration = None;
        let mut base = None;
        let mut total: u64 = 0;
        // tfhd comes first in a traf; tfdt and trun may come in any order after it.
        for item in boxes(traf) {
            let (kind, body) = item.ok()?;
            let mut r = Reader { buf: body };
            match &kind {
                b"tfhd" => {
                    let (_, flags) = r.version_flags()?;
                    let id = r.u32()?;
                    track_index = Some(movie.tracks.iter().position(|t| t.id == id)?);
                    if flags & 0x01 != 0 {
                        r.u64()?;
                    }
                    if flags & 0x02 != 0 {
                        r.u32()?;
                    }
                    if flags & 0x08 != 0 {
                        default_duration = Some(r.u32()?);
                    }
                }
                b"tfdt" => {
                    let (version, _) = r.version_flags()?;
                    base = Some(r.time(version)?);
                }
                b"trun" => {
                    let track = movie.tracks.get(track_index?)?;
                    let default = default_duration.unwrap_or(track.default_sample_duration);
                    let (_, flags) = r.version_flags()?;
                    let count = r.u32()?;
                    if flags & 0x01 != 0 {
                        r.u32()?;
                    }
                    if flags & 0x04 != 0 {
                        r.u32()?;
                    }
                    let fields = [0x100, 0x200, 0x400, 0x800]
                        .iter()
                        .filter(|&&bit| flags & bit != 0)
                        .count();
                    let entry = 4 * fields;
                    if (count as usize).checked_mul(entry)? > r.buf.len() {
                        return None;
                    }
                    if flags & 0x100 != 0 {
                        for _ in 0..count {
                            let sample = r.take(entry)?;
                            let d =
                                u32::from_be_bytes([sample[0], sample[1], sample[2], sample[3]]);
                            total = total.checked_add(u64::from(d))?;
                        }
                    } else {
                        total = total.checked_add(u64::from(count) * u64::from(default))?;
                    }
                }
                _ => {}
            }
        }
        let track = movie.tracks.get_mut(track_index?)?;
        let start = base.unwrap_or(track.next_decode);
        let end = start.checked_add(total)?;
        track.next_decode = end;
        track.fragment_end = Some(track.fragment_end.map_or(end, |e| e.max(end)));
    }
    Some(())
}

impl Default for Mp4Checker {
    fn default() -> Self {
        Self::new()
    }
}

impl Mp4Checker {
    /// Starts reading a new recording from its first byte.
    pub fn new() -> Self {
        Mp4Checker {
            pos: 0,
            carry: Vec::new(),
            step: Mp4Step::Header,
            failed: None,
            saw_ftyp: false,
            moov: None,
            saw_mdat: false,
            fragments: 0,
        }
    }

    /// Reads the next bytes of the recording. After an error, every later call returns the same
    /// error.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), ContainerError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.feed_inner(bytes);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    fn feed_inner(&mut self, mut data: &[u8]) -> Result<(), ContainerError> {
        loop {
            self.run()?;
            if data.is_empty() {
                return Ok(());
            }
            let want = match self.step {
                Mp4Step::Skip { remaining, inside } => {
                    let n = remaining.min(data.len() as u64) as usize;
                    self.pos += n as u64;
                    data = &data[n..];
                    let remaining = remaining - n as u64;
                    self.step = if remaining == 0 {
                        Mp4Step::Header
                    } else {
                        Mp4Step::Skip { remaining, inside }
                    };
                    continue;
                }
                Mp4Step::SkipToEnd => {
                    self.pos += data.len() as u64;
                    return Ok(());
                }
                Mp4Step::Keep { len, .. } => len.saturating_sub(self.carry.len()),
                Mp4Step::KeepToEnd { moov, .. } => {
                    let limit = if moov { MOOV_LIMIT } else { MOOF_LIMIT };
                    if self.carry.len() + data.len() > limit {
                        return Err(ContainerError::TooLarge {
                            what: if moov {
                                "the movie header"
                            } else {
                                "a fragment header"
                            },
                            at: self.pos,
                            limit: limit as u64,
                        });
                    }
                    data.len()
                }
                Mp4Step::Header => 16usize.saturating_sub(self.carry.len()),
            };
            let n = want.max(1).min(data.len());
            self.carry.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
    }

    fn run(&mut self) -> Result<(), ContainerError> {
        loop {
            match self.step {
                Mp4Step::Skip { remaining, inside } => {
                    if self.carry.is_empty() {
                        return Ok(());
                    }
                    let n = remaining.min(self.carry.len() as u64) as usize;
                    self.carry.drain(..n);
                    self.pos += n as u64;
                    let remaining = remaining - n as u64;
                    self.step = if remaining == 0 {
                        Mp4Step::Header
                    } else {
                        Mp4Step::Skip { remaining, inside }
                    };
                }
                Mp4Step::SkipToEnd => {
                    self.pos += self.carry.len() as u64;
                    self.carry.clear();
                    return Ok(());
                }
                Mp4Step::KeepToEnd { .. } => return Ok(()),
                Mp4Step::Keep {
                    len,
                    header_len,
                    moov,
                } => {
                    if self.carry.len() < len {
                        return Ok(());
                    }
                    let rest = self.carry.split_off(len);
                    let bytes = std::mem::replace(&mut self.carry, rest);
                    let at = self.pos;
                    self.pos += len as u64;
                    self.step = Mp4Step::Header;
                    self.kept(moov, at, &bytes[header_len..])?;
                }
                Mp4Step::Header => {
                    let header = match read_box_header(&self.carry) {
                        Ok(Some(header)) => header,
                        Ok(None) => return Ok(()),
                        Err(reason) => return Err(self.not_a_box(reason)),
                    };
                    self.on_header(header)?;
                }
            }
        }
    }

    fn not_a_box(&self, reason: &str) -> ContainerError {
        if self.saw_ftyp {
            damaged(self.pos, reason)
        } else {
            ContainerError::NotMp4 {
                reason: "it does not start with an ftyp box".into(),
            }
        }
    }

    fn on_header(&mut self, header: BoxHeader) -> Result<(), ContainerError> {
        let at = self.pos;
        if !self.saw_ftyp {
            let sane = header
                .size
                .is_some_and(|size| (16..=4096).contains(&size) && header.len == 8);
            if &header.kind != b"ftyp" || !sane {
                return Err(ContainerError::NotMp4 {
                    reason: "it does not start with an ftyp box".into(),
                });
            }
            self.saw_ftyp = true;
        } else if &header.kind == b"ftyp" {
            return Err(damaged(
                at,
                "a second recording starts here; recordings joined together are not supported",
            ));
        }
        let moov = &header.kind == b"moov";
        let moof = &header.kind == b"moof";
        if moov && self.moov.is_some() {
            return Err(damaged(at, "the movie header (moov) appears twice"));
        }
        if moof {
            if self.moov.is_none() {
                return Err(damaged(
                    at,
                    "a movie fragment comes before the movie header (moov)",
                ));
            }
            self.fragments += 1;
        }
        if &header.kind == b"mdat" {
            self.saw_mdat = true;
        }
        let Some(size) = header.size else {
            self.carry.drain(..header.len);
            self.pos += header.len as u64;
            self.step = if moov || moof {
                Mp4Step::KeepToEnd { moov }
            } else {
                Mp4Step::SkipToEnd
            };
            return Ok(());
        };
        if size < header.len as u64 {
            return Err(damaged(at, "a box has an impossible size"));
        }
        if moov || moof {
            let limit = if moov { MOOV_LIMIT } else { MOOF_LIMIT };
            let len = usize::try_from(size)
                .ok()
                .filter(|&len| len <= limit)
                .ok_or(ContainerError::TooLarge {
                    what: if moov {
                        "the movie header"
                    } else {
                        "a fragment header"
                    },
                    at,
                    limit: limit as u64,
                })?;
            self.step = Mp4Step::Keep {
                len,
                header_len: header.len,
                moov,
            };
        } else {
            self.carry.drain(..header.len);
            self.pos += header.len as u64;
            let remaining = size - header.len as u64;
            self.step = if remaining == 0 {
                Mp4Step::Header
            } else {
                Mp4Step::Skip {
                    remaining,
                    inside: if &header.kind == b"mdat" {
                        "the media data"
                    } else {
                        "a box"
                    },
                }
            };
        }
        Ok(())
    }

    fn kept(&mut self, moov: bool, at: u64, body: &[u8]) -> Result<(), ContainerError> {
        if moov {
            let movie = parse_moov(body)
                .ok_or_else(|| damaged(at, "the movie header (moov) is malformed"))?;
            self.moov = Some(movie);
        } else if let Some(movie) = &mut self.moov {
            apply_moof(movie, body)
                .ok_or_else(|| damaged(at, "a movie fragment header (moof) is malformed"))?;
        }
        Ok(())
    }

    /// Checks that the recording is complete and reads its duration.
    pub fn finish(mut self) -> Result<Mp4Info, ContainerError> {
        if let Some(error) = self.failed.take() {
            return Err(error);
        }
        let end = self.pos + self.carry.len() as u64;
        let truncated = |inside| ContainerError::Truncated { at: end, inside };
        match self.step {
            Mp4Step::Header if self.carry.is_empty() => {}
            Mp4Step::Header => {
                if !self.saw_ftyp {
                    return Err(ContainerError::NotMp4 {
                        reason: "it is too short to have an MP4 header".into(),
                    });
                }
                return Err(truncated("a box header"));
            }
            Mp4Step::Skip { inside, .. } => return Err(truncated(inside)),
            Mp4Step::Keep { moov, .. } => {
                return Err(truncated(if moov {
                    "the movie header"
                } else {
                    "a fragment header"
                }))
            }
            Mp4Step::SkipToEnd => {}
            Mp4Step::KeepToEnd { moov, .. } => {
                let body = std::mem::take(&mut self.carry);
                self.kept(moov, self.pos, &body)?;
            }
        }
        if !self.saw_ftyp {
            return Err(ContainerError::NotMp4 {
                reason: "the file is empty".into(),
            });
        }
        let movie = self.moov.ok_or(ContainerError::Missing {
            what: "movie header (moov box)",
        })?;
        if !self.saw_mdat {
            return Err(ContainerError::Missing {
                what: "video or audio data (mdat box)",
            });
        }
        let seconds = |value: u64, scale: u32| {
            (value > 0 && scale > 0).then(|| value as f64 / f64::from(scale))
        };
        let from_fragments = movie
            .tracks
            .iter()
            .filter_map(|t| t.fragment_end.and_then(|end| seconds(end, t.timescale)))
            .reduce(f64::max);
        let from_tracks = movie
            .tracks
            .iter()
            .filter_map(|t| seconds(t.duration, t.timescale))
            .reduce(f64::max);
        let duration_secs = seconds(movie.duration, movie.timescale)
            .or_else(|| seconds(movie.fragment_duration, movie.timescale))
            .or(from_fragments)
            .or(from_tracks);
        Ok(Mp4Info {
            duration_secs,
            fragmented: movie.fragmented || self.fragments > 0,
            tracks: movie.tracks.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/video/",
                $name
            ))
            .as_slice()
        };
    }

    const CHROME_WEBM: &[u8] = fixture!("chrome-vp8-opus.webm");
    const CHROME_MP4: &[u8] = fixture!("chrome.mp4");
    const FFMPEG_WEBM: &[u8] = fixture!("ffmpeg-seekable.webm");
    const FFMPEG_MP4: &[u8] = fixture!("ffmpeg-fragmented.mp4");
    const PNG: &[u8] = fixture!("not-video.png");
    /// The sizes of the chunks Chromium's MediaRecorder delivered for `chrome-vp8-opus.webm`
    /// (`start(1000)`), as recorded in the fixtures' README.
    const CHROME_WEBM_CHUNKS: [usize; 4] = [12817, 16452, 20567, 5039];

    /// A tiny deterministic random number generator (xorshift64).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn index_chunks<'a>(
        chunks: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<WebmIndex, ContainerError> {
        let mut indexer = WebmIndexer::new();
        for chunk in chunks {
            indexer.feed(chunk)?;
        }
        indexer.finish()
    }

    fn index(data: &[u8]) -> Result<WebmIndex, ContainerError> {
        index_chunks([data])
    }

    fn index_split(data: &[u8], size: usize) -> Result<WebmIndex, ContainerError> {
        index_chunks(data.chunks(size))
    }

    fn check_mp4(data: &[u8], size: usize) -> Result<Mp4Info, ContainerError> {
        let mut checker = Mp4Checker::new();
        for chunk in data.chunks(size.max(1)) {
            checker.feed(chunk)?;
        }
        checker.finish()
    }

    /// Writes a plan out the way the server does, copying source ranges from `source`.
    fn materialize(plan: &[Piece], source: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in plan {
            match piece {
                Piece::Bytes(bytes) => out.extend_from_slice(bytes),
                Piece::Source { start, end } => {
                    out.extend_from_slice(&source[*start as usize..*end as usize])
                }
            }
        }
        out
    }

    fn rewrite(source: &[u8]) -> (WebmIndex, Vec<u8>) {
        let index = index(source).expect("fixture indexes");
        let out = materialize(&index.plan(), source);
        (index, out)
    }

    /// (id, offset of the element, body) for each element directly inside `buf`.
    fn elements(buf: &[u8]) -> Vec<(u32, usize, &[u8])> {
        let mut at = 0;
        let mut out = Vec::new();
        for child in children(buf) {
            let (id, body, whole) = child.expect("well-formed element");
            out.push((id, at, body));
            at += whole.len();
        }
        out
    }

    fn find(buf: &[u8], id: u32) -> Vec<&[u8]> {
        elements(buf)
            .into_iter()
            .filter(|(i, _, _)| *i == id)
            .map(|(_, _, body)| body)
            .collect()
    }

    /// Checks the rewritten file's structure: known sizes everywhere, a SeekHead and Cues that
    /// point at the right elements, and a Duration that matches the index.
    fn assert_seekable(out: &[u8], index: &WebmIndex) {
        let top = elements(out);
        assert_eq!(top.len(), 2, "EBML header and one Segment");
        assert_eq!(top[0].0, EBML_HEADER);
        assert_eq!(top[1].0, SEGMENT);
        let segment = top[1].2;
        assert_eq!(
            segment.as_ptr() as usize + segment.len(),
            out.as_ptr() as usize + out.len()
        );
        let level1 = elements(segment);
        let ids: Vec<u32> = level1.iter().map(|e| e.0).collect();
        let first_cluster = ids.iter().position(|&id| id == CLUSTER).expect("clusters");
        let mut head = vec![SEEK_HEAD, INFO, TRACKS];
        if !index.tags.is_empty() {
            head.push(TAGS);
        }
        head.push(CUES);
        assert_eq!(ids[..first_cluster], head[..]);
        assert!(ids[first_cluster..].iter().all(|&id| id == CLUSTER));
        assert_eq!(ids.len() - first_cluster, index.clusters());
        let id_at = |pos: u64| {
            level1
                .iter()
                .find(|e| e.1 as u64 == pos)
                .map(|e| e.0)
                .expect("a position points at an element")
        };

        let seeks = find(level1[0].2, SEEK);
        assert_eq!(seeks.len(), head.len() - 1);
        for seek in seeks {
            let target = find(seek, SEEK_ID)[0];
            let target = u32::from_be_bytes(target.try_into().unwrap());
            let pos = read_uint(find(seek, SEEK_POSITION)[0]).unwrap();
            assert_eq!(id_at(pos), target);
        }

        let info = level1[1].2;
        let durations = find(info, DURATION);
        assert_eq!(durations.len(), 1);
        let duration = f64::from_be_bytes(durations[0].try_into().unwrap());
        assert_eq!(duration, index.duration_ticks);
        assert!(duration > 0.0);

        let cues = level1[head.len() - 1].2;
        let points = find(cues, CUE_POINT);
        assert!(!points.is_empty());
        let mut last_time = 0;
        for point in points {
            let time = read_uint(find(point, CUE_TIME)[0]).unwrap();
            assert!(time >= last_time);
            last_time = time;
            let positions = find(point, CUE_TRACK_POSITIONS)[0];
            assert_eq!(
                read_uint(find(positions, CUE_TRACK)[0]),
                Some(index.cue_track_number)
            );
            let pos = read_uint(find(positions, CUE_CLUSTER_POSITION)[0]).unwrap();
            assert_eq!(id_at(pos), CLUSTER);
        }

        for (_, _, cluster) in &level1[first_cluster..] {
            let children = elements(cluster);
            assert_eq!(children[0].0, CLUSTER_TIMECODE);
        }
    }

    #[test]
    fn sniff_recognises_recordings() {
        assert_eq!(sniff(CHROME_WEBM), Some(Container::WebM));
        assert_eq!(sniff(FFMPEG_WEBM), Some(Container::WebM));
        assert_eq!(sniff(CHROME_MP4), Some(Container::Mp4));
        assert_eq!(sniff(FFMPEG_MP4), Some(Container::Mp4));
        assert_eq!(sniff(&CHROME_WEBM[..SNIFF_BYTES]), Some(Container::WebM));
        assert_eq!(sniff(&CHROME_MP4[..SNIFF_BYTES]), Some(Container::Mp4));
        // A Matroska file (not WebM) is accepted too.
        let mut mkv = CHROME_WEBM[..64].to_vec();
        let at = mkv.windows(4).position(|w| w == b"webm").unwrap();
        assert_eq!(mkv[at - 1], 0x84);
        mkv.splice(at - 1..at + 4, [0x88].iter().chain(b"matroska").copied());
        mkv[4] = 0x80 | ((mkv[4] & 0x7F) + 4);
        assert_eq!(sniff(&mkv), Some(Container::WebM));
    }

    #[test]
    fn sniff_rejects_everything_else() {
        let wav = b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00";
        let mut other_doc_type = CHROME_WEBM[..64].to_vec();
        let at = other_doc_type
            .windows(4)
            .position(|w| w == b"webm")
            .unwrap();
        other_doc_type[at..at + 4].copy_from_slice(b"abcd");
        let mut huge_ftyp = CHROME_MP4[..64].to_vec();
        huge_ftyp[..4].copy_from_slice(&0x0100_0000u32.to_be_bytes());
        for head in [
            PNG,
            b"".as_slice(),
            b"hello, this is plain text and not a video at all".as_slice(),
            wav.as_slice(),
            &CHROME_WEBM[..4],
            &CHROME_WEBM[..20],
            &other_doc_type,
            &CHROME_MP4[..8],
            &huge_ftyp,
            b"\x00\x00\x00\x20moov\x00\x00\x00\x00",
        ] {
            assert_eq!(sniff(head), None, "{head:?}");
        }
    }

    #[test]
    fn container_names() {
        assert_eq!(Container::WebM.mime(), "video/webm");
        assert_eq!(Container::Mp4.mime(), "video/mp4");
        assert_eq!(Container::WebM.extension(), "webm");
        assert_eq!(Container::Mp4.extension(), "mp4");
    }

    #[test]
    fn chrome_recording_is_indexed() {
        let index = index(CHROME_WEBM).unwrap();
        assert_eq!(index.clusters(), 4);
        let secs = index.duration_secs();
        assert!((3.0..3.6).contains(&secs), "{secs}");
        assert_eq!(index.timecode_scale, 1_000_000);
        assert!(index.tags.is_empty());
    }

    #[test]
    fn chunks_may_split_anywhere() {
        let whole = index(CHROME_WEBM).unwrap();
        let mut chunks = Vec::new();
        let mut at = 0;
        for size in CHROME_WEBM_CHUNKS {
            chunks.push(&CHROME_WEBM[at..at + size]);
            at += size;
        }
        assert_eq!(at, CHROME_WEBM.len());
        assert_eq!(index_chunks(chunks).unwrap(), whole);
        for size in [1, 2, 3, 5, 7, 11, 12, 13, 64, 1000, 4096, 65536] {
            assert_eq!(index_split(CHROME_WEBM, size).unwrap(), whole, "{size}");
        }
        let ffmpeg = index(FFMPEG_WEBM).unwrap();
        for size in [1, 9, 333] {
            assert_eq!(index_split(FFMPEG_WEBM, size).unwrap(), ffmpeg, "{size}");
        }
        let mut rng = Rng(0x5eed);
        let mut pieces = Vec::new();
        let mut rest = CHROME_WEBM;
        while !rest.is_empty() {
            let n = (1 + rng.below(300)).min(rest.len());
            pieces.push(&rest[..n]);
            rest = &rest[n..];
        }
        assert_eq!(index_chunks(pieces).unwrap(), whole);
    }

    #[test]
    fn only_the_last_chunk_ends_on_a_block_boundary() {
        // MediaRecorder's timeslice chunks split the stream anywhere: the first one ends right
        // after the ID byte of a SimpleBlock. Only the whole upload is a complete file.
        let mut at = 0;
        for (i, size) in CHROME_WEBM_CHUNKS.into_iter().enumerate() {
            at += size;
            let result = index(&CHROME_WEBM[..at]);
            if i + 1 == CHROME_WEBM_CHUNKS.len() {
                assert!(result.is_ok());
            } else {
                assert!(
                    matches!(result, Err(ContainerError::Truncated { .. })),
                    "{result:?}"
                );
            }
        }
        assert_eq!(
            index(&CHROME_WEBM[..CHROME_WEBM_CHUNKS[0]]).unwrap_err(),
            ContainerError::Truncated {
                at: CHROME_WEBM_CHUNKS[0] as u64,
                inside: "an element header"
            }
        );
    }

    #[test]
    fn chrome_rewrite_is_seekable() {
        let (index, out) = rewrite(CHROME_WEBM);
        assert_eq!(out.len() as u64, index.output_len());
        assert_seekable(&out, &index);
        assert_eq!(
            &out[..index.ebml_header.len()],
            &CHROME_WEBM[..index.ebml_header.len()]
        );
        // Every cluster body is copied from the upload, in order and without overlap.
        let mut end = 0;
        let mut copied = 0;
        for piece in index.plan() {
            if let Piece::Source { start, end: stop } = piece {
                assert!(start >= end && stop > start && stop <= CHROME_WEBM.len() as u64);
                copied += stop - start;
                end = stop;
            }
        }
        assert!(copied > CHROME_WEBM.len() as u64 * 9 / 10);
    }

    #[test]
    fn rewriting_twice_changes_nothing() {
        for source in [CHROME_WEBM, FFMPEG_WEBM] {
            let (first, out) = rewrite(source);
            let (second, again) = rewrite(&out);
            assert_eq!(second.duration_secs(), first.duration_secs());
            assert_eq!(second.clusters(), first.clusters());
            assert!(out == again, "the rewrite of a rewrite differs");
        }
    }

    #[test]
    fn seekable_ffmpeg_file_goes_through() {
        let (index, out) = rewrite(FFMPEG_WEBM);
        let secs = index.duration_secs();
        assert!((1.95..2.1).contains(&secs), "{secs}");
        assert!(!index.tags.is_empty(), "ffmpeg's Tags are kept");
        assert_seekable(&out, &index);
    }

    #[test]
    fn truncated_recordings_are_refused_without_panicking() {
        // ffmpeg's Segment has a known size, so every cut is noticed.
        for len in (0..FFMPEG_WEBM.len()).filter(|n| n % 53 == 0 || *n < 700) {
            assert!(index(&FFMPEG_WEBM[..len]).is_err(), "{len}");
        }
        // Chrome's stream may end after any whole block, never inside one.
        let whole = index(CHROME_WEBM).unwrap();
        for len in (0..CHROME_WEBM.len()).filter(|n| n % 29 == 0 || *n < 700) {
            match index(&CHROME_WEBM[..len]) {
                Ok(prefix) => assert!(prefix.duration_secs() <= whole.duration_secs()),
                Err(error) => assert!(!error.to_string().is_empty()),
            }
        }
        // A cut in the middle of a block of the first cluster.
        let cut = CHROME_WEBM_CHUNKS[0] + 30;
        let error = index(&CHROME_WEBM[..cut]).unwrap_err();
        assert!(matches!(
            error,
            ContainerError::Truncated {
                inside: "a block",
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            format!("The recording is cut short: it ends inside a block (at byte {cut}). Part of it did not arrive; please upload it again.")
        );
        let error = index(&CHROME_WEBM[..3]).unwrap_err();
        assert!(matches!(error, ContainerError::NotWebm { .. }), "{error}");
    }

    #[test]
    fn random_damage_never_panics() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let sources = [CHROME_WEBM, FFMPEG_WEBM, CHROME_MP4, FFMPEG_MP4];
        let mut accepted = 0;
        for round in 0..3000 {
            let source = sources[round % sources.len()];
            let mut data = source.to_vec();
            match rng.below(4) {
                0 => {
                    // A few random bytes changed, mostly in the headers.
                    for _ in 0..1 + rng.below(3) {
                        let at = if rng.below(2) == 0 {
                            rng.below(600)
                        } else {
                            rng.below(data.len())
                        };
                        data[at] = rng.next() as u8;
                    }
                }
                1 => {
                    // One bit flipped.
                    let at = rng.below(data.len());
                    data[at] ^= 1 << rng.below(8);
                }
                2 => {
                    // A run of random bytes inserted.
                    let at = rng.below(data.len());
                    let junk: Vec<u8> = (0..1 + rng.below(40)).map(|_| rng.next() as u8).collect();
                    data.splice(at..at, junk);
                }
                _ => {
                    // A range removed.
                    let at = rng.below(data.len());
                    let end = (at + 1 + rng.below(500)).min(data.len());
                    data.drain(at..end);
                }
            }
            let split = 1 + rng.below(5000);
            if let Ok(index) = index_split(&data, split) {
                accepted += 1;
                let plan = index.plan();
                for piece in &plan {
                    if let Piece::Source { start, end } = piece {
                        assert!(start <= end && *end <= data.len() as u64);
                    }
                }
                let out = materialize(&plan, &data);
                assert_eq!(out.len() as u64, index.output_len());
                assert!(index.duration_secs().is_finite());
            }
            if let Ok(info) = check_mp4(&data, split) {
                assert!(info.duration_secs.is_none_or(f64::is_finite));
            }
        }
        // Damage inside frame data is invisible to the container, so some files still pass.
        assert!(accepted > 0);
    }

    /// The offsets of the Segment's top-level elements in a Chrome recording, by ID.
    fn chrome_element(id: u32) -> (usize, usize) {
        let mut at = 0x24; // the EBML header's end
        let segment = read_header(&CHROME_WEBM[at..]).unwrap().unwrap();
        at += segment.len;
        loop {
            let header = read_header(&CHROME_WEBM[at..]).unwrap().unwrap();
            let end = at + header.len + header.size.map_or(0, |s| s as usize);
            if header.id == id {
                return (at, end);
            }
            at = end;
        }
    }

    #[test]
    fn broken_recordings_are_refused() {
        let (tracks_start, tracks_end) = chrome_element(TRACKS);
        let (first_cluster, _) = chrome_element(CLUSTER);
        assert_eq!(tracks_end, first_cluster);

        // Headers only: nothing to play.
        let error = index(&CHROME_WEBM[..first_cluster]).unwrap_err();
        assert_eq!(
            error,
            ContainerError::Missing {
                what: "video or audio data (no clusters)"
            }
        );
        // No track list.
        let error = index(&CHROME_WEBM[..tracks_start]).unwrap_err();
        assert!(matches!(error, ContainerError::Missing { .. }), "{error}");
        let mut no_tracks = CHROME_WEBM[..tracks_start].to_vec();
        no_tracks.extend_from_slice(&CHROME_WEBM[tracks_end..]);
        let error = index(&no_tracks).unwrap_err();
        assert!(matches!(error, ContainerError::Damaged { .. }), "{error}");

        // Garbage between two clusters.
        let second_cluster = CHROME_WEBM[first_cluster + 4..]
            .windows(4)
            .position(|w| w == CLUSTER.to_be_bytes())
            .unwrap()
            + first_cluster
            + 4;
        assert_eq!(
            &CHROME_WEBM[second_cluster..second_cluster + 4],
            &CLUSTER.to_be_bytes()
        );
        let mut garbage = CHROME_WEBM.to_vec();
        garbage.splice(second_cluster..second_cluster, *b"garbage in the middle");
        let error = index(&garbage).unwrap_err();
        assert_eq!(
            error,
            ContainerError::Damaged {
                at: second_cluster as u64,
                reason: "an element of unexpected type 6761 is inside a cluster".into()
            }
        );
        assert!(error.to_string().starts_with(&format!(
            "The recording is damaged at byte {second_cluster}: "
        )));

        // Two recordings joined together.
        let mut joined = CHROME_WEBM.to_vec();
        joined.extend_from_slice(CHROME_WEBM);
        assert!(matches!(
            index(&joined),
            Err(ContainerError::Damaged { .. })
        ));

        // Other files.
        for other in [PNG, CHROME_MP4, b"".as_slice(), b"plain text".as_slice()] {
            let error = index(other).unwrap_err();
            assert!(matches!(error, ContainerError::NotWebm { .. }), "{error}");
            assert!(error
                .to_string()
                .starts_with("This is not a WebM recording: "));
        }

        // After an error the indexer keeps saying so.
        let mut indexer = WebmIndexer::new();
        assert!(indexer.feed(PNG).is_err());
        assert!(indexer.feed(CHROME_WEBM).is_err());
        assert!(indexer.finish().is_err());
    }

    #[test]
    fn oversized_headers_are_refused() {
        // An Info element claiming 2 MiB.
        let (info_start, _) = chrome_element(INFO);
        let mut data = CHROME_WEBM[..info_start].to_vec();
        put_id(&mut data, INFO);
        put_size8(&mut data, 2 << 20);
        let error = index(&data).unwrap_err();
        assert!(matches!(error, ContainerError::TooLarge { .. }), "{error}");
    }

    #[test]
    fn chrome_mp4_is_checked() {
        let info = check_mp4(CHROME_MP4, CHROME_MP4.len()).unwrap();
        assert_eq!(info.tracks, 2);
        assert!(info.fragmented);
        let secs = info.duration_secs.unwrap();
        assert!((3.0..3.6).contains(&secs), "{secs}");
        for size in [1, 7, 8, 9, 100, 1200] {
            assert_eq!(check_mp4(CHROME_MP4, size).unwrap(), info);
        }
    }

    #[test]
    fn mp4_duration_from_fragments() {
        // ffmpeg's fragmented file says 0 in mvhd; the fragments give the length.
        let info = check_mp4(FFMPEG_MP4, 4096).unwrap();
        let secs = info.duration_secs.unwrap();
        assert!((1.95..2.1).contains(&secs), "{secs}");
        assert!(info.fragmented);

        // The Chrome file with its mvhd duration blanked out: tfdt + trun say the same.
        let with_mvhd = check_mp4(CHROME_MP4, 4096).unwrap().duration_secs.unwrap();
        let mut data = CHROME_MP4.to_vec();
        let mvhd = data.windows(4).position(|w| w == b"mvhd").unwrap();
        assert_eq!(data[mvhd + 4], 1, "version 1 mvhd");
        let duration = mvhd + 4 + 4 + 8 + 8 + 4;
        data[duration..duration + 8].fill(0);
        let secs = check_mp4(&data, 4096).unwrap().duration_secs.unwrap();
        assert!((secs - with_mvhd).abs() < 0.1, "{secs} vs {with_mvhd}");
    }

    #[test]
    fn broken_mp4_is_refused() {
        // Every cut inside the movie header or the media data is noticed.
        for len in (0..CHROME_MP4.len()).filter(|n| n % 41 == 0 || *n < 1300) {
            let result = check_mp4(&CHROME_MP4[..len], 1000);
            let mfra = CHROME_MP4.len() - 76;
            if len != mfra {
                assert!(result.is_err(), "{len}");
            }
        }
        // Cut at a box boundary (just before the trailing mfra box): still complete.
        assert!(check_mp4(&CHROME_MP4[..CHROME_MP4.len() - 76], 1000).is_ok());
        let cut = 5000;
        assert_eq!(
            check_mp4(&CHROME_MP4[..cut], 1000).unwrap_err(),
            ContainerError::Truncated {
                at: cut as u64,
                inside: "the media data"
            }
        );
        // Headers only.
        assert_eq!(
            check_mp4(&CHROME_MP4[..1200], 100).unwrap_err(),
            ContainerError::Missing {
                what: "video or audio data (mdat box)"
            }
        );
        // Other files.
        for other in [PNG, CHROME_WEBM, b"".as_slice(), b"plain text".as_slice()] {
            let error = check_mp4(other, 100).unwrap_err();
            assert!(matches!(error, ContainerError::NotMp4 { .. }), "{error}");
            assert!(error
                .to_string()
                .starts_with("This is not an MP4 recording: "));
        }
        // Garbage between boxes.
        let mut garbage = CHROME_MP4.to_vec();
        garbage.splice(1200..1200, [0xFFu8; 12]);
        assert!(matches!(
            check_mp4(&garbage, 100),
            Err(ContainerError::Damaged { at: 1200, .. })
        ));
    }
}
