//! The browser bundle's build tool (`.ci/build` runs it):
//!
//! - `viva-bundle split INPUT.wasm OUT_DIR MAIN_OUT.wasm` splits a wasm module built with
//!   `-C link-arg=--emit-relocs` at its `#[lazy]` split points. It writes the chunks and the
//!   loader (`__wasm_split.______________________.js`, imported by the glue) to OUT_DIR, the
//!   main module to MAIN_OUT.wasm, and `__wasm_split_manifest.json` (which chunks each split
//!   needs) to OUT_DIR.
//! - `viva-bundle bindgen MAIN.wasm OUT_DIR` writes the main module's JavaScript glue
//!   (`viva.js`, for the browser's ES modules) and its bound module (`viva_bg.wasm`) to
//!   OUT_DIR: what `wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle
//!   --out-name viva` does.

use std::{path::PathBuf, process::ExitCode};

/// The glue's name: the loader imports `./viva.js`, the page loads `viva.js`.
const GLUE_NAME: &str = "viva";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let done = match args.as_slice() {
        ["split", input, out_dir, main_out] => split(input, out_dir, main_out),
        ["bindgen", input, out_dir] => bindgen(input, out_dir),
        _ => {
            eprintln!(
                "usage: viva-bundle split INPUT.wasm OUT_DIR MAIN_OUT.wasm\n       viva-bundle bindgen MAIN.wasm OUT_DIR"
            );
            return ExitCode::from(2);
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("viva-bundle: {e}");
            ExitCode::FAILURE
        }
    }
}

fn split(input: &str, out_dir: &str, main_out: &str) -> Result<(), String> {
    let wasm = std::fs::read(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    let out_dir = PathBuf::from(out_dir);
    let main_out = PathBuf::from(main_out);
    let mut opts = wasm_split_cli_support::Options::new(&wasm);
    opts.output_dir = &out_dir;
    opts.main_out_path = &main_out;
    // The glue written by `bindgen` next to the chunks, and the loader's name it imports.
    let main_module = format!("./{GLUE_NAME}.js");
    opts.main_module = &main_module;
    opts.link_name = "./__wasm_split.______________________.js";
    let split = wasm_split_cli_support::transform(opts).map_err(|e| format!("{e:#}"))?;
    // In a stable order: the bundle's directory is named by the hash of its files.
    let prefetch: std::collections::BTreeMap<_, _> = split.prefetch_map.iter().collect();
    let manifest = serde_json::to_string_pretty(&prefetch)
        .map_err(|e| format!("cannot write the manifest: {e}"))?;
    std::fs::write(out_dir.join("__wasm_split_manifest.json"), manifest)
        .map_err(|e| format!("cannot write the manifest: {e}"))?;
    for m in &split.split_modules {
        println!("{}", m.display());
    }
    Ok(())
}

fn bindgen(input: &str, out_dir: &str) -> Result<(), String> {
    let mut b = wasm_bindgen_cli_support::Bindgen::new();
    b.input_path(input)
        .web(true)
        .map_err(|e| format!("{e:#}"))?
        .typescript(false)
        // The split chunks call the main module's own functions by their linker names.
        .keep_lld_exports(true)
        .demangle(false)
        // As the CLI does: `init()` with no argument fetches `viva_bg.wasm` beside the glue.
        .omit_default_module_path(false)
        .out_name(GLUE_NAME);
    b.generate(out_dir)
        .map_err(|e| format!("wasm-bindgen on {input}: {e:#}"))
}
