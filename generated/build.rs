//! Compiles every contract of the specs directory into `$OUT_DIR/contract.rs`.
//!
//! The directory is `specs/` at the workspace root, or `$DOUANE_SPECS` to
//! build the gateway for other contracts without editing the repository.
//! Any error in a contract fails the build with its diagnostics.
//! `DOUANE_ALLOW_UNENFORCED` lets kinds of constraints the gateway cannot
//! enforce pass with a warning instead (see `douanec --help`).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=DOUANE_SPECS");
    println!("cargo:rerun-if-env-changed=DOUANE_ALLOW_UNENFORCED");
    let specs = match std::env::var_os("DOUANE_SPECS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs"),
    };
    // A directory is rescanned recursively, shared fragments included.
    println!("cargo:rerun-if-changed={}", specs.display());

    let options = douane_compiler::Options::from_env().unwrap_or_else(|e| fail(&e));
    let output =
        douane_compiler::fs::compile_dir_with(&specs, &options).unwrap_or_else(|e| fail(&e));
    for w in &output.warnings {
        println!("cargo:warning={w}");
    }
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("contract.rs");
    std::fs::write(&out, output.code).unwrap_or_else(|e| fail(&format!("{}: {e}", out.display())));
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}
