//! The engines that run `pattern` and `patternProperties`.
//!
//! - [`Dfa`]: most patterns, determinised by the compiler into tables that
//!   the generated code holds as statics; matching is a table walk, one
//!   step per byte, with no lock, cache or allocation.
//! - `regex::Regex` (linear time too): patterns whose DFA would be too large.
//! - [`BoundedRegex`]: the few that need look-around or back-references; a
//!   value whose match would take more than [`STEP_LIMIT`] backtracking
//!   steps is rejected rather than allowed to burn CPU (ReDoS) or waved
//!   through.

/// A pattern's DFA, built by the compiler (`compiler/src/dfa.rs`): state 0
/// is the start, `next[state * stride + classes[byte]]` the transition, and
/// `flags[state]` says a match has ended ([`Dfa::HIT`]), none can follow
/// ([`Dfa::DEAD`]) or one ends with the input ([`Dfa::ACCEPT_AT_END`]).
/// The states that stop the walk (`HIT` or `DEAD`) are numbered from
/// `stop_from` on, so that the walk reads no flags until it enters one.
///
/// `next2`, when not empty, takes two bytes per step
/// (`next2[state * stride² + class1 * stride + class2]`, a first step into a
/// stopping state staying there): half as many dependent loads.
#[derive(Debug)]
pub struct Dfa {
    pub classes: &'static [u8; 256],
    pub stride: usize,
    pub next: &'static [u8],
    pub flags: &'static [u8],
    pub stop_from: usize,
    pub next2: &'static [u8],
}

impl Dfa {
    pub const HIT: u8 = 1;
    pub const DEAD: u8 = 2;
    pub const ACCEPT_AT_END: u8 = 4;

    /// Whether the pattern matches anywhere in `s` (ECMA `test`).
    #[inline]
    pub fn is_match(&self, s: &str) -> bool {
        let mut state = 0usize;
        let mut rest = s.as_bytes();
        if !self.next2.is_empty() {
            let mut pairs = rest.chunks_exact(2);
            let square = self.stride * self.stride;
            for pair in &mut pairs {
                // The pair's column does not depend on the state: off the
                // chain of dependent loads.
                let column = usize::from(self.classes[usize::from(pair[0])]) * self.stride
                    + usize::from(self.classes[usize::from(pair[1])]);
                state = usize::from(self.next2[state * square + column]);
                if let Some(verdict) = self.stop(state) {
                    return verdict;
                }
            }
            rest = pairs.remainder();
        }
        for &b in rest {
            let class = usize::from(self.classes[usize::from(b)]);
            state = usize::from(self.next[state * self.stride + class]);
            if let Some(verdict) = self.stop(state) {
                return verdict;
            }
        }
        self.flags[state] & Self::ACCEPT_AT_END != 0
    }

    /// The verdict if `state` ends the walk: a match has ended (true), or
    /// none can follow (false). Stop states are numbered last, so most
    /// bytes cost one compare instead of a dependent load of the flags.
    #[inline(always)]
    fn stop(&self, state: usize) -> Option<bool> {
        if state < self.stop_from {
            return None;
        }
        let flags = self.flags[state];
        if flags & Self::HIT != 0 {
            Some(true)
        } else if flags & Self::DEAD != 0 {
            Some(false)
        } else {
            None
        }
    }
}

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
