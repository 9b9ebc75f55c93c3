//! Whisper's network (encoder and decoder) on candle, read from the Hugging Face weight names.
//!
//! candle-transformers has a Whisper model, but its decoder runs every earlier token again at
//! each step and rescales and copies the encoder's keys and values for every token; for short
//! answers that cost more than the encoder. Here the decoder keeps its self-attention keys
//! and values as it goes and prepares the cross-attention ones once per window, so a step
//! costs one token's work.

use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::{
    conv1d, embedding, layer_norm, linear, linear_no_bias, Conv1d, Conv1dConfig, Embedding,
    LayerNorm, Linear, VarBuilder,
};
use candle_transformers::models::whisper::Config;

struct Attention {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    heads: usize,
}

impl Attention {
    fn load(d: usize, heads: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Attention {
            q: linear(d, d, vb.pp("q_proj"))?,
            k: linear_no_bias(d, d, vb.pp("k_proj"))?,
            v: linear(d, d, vb.pp("v_proj"))?,
            out: linear(d, d, vb.pp("out_proj"))?,
            heads,
        })
    }

    /// (1, n, d) → (1, heads, n, d / heads), contiguous.
    fn split(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, n, d) = x.dims3()?;
        x.reshape((b, n, self.heads, d / self.heads))?
            .transpose(1, 2)?
            .contiguous()
    }

    /// Queries from `x` attend to keys `k` and values `v` (already split into heads).
    fn attend(
        &self,
        x: &Tensor,
        k: &Tensor,
        v: &Tensor,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let (b, n, d) = x.dims3()?;
        let q = (self.split(&self.q.forward(x)?)? * (1.0 / ((d / self.heads) as f64).sqrt()))?;
        let mut w = q.matmul(&k.t()?)?;
        if let Some(m) = mask {
            w = w.broadcast_add(m)?;
        }
        let w = candle_nn::ops::softmax_last_dim(&w)?;
        self.out
            .forward(&w.matmul(v)?.transpose(1, 2)?.reshape((b, n, d))?)
    }
}

struct Block {
    attn: Attention,
    attn_ln: LayerNorm,
    cross: Option<(Attention, LayerNorm)>,
    fc1: Linear,
    fc2: Linear,
    mlp_ln: LayerNorm,
}

impl Block {
    fn load(d: usize, heads: usize, cross: bool, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Block {
            attn: Attention::load(d, heads, vb.pp("self_attn"))?,
            attn_ln: layer_norm(d, 1e-5, vb.pp("self_attn_layer_norm"))?,
            cross: if cross {
                Some((
                    Attention::load(d, heads, vb.pp("encoder_attn"))?,
                    layer_norm(d, 1e-5, vb.pp("encoder_attn_layer_norm"))?,
                ))
            } else {
                None
            },
            fc1: linear(d, 4 * d, vb.pp("fc1"))?,
            fc2: linear(4 * d, d, vb.pp("fc2"))?,
            mlp_ln: layer_norm(d, 1e-5, vb.pp("final_layer_norm"))?,
        })
    }

    fn mlp(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x + self
            .fc2
            .forward(&self.fc1.forward(&self.mlp_ln.forward(x)?)?.gelu_erf()?)?
    }
}

pub struct Net {
    conv1: Conv1d,
    conv2: Conv1d,
    enc_pos: Tensor,
    enc_blocks: Vec<Block>,
    enc_ln: LayerNorm,
    tokens: Embedding,
    dec_pos: Tensor,
    dec_blocks: Vec<Block>,
    dec_ln: LayerNorm,
}

/// One window's decoding state: per decoder layer, the self-attention keys and values so far
/// and the cross-attention keys and values of the window's audio.
pub struct Decoding {
    past: Vec<Option<(Tensor, Tensor)>>,
    cross: Vec<(Tensor, Tensor)>,
    len: usize,
}

