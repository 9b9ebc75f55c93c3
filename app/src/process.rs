//! This program as a child process of itself: the PDF extractor (`interview::resume::child`) and
//! the embedded store's log recovery after a crash (`viva internal recover-store`, the server).

/// The program to start as a child process: this very binary (on Linux through
/// /proc/self/exe, which still works after the file was replaced by an upgrade).
pub fn this_program() -> std::io::Result<std::path::PathBuf> {
    if cfg!(target_os = "linux") {
        Ok("/proc/self/exe".into())
    } else {
        std::env::current_exe()
    }
}
