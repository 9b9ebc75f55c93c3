//! The WAV reader (`voice::wav`): every upload of a speech segment and every recording goes
//! through it. Any bytes must give audio or a `WavError`, never a panic; what it accepts must
//! be self-consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voice::wav;

fuzz_target!(|data: &[u8]| {
    let info = wav::info(data);
    match wav::decode(data) {
        Ok(audio) => {
            let info = info.expect("decode accepted what info refused");
            assert_eq!(audio.rate, info.rate);
            assert_eq!(audio.samples.len(), info.frames);
            assert!(audio.samples.iter().all(|s| (-1.0..=1.0).contains(s)));
            let (kept, bytes) = wav::canonical(data).expect("canonical refused a decodable file");
            assert_eq!(kept, info);
            // The canonical file reads back as the same audio.
            assert_eq!(wav::decode(&bytes).as_ref(), Ok(&audio));
        }
        Err(e) => {
            assert_eq!(info, Err(e.clone()));
            assert!(!e.to_string().is_empty());
        }
    }
});
