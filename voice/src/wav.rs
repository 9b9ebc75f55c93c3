//! WAV files: reading what people and browsers record (8–48 kHz, mono or stereo, 16-bit
//! integer or 32-bit float, plain or WAVE_FORMAT_EXTENSIBLE) and writing the 16 kHz mono
//! 16-bit segments that the browser uploads.

use std::fmt;

/// Lowest and highest sample rates accepted.
pub const MIN_RATE: u32 = 8_000;
pub const MAX_RATE: u32 = 48_000;

/// Decoded audio: mono samples in [-1, 1] at `rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    pub rate: u32,
    /// Channels in the file (stereo is mixed down to mono).
    pub channels: u16,
    pub samples: Vec<f32>,
}

impl Audio {
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / self.rate as f64
    }
}

/// Why a file is not a WAV we can read; each message says what would work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WavError {
    NotWav,
    Truncated,
    NoFormat,
    NoData,
    Encoding { format: u16, bits: u16 },
    Channels(u16),
    Rate(u32),
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavError::NotWav => write!(f, "not a WAV file (no RIFF/WAVE header); record or convert to WAV"),
            WavError::Truncated => write!(f, "the WAV file is cut short (a chunk runs past the end of the file)"),
            WavError::NoFormat => write!(f, "the WAV file has no format chunk"),
            WavError::NoData => write!(f, "the WAV file has no audio data chunk"),
            WavError::Encoding { format, bits } => write!(
                f,
                "unsupported WAV encoding (format {format}, {bits}-bit); use 16-bit integer PCM or 32-bit float"
            ),
            WavError::Channels(n) => write!(f, "{n} channels; use mono or stereo"),
            WavError::Rate(r) => write!(f, "sample rate {r} Hz; use {MIN_RATE}–{MAX_RATE} Hz"),
        }
    }
}

impl std::error::Error for WavError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Int16,
    Float32,
}

/// Header facts of a WAV file, without decoding the samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavInfo {
    pub rate: u32,
    pub channels: u16,
    pub bits: u16,
    pub float: bool,
    /// Number of sample frames (one per channel set).
    pub frames: usize,
}

impl WavInfo {
    pub fn duration(&self) -> f64 {
        self.frames as f64 / self.rate as f64
    }
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Finds the format and the data of a WAV file.
fn parse(bytes: &[u8]) -> Result<(WavInfo, Encoding, &[u8]), WavError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotWav);
    }
    let mut fmt: Option<(u16, u16, u32, u16)> = None; // format, channels, rate, bits
    let mut data: Option<&[u8]> = None;
    let mut i = 12;
    while i + 8 <= bytes.len() {
        let id = &bytes[i..i + 4];
        let size = u32_at(bytes, i + 4) as usize;
        let body = i + 8;
        if id == b"data" {
            // Streamed recorders write 0 or 0xFFFFFFFF when they do not know the length.
            let end = if size == 0 || size == u32::MAX as usize || body + size > bytes.len() {
                if size != 0
                    && size != u32::MAX as usize
                    && body + size > bytes.len()
                    && fmt.is_none()
                {
                    return Err(WavError::Truncated);
                }
                bytes.len()
            } else {
                body + size
            };
            data = Some(&bytes[body..end]);
            break;
        }
        if body + size > bytes.len() {
            return Err(WavError::Truncated);
        }
        if id == b"fmt " {
            if size < 16 {
                return Err(WavError::NoFormat);
            }
            let mut format = u16_at(bytes, body);
            let channels = u16_at(bytes, body + 2);
            let rate = u32_at(bytes, body + 4);
            let bits = u16_at(bytes, body + 14);
            if format == 0xFFFE && size >= 40 {
                format = u16_at(bytes, body + 24); // the sub-format GUID starts with the format code
            }
            fmt = Some((format, channels, rate, bits));
        }
        i = body + size + (size & 1);
    }
    let (format, channels, rate, bits) = fmt.ok_or(WavError::NoFormat)?;
    let enc = match (format, bits) {
        (1, 16) => Encoding::Int16,
        (3, 32) => Encoding::Float32,
        _ => return Err(WavError::Encoding { format, bits }),
    };
    if !(1..=2).contains(&channels) {
        return Err(WavError::Channels(channels));
    }
    if !(MIN_RATE..=MAX_RATE).contains(&rate) {
        return Err(WavError::Rate(rate));
    }
    let data = data.ok_or(WavError::NoData)?;
    let width = (bits / 8) as usize * channels as usize;
    let info = WavInfo {
        rate,
        channels,
        bits,
        float: enc == Encoding::Float32,
        frames: data.len() / width,
    };
    Ok((info, enc, data))
}

