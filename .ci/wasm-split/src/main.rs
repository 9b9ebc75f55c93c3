//! `viva-wasm-split INPUT.wasm OUT_DIR MAIN_OUT.wasm`: splits a wasm module built with
//! `-C link-arg=--emit-relocs` at its `#[lazy]` split points. Writes the chunks and the
//! loader (`__wasm_split.______________________.js`, imported by the wasm-bindgen glue) to
//! OUT_DIR, the main module to MAIN_OUT.wasm (for wasm-bindgen `--keep-lld-exports`), and
//! `__wasm_split_manifest.json` (which chunks each split needs) to OUT_DIR.

use std::{path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, main_out] = args.as_slice() else {
        eprintln!("usage: viva-wasm-split INPUT.wasm OUT_DIR MAIN_OUT.wasm");
        return ExitCode::from(2);
    };
    let wasm = match std::fs::read(input) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("viva-wasm-split: cannot read {input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out_dir = PathBuf::from(out_dir);
    let main_out = PathBuf::from(main_out);
    let mut opts = wasm_split_cli_support::Options::new(&wasm);
    opts.output_dir = &out_dir;
    opts.main_out_path = &main_out;
    // The glue wasm-bindgen writes next to the chunks, and the loader's name it imports.
    opts.main_module = "./viva.js";
    opts.link_name = "./__wasm_split.______________________.js";
    let split = match wasm_split_cli_support::transform(opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("viva-wasm-split: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let manifest = serde_json::to_string_pretty(&split.prefetch_map).expect("a map of strings");
    if let Err(e) = std::fs::write(out_dir.join("__wasm_split_manifest.json"), manifest) {
        eprintln!("viva-wasm-split: cannot write the manifest: {e}");
        return ExitCode::FAILURE;
    }
    for m in &split.split_modules {
        println!("{}", m.display());
    }
    ExitCode::SUCCESS
}
