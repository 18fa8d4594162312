//! Compiles the test contracts of `tests/specs/` into `$OUT_DIR/contract.rs`,
//! exactly as `generated/build.rs` does for the demo contracts, and those of
//! `tests/specs-secure/` (every security scheme) into
//! `$OUT_DIR/secure_contract.rs`, a gateway of their own that needs a
//! consumer registry and token settings to start.

use std::path::PathBuf;

fn main() {
    compile("specs", "contract.rs");
    compile("specs-secure", "secure_contract.rs");
}

fn compile(dir: &str, file: &str) {
    let specs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    // A directory is rescanned recursively, shared fragments included.
    println!("cargo:rerun-if-changed={}", specs.display());

    let output = douane_compiler::fs::compile_dir(&specs).unwrap_or_else(|e| fail(&e));
    for w in &output.warnings {
        println!("cargo:warning={w}");
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join(file);
    std::fs::write(&out, output.code).unwrap_or_else(|e| fail(&format!("{}: {e}", out.display())));
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}
