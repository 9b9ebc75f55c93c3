//! A speech-to-text service on loopback speaking the OpenAI or Gemini wire format, for tests of
//! hosted transcription (and of a node dying while it waits for one).

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

/// While set, requests are read but not answered (a transcription in progress); a request
/// whose client goes away meanwhile is dropped, neither recorded nor answered.
#[derive(Clone, Default)]
pub struct Hold {
    pub on: Arc<AtomicBool>,
    /// Requests that arrived while held.
    pub arrived: Arc<std::sync::atomic::AtomicUsize>,
}

/// What the transcription server was sent: each request's line and body.
pub type Sent = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;

/// A transcription server on loopback speaking the OpenAI (`/v1/audio/transcriptions`,
/// multipart) or Gemini (`generateContent`, audio inline in base64) wire format: answers each
/// request with the next line of `texts`, and records what it was sent.
pub async fn transcription_server(
    texts: Vec<&'static str>,
    gemini: bool,
    hold: Hold,
) -> (String, Sent) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = if gemini {
        format!("http://{}", listener.local_addr().unwrap())
    } else {
        format!("http://{}/v1", listener.local_addr().unwrap())
    };
    let log = seen.clone();
    tokio::spawn(async move {
        let mut n = 0usize;
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            // Read the head, then the body to its Content-Length.
            let (head_end, len) = loop {
                let k = sock.read(&mut chunk).await.unwrap();
                if k == 0 {
                    break (0, 0);
                }
                buf.extend_from_slice(&chunk[..k]);
                if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..p]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    break (p + 4, len);
                }
            };
            while buf.len() < head_end + len {
                let k = sock.read(&mut chunk).await.unwrap();
                if k == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..k]);
            }
            if hold.on.load(Ordering::SeqCst) {
                hold.arrived.fetch_add(1, Ordering::SeqCst);
                let mut gone = false;
                while hold.on.load(Ordering::SeqCst) && !gone {
                    tokio::select! {
                        r = sock.read(&mut chunk) => gone = matches!(r, Ok(0) | Err(_)),
                        _ = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
                    }
                }
                if gone {
                    continue;
                }
            }
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let body = &buf[head_end..];
            let text_body = String::from_utf8_lossy(body);
            let ok = if gemini {
                // "UklGR" is "RIFF" in base64: the WAV travels inline.
                head.starts_with("POST /v1beta/models/gemini-test:generateContent")
                    && head.to_lowercase().contains("x-goog-api-key: test-key")
                    && text_body.contains("\"mime_type\":\"audio/wav\"")
                    && text_body.contains("UklGR")
            } else {
                head.starts_with("POST /v1/audio/transcriptions")
                    && body.windows(4).any(|w| w == b"RIFF")
                    && text_body.contains("whisper-1")
            };
            log.lock().unwrap().push((
                head.lines().next().unwrap_or_default().to_string(),
                body.to_vec(),
            ));
            let text = texts.get(n % texts.len()).copied().unwrap_or("");
            n += 1;
            let reply = if gemini {
                serde_json::json!({ "candidates": [{ "content": { "parts": [{ "text": text }] } }] })
            } else {
                serde_json::json!({ "text": text })
            };
            let (status, reply) = if ok {
                ("200 OK", reply.to_string())
            } else {
                ("400 Bad Request", "{\"error\":\"bad request\"}".to_string())
            };
            let _ = sock.write_all(format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}", reply.len()).as_bytes()).await;
        }
    });
    (url, seen)
}
