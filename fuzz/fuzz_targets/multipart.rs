//! Multipart uploads as the server reads them: the upload routes' `Content-Type` check
//! (`app::request::is_multipart`), server_fn's own reading of the request into
//! `MultipartData` (multer), then `app::request::read_multipart` and `Form`, with the fields of
//! a speech-segment upload. The input is the `Content-Type` value, a newline, then the body;
//! its last byte cuts the body into chunks of that many bytes (as a network delivers it).
//! The field limit is 512 bytes instead of the segment's 2 MB, so that inputs of a few KB reach
//! the "too large" path too.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use libfuzzer_sys::fuzz_target;
use server_fn::codec::{FromReq, MultipartData, MultipartFormData};
use viva_fuzz::upload::{self, Form, UploadRules};
use viva_fuzz::AppError;

const MAX_FIELD: usize = 512;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime")
    })
}

async fn read(content_type: &str, body: Vec<bytes::Bytes>) -> Result<(), AppError> {
    if !upload::is_multipart(content_type) {
        return Err(AppError::BadRequest("not multipart".into()));
    }
    let stream = futures::stream::iter(body.into_iter().map(Ok::<_, std::io::Error>));
    let req = http::Request::builder()
        .method("POST")
        .uri("/api/voice/segment")
        .header("content-type", content_type)
        .body(Body::from_stream(stream))
        .expect("a request");
    let data: MultipartData =
        <MultipartData as FromReq<MultipartFormData, _, AppError>>::from_req(req).await?;
    let rules = UploadRules {
        fields: &["interview", "position", "seq", "start", "end", "audio"],
        max_field_bytes: MAX_FIELD,
        not_multipart: "not multipart",
        unreadable_hint: "",
        too_large: &|n| format!("too large: {n}"),
    };
    let fields = upload::read_multipart(data, &rules).await?;
    for f in &fields {
        assert!(f.bytes.len() <= MAX_FIELD);
        assert!(rules.fields.contains(&f.name.as_str()));
    }
    let mut form = Form::new(fields, &["audio"]);
    let _ = form.file("audio");
    let _ = form.text("interview");
    let _ = form.whole("position");
    let _ = form.number("start");
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, data)) = data.split_last() else {
        return;
    };
    let nl = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    // A header value is visible ASCII (axum refuses others before any handler runs).
    let Ok(content_type) = std::str::from_utf8(&data[..nl]) else {
        return;
    };
    if http::HeaderValue::from_str(content_type).is_err() {
        return;
    }
    let body = data.get(nl + 1..).unwrap_or_default();
    let size = (chunk as usize).max(1);
    let chunks = body
        .chunks(size)
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    if let Err(e) = runtime().block_on(read(content_type, chunks)) {
        assert!(matches!(e, AppError::BadRequest(_)), "{e:?}");
    }
});
