//! Files the browser fetches by URL, for their owner only: a kept recording (an `<audio>`
//! element asks for byte ranges, HTTP's own protocol) and a data export (a download). Plain
//! routes because media elements and downloads speak HTTP, not server functions.

use std::str::FromStr;

use axum::{
    body::Body,
    extract::{Extension, Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

use crate::http::AppState;
use app::auth::service::Caller;
use app::AppError;

fn refuse(status: StatusCode, e: AppError) -> Response {
    (status, axum::Json(e)).into_response()
}

fn fault(e: AppError) -> Response {
    refuse(e.status_code(), e)
}

/// The signed-in caller and the part of a question a path names, or the refusal: 401 for
/// nobody, 404 for a part that does not exist.
fn caller_and_part<P: FromStr>(
    caller: Option<Extension<Caller>>,
    part: &str,
) -> Result<(Caller, P), AppError> {
    let Extension(caller) = caller.ok_or(AppError::Unauthorized)?;
    let part = P::from_str(part).map_err(|_| AppError::NotFound)?;
    Ok((caller, part))
}

/// `GET /recordings/{interview}/{position}/{part}`: the kept recording of one part of one of
/// the caller's questions, as WAV, whole or the byte range asked for.
pub async fn recording(
    State(s): State<AppState>,
    Path((interview, position, part)): Path<(String, u32, String)>,
    caller: Option<Extension<Caller>>,
    headers: HeaderMap,
) -> Response {
    let (caller, part) = match caller_and_part(caller, &part) {
        Ok(found) => found,
        Err(e) => return fault(e),
    };
    match app::voice::service::recording(
        &s.ctx.db,
        &s.ctx.voice.blobs,
        &caller.user_id,
        &interview,
        position,
        part,
    )
    .await
    {
        Ok(Some(wav)) => serve_bytes(wav, "audio/wav", &headers),
        Ok(None) | Err(AppError::BadRequest(_)) => {
            refuse(StatusCode::NOT_FOUND, AppError::NotFound)
        }
        Err(e) => fault(e),
    }
}

/// `GET /videos/{interview}/{position}/{part}`: the caller's video answer, whole or the byte
/// range asked for, streamed from the blob store a piece at a time (a long video never sits in
/// memory). Someone else's (or none) is a 404.
pub async fn video(
    State(s): State<AppState>,
    Path((interview, position, part)): Path<(String, u32, String)>,
    caller: Option<Extension<Caller>>,
    headers: HeaderMap,
) -> Response {
    let (caller, part) = match caller_and_part(caller, &part) {
        Ok(found) => found,
        Err(e) => return fault(e),
    };
    let blobs = &s.ctx.voice.blobs;
    let found =
        app::video::service::playable(&s.ctx.db, &caller.user_id, &interview, position, part).await;
    let (key, mime) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, AppError::NotFound),
        Err(e) => return fault(e),
    };
    let len = match blobs.size(&key).await {
        Ok(Some(n)) => n,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, AppError::NotFound),
        Err(e) => return fault(e),
    };
    const PIECE: u64 = 1024 * 1024;
    let blobs = blobs.clone();
    serve(len, mime, &headers, move |start, end| {
        let pieces = futures_util::stream::unfold(start, move |at| {
            let (b, k) = (blobs.clone(), key.clone());
            async move {
                if at >= end {
                    return None;
                }
                let to = (at + PIECE).min(end);
                let piece = b
                    .get_range(&k, at..to)
                    .await
                    .map(axum::body::Bytes::from)
                    .map_err(|e| std::io::Error::other(e.to_string()));
                Some((piece, to))
            }
        });
        Body::from_stream(futures_util::StreamExt::fuse(pieces))
    })
}

/// `bytes` as the answer to a GET (see [`serve`]).
pub fn serve_bytes(bytes: Vec<u8>, content_type: &'static str, headers: &HeaderMap) -> Response {
    serve(bytes.len() as u64, content_type, headers, |a, b| {
        Body::from(bytes[a as usize..b as usize].to_vec())
    })
}

