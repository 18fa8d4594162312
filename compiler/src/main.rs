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
    let paths: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if matches!(command.as_str(), "" | "-h" | "--help" | "help") {
        print!("{HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    if paths.is_empty() {
        return Err(format!(
            "{command}: give at least one contract file or directory\n\n{HELP}"
        ));
    }
    let (base, files) = root_files(&paths)?;
    let reader = douane_compiler::fs::reader(&base);
    match command.as_str() {
        "check" => match douane_compiler::lower(&files, &reader) {
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
        "surface" => match douane_compiler::lower(&files, &reader) {
            Ok(apis) => {
                for api in &apis {
                    println!("{}", douane_compiler::surface::render(api));
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(d) => Ok(report(&d)),
        },
        "generate" => match douane_compiler::compile(&files, &reader) {
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
