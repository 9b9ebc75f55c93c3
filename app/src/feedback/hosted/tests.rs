//! The hosted engines against a local HTTP server that speaks their wire formats (a real
//! socket, real HTTP/1.1): good replies, malformed JSON, out-of-range scores, errors, timeouts,
//! redirects. The transcription tests use the same server.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::interview::model::Kind;

/// What the local server answers to each request, in order (the last one repeats).
#[derive(Clone)]
pub(crate) enum Answer {
    Json(u16, String),
    /// A redirect (status, Location) with an empty body.
    Redirect(u16, String),
    Hang,
}

pub(crate) struct Local {
    pub url: String,
    pub seen: Arc<Mutex<Vec<(String, String, String)>>>, // (request line, headers, body)
}

pub(crate) async fn serve(answers: Vec<Answer>) -> Local {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut n = 0usize;
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let answer = answers[n.min(answers.len() - 1)].clone();
            n += 1;
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let (head, body) = loop {
                    let Ok(k) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if k == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let head = text[..end].to_string();
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break (
                                head,
                                String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string(),
                            );
                        }
                    }
                };
                let (line, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
                log.lock()
                    .unwrap()
                    .push((line.to_string(), headers.to_ascii_lowercase(), body));
                match answer {
                    Answer::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                    Answer::Json(status, body) => {
                        let res = format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                        let _ = sock.write_all(res.as_bytes()).await;
                    }
                    Answer::Redirect(status, to) => {
                        let res = format!("HTTP/1.1 {status} X\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                        let _ = sock.write_all(res.as_bytes()).await;
                    }
                }
            });
        }
    });
    Local { url, seen }
}

fn req() -> EvalRequest {
    EvalRequest {
        question: "Tell me about a time you resolved a conflict.".into(),
        kind: Kind::Behavioural,
        key_points: vec!["the conflict and its stakes".into(), "how you listened to both sides".into(), "the outcome".into()],
        answer: "Two engineers disagreed about a release. I met each, found the shared goal, and we shipped a week later with both happy.".into(),
        delivery: None,
    }
}

fn reply_json(relevance: i64) -> String {
    json!({
        "relevance": relevance, "structure": 70, "specificity": 55, "clarity": 90, "completeness": 60,
        "strengths": ["You named the shared goal."], "improvements": ["Say what the release was worth."],
        "outline": ["Situation", "Task", "Action", "Result"], "next_step": "Quantify your results.",
        "covered": ["the outcome", "something the model made up"], "missed": ["the conflict and its stakes"]
    })
    .to_string()
}

fn openai_body(content: &str) -> String {
    json!({ "id": "x", "object": "chat.completion", "choices": [ { "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": "stop" } ] }).to_string()
}

fn gemini_body(text: &str) -> String {
    json!({ "candidates": [ { "content": { "role": "model", "parts": [ { "text": text } ] }, "finishReason": "STOP" } ] }).to_string()
}

fn engine_at(
    protocol: Protocol,
    url: &str,
    timeout_ms: u64,
) -> crate::feedback::evaluator::Evaluator {
    crate::feedback::evaluator::Evaluator {
        embedder: None,
        payments: Default::default(),
        hosted: Some(Hosted {
            protocol,
            base_url: url.to_string(),
            api_key: Some("sk-test".into()),
            model: "test-model".into(),
            timeout: Duration::from_millis(timeout_ms),
        }),
    }
}

#[tokio::test]
async fn openai_compatible_reply_becomes_an_evaluation() {
    let local = serve(vec![Answer::Json(200, openai_body(&reply_json(80)))]).await;
    let e = engine_at(Protocol::OpenAi, &format!("{}/v1", local.url), 5_000)
        .evaluate(&req(), true)
        .await;
    assert_eq!(e.engine, "OpenAI-compatible: test-model");
    assert_eq!(e.note, None);
    assert_eq!(
        (e.scores.relevance, e.scores.structure, e.scores.clarity),
        (80, 70, 90)
    );
    assert_eq!(
        e.scores.overall,
        engine::overall(Kind::Behavioural, &e.scores, 1.0)
    );
    assert_eq!(
        e.covered,
        vec!["the outcome"],
        "invented key points are dropped"
    );
    assert_eq!(e.missed.len(), 2);
    let seen = local.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].0.starts_with("POST /v1/chat/completions "),
        "{}",
        seen[0].0
    );
    assert!(seen[0].1.contains("authorization: bearer sk-test"));
    let body: Value = serde_json::from_str(&seen[0].2).unwrap();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert!(body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("the conflict and its stakes"));
}

