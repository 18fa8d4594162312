//! The engines that run `pattern` and `patternProperties`.
//!
//! - [`Dfa`]: most patterns, determinised by the compiler into tables that
//!   the generated code holds as statics; matching is a table walk (two
//!   bytes per step when the table is small, else one), inlined at each
//!   use, with no lock, cache or allocation.
//! - `regex::Regex` (linear time too): patterns whose DFA would be too large.
//! - [`BoundedRegex`]: the few that need look-around or back-references; a
//!   value whose match would take more than [`STEP_LIMIT`] backtracking
//!   steps is rejected rather than allowed to burn CPU (ReDoS) or waved
//!   through.

/// A pattern's DFA, built by the compiler (`compiler/src/dfa.rs`).
///
/// `table` holds little-endian `u16` entries; a state is named by the byte
/// offset of its row there, so that a step is an add and a load: no
/// multiplication on the chain of dependent loads that the walk is.
///
/// - `pairs == false`: one byte per step; the next state is the entry at
///   `state + 2 * classes[byte]`.
/// - `pairs == true`: two bytes per step, half as many dependent loads:
///   `state + classes[b1] * width + 2 * classes[b2]`, where `width` is the
///   size in bytes of the entries for one first class. The last class of
///   each such run stands for "no byte" (the odd byte at the end of the
///   input). A first step into a stopping state stays there.
///
/// States are numbered in four runs, so that every verdict is a compare:
/// first the states that go on and accept no end of input, then from
/// `accept_from` those after which the input may end, then from `stop_from`
/// those after which no match can follow (false), then from `hit_from`
/// those where a match has ended (true). `start` may be in any of them.
#[derive(Debug)]
pub struct Dfa<'t> {
    pub classes: &'t [u8; 256],
    pub pairs: bool,
    pub width: usize,
    pub table: &'t [u8],
    pub start: usize,
    pub accept_from: usize,
    pub stop_from: usize,
    pub hit_from: usize,
}

impl Dfa<'_> {
    /// Whether the pattern matches anywhere in `s` (ECMA `test`).
    #[inline(always)]
    pub fn is_match(&self, s: &str) -> bool {
        let bytes = s.as_bytes();
        let mut state = self.start;
        if state >= self.stop_from {
            return state >= self.hit_from;
        }
        let class = |b: u8| usize::from(self.classes[usize::from(b)]);
        if self.pairs {
            let mut chunks = bytes.chunks_exact(2);
            for pair in &mut chunks {
                // The column does not depend on the state: off the chain.
                state = self.at(state + class(pair[0]) * self.width + class(pair[1]) * 2);
                if state >= self.stop_from {
                    return state >= self.hit_from;
                }
            }
            if let [b] = chunks.remainder() {
                state = self.at(state + class(*b) * self.width + (self.width - 2));
            }
        } else {
            for &b in bytes {
                state = self.at(state + class(b) * 2);
                if state >= self.stop_from {
                    return state >= self.hit_from;
                }
            }
        }
        if state >= self.stop_from {
            return state >= self.hit_from;
        }
        state >= self.accept_from
    }

    /// The state at byte `i` of the table.
    #[inline(always)]
    fn at(&self, i: usize) -> usize {
        match self.table.get(i..i + 2) {
            Some(&[lo, hi]) => usize::from(u16::from_le_bytes([lo, hi])),
            // The compiler never writes an offset out of the table.
            _ => panic!("DFA table offset out of bounds"),
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
