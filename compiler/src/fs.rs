//! File-system adapters for `build.rs` and the command line. The compiler
//! stages never call this: they read through the [`crate::resolve::Reader`]
//! they are given.

use std::path::Path;

/// The contracts of a specs directory: every `.yaml`, `.yml` or `.json`
/// file directly inside it, sorted. Files in subdirectories are shared
/// fragments, reached through `$ref`.
pub fn root_files(dir: &Path) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| [".yaml", ".yml", ".json"].iter().any(|x| n.ends_with(x)))
        .collect();
    files.sort();
    Ok(files)
}

/// A reader of files named relative to `base`. Remote references are not
/// fetched: a build must not depend on the network, nor let a server
/// change the contract.
pub fn reader(base: &Path) -> impl Fn(&str) -> Result<String, String> + '_ {
    move |name: &str| {
        if name.contains("://") || name.starts_with("urn:") {
            return Err(format!(
                "remote reference to {name} is not fetched; keep a copy beside the contract and refer to it by relative path"
            ));
        }
        std::fs::read_to_string(base.join(name)).map_err(|e| e.to_string())
    }
}

/// Compiles every contract of a specs directory, as `build.rs` files do:
/// the output, or every diagnostic as one message naming the directory.
pub fn compile_dir(specs: &Path) -> Result<crate::Output, String> {
    compile_dir_with(specs, &crate::Options::default())
}

/// [`compile_dir`], with options.
pub fn compile_dir_with(specs: &Path, options: &crate::Options) -> Result<crate::Output, String> {
    let files = root_files(specs)?;
    if files.is_empty() {
        return Err(format!(
            "no contract (.yaml, .yml, .json) in {}",
            specs.display()
        ));
    }
    crate::compile_with(&files, &reader(specs), options)
        .map_err(|d| format!("{d}\n(contracts in {})", specs.display()))
}
