//! Compiles GitHub's REST contract (`$DOUANE_GITHUB_SPEC`, by default the
//! copy that `npm install @octokit/openapi@23.0.2` puts in the corpus cache)
//! into `$OUT_DIR/contract.rs`, as `generated/build.rs` does for `specs/`.
//! The API is named `github` whatever the file is called.

use std::path::{Path, PathBuf};

const DEFAULT_SPEC: &str =
    "/root/.cache/douane-corpus/npm/node_modules/@octokit/openapi/generated/api.github.com.json";

fn main() {
    println!("cargo:rerun-if-env-changed=DOUANE_GITHUB_SPEC");
    let spec = std::env::var_os("DOUANE_GITHUB_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SPEC));
    println!("cargo:rerun-if-changed={}", spec.display());
    let spec = std::fs::canonicalize(&spec)
        .unwrap_or_else(|e| fail(&format!("{}: {e} (set DOUANE_GITHUB_SPEC or run run.sh)", spec.display())));
    let dir = spec.parent().unwrap_or(Path::new("/")).to_path_buf();
    // `github.json` is the root file; any other name is read beside it.
    let read_dir = douane_compiler::fs::reader(&dir);
    let reader = |name: &str| -> Result<String, String> {
        if name == "github.json" {
            std::fs::read_to_string(&spec).map_err(|e| format!("{}: {e}", spec.display()))
        } else {
            read_dir(name)
        }
    };
    let output = douane_compiler::compile(&["github.json".to_owned()], &reader)
        .unwrap_or_else(|d| fail(&format!("{d}\n(contract {})", spec.display())));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("contract.rs"), &output.code)
        .unwrap_or_else(|e| fail(&format!("{}: {e}", out.display())));
    // The test and the benchmark read the parameters' schemas from the spec.
    println!("cargo:rustc-env=DOUANE_GITHUB_SPEC_PATH={}", spec.display());
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}
