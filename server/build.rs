//! Embeds the built site (wasm, JS glue, CSS, public assets and their .br/.gz versions) into
//! release builds of `viva`, so that the one binary is a complete install. `.ci/build` builds
//! the site (with its .br/.gz copies) before the server. Debug builds
//! embed nothing and serve the site from disk.

use std::{
    env, fs,
    io::Write,
    path::{Path, PathBuf},
};

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("site.rs");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let site_root = env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let site_root = manifest.parent().unwrap().join(site_root);
    println!("cargo:rerun-if-env-changed=LEPTOS_SITE_ROOT");
    println!("cargo:rerun-if-env-changed=VIVA_EMBED_SITE");
    println!("cargo:rerun-if-changed={}", site_root.display());

    let release = env::var("PROFILE").map(|p| p == "release").unwrap_or(false);
    let wanted = env::var("VIVA_EMBED_SITE")
        .map(|v| v != "0")
        .unwrap_or(release);
    let mut files = Vec::new();
    if wanted && site_root.join("pkg").is_dir() {
        collect(&site_root, &site_root, &mut files);
        files.sort();
    }
    let mut f = fs::File::create(&out).unwrap();
    writeln!(
        f,
        "/// Files of the built site, by path relative to the site root."
    )
    .unwrap();
    writeln!(f, "pub static SITE_FILES: &[(&str, &[u8])] = &[").unwrap();
    for (rel, abs) in &files {
        writeln!(f, "    ({rel:?}, include_bytes!({abs:?})),").unwrap();
    }
    writeln!(f, "];").unwrap();
    if wanted && files.is_empty() {
        println!("cargo:warning=no built site at {} to embed; the binary will serve the site from disk (--site-root)", site_root.display());
        // A path that never exists: cargo runs this script again on every build until a site
        // is embedded (a site put in place later may carry file times older than this run).
        println!(
            "cargo:rerun-if-changed={}",
            site_root.join(".not-embedded-yet").display()
        );
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out);
        } else if p.to_string_lossy().contains(".d.ts") {
            // TypeScript declarations: of no use to a browser.
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push((
                rel.to_string_lossy().replace('\\', "/"),
                p.display().to_string(),
            ));
        }
    }
}
