//! Patterns that need a backtracking engine (look-around, back-references),
//! run under a step bound.
//!
//! Linear-time patterns use `regex` directly from generated code. The few
//! that `regex` cannot express go through [`BoundedRegex`]: a value whose
//! match would take more than [`STEP_LIMIT`] backtracking steps is rejected
//! rather than allowed to burn CPU (ReDoS) or waved through.

/// Backtracking steps allowed for one match.
pub const STEP_LIMIT: usize = 100_000;

/// A `fancy-regex` pattern with a step bound.
#[derive(Debug)]
pub struct BoundedRegex(fancy_regex::Regex);

impl BoundedRegex {
    /// Compiles a pattern the compiler has already checked.
    pub fn new(pattern: &str) -> BoundedRegex {
        match fancy_regex::RegexBuilder::new(pattern)
            .backtrack_limit(STEP_LIMIT)
            .build()
        {
            Ok(re) => BoundedRegex(re),
            Err(e) => panic!("pattern checked at build time does not compile: {e}"),
        }
    }

    /// `Some(matched)`, or `None` when the step bound was hit.
    pub fn is_match(&self, s: &str) -> Option<bool> {
        self.0.is_match(s).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::BoundedRegex;

    #[test]
    fn look_around_and_step_bound() {
        let re = BoundedRegex::new(r"^(?!admin$)[a-z]+$");
        assert_eq!(re.is_match("alice"), Some(true));
        assert_eq!(re.is_match("admin"), Some(false));
        // A catastrophic pattern on a hostile input hits the bound.
        let evil = BoundedRegex::new(r"^((a|a)+)\1+b");
        assert_eq!(evil.is_match(&"a".repeat(50)), None);
    }
}