/// The answer to a GET for something of `len` bytes: 200 with all of it, 206 with the one range
/// asked for (a request for several ranges gets all of it), 416 for a range outside it. Never
/// cached. `body(start, end)` gives bytes `start..end`.
pub fn serve(
    len: u64,
    content_type: &'static str,
    headers: &HeaderMap,
    body: impl FnOnce(u64, u64) -> Body,
) -> Response {
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|v| http_range_header::parse_range_header(v).and_then(|r| r.validate(len)));
    let (status, start, end) = match range {
        Some(Ok(r)) if r.len() == 1 => {
            (StatusCode::PARTIAL_CONTENT, *r[0].start(), *r[0].end() + 1)
        }
        Some(Err(_)) => {
            let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return res;
        }
        _ => (StatusCode::OK, 0, len),
    };
    let mut res = (status, body(start, end)).into_response();
    let h = res.headers_mut();
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1)) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

/// `GET /exports/{id}`: the caller's finished data export, as a ZIP download streamed piece by
/// piece from the database. Someone else's (or none) is a 404, an expired one a 410.
pub async fn export(
    State(s): State<AppState>,
    Path(id): Path<String>,
    caller: Option<Extension<Caller>>,
) -> Response {
    use app::privacy::export::{self, NoDownload};
    let Some(Extension(caller)) = caller else {
        return refuse(StatusCode::UNAUTHORIZED, AppError::Unauthorized);
    };
    let db = s.ctx.db.clone();
    let now = s.ctx.clock.now();
    let (bytes, chunks) = match export::download(&db, &caller.user_id, &id, now).await {
        Ok(Ok(found)) => found,
        Ok(Err(NoDownload::NotFound)) => return refuse(StatusCode::NOT_FOUND, AppError::NotFound),
        Ok(Err(NoDownload::Expired)) => {
            return refuse(
                StatusCode::GONE,
                AppError::BadRequest("This download has expired (downloads last 24 hours). Prepare a new one on the Your data page.".into()),
            )
        }
        Ok(Err(NoDownload::NotReady)) => {
            return refuse(
                StatusCode::CONFLICT,
                AppError::BadRequest("This download is not ready yet.".into()),
            )
        }
        Err(e) => return fault(e),
    };
    let pieces = futures_util::stream::unfold(0i64, move |n| {
        let (db, id) = (db.clone(), id.clone());
        async move {
            if n >= chunks {
                return None;
            }
            let piece = export::chunk(&db, &id, n)
                .await
                .map(axum::body::Bytes::from)
                .map_err(|e| std::io::Error::other(e.to_string()));
            Some((piece, n + 1))
        }
    });
    // Polled again after its end by some body wrappers: then it stays ended.
    let pieces = futures_util::StreamExt::fuse(pieces);
    let name = format!(
        "attachment; filename=\"viva-data-{}.zip\"",
        app::ui::time::format_utc(now).get(..10).unwrap_or("export")
    );
    let mut res = (StatusCode::OK, Body::from_stream(pieces)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(bytes.max(0) as u64),
    );
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(res: Response) -> Vec<u8> {
        axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    fn asking(range: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
        h
    }

    #[tokio::test]
    async fn byte_ranges_are_served_as_asked() {
        let data: Vec<u8> = (0..100u8).collect();
        let whole = serve_bytes(data.clone(), "audio/wav", &HeaderMap::new());
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(whole.headers()[header::CONTENT_TYPE], "audio/wav");
        assert_eq!(whole.headers()[header::ACCEPT_RANGES], "bytes");
        assert_eq!(body(whole).await, data);

        let part = serve_bytes(data.clone(), "audio/wav", &asking("bytes=10-19"));
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.headers()[header::CONTENT_RANGE], "bytes 10-19/100");
        assert_eq!(body(part).await, (10..20u8).collect::<Vec<_>>());

        let tail = serve_bytes(data.clone(), "audio/wav", &asking("bytes=-5"));
        assert_eq!(tail.headers()[header::CONTENT_RANGE], "bytes 95-99/100");
        assert_eq!(body(tail).await, vec![95, 96, 97, 98, 99]);

        let open = serve_bytes(data.clone(), "audio/wav", &asking("bytes=90-"));
        assert_eq!(body(open).await.len(), 10);

        let outside = serve_bytes(data.clone(), "audio/wav", &asking("bytes=200-300"));
        assert_eq!(outside.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(outside.headers()[header::CONTENT_RANGE], "bytes */100");

        let two = serve_bytes(data.clone(), "audio/wav", &asking("bytes=0-1,5-6"));
        assert_eq!(two.status(), StatusCode::OK);
        assert_eq!(body(two).await.len(), 100);
    }
}
