//! The resume PDF path before text extraction (`app::interview::resume`'s checks): the byte
//! checks, the raw zlib-stream count, lopdf's parse and the decoded-size count — all that the
//! extracting child runs before pdf-extract. Any bytes must end in a `ResumeError` or a parsed
//! document whose streams decode to at most the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use viva_fuzz::resume::{self, ResumeError, MAX_UNPACKED_BYTES};

fuzz_target!(|data: &[u8]| {
    let by_bytes = resume::check_bytes(data);
    if let Ok(n) = resume::check_unpacked_size(data) {
        assert!(n <= MAX_UNPACKED_BYTES);
    }
    match resume::load(data) {
        Ok(doc) => {
            assert_eq!(by_bytes, Ok(()));
            let n = resume::check_decoded_size(&doc).expect("load passed a bomb");
            assert!(n <= MAX_UNPACKED_BYTES);
        }
        Err(e) => {
            if let Err(first) = by_bytes {
                assert_eq!(e, first, "the byte checks come first");
            }
            assert!(!e.to_string().is_empty());
            assert_ne!(e, ResumeError::Failed);
        }
    }
});
