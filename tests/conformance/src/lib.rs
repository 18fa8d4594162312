//! The official JSON-Schema-Test-Suite run against validators compiled by
//! douane-compiler, and the record of where Douane stands on it.
//!
//! `build.rs` hands every selected group's schema to
//! [`douane_compiler::compile_schema`] and writes one module per compiled
//! group plus the [`CASES`] table into `OUT_DIR`. Each test's instance is
//! embedded as the suite wrote it and parsed at run time with
//! [`douane_runtime::json::parse`], exactly as a request body would be.
//!
//! # What is run
//!
//! | part ([`Part`]) | suite files | compiled as |
//! | --- | --- | --- |
//! | [`DRAFT2020_12`] (required) | `draft2020-12/*.json` | OpenAPI 3.1, formats not asserted (2020-12 makes `format` an annotation) |
//! | [`OPTIONAL_FORMAT`] | `draft2020-12/optional/format/*.json` | OpenAPI 3.1, formats asserted |
//! | [`OPTIONAL_ECMASCRIPT_REGEX`] | `draft2020-12/optional/ecmascript-regex.json` | OpenAPI 3.1 (recorded, not required) |
//! | [`OPTIONAL_BIGNUM`] | `draft2020-12/optional/bignum.json` | OpenAPI 3.1 (recorded, not required) |
//! | [`DRAFT4_OPENAPI30`] | `draft4/*.json` but the files below | OpenAPI 3.0, formats asserted (as the gateway does) |
//!
//! Draft 4 files left out, because OpenAPI 3.0 Schema Objects do not have
//! their keyword: `additionalItems.json`, `dependencies.json`,
//! `patternProperties.json`, and `definitions.json` (it only validates
//! schemas against the draft 4 meta-schema). Other keywords 3.0 lacks
//! (`id`, `$schema`, type arrays, tuple `items`) appear inside files that
//! are otherwise relevant: those groups are simply refused by the compiler.
//!
//! A group whose schema the compiler refuses is *refused*: its tests count
//! as refused, with the first error diagnostic as the reason. An instance
//! the runtime parser rejects counts as judged invalid (the gateway would
//! reject the request); a validator that panics fails the test.
//!
//! # Expected results
//!
//! Each part's failing tests (`suite/file/group/test`, sorted, one per
//! line) and refused groups (`suite/file/group | reason`) are checked in as
//! `expected/<part>.failures.txt` and `expected/<part>.refused.txt`.
//! [`check`] fails when today's results differ in either direction: a test
//! that starts failing is a regression, and a listed test that now passes
//! must be removed from the list, which is how progress is recorded.
//!
//! Set `DOUANE_BLESS=1` to rewrite the expected files from today's results
//! instead of failing (like insta's update mode), then review the diff:
//!
//! ```text
//! DOUANE_BLESS=1 cargo test -p douane-conformance
//! git diff tests/conformance/expected
//! ```

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use douane_runtime::json::Value;
use douane_runtime::validate::Violations;

/// A compiled validator: `validate` of a generated group module.
pub type Validator = fn(&Value<'_>, &mut Violations) -> bool;

/// One group of the suite: a schema and the instances tested against it.
#[derive(Debug)]
pub struct Case {
    /// The suite folder: `draft2020-12`, `draft2020-12/optional/format`, …
    pub suite: &'static str,
    /// The file inside `suite`, e.g. `ref.json`.
    pub file: &'static str,
    /// The group's description.
    pub group: &'static str,
    /// The schema, as written in the suite.
    pub schema_json: &'static str,
    /// The compiled validator; `None` when the compiler refused the schema.
    pub validate: Option<Validator>,
    /// Why the compiler refused the schema (its first error).
    pub refused: Option<&'static str>,
    pub tests: &'static [Test],
}

/// One instance of a group and the suite's verdict on it.
#[derive(Debug)]
pub struct Test {
    pub description: &'static str,
    /// The instance, as written in the suite.
    pub data_json: &'static str,
    /// Whether the suite says the instance is valid.
    pub valid: bool,
}

impl Case {
    /// `suite/file/group`.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.suite, self.file, self.group)
    }
}