impl Net {
    pub fn load(vb: &VarBuilder, cfg: &Config) -> candle_core::Result<Net> {
        let (d, e, dd) = (cfg.d_model, vb.pp("model.encoder"), vb.pp("model.decoder"));
        let conv = |stride| Conv1dConfig {
            padding: 1,
            stride,
            ..Default::default()
        };
        Ok(Net {
            conv1: conv1d(cfg.num_mel_bins, d, 3, conv(1), e.pp("conv1"))?,
            conv2: conv1d(d, d, 3, conv(2), e.pp("conv2"))?,
            enc_pos: e.get((cfg.max_source_positions, d), "embed_positions.weight")?,
            enc_blocks: (0..cfg.encoder_layers)
                .map(|i| {
                    Block::load(
                        d,
                        cfg.encoder_attention_heads,
                        false,
                        e.pp(format!("layers.{i}")),
                    )
                })
                .collect::<Result<_, _>>()?,
            enc_ln: layer_norm(d, 1e-5, e.pp("layer_norm"))?,
            tokens: embedding(cfg.vocab_size, d, dd.pp("embed_tokens"))?,
            dec_pos: dd.get((cfg.max_target_positions, d), "embed_positions.weight")?,
            dec_blocks: (0..cfg.decoder_layers)
                .map(|i| {
                    Block::load(
                        d,
                        cfg.decoder_attention_heads,
                        true,
                        dd.pp(format!("layers.{i}")),
                    )
                })
                .collect::<Result<_, _>>()?,
            dec_ln: layer_norm(d, 1e-5, dd.pp("layer_norm"))?,
        })
    }

    /// Encodes a log-mel window (1, mels, 3000) and prepares a decoding of it.
    pub fn encode(&self, mel: &Tensor) -> candle_core::Result<Decoding> {
        let x = self.conv1.forward(mel)?.gelu_erf()?;
        let x = self.conv2.forward(&x)?.gelu_erf()?.transpose(1, 2)?;
        let n = x.dim(1)?;
        let mut x = x.broadcast_add(&self.enc_pos.narrow(0, 0, n)?)?;
        for b in &self.enc_blocks {
            let h = b.attn_ln.forward(&x)?;
            let (k, v) = (
                b.attn.split(&b.attn.k.forward(&h)?)?,
                b.attn.split(&b.attn.v.forward(&h)?)?,
            );
            x = (&x + b.attn.attend(&h, &k, &v, None)?)?;
            x = b.mlp(&x)?;
        }
        let audio = self.enc_ln.forward(&x)?;
        let cross = self
            .dec_blocks
            .iter()
            .map(|b| {
                let (a, _) = b
                    .cross
                    .as_ref()
                    .expect("decoder blocks attend to the audio");
                Ok((
                    a.split(&a.k.forward(&audio)?)?,
                    a.split(&a.v.forward(&audio)?)?,
                ))
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Decoding {
            past: vec![None; self.dec_blocks.len()],
            cross,
            len: 0,
        })
    }

    /// Feeds tokens (the prompt, then one at a time) and returns the logits after the last.
    pub fn step(&self, state: &mut Decoding, ids: &[u32]) -> candle_core::Result<Vec<f32>> {
        let n = ids.len();
        let dev = Device::Cpu;
        let input = Tensor::new(ids, &dev)?.unsqueeze(0)?;
        let mut x = self
            .tokens
            .forward(&input)?
            .broadcast_add(&self.dec_pos.narrow(0, state.len, n)?)?;
        // New tokens see everything before them and not what follows.
        let mask = if n > 1 {
            let (past, total) = (state.len, state.len + n);
            let m: Vec<f32> = (0..n)
                .flat_map(|i| {
                    (0..total).map(move |j| if j > past + i { f32::NEG_INFINITY } else { 0.0 })
                })
                .collect();
            Some(Tensor::from_vec(m, (n, total), &dev)?)
        } else {
            None
        };
        for (i, b) in self.dec_blocks.iter().enumerate() {
            let h = b.attn_ln.forward(&x)?;
            let (k, v) = (
                b.attn.split(&b.attn.k.forward(&h)?)?,
                b.attn.split(&b.attn.v.forward(&h)?)?,
            );
            let (k, v) = match state.past[i].take() {
                Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 2)?, Tensor::cat(&[&pv, &v], 2)?),
                None => (k, v),
            };
            x = (&x + b.attn.attend(&h, &k, &v, mask.as_ref())?)?;
            state.past[i] = Some((k, v));
            let (a, ln) = b
                .cross
                .as_ref()
                .expect("decoder blocks attend to the audio");
            let (ck, cv) = &state.cross[i];
            x = (&x + a.attend(&ln.forward(&x)?, ck, cv, None)?)?;
            x = b.mlp(&x)?;
        }
        state.len += n;
        let last = self.dec_ln.forward(&x.i((.., n - 1..n, ..))?)?.squeeze(0)?;
        last.matmul(&self.tokens.embeddings().t()?)?
            .squeeze(0)?
            .to_dtype(DType::F32)?
            .to_vec1()
    }

    /// How many tokens a decoding can hold.
    pub fn max_tokens(&self) -> usize {
        self.dec_pos.dim(0).unwrap_or(0)
    }
}
