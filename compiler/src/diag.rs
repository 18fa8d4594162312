//! Diagnostics: what the compiler reports, with file, line and JSON pointer.

use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Something is not enforced but nothing is lost (an unknown `format`,
    /// a media type without validator); the contract surface lists it.
    Warning,
    /// The contract cannot be enforced exactly: the build fails.
    Error,
}

/// One problem found in a contract, pointing at where it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file, as named by the caller (relative to the specs directory).
    pub file: String,
    /// 1-based line of the offending node, when known.
    pub line: Option<u32>,
    /// JSON pointer of the offending node inside `file` (without `#`).
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {level}: {} (at #{})", self.message, self.pointer)
    }
}

/// All the diagnostics of a failed compilation, errors first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        let errors = self.errors().count();
        write!(f, "{errors} error(s), {} warning(s)", self.0.len() - errors)
    }
}

impl std::error::Error for Diagnostics {}