/// The generated modules and table (`build.rs`).
mod generated {
    use super::{Case, Test};

    include!(concat!(env!("OUT_DIR"), "/suite.rs"));
}

pub use generated::CASES;

/// A part of the suite, run and recorded on its own.
#[derive(Debug, Clone, Copy)]
pub struct Part {
    /// Name in summaries and of the expected files.
    pub name: &'static str,
    /// The [`Case::suite`] taken.
    pub suite: &'static str,
    /// The [`Case::file`]s taken; `None` takes the whole suite folder.
    pub files: Option<&'static [&'static str]>,
}

impl Part {
    /// Whether `case` belongs to this part.
    pub fn matches(&self, case: &Case) -> bool {
        case.suite == self.suite && self.files.is_none_or(|files| files.contains(&case.file))
    }
}

/// The required tests of JSON Schema 2020-12 (OpenAPI 3.1).
pub const DRAFT2020_12: Part = Part {
    name: "draft2020-12",
    suite: "draft2020-12",
    files: None,
};

/// Draft 4 files whose keywords OpenAPI 3.0 keeps, compiled as OpenAPI 3.0.
pub const DRAFT4_OPENAPI30: Part = Part {
    name: "draft4-openapi30",
    suite: "draft4",
    files: None,
};

/// 2020-12 formats, asserted.
pub const OPTIONAL_FORMAT: Part = Part {
    name: "optional-format",
    suite: "draft2020-12/optional/format",
    files: None,
};

/// ECMA-262 regular expression details (recorded, not required).
pub const OPTIONAL_ECMASCRIPT_REGEX: Part = Part {
    name: "optional-ecmascript-regex",
    suite: "draft2020-12/optional",
    files: Some(&["ecmascript-regex.json"]),
};

/// Numbers beyond 64 bits (recorded, not required).
pub const OPTIONAL_BIGNUM: Part = Part {
    name: "optional-bignum",
    suite: "draft2020-12/optional",
    files: Some(&["bignum.json"]),
};

/// The results of running some cases.
#[derive(Debug, Default)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    /// Tests of refused groups.
    pub refused: usize,
    /// Failing tests, in suite order.
    pub failures: Vec<Failure>,
    /// Refused groups, in suite order.
    pub refusals: Vec<Refusal>,
}

/// A test whose verdict differs from the suite's.
#[derive(Debug)]
pub struct Failure {
    /// `suite/file/group/test`.
    pub id: String,
    pub schema_json: &'static str,
    pub data_json: &'static str,
    pub expected_valid: bool,
    /// What happened instead: `valid`, `invalid`, a parse error or a panic.
    pub got: String,
}

/// A group the compiler refused.
#[derive(Debug)]
pub struct Refusal {
    /// `suite/file/group`.
    pub id: String,
    pub reason: &'static str,
    /// How many tests the group holds.
    pub tests: usize,
}

impl Summary {
    /// All tests run, refused included.
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.refused
    }

    /// `N passed, M failed, K refused`.
    pub fn counts(&self) -> String {
        format!(
            "{} passed, {} failed, {} refused",
            self.passed, self.failed, self.refused
        )
    }

    /// The lines of `expected/<part>.failures.txt`, sorted.
    pub fn failure_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.failures.iter().map(|f| f.id.clone()).collect();
        lines.sort();
        lines
    }

    /// The lines of `expected/<part>.refused.txt`, sorted.
    pub fn refusal_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .refusals
            .iter()
            .map(|r| format!("{} | {}", r.id, r.reason))
            .collect();
        lines.sort();
        lines
    }
}