/// Reads the header only (rate, channels, encoding, length).
pub fn info(bytes: &[u8]) -> Result<WavInfo, WavError> {
    parse(bytes).map(|(info, _, _)| info)
}

/// Decodes a WAV file to mono samples in [-1, 1] (stereo is averaged).
pub fn decode(bytes: &[u8]) -> Result<Audio, WavError> {
    let (info, enc, data) = parse(bytes)?;
    let ch = info.channels as usize;
    let sample = |k: usize| -> f32 {
        match enc {
            Encoding::Int16 => i16::from_le_bytes([data[2 * k], data[2 * k + 1]]) as f32 / 32768.0,
            Encoding::Float32 => {
                let v = f32::from_le_bytes([
                    data[4 * k],
                    data[4 * k + 1],
                    data[4 * k + 2],
                    data[4 * k + 3],
                ]);
                if v.is_finite() {
                    v.clamp(-1.0, 1.0)
                } else {
                    0.0
                }
            }
        }
    };
    let samples = (0..info.frames)
        .map(|f| (0..ch).map(|c| sample(f * ch + c)).sum::<f32>() / ch as f32)
        .collect();
    Ok(Audio {
        rate: info.rate,
        channels: info.channels,
        samples,
    })
}

/// Length of the header `encode_i16` and `canonical` write.
pub const HEADER_LEN: usize = 44;

/// The 44-byte header of a plain WAV file: RIFF, a 16-byte format chunk, the data chunk's head.
fn header(format: u16, channels: u16, rate: u32, bits: u16, data_len: usize) -> Vec<u8> {
    let block = channels * (bits / 8);
    let mut out = Vec::with_capacity(HEADER_LEN + data_len);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((36 + data_len) as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&format.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * block as u32).to_le_bytes()); // bytes per second
    out.extend_from_slice(&block.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    out
}

/// The header of a mono 16-bit PCM WAV file at `rate` whose samples take `data_len` bytes
/// (to join the samples of several such files under one header).
pub fn header_i16(rate: u32, data_len: usize) -> Vec<u8> {
    header(1, 1, rate, 16, data_len)
}