#[tokio::test]
async fn gemini_reply_becomes_an_evaluation() {
    let local = serve(vec![Answer::Json(
        200,
        gemini_body(&format!("```json\n{}\n```", reply_json(64))),
    )])
    .await;
    let e = engine_at(Protocol::Gemini, &local.url, 5_000)
        .evaluate(&req(), true)
        .await;
    assert_eq!(e.engine, "Gemini: test-model");
    assert_eq!(e.scores.relevance, 64);
    let seen = local.seen.lock().unwrap().clone();
    assert!(
        seen[0]
            .0
            .starts_with("POST /v1beta/models/test-model:generateContent "),
        "{}",
        seen[0].0
    );
    assert!(seen[0].1.contains("x-goog-api-key: sk-test"));
    let body: Value = serde_json::from_str(&seen[0].2).unwrap();
    assert_eq!(
        body["generationConfig"]["responseMimeType"],
        "application/json"
    );
    assert!(body["generationConfig"]["responseSchema"]["additionalProperties"].is_null());
}

#[tokio::test]
async fn malformed_or_out_of_range_replies_fall_back_to_the_embedded_engine() {
    for (content, why) in [
        ("{\"relevance\": 80", "did not match the schema"),
        (reply_json(250).as_str(), "outside 0–100"),
        ("I think it was a good answer!", "did not match the schema"),
    ] {
        let local = serve(vec![Answer::Json(200, openai_body(content))]).await;
        let e = engine_at(Protocol::OpenAi, &local.url, 5_000)
            .evaluate(&req(), true)
            .await;
        assert_eq!(e.engine, engine::ENGINE_NAME);
        let note = e.note.unwrap();
        assert!(
            note.contains("OpenAI-compatible: test-model could not evaluate") && note.contains(why),
            "{note}"
        );
        assert_eq!(
            local.seen.lock().unwrap().len(),
            1,
            "a bad reply is not retried"
        );
    }
    let local = serve(vec![Answer::Json(200, "<html>not json</html>".into())]).await;
    let e = engine_at(Protocol::Gemini, &local.url, 5_000)
        .evaluate(&req(), true)
        .await;
    assert!(e.note.unwrap().contains("not JSON"));
}

#[tokio::test]
async fn server_errors_are_retried_and_client_errors_are_not() {
    let local = serve(vec![
        Answer::Json(503, "{}".into()),
        Answer::Json(200, openai_body(&reply_json(77))),
    ])
    .await;
    let e = engine_at(Protocol::OpenAi, &local.url, 5_000)
        .evaluate(&req(), true)
        .await;
    assert_eq!(e.scores.relevance, 77);
    assert_eq!(local.seen.lock().unwrap().len(), 2);

    let local = serve(vec![Answer::Json(401, "{\"error\":\"bad key\"}".into())]).await;
    let e = engine_at(Protocol::OpenAi, &local.url, 5_000)
        .evaluate(&req(), true)
        .await;
    assert!(e.note.unwrap().contains("HTTP 401"));
    assert_eq!(local.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_after_every_attempt() {
    let local = serve(vec![Answer::Hang]).await;
    let e = engine_at(Protocol::OpenAi, &local.url, 200)
        .evaluate(&req(), true)
        .await;
    assert_eq!(e.engine, engine::ENGINE_NAME);
    assert!(e.note.unwrap().contains("timed out"));
    assert_eq!(local.seen.lock().unwrap().len(), HOSTED_ATTEMPTS as usize);
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_key_goes_nowhere_else() {
    for (protocol, path) in [
        (Protocol::OpenAi, "/chat/completions"),
        (
            Protocol::Gemini,
            "/v1beta/models/test-model:generateContent",
        ),
    ] {
        let elsewhere = serve(vec![Answer::Json(200, openai_body(&reply_json(80)))]).await;
        let local = serve(vec![Answer::Redirect(
            307,
            format!("{}{path}", elsewhere.url),
        )])
        .await;
        let e = engine_at(protocol, &local.url, 5_000)
            .evaluate(&req(), true)
            .await;
        let reached = elsewhere.seen.lock().unwrap().clone();
        assert!(
            !reached
                .iter()
                .any(|(_, head, _)| head.contains("authorization:")
                    || head.contains("x-goog-api-key:")),
            "{protocol:?}: the key was sent to the redirect's target: {reached:?}"
        );
        assert!(
            reached.is_empty(),
            "{protocol:?}: the redirect was followed"
        );
        assert_eq!(e.engine, engine::ENGINE_NAME);
        let note = e.note.unwrap();
        assert!(
            note.contains(&format!("redirect (HTTP 307 to {}{path})", elsewhere.url))
                && note.contains("Set --llm-url"),
            "{note}"
        );
        assert_eq!(
            local.seen.lock().unwrap().len(),
            1,
            "a redirect is not retried"
        );
    }
}