/// Runs every case `filter` accepts.
pub fn run(filter: impl Fn(&Case) -> bool) -> Summary {
    let mut summary = Summary::default();
    for case in CASES.iter().filter(|c| filter(c)) {
        let Some(validate) = case.validate else {
            summary.refused += case.tests.len();
            summary.refusals.push(Refusal {
                id: case.id(),
                reason: case.refused.unwrap_or("refused"),
                tests: case.tests.len(),
            });
            continue;
        };
        for test in case.tests {
            let got = verdict(validate, test.data_json);
            if got == Ok(test.valid) {
                summary.passed += 1;
                continue;
            }
            summary.failed += 1;
            summary.failures.push(Failure {
                id: format!("{}/{}", case.id(), test.description),
                schema_json: case.schema_json,
                data_json: test.data_json,
                expected_valid: test.valid,
                got: match got {
                    Ok(true) => "valid".to_owned(),
                    Ok(false) => "invalid".to_owned(),
                    Err(e) => e,
                },
            });
        }
    }
    summary
}

/// Whether `validate` accepts the instance `data_json`. An instance the
/// parser rejects is judged invalid, as the gateway would; a panic is an
/// error.
fn verdict(validate: Validator, data_json: &str) -> Result<bool, String> {
    let value = match douane_runtime::json::parse(data_json.as_bytes(), 1024) {
        Ok(value) => value,
        Err(_) => return Ok(false),
    };
    catch_unwind(AssertUnwindSafe(|| {
        validate(&value, &mut Violations::default())
    }))
    .map_err(|_| "the validator panicked".to_owned())
}

/// Runs `part`, prints its summary line, and compares its failures and
/// refusals with the checked-in expected files (or rewrites them under
/// `DOUANE_BLESS=1`). `Err` describes every difference.
pub fn check(part: &Part) -> Result<Summary, String> {
    let summary = run(|case| part.matches(case));
    report(&format!("{}: {}", part.name, summary.counts()));

    let bless = std::env::var_os("DOUANE_BLESS").is_some_and(|v| v == "1");
    let mut problems = String::new();
    let files = [
        ("failures", summary.failure_lines()),
        ("refused", summary.refusal_lines()),
    ];
    for (kind, today) in files {
        let path = expected_path(part, kind);
        if bless {
            let mut text = today.join("\n");
            if !text.is_empty() {
                text.push('\n');
            }
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            continue;
        }
        let recorded = std::fs::read_to_string(&path).unwrap_or_default();
        let recorded: Vec<&str> = recorded.lines().filter(|l| !l.is_empty()).collect();
        let new: Vec<&String> = today
            .iter()
            .filter(|l| !recorded.contains(&l.as_str()))
            .collect();
        let gone: Vec<&&str> = recorded
            .iter()
            .filter(|l| !today.iter().any(|t| t == **l))
            .collect();
        if new.is_empty() && gone.is_empty() {
            continue;
        }
        let _ = writeln!(problems, "{} differs from today:", path.display());
        for line in new {
            let _ = writeln!(problems, "  + {line}{}", detail(&summary, line));
        }
        for line in gone {
            let _ = writeln!(problems, "  - {line} (no longer {kind}: remove it)");
        }
    }
    if problems.is_empty() {
        Ok(summary)
    } else {
        problems.push_str(
            "record today's results with DOUANE_BLESS=1 cargo test -p douane-conformance, then review the diff",
        );
        Err(problems)
    }
}

/// The schema, instance and verdicts of a failing test, for messages.
fn detail(summary: &Summary, id: &str) -> String {
    match summary.failures.iter().find(|f| f.id == id) {
        Some(f) => format!(
            "\n      schema: {}\n      instance: {}\n      expected {}, got {}",
            one_line(f.schema_json),
            one_line(f.data_json),
            if f.expected_valid { "valid" } else { "invalid" },
            f.got
        ),
        None => String::new(),
    }
}

fn one_line(json: &str) -> String {
    json.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn expected_path(part: &Part, kind: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/expected"))
        .join(format!("{}.{kind}.txt", part.name))
}

/// Prints a summary line, and appends it to the file `$DOUANE_TEST_SUMMARY`
/// names, if set: cargo shows nothing a passing test prints, and CI shows
/// the summaries of the one test run it makes.
pub fn report(line: &str) {
    println!("{line}");
    if let Some(path) = std::env::var_os("DOUANE_TEST_SUMMARY") {
        use std::io::Write;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{line}");
        }
    }
}
