//! The extracting child: `viva internal extract-pdf` reads a PDF on stdin, caps its own memory
//! and CPU time, and writes one JSON answer on stdout, `{"text": "..."}` or
//! `{"error": "Bomb"}` (a [`ResumeError`]). The server side ([`run`]) starts it, feeds it,
//! kills it at the deadline, and reads a death by signal (out of memory aborts; out of CPU
//! time is SIGXCPU, then SIGKILL) as a PDF that unpacks to too much.

use std::io::{Read, Write};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use super::{extract_blocking, ResumeError, MAX_RESUME_BYTES, MAX_TEXT_CHARS};

/// The arguments that make `viva` the extracting child (the command is hidden from --help).
pub const CHILD_ARGS: [&str; 2] = ["internal", "extract-pdf"];
/// Address space the child may map, its binary included (RLIMIT_AS). A resume needs a few
/// tens of MB; past this an allocation fails and the child aborts.
pub const MAX_CHILD_MEMORY: u64 = 1024 * 1024 * 1024;
/// CPU seconds the child may use (RLIMIT_CPU): a backstop behind the server's deadline, for a
/// child the server could no longer kill.
pub const MAX_CHILD_CPU_SECS: u64 = 12;
/// The longest answer read from the child: the text at [`MAX_TEXT_CHARS`] characters of up to
/// four bytes each, with room for JSON escapes.
pub const MAX_ANSWER_BYTES: u64 = (MAX_TEXT_CHARS as u64) * 8 + 1024;
/// The child's exit code when it could not limit itself (it then reads nothing).
const EXIT_NO_LIMITS: u8 = 3;

/// What the child writes on stdout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    Text(String),
    Error(ResumeError),
}

/// [`extract_blocking`] as the child's answer; a parser panic is a malformed file.
pub fn answer_for(bytes: &[u8]) -> Answer {
    match std::panic::catch_unwind(|| extract_blocking(bytes)) {
        Ok(Ok(text)) => Answer::Text(text),
        Ok(Err(e)) => Answer::Error(e),
        Err(_) => Answer::Error(ResumeError::Malformed),
    }
}

/// Reads what the child wrote, given how it ended.
pub fn read_answer(out: &[u8], status: std::process::ExitStatus) -> Result<String, ResumeError> {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        tracing::warn!(
            signal,
            "the PDF reader ran out of memory or CPU time: refused as a bomb"
        );
        return Err(ResumeError::Bomb);
    }
    if status.code() == Some(EXIT_NO_LIMITS.into()) {
        tracing::error!("the PDF reader could not set its memory and CPU limits (setrlimit), so it read nothing; resumes can't be read here");
        return Err(ResumeError::Failed);
    }
    if !status.success() {
        tracing::error!(code = ?status.code(), "the PDF reader failed");
        return Err(ResumeError::Failed);
    }
    match serde_json::from_slice(out) {
        Ok(Answer::Text(text)) => Ok(text),
        Ok(Answer::Error(e)) => Err(e),
        Err(e) => {
            tracing::error!(error = %e, bytes = out.len(), "the PDF reader's answer could not be read");
            Err(ResumeError::Failed)
        }
    }
}

/// `viva internal extract-pdf`: limits itself first, then reads the PDF on stdin and answers
/// on stdout. Nothing else is printed (panics are silent: stderr might be someone's log).
pub fn main() -> ExitCode {
    if limit_resources().is_err() {
        return ExitCode::from(EXIT_NO_LIMITS);
    }
    std::panic::set_hook(Box::new(|_| {}));
    let mut bytes = Vec::new();
    if std::io::stdin()
        .lock()
        .take(MAX_RESUME_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    let Ok(json) = serde_json::to_vec(&answer_for(&bytes)) else {
        return ExitCode::FAILURE;
    };
    let mut out = std::io::stdout().lock();
    if out.write_all(&json).and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Caps the address space and CPU time (never raising a limit already lower), and turns off
/// core dumps: a child aborted at 1 GB must not write one.
#[cfg(unix)]
fn limit_resources() -> std::io::Result<()> {
    let limits = [
        (libc::RLIMIT_CORE, 0, 0),
        (libc::RLIMIT_AS, MAX_CHILD_MEMORY, MAX_CHILD_MEMORY),
        (libc::RLIMIT_CPU, MAX_CHILD_CPU_SECS, MAX_CHILD_CPU_SECS + 1),
    ];
    for (resource, soft, hard) in limits {
        let mut now = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes only the struct it is given, which lives for the call.
        if unsafe { libc::getrlimit(resource, &mut now) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let hard = now.rlim_max.min(hard as libc::rlim_t);
        let new = libc::rlimit {
            rlim_cur: hard.min(soft as libc::rlim_t),
            rlim_max: hard,
        };
        // SAFETY: setrlimit only reads the struct it is given.
        if unsafe { libc::setrlimit(resource, &new) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    // Also keeps core dumps from a pipe handler (systemd-coredump) that ignores RLIMIT_CORE.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes plain integers and touches no memory of ours.
    if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Elsewhere there is no setrlimit: refuse to read unlimited.
#[cfg(not(unix))]
fn limit_resources() -> std::io::Result<()> {
    Err(std::io::Error::other("resource limits need a Unix system"))
}

/// Runs the child on `bytes`: its answer, [`ResumeError::TooSlow`] when it is not done by
/// `deadline` (it is killed and reaped before this returns), [`ResumeError::Failed`] when it
/// could not be run.
#[cfg(not(test))]
pub async fn run(bytes: Vec<u8>, deadline: std::time::Duration) -> Result<String, ResumeError> {
    use std::process::Stdio;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let spawned = crate::process::this_program().and_then(|p| {
        tokio::process::Command::new(p)
            .args(CHILD_ARGS)
            // Nothing of the server's settings (secrets included) reaches the child.
            .env_clear()
            // The binary's allocator (mimalloc, server/src/main.rs) reserves address space a
            // GiB at a time unless told otherwise: more than the child may map in all.
            .env("MIMALLOC_ARENA_RESERVE", "32MiB")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Parser messages may quote the PDF; they stay out of the server's log.
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
    });
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "could not start the PDF reader (viva internal extract-pdf)");
            return Err(ResumeError::Failed);
        }
    };
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill().await;
        tracing::error!("the PDF reader has no stdin or stdout");
        return Err(ResumeError::Failed);
    };
    let talk = async {
        // The child reads everything before it answers; a child that died early is judged
        // by how it ended, so a broken pipe here says nothing new.
        let feed = async move {
            let _ = stdin.write_all(&bytes).await;
        };
        let mut out = Vec::new();
        let mut capped = stdout.take(MAX_ANSWER_BYTES + 1);
        let read = capped.read_to_end(&mut out);
        let ((), read) = tokio::join!(feed, read);
        match read {
            Err(e) => Err(format!("reading its answer: {e}")),
            Ok(_) if out.len() as u64 > MAX_ANSWER_BYTES => {
                Err("its answer is too long".to_string())
            }
            Ok(_) => child
                .wait()
                .await
                .map(|status| (status, out))
                .map_err(|e| format!("waiting for it: {e}")),
        }
    };
    let failure = match tokio::time::timeout(deadline, talk).await {
        Ok(Ok((status, out))) => return read_answer(&out, status),
        Ok(Err(failure)) => failure,
        Err(_) => {
            let _ = child.kill().await;
            return Err(ResumeError::TooSlow);
        }
    };
    let _ = child.kill().await;
    tracing::error!(error = %failure, "the PDF reader failed");
    Err(ResumeError::Failed)
}
