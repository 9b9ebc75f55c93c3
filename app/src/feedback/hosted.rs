//! Hosted evaluation engines, reached over their real wire protocols: any OpenAI-compatible
//! chat-completions endpoint (OpenAI, Ollama, vLLM, llama.cpp server, Groq…) and Google
//! Gemini `generateContent`. Both are asked for JSON matching one schema, which is validated;
//! on any failure the embedded engine answers instead and the evaluation says so.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::engine;
use super::{EvalRequest, Evaluation, Scores};

/// Named limits of a call to a hosted engine.
pub const HOSTED_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts per evaluation (the first and this many minus one retries, with backoff).
pub use crate::outbound::{ATTEMPTS as HOSTED_ATTEMPTS, BACKOFF as HOSTED_BACKOFF};
/// Lists longer than this in a reply are cut (a reply is feedback, not an essay).
const MAX_LIST: usize = 6;
const MAX_ITEM_CHARS: usize = 400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    OpenAi,
    Gemini,
}

/// A configured hosted engine.
#[derive(Clone, Debug)]
pub struct Hosted {
    pub protocol: Protocol,
    /// e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1` (Ollama),
    /// `https://generativelanguage.googleapis.com`.
    pub base_url: String,
    pub api_key: Option<crate::secret::Secret>,
    pub model: String,
    /// Per request; [`HOSTED_TIMEOUT`] unless the operator sets another.
    pub timeout: Duration,
}

impl Hosted {
    /// How reports name this engine.
    pub fn name(&self) -> String {
        match self.protocol {
            Protocol::OpenAi => format!("OpenAI-compatible: {}", self.model),
            Protocol::Gemini => format!("Gemini: {}", self.model),
        }
    }

    /// The host answers go to, for the privacy page.
    pub fn host(&self) -> String {
        url::Url::parse(&self.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| self.base_url.clone())
    }
}

/// What the hosted engine must return.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reply {
    relevance: i64,
    structure: i64,
    specificity: i64,
    clarity: i64,
    completeness: i64,
    strengths: Vec<String>,
    improvements: Vec<String>,
    outline: Vec<String>,
    next_step: String,
    covered: Vec<String>,
    missed: Vec<String>,
}

/// The JSON schema both protocols are given (OpenAPI subset, which Gemini also accepts).
pub fn schema() -> Value {
    let score = json!({ "type": "integer", "minimum": 0, "maximum": 100 });
    let list = json!({ "type": "array", "items": { "type": "string" } });
    json!({
        "type": "object",
        "properties": {
            "relevance": score, "structure": score, "specificity": score, "clarity": score, "completeness": score,
            "strengths": list, "improvements": list, "outline": list,
            "next_step": { "type": "string" },
            "covered": list, "missed": list
        },
        "required": ["relevance", "structure", "specificity", "clarity", "completeness", "strengths", "improvements", "outline", "next_step", "covered", "missed"],
        "additionalProperties": false
    })
}

const SYSTEM: &str = "You are an experienced interviewer coaching a candidate in a mock interview. Judge the answer fairly and \
specifically. Score each dimension 0-100: relevance (answers the question asked), structure (STAR for behavioural and situational \
questions; direct answer, reasoning, example and trade-offs for technical ones), specificity (numbers, named tools, concrete outcomes, \
the candidate's own actions), clarity (concise sentences, no fillers or hedging), completeness (share of the key points covered). \
List up to 3 strengths and up to 4 improvements, each one actionable sentence addressed to the candidate as \"you\"; an outline of a \
strong answer as 4-7 short steps; the single next thing to practise; and which key points were covered or missed (copy them exactly). \
Reply with JSON only, matching the schema.";

fn user_prompt(req: &EvalRequest) -> String {
    let mut p = format!(
        "Question ({}): {}\n\nKey points a strong answer covers:\n{}\n\nCandidate's answer:\n\"\"\"\n{}\n\"\"\"",
        req.kind.label(),
        req.question,
        req.key_points.iter().map(|k| format!("- {k}")).collect::<Vec<_>>().join("\n"),
        req.answer
    );
    if let Some(d) = &req.delivery {
        p.push_str(&format!(
            "\n\nThe answer was spoken: {:.0} words per minute, {} pauses over 2.5 s, {} fillers.",
            d.words_per_minute, d.pauses_over_2_5s, d.fillers
        ));
    }
    p
}

pub(crate) use crate::outbound::redirect_refused;

pub(crate) async fn evaluate_hosted(h: &Hosted, req: &EvalRequest) -> Result<Evaluation, String> {
    use crate::outbound::Attempt;
    let client = crate::outbound::client()?;
    // Retry what may pass on a second try: timeouts, connection errors, 429 and 5xx.
    let text = crate::outbound::with_retries(|| async {
        match call(client, h, req).await {
            Ok(text) => Attempt::Done(text),
            Err(Failure::Retry(why)) => Attempt::Retry(why),
            Err(Failure::Final(why)) => Attempt::Fail(why),
        }
    })
    .await?;
    parse_reply(&text, req).map(|mut e| {
        e.engine = h.name();
        e
    })
}

enum Failure {
    Retry(String),
    Final(String),
}

