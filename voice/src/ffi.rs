//! A plain C ABI for the browser: the AudioWorklet instantiates the wasm module directly
//! (no JS glue) and calls these with pointers into the module's memory. Only with the `ffi`
//! feature (the voice wasm build) and in native tests of the same calls.

use crate::{Captured, Config, Pipeline};

pub struct Handle {
    pipeline: Pipeline,
    input: Vec<f32>,
    done: Vec<Captured>,
}

/// A new pipeline for input at `rate` Hz; null when the rate is outside 8–48 kHz.
#[no_mangle]
pub extern "C" fn vad_new(rate: u32) -> *mut Handle {
    if !(crate::wav::MIN_RATE..=crate::wav::MAX_RATE).contains(&rate) {
        return std::ptr::null_mut();
    }
    Box::into_raw(Box::new(Handle {
        pipeline: Pipeline::new(rate, Config::default()),
        input: Vec::new(),
        done: Vec::new(),
    }))
}

/// # Safety
/// `h` must come from `vad_new` and not have been freed.
#[no_mangle]
pub unsafe extern "C" fn vad_free(h: *mut Handle) {
    if !h.is_null() {
        drop(Box::from_raw(h));
    }
}

/// Room for `len` input samples; the caller writes them there, then calls `vad_push(h, len)`.
/// # Safety
/// `h` must be live.
#[no_mangle]
pub unsafe extern "C" fn vad_input(h: *mut Handle, len: u32) -> *mut f32 {
    let h = &mut *h;
    h.input.resize(len as usize, 0.0);
    h.input.as_mut_ptr()
}

/// Processes the `len` samples written at `vad_input`; returns how many segments ended.
/// # Safety
/// `h` must be live and `len` at most what `vad_input` was given.
#[no_mangle]
pub unsafe extern "C" fn vad_push(h: *mut Handle, len: u32) -> u32 {
    let h = &mut *h;
    let n = (len as usize).min(h.input.len());
    h.done = h.pipeline.push(&h.input[..n]);
    h.done.len() as u32
}

/// Ends the stream; returns how many segments ended.
/// # Safety
/// `h` must be live.
#[no_mangle]
pub unsafe extern "C" fn vad_finish(h: *mut Handle) -> u32 {
    let h = &mut *h;
    h.done = h.pipeline.finish();
    h.done.len() as u32
}

/// Level of the latest frame in dBFS.
/// # Safety
/// `h` must be live.
#[no_mangle]
pub unsafe extern "C" fn vad_level(h: *const Handle) -> f32 {
    (*h).pipeline.level_db()
}

/// 1 while speech is going on.
/// # Safety
/// `h` must be live.
#[no_mangle]
pub unsafe extern "C" fn vad_speaking(h: *const Handle) -> u32 {
    (*h).pipeline.speaking() as u32
}

/// Start and end (s) of ended segment `i`, from the start of the stream.
/// # Safety
/// `h` must be live and `i` below the last count returned.
#[no_mangle]
pub unsafe extern "C" fn vad_segment_start(h: *const Handle, i: u32) -> f64 {
    (&(*h).done)[i as usize].segment.start_s()
}
/// # Safety
/// As `vad_segment_start`.
#[no_mangle]
pub unsafe extern "C" fn vad_segment_end(h: *const Handle, i: u32) -> f64 {
    (&(*h).done)[i as usize].segment.end_s()
}
/// Time (s) of the first sample of segment `i`'s audio (it starts `PRE_ROLL` early).
/// # Safety
/// As `vad_segment_start`.
#[no_mangle]
pub unsafe extern "C" fn vad_segment_audio_start(h: *const Handle, i: u32) -> f64 {
    (&(*h).done)[i as usize].audio_start
}
/// Segment `i`'s audio: 16 kHz mono 16-bit samples at this address…
/// # Safety
/// As `vad_segment_start`.
#[no_mangle]
pub unsafe extern "C" fn vad_segment_audio(h: *const Handle, i: u32) -> *const i16 {
    (&(*h).done)[i as usize].samples.as_ptr()
}
/// …and this many of them.
/// # Safety
/// As `vad_segment_start`.
#[no_mangle]
pub unsafe extern "C" fn vad_segment_audio_len(h: *const Handle, i: u32) -> u32 {
    (&(*h).done)[i as usize].samples.len() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_c_calls_give_what_the_pipeline_gives() {
        assert!(vad_new(4_000).is_null());
        // The crate's folder as cargo gives it at run time (a cached build may come from another checkout).
        let dir = std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
        let path = format!("{dir}/../../shared/audio/dev/clip00.wav");
        let audio = crate::wav::decode(&std::fs::read(&path).expect("labelled clip")).unwrap();
        let expected = crate::segments(&audio, Config::default());
        assert_eq!(expected.len(), 3, "clip00 has three utterances");
        let mut got = Vec::new();
        unsafe {
            let h = vad_new(audio.rate);
            let mut collect = |h: *mut Handle, n: u32| {
                for i in 0..n {
                    let len = vad_segment_audio_len(h, i) as f64;
                    let span =
                        vad_segment_end(h, i) + crate::POST_ROLL - vad_segment_audio_start(h, i);
                    assert!(
                        (len / 16_000.0 - span).abs() < 0.002,
                        "audio covers the segment and its margins"
                    );
                    assert!(
                        (vad_segment_start(h, i) - vad_segment_audio_start(h, i) - crate::PRE_ROLL)
                            .abs()
                            < 0.002
                    );
                    assert!(!vad_segment_audio(h, i).is_null());
                    got.push((vad_segment_start(h, i), vad_segment_end(h, i)));
                }
            };
            for block in audio.samples.chunks(128) {
                let p = vad_input(h, block.len() as u32);
                std::slice::from_raw_parts_mut(p, block.len()).copy_from_slice(block);
                let n = vad_push(h, block.len() as u32);
                collect(h, n);
            }
            let n = vad_finish(h);
            collect(h, n);
            assert!(vad_level(h) < -20.0 && vad_speaking(h) == 0);
            vad_free(h);
        }
        let want: Vec<_> = expected.iter().map(|s| (s.start_s(), s.end_s())).collect();
        assert_eq!(got, want);
    }
}
