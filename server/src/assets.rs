//! The site's static files (wasm, JS glue, CSS, public assets): from the copy embedded in a
//! release binary, or from a directory on disk. Precompressed `.br`/`.gz` versions are served
//! when the browser accepts them.

use std::{borrow::Cow, collections::HashMap, path::PathBuf, sync::Arc};

use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::Response,
};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/site.rs"));
}

#[derive(Clone)]
enum Files {
    Embedded(Arc<HashMap<&'static str, (&'static [u8], String)>>),
    Disk(PathBuf),
}

#[derive(Clone)]
pub struct Site {
    files: Files,
    /// The directory of the browser bundle under `pkg/` (the glue, the main module, the lazy
    /// pages' modules and the loader that fetches them): `.ci/build` names it by its content.
    /// Found once, when the site is chosen.
    bundle: Option<String>,
}

impl Site {
    /// The embedded copy when the binary has one and no directory is given, else the directory.
    pub fn choose(site_root: Option<PathBuf>) -> Site {
        let files = match site_root {
            Some(dir) => Files::Disk(dir),
            None if !embedded::SITE_FILES.is_empty() => Files::Embedded(Arc::new(
                embedded::SITE_FILES
                    .iter()
                    .map(|(p, b)| (*p, (*b, etag(b))))
                    .collect(),
            )),
            None => Files::Disk(
                std::env::var("LEPTOS_SITE_ROOT")
                    .map(PathBuf::from)
                    .unwrap_or_else(|_| "target/site".into()),
            ),
        };
        let bundle = match &files {
            Files::Embedded(files) => files.keys().find_map(|k| {
                k.strip_prefix("pkg/")
                    .and_then(|r| r.strip_suffix("/viva.js"))
                    .filter(|d| !d.is_empty() && !d.contains('/'))
                    .map(str::to_string)
            }),
            Files::Disk(dir) => std::fs::read_dir(dir.join("pkg"))
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .filter(|e| e.path().join("viva.js").is_file())
                .find_map(|e| e.file_name().to_str().map(str::to_string)),
        };
        Site { files, bundle }
    }

    pub fn describe(&self) -> String {
        match &self.files {
            Files::Embedded(files) => format!("embedded ({} files)", files.len()),
            Files::Disk(dir) => format!("from {}", dir.display()),
        }
    }

    /// The URLs pages use for the style sheet and the bundle. The style sheet is versioned by
    /// its content (`?v=HASH`) when the site is built in; the bundle's directory is named by
    /// its content. Either is then kept by browsers for a year.
    pub fn asset_urls(&self) -> app::shell::AssetUrls {
        let plain = app::shell::AssetUrls::default();
        let in_bundle = |file: &str| match &self.bundle {
            Some(dir) => format!("/pkg/{dir}/{file}"),
            None => format!("/pkg/{file}"),
        };
        let css = match &self.files {
            Files::Embedded(files) => match files.get(plain.css.trim_start_matches('/')) {
                Some((_, tag)) => format!("{}?v={tag}", plain.css),
                None => plain.css,
            },
            Files::Disk(_) => plain.css,
        };
        app::shell::AssetUrls {
            css,
            js: in_bundle("viva.js"),
            wasm: in_bundle("viva.wasm"),
            modules: self
                .split_manifest()
                .into_iter()
                .map(|(name, files)| {
                    let urls = files
                        .iter()
                        .map(|f| in_bundle(&format!("{f}.wasm")))
                        .collect();
                    (name, urls)
                })
                .collect(),
        }
    }

    /// The bundle's lazy modules (`__wasm_split_manifest.json`, written by `.ci/bundle`): for
    /// each split point, the files it loads. Empty without a split bundle.
    fn split_manifest(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let Some(dir) = &self.bundle else {
            return Default::default();
        };
        let rel = format!("pkg/{dir}/__wasm_split_manifest.json");
        let text = match &self.files {
            Files::Embedded(files) => files.get(rel.as_str()).map(|(b, _)| b.to_vec()),
            Files::Disk(root) => std::fs::read(root.join(&rel)).ok(),
        };
        text.and_then(|t| serde_json::from_slice(&t).ok())
            .unwrap_or_default()
    }

    /// Whether the wasm bundle is there to hydrate pages (`.ci/build` puts it in a directory
    /// of its own; `cargo leptos` straight in `pkg/`).
    pub fn has_bundle(&self) -> bool {
        self.bundle.is_some()
            || match &self.files {
                Files::Embedded(f) => f.contains_key("pkg/viva.wasm"),
                Files::Disk(dir) => dir.join("pkg/viva.wasm").is_file(),
            }
    }