/// A mono 16-bit PCM WAV file at `rate`.
pub fn encode_i16(rate: u32, samples: &[i16]) -> Vec<u8> {
    let mut out = header(1, 1, rate, 16, samples.len() * 2);
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// The same audio as a plain WAV file: a fresh 44-byte header and the whole sample frames,
/// nothing else. Other chunks (metadata, padding, whatever a client put there) and a torn last
/// frame are left out, so what is kept is as large as the audio, not as the upload.
pub fn canonical(bytes: &[u8]) -> Result<(WavInfo, Vec<u8>), WavError> {
    let (info, enc, data) = parse(bytes)?;
    let len = info.frames * (info.bits / 8) as usize * info.channels as usize;
    let format = if enc == Encoding::Float32 { 3 } else { 1 };
    let mut out = header(format, info.channels, info.rate, info.bits, len);
    out.extend_from_slice(&data[..len]);
    Ok((info, out))
}

/// Float samples in [-1, 1] to 16-bit integers.
pub fn to_i16(samples: &[f32]) -> Vec<i16> {
    samples
        .iter()
        .map(|v| (v.clamp(-1.0, 1.0) * 32767.0).round() as i16)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float_wav(rate: u32, channels: u16, samples: &[f32], extensible: bool) -> Vec<u8> {
        let data_len = samples.len() * 4;
        let fmt_len: u32 = if extensible { 40 } else { 16 };
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&((4 + 8 + fmt_len as usize + 8 + data_len) as u32).to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(b"LIST\x04\x00\x00\x00INFO"); // an unrelated chunk first
        out.extend_from_slice(b"fmt ");
        out.extend_from_slice(&fmt_len.to_le_bytes());
        out.extend_from_slice(&(if extensible { 0xFFFEu16 } else { 3 }).to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * 4 * channels as u32).to_le_bytes());
        out.extend_from_slice(&(4 * channels).to_le_bytes());
        out.extend_from_slice(&32u16.to_le_bytes());
        if extensible {
            out.extend_from_slice(&22u16.to_le_bytes());
            out.extend_from_slice(&32u16.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&3u16.to_le_bytes());
            out.extend_from_slice(&[0u8; 14]);
        }
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data_len as u32).to_le_bytes());
        for s in samples {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    #[test]
    fn sixteen_bit_mono_round_trips() {
        let s: Vec<i16> = vec![0, 1000, -1000, 32767, -32768];
        let a = decode(&encode_i16(16_000, &s)).unwrap();
        assert_eq!(a.rate, 16_000);
        assert_eq!(a.samples.len(), 5);
        assert_eq!(to_i16(&a.samples)[1], 1000);
        assert!((a.samples[4] + 1.0).abs() < 1e-6);
        assert_eq!(info(&encode_i16(16_000, &s)).unwrap().frames, 5);
    }

    #[test]
    fn stereo_float_and_extensible_are_mixed_to_mono() {
        for ext in [false, true] {
            let a = decode(&float_wav(44_100, 2, &[0.5, 0.1, -0.2, -0.4], ext)).unwrap();
            assert_eq!(a.rate, 44_100);
            assert_eq!(a.channels, 2);
            assert_eq!(a.samples.len(), 2);
            assert!((a.samples[0] - 0.3).abs() < 1e-6 && (a.samples[1] + 0.3).abs() < 1e-6);
        }
    }

    #[test]
    fn unsupported_files_say_what_would_work() {
        assert_eq!(decode(b"ID3\x03 not audio at all"), Err(WavError::NotWav));
        assert_eq!(
            decode(&float_wav(96_000, 1, &[0.0], false)),
            Err(WavError::Rate(96_000))
        );
        assert_eq!(
            decode(&float_wav(4_000, 1, &[0.0], false)),
            Err(WavError::Rate(4_000))
        );
        assert_eq!(
            decode(&float_wav(16_000, 6, &[0.0; 6], false)),
            Err(WavError::Channels(6))
        );
        let mut eight_bit = encode_i16(16_000, &[0, 0]);
        eight_bit[34] = 8; // bits per sample
        assert_eq!(
            decode(&eight_bit),
            Err(WavError::Encoding { format: 1, bits: 8 })
        );
        assert!(WavError::Encoding { format: 1, bits: 8 }
            .to_string()
            .contains("16-bit"));
        let header_only = &encode_i16(16_000, &[])[..36];
        assert_eq!(decode(header_only), Err(WavError::NoData));
        let mut cut = float_wav(16_000, 1, &[0.0; 4], false);
        cut.truncate(20); // inside the LIST chunk's neighbour
        assert!(matches!(
            decode(&cut),
            Err(WavError::Truncated) | Err(WavError::NoFormat)
        ));
    }

    #[test]
    fn canonical_keeps_the_audio_and_drops_every_other_chunk() {
        let plain = encode_i16(16_000, &[1, -2, 3]);
        assert_eq!(
            canonical(&plain).unwrap().1,
            plain,
            "a plain file stays as it is"
        );
        // Junk between the format and the data, a torn last frame, a chunk after the data.
        let mut junk = plain[..36].to_vec();
        junk.extend_from_slice(b"junk\x05\x00\x00\x00abcde\x00");
        junk.extend_from_slice(b"data\x07\x00\x00\x00");
        junk.extend_from_slice(&plain[44..]);
        junk.extend_from_slice(&[9, 0]); // the torn frame's byte and the pad byte
        junk.extend_from_slice(b"LIST\x04\x00\x00\x00INFO");
        let (info, out) = canonical(&junk).unwrap();
        assert_eq!(info.frames, 3);
        assert_eq!(out, plain);
        // Float stereo keeps its format, in the plain 16-byte format chunk.
        let f = float_wav(44_100, 2, &[0.5, 0.1, -0.2, -0.4], true);
        let (_, out) = canonical(&f).unwrap();
        assert_eq!(out.len(), HEADER_LEN + 16);
        assert_eq!(decode(&out).unwrap(), decode(&f).unwrap());
    }

    #[test]
    fn a_streamed_recording_without_a_data_length_is_read_to_the_end() {
        let mut w = encode_i16(8_000, &[100, 200, 300]);
        w[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&w).unwrap().samples.len(), 3);
    }
}