/// One request; returns the model's text (which should be the JSON object).
async fn call(client: &reqwest::Client, h: &Hosted, req: &EvalRequest) -> Result<String, Failure> {
    let base = h.base_url.trim_end_matches('/');
    let builder = match h.protocol {
        Protocol::OpenAi => {
            let body = json!({
                "model": h.model,
                "temperature": 0,
                "messages": [ { "role": "system", "content": SYSTEM }, { "role": "user", "content": user_prompt(req) } ],
                "response_format": { "type": "json_schema", "json_schema": { "name": "evaluation", "strict": true, "schema": schema() } }
            });
            let mut b = client
                .post(format!("{base}/chat/completions"))
                .header("content-type", "application/json")
                .body(body.to_string());
            if let Some(k) = &h.api_key {
                b = b.header("authorization", format!("Bearer {}", k.expose()));
            }
            b
        }
        Protocol::Gemini => {
            let mut s = schema();
            // Gemini's responseSchema has no additionalProperties.
            if let Some(o) = s.as_object_mut() {
                o.remove("additionalProperties");
            }
            let body = json!({
                "systemInstruction": { "parts": [ { "text": SYSTEM } ] },
                "contents": [ { "role": "user", "parts": [ { "text": user_prompt(req) } ] } ],
                "generationConfig": { "temperature": 0, "responseMimeType": "application/json", "responseSchema": s }
            });
            let mut b = client
                .post(format!("{base}/v1beta/models/{}:generateContent", h.model))
                .header("content-type", "application/json")
                .body(body.to_string());
            if let Some(k) = &h.api_key {
                b = b.header("x-goog-api-key", k.expose());
            }
            b
        }
    };
    let res = builder.timeout(h.timeout).send().await.map_err(|e| {
        Failure::Retry(if e.is_timeout() {
            "timed out".into()
        } else {
            "could not connect".into()
        })
    })?;
    let status = res.status();
    if status.is_redirection() {
        return Err(Failure::Final(format!(
            "it {}",
            redirect_refused(&res, "--llm-url")
        )));
    }
    let text = res
        .text()
        .await
        .map_err(|_| Failure::Retry("the reply was cut off".into()))?;
    if status.as_u16() == 429 || status.is_server_error() {
        return Err(Failure::Retry(format!("HTTP {}", status.as_u16())));
    }
    if !status.is_success() {
        return Err(Failure::Final(format!("HTTP {}", status.as_u16())));
    }
    let v: Value =
        serde_json::from_str(&text).map_err(|_| Failure::Final("the reply was not JSON".into()))?;
    let content = match h.protocol {
        Protocol::OpenAi => v
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str),
        Protocol::Gemini => v
            .pointer("/candidates/0/content/parts/0/text")
            .and_then(Value::as_str),
    };
    content
        .map(str::to_string)
        .ok_or_else(|| Failure::Final("the reply had no answer in it".into()))
}

fn clean(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|s| s.trim().chars().take(MAX_ITEM_CHARS).collect::<String>())
        .filter(|s| !s.is_empty())
        .take(MAX_LIST)
        .collect()
}

/// Validates the model's JSON against the schema and turns it into an evaluation.
pub fn parse_reply(text: &str, req: &EvalRequest) -> Result<Evaluation, String> {
    // Some servers wrap JSON in a Markdown fence even when asked not to.
    let t = text.trim();
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .map(|s| s.trim_end_matches("```"))
        .unwrap_or(t)
        .trim();
    let r: Reply =
        serde_json::from_str(t).map_err(|e| format!("its JSON did not match the schema: {e}"))?;
    let mut scores = [
        r.relevance,
        r.structure,
        r.specificity,
        r.clarity,
        r.completeness,
    ]
    .into_iter();
    let mut next = || -> Result<u8, String> {
        let v = scores.next().unwrap_or(-1);
        if (0..=100).contains(&v) {
            Ok(v as u8)
        } else {
            Err(format!("a score of {v} is outside 0–100"))
        }
    };
    let (relevance, structure, specificity, clarity, completeness) =
        (next()?, next()?, next()?, next()?, next()?);
    if r.next_step.trim().is_empty() {
        return Err("it gave no next step".into());
    }
    let delivery = req.delivery.as_ref().map(engine::delivery_score);
    let mut s = Scores {
        relevance,
        structure,
        specificity,
        clarity,
        completeness,
        delivery,
        overall: 0,
    };
    s.overall = engine::overall(req.kind, &s, 1.0);
    // Key points: only those of the question (a model may paraphrase or invent).
    let known = |list: Vec<String>| -> Vec<String> {
        list.into_iter()
            .filter(|k| {
                req.key_points
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(k.trim()))
            })
            .collect()
    };
    let covered = known(r.covered);
    let missed: Vec<String> = req
        .key_points
        .iter()
        .filter(|k| !covered.iter().any(|c| c.eq_ignore_ascii_case(k)))
        .cloned()
        .collect();
    let _ = r.missed;
    Ok(Evaluation {
        scores: s,
        strengths: clean(r.strengths),
        improvements: clean(r.improvements),
        outline: clean(r.outline),
        next_step: r.next_step.trim().chars().take(MAX_ITEM_CHARS).collect(),
        covered,
        missed,
        engine: String::new(),
        note: None,
    })
}

#[cfg(test)]
pub(crate) mod tests;