    async fn read(&self, rel: &str) -> Option<(Cow<'static, [u8]>, Option<String>)> {
        match &self.files {
            Files::Embedded(files) => files
                .get(rel)
                .map(|(b, tag)| (Cow::Borrowed(*b), Some(tag.clone()))),
            Files::Disk(dir) => tokio::fs::read(dir.join(rel))
                .await
                .ok()
                .map(|b| (Cow::Owned(b), None)),
        }
    }

    /// Answers a GET for `path`, or None when there is no such file (the caller renders 404).
    /// A file of the bundle's directory, or `?v=HASH` naming the file's current content (see
    /// [`Site::asset_urls`]), makes the answer cacheable for a year; anything else is
    /// revalidated on each use.
    pub async fn serve(
        &self,
        path: &str,
        query: Option<&str>,
        req_headers: &HeaderMap,
    ) -> Option<Response> {
        let rel = path.trim_start_matches('/');
        if rel.is_empty()
            || rel
                .split('/')
                .any(|seg| seg == ".." || seg.starts_with('.'))
            || rel.contains('\\')
        {
            return None;
        }
        let accept = req_headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let accepts = |enc: &str| {
            accept
                .split(',')
                .any(|p| p.trim().split(';').next() == Some(enc))
        };
        let mut chosen = None;
        for (enc, ext) in [("br", ".br"), ("gzip", ".gz")] {
            if accepts(enc) {
                if let Some(found) = self.read(&format!("{rel}{ext}")).await {
                    chosen = Some((found, Some(enc)));
                    break;
                }
            }
        }
        let ((bytes, tag), encoding) = match chosen {
            Some(c) => c,
            None => (self.read(rel).await?, None),
        };
        let mime = mime_guess::from_path(rel).first_or_octet_stream();
        let in_bundle = self.bundle.as_deref().is_some_and(|dir| {
            rel.strip_prefix("pkg/")
                .and_then(|r| r.strip_prefix(dir))
                .is_some_and(|r| r.starts_with('/'))
        });
        let versioned = in_bundle
            || match (&tag, query.and_then(|q| q.strip_prefix("v="))) {
                (Some(t), Some(v)) => t == v,
                _ => false,
            };
        let mut res = Response::builder()
            .header(header::CONTENT_TYPE, mime.as_ref())
            .header(header::VARY, "Accept-Encoding")
            .header(
                header::CACHE_CONTROL,
                if versioned {
                    // This URL names this content: it never changes.
                    IMMUTABLE
                } else {
                    // Revalidate each time (cheap with the ETag).
                    "no-cache"
                },
            );
        if let Some(enc) = encoding {
            res = res.header(header::CONTENT_ENCODING, enc);
        }
        if let Some(tag) = tag {
            let tag = format!("\"{tag}-{}\"", encoding.unwrap_or("id"));
            if req_headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                == Some(tag.as_str())
            {
                return res
                    .status(StatusCode::NOT_MODIFIED)
                    .header(header::ETAG, tag)
                    .body(Body::empty())
                    .ok();
            }
            res = res.header(header::ETAG, HeaderValue::from_str(&tag).ok()?);
        }
        let body = match bytes {
            Cow::Borrowed(b) => Body::from(b),
            Cow::Owned(v) => Body::from(v),
        };
        res.body(body).ok()
    }
}

/// Cache-Control of a file asked for by its versioned URL.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn etag(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_on_disk_names_its_bundle_and_its_lazy_modules() {
        let root = tempfile::tempdir().unwrap();
        let bundle = root.path().join("pkg/0123abcd");
        std::fs::create_dir_all(&bundle).unwrap();
        std::fs::write(bundle.join("viva.js"), "").unwrap();
        std::fs::write(
            bundle.join("__wasm_split_manifest.json"),
            r#"{"public_page": ["chunk_5", "split_public_page"], "member_page": ["chunk_5"]}"#,
        )
        .unwrap();
        let urls = Site::choose(Some(root.path().into())).asset_urls();
        assert_eq!(urls.js, "/pkg/0123abcd/viva.js");
        assert_eq!(
            urls.modules["public_page"],
            [
                "/pkg/0123abcd/chunk_5.wasm",
                "/pkg/0123abcd/split_public_page.wasm"
            ]
        );
        assert_eq!(urls.modules.len(), 2);
        // Without a manifest (a bundle that is not split), no module to fetch ahead.
        std::fs::remove_file(bundle.join("__wasm_split_manifest.json")).unwrap();
        assert!(Site::choose(Some(root.path().into()))
            .asset_urls()
            .modules
            .is_empty());
    }
}
