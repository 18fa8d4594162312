//! Douane's contract compiler: OpenAPI documents in, Rust routing and
//! validation code out, plus the human-readable contract surface.
//!
//! A pure library: the caller reads files (see [`resolve::Reader`]) and
//! writes the output. The stages, in order:
//! [`load`] → [`resolve`] → [`lower`] → [`ir`] → [`check`] → [`emit`]
//! (and [`surface`], which renders the IR for reviewers).

pub mod check;
mod dfa;
pub mod diag;
pub mod emit;
pub mod fs;
pub mod ir;
pub mod load;
pub mod lower;
mod mock;
mod pattern;
pub mod resolve;
pub mod surface;
mod swagger2;
mod uri;

use diag::{Diagnostic, Diagnostics, Severity};
use resolve::{Reader, Workspace};

/// One compiled API, ready to be written and reviewed.
#[derive(Debug, Clone)]
pub struct ApiOutput {
    pub name: String,
    /// Root file, as given.
    pub source: String,
    /// Formatted Rust module for this API (the snapshot reviewers see).
    pub code: String,
    /// The contract surface.
    pub surface: String,
}

/// The result of a successful compilation.
#[derive(Debug, Clone)]
pub struct Output {
    pub apis: Vec<ApiOutput>,
    /// The whole generated file: every module and the `CONTRACT` table.
    pub code: String,
    /// Warnings (the build succeeds; the surface lists them too).
    pub warnings: Vec<Diagnostic>,
}

/// The API name of a root file: its stem (`specs/petstore.yaml` → `petstore`).
pub fn api_name(file: &str) -> String {
    let base = file.rsplit('/').next().unwrap_or(file);
    base.split('.').next().unwrap_or(base).to_owned()
}

/// How the build treats what it cannot enforce.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// What may pass unenforced (with a warning) instead of failing the
    /// build; each document may allow more.
    pub allow_unenforced: ir::Unenforced,
}

impl Options {
    /// The build's options from the environment: `DOUANE_ALLOW_UNENFORCED`
    /// (a comma-separated list of [`ir::Unenforced::KINDS`], or `all`).
    pub fn from_env() -> Result<Options, String> {
        let allow_unenforced = match std::env::var("DOUANE_ALLOW_UNENFORCED") {
            Ok(list) => {
                ir::Unenforced::parse(&list).map_err(|e| format!("DOUANE_ALLOW_UNENFORCED: {e}"))?
            }
            Err(_) => ir::Unenforced::default(),
        };
        Ok(Options { allow_unenforced })
    }
}

/// Lowers and checks the root documents `files` (names passed to `reader`),
/// reporting every problem found.
pub fn lower(files: &[String], reader: &Reader<'_>) -> Result<Vec<ir::Api>, Diagnostics> {
    lower_with(files, reader, &Options::default())
}

/// [`lower`], with options.
pub fn lower_with(
    files: &[String],
    reader: &Reader<'_>,
    options: &Options,
) -> Result<Vec<ir::Api>, Diagnostics> {
    let mut ws = Workspace::new(reader);
    let mut apis = Vec::new();
    let mut diags = Vec::new();
    let mut names = Vec::<String>::new();
    for file in files {
        let name = api_name(file);
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid || names.contains(&name) {
            diags.push(Diagnostic {
                severity: Severity::Error,
                file: file.clone(),
                line: None,
                pointer: String::new(),
                message: format!("API name \"{name}\" (the file stem) must be unique, start with a lowercase letter and use only a-z, 0-9, - and _"),
            });
            continue;
        }
        names.push(name.clone());
        let (api, mut found) = lower::lower_api(&mut ws, &name, file, options.allow_unenforced);
        if let Some(mut api) = api {
            api.warnings = found
                .iter()
                .filter(|d| d.severity == Severity::Warning)
                .cloned()
                .collect();
            api.warnings.sort();
            api.warnings.dedup();
            apis.push(api);
        }
        diags.append(&mut found);
    }
    diags.extend(check::check(&mut apis));
    if diags.iter().any(|d| d.severity == Severity::Error) {
        diags.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.cmp(b)));
        diags.dedup();
        return Err(Diagnostics(diags));
    }
    Ok(apis)
}

/// Compiles a standalone JSON Schema into a module named `module` exposing
/// `pub fn validate(v: &douane_runtime::json::Value, out: &mut Violations) -> bool`.
/// `root` names the schema: a file read through `reader` (`tree.json`), or
/// a node inside one (`petstore.yaml#/components/schemas/Pet`).
pub fn compile_schema(
    module: &str,
    root: &str,
    options: &lower::SchemaOptions,
    reader: &Reader<'_>,
) -> Result<String, Diagnostics> {
    let mut ws = Workspace::new(reader);
    let (file, pointer) = root.split_once('#').unwrap_or((root, ""));
    let loc = resolve::Loc {
        file: std::rc::Rc::from(file),
        pointer: pointer.to_owned(),
    };
    let (lowered, mut diags) = lower::lower_schema(&mut ws, &loc, options);
    if let Some((schemas, _)) = &lowered {
        diags.extend(check::schema_loops(schemas));
    }
    match lowered {
        Some((schemas, id)) if !diags.iter().any(|d| d.severity == Severity::Error) => {
            Ok(emit::schema_module(module, root, &schemas, id))
        }
        _ => {
            diags.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.cmp(b)));
            diags.dedup();
            Err(Diagnostics(diags))
        }
    }
}

/// Compiles the root documents `files` into Rust code.
pub fn compile(files: &[String], reader: &Reader<'_>) -> Result<Output, Diagnostics> {
    compile_with(files, reader, &Options::default())
}

/// [`compile`], with options.
pub fn compile_with(
    files: &[String],
    reader: &Reader<'_>,
    options: &Options,
) -> Result<Output, Diagnostics> {
    let apis = lower_with(files, reader, options)?;
    // Each module is emitted and formatted once (the largest contracts
    // spend most of their generation time there).
    let outputs: Vec<ApiOutput> = apis
        .iter()
        .map(|api| ApiOutput {
            name: api.name.clone(),
            source: api.source.clone(),
            code: emit::api_module(api),
            surface: surface::render(api),
        })
        .collect();
    let modules: Vec<String> = outputs.iter().map(|o| o.code.clone()).collect();
    Ok(Output {
        code: emit::contract_file(&apis, &modules),
        apis: outputs,
        warnings: apis
            .iter()
            .flat_map(|a| a.warnings.iter().cloned())
            .collect(),
    })
}
