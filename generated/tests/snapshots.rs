//! The contract review: one snapshot of the generated code and one of the
//! contract surface per spec in `specs/`, discovered by listing the
//! directory. A contract change shows up as a snapshot diff, accepted with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test`).
//!
//! The code snapshotted here is the code this crate compiles: `build.rs`
//! runs the same compiler over the same files.

use std::path::{Path, PathBuf};

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs")
}

fn snapshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn compile() -> douane_compiler::Output {
    douane_compiler::fs::compile_dir(&specs_dir()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn generated_code_and_surface() {
    let output = compile();
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for api in &output.apis {
            insta::assert_snapshot!(format!("{}.code", api.name), api.code);
            insta::assert_snapshot!(format!("{}.surface", api.name), api.surface);
        }
    });
}

/// A snapshot whose spec is gone must go too (CI rejects stale snapshots).
#[test]
fn no_unreferenced_snapshots() {
    let output = compile();
    let expected: Vec<String> = output
        .apis
        .iter()
        .flat_map(|a| {
            [
                format!("{}.code.snap", a.name),
                format!("{}.surface.snap", a.name),
            ]
        })
        .collect();
    let Ok(entries) = std::fs::read_dir(snapshots_dir()) else {
        return;
    };
    let stale: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".snap") && !expected.contains(n))
        .collect();
    assert!(
        stale.is_empty(),
        "snapshots without a spec (delete them): {stale:?}"
    );
}
