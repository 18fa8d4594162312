//! `douanec`: the contract compiler's command line, over the same library
//! the build uses.

use std::path::PathBuf;
use std::process::ExitCode;

use douane_compiler::diag::Diagnostics;

const HELP: &str = "\
douanec — Douane's contract compiler

USAGE:
    douanec check   <SPEC>...   report every problem in the contracts (exit 1 on error)
    douanec surface <SPEC>...   print the contract surface: what the gateway enforces
    douanec generate <SPEC>...  print the generated Rust code

SPEC is a contract file (OpenAPI 3.0/3.1, YAML or JSON) or a directory, of
which every .yaml/.yml/.json file directly inside is a contract (files in
subdirectories are shared fragments reached through $ref).

OPTIONS:
    --allow-unenforced KINDS   let these constraints pass unenforced, each
                               with a warning, instead of failing: a comma-
                               separated list of parameter-serialisation,
                               pattern, route-conflict, request-body, or all
                               (default: $DOUANE_ALLOW_UNENFORCED, else none;
                               a contract may allow more itself with
                               x-douane-allow-unenforced)
";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut args = std::env::args_os().skip(1);
    let command = args
        .next()
        .and_then(|a| a.into_string().ok())
        .unwrap_or_default();
    if matches!(command.as_str(), "" | "-h" | "--help" | "help") {
        print!("{HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut options = douane_compiler::Options::from_env()?;
    let mut paths: Vec<PathBuf> = Vec::new();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        let kinds = if let Some(kinds) = text.strip_prefix("--allow-unenforced=") {
            Some(kinds.to_owned())
        } else if text == "--allow-unenforced" {
            let value = args
                .next()
                .ok_or("--allow-unenforced needs a list of kinds")?;
            Some(value.to_string_lossy().into_owned())
        } else {
            None
        };
        match kinds {
            Some(kinds) => {
                options.allow_unenforced = douane_compiler::ir::Unenforced::parse(&kinds)
                    .map_err(|e| format!("--allow-unenforced: {e}"))?;
            }
            None => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        return Err(format!(
            "{command}: give at least one contract file or directory\n\n{HELP}"
        ));
    }
    let (base, files) = root_files(&paths)?;
    let reader = douane_compiler::fs::reader(&base);
    match command.as_str() {
        "check" => match douane_compiler::lower_with(&files, &reader, &options) {
            Ok(apis) => {
                for w in apis.iter().flat_map(|a| &a.warnings) {
                    eprintln!("{w}");
                }
                let ops: usize = apis.iter().map(|a| a.operations.len()).sum();
                eprintln!("ok: {} API(s), {ops} operation(s)", apis.len());
                Ok(ExitCode::SUCCESS)
            }
            Err(d) => Ok(report(&d)),
        },
        "surface" => match douane_compiler::lower_with(&files, &reader, &options) {
            Ok(apis) => {
                for api in &apis {
                    println!("{}", douane_compiler::surface::render(api));
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(d) => Ok(report(&d)),
        },
        "generate" => match douane_compiler::compile_with(&files, &reader, &options) {
            Ok(out) => {
                for w in &out.warnings {
                    eprintln!("{w}");
                }
                print!("{}", out.code);
                Ok(ExitCode::SUCCESS)
            }
            Err(d) => Ok(report(&d)),
        },
        other => Err(format!("unknown command \"{other}\"\n\n{HELP}")),
    }
}

fn report(d: &Diagnostics) -> ExitCode {
    eprintln!("{d}");
    ExitCode::FAILURE
}

/// The directory file names are relative to, and the root contracts.
fn root_files(paths: &[PathBuf]) -> Result<(PathBuf, Vec<String>), String> {
    let mut files = Vec::new();
    let base = match paths {
        [dir] if dir.is_dir() => {
            files = douane_compiler::fs::root_files(dir)?;
            dir.clone()
        }
        _ => {
            for p in paths {
                if p.is_dir() {
                    return Err(format!(
                        "{}: give either one directory or contract files",
                        p.display()
                    ));
                }
                files.push(p.to_string_lossy().into_owned());
            }
            PathBuf::from(".")
        }
    };
    Ok((base, files))
}
