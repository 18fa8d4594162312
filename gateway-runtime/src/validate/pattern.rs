//! The engines that run `pattern` and `patternProperties`.
//!
//! - [`Dfa`]: most patterns, determinised by the compiler into tables that
//!   the generated code holds as statics; matching is a table walk (a
//!   load and a shift per byte for the smallest automata, two bytes per
//!   load when the table is small, else one), inlined at each use, with no
//!   lock, cache or allocation.
//! - `regex::Regex` (linear time too): patterns whose DFA would be too large.
//! - [`BoundedRegex`]: the few that need look-around or back-references; a
//!   value whose match would take more than [`STEP_LIMIT`] backtracking
//!   steps is rejected rather than allowed to burn CPU (ReDoS) or waved
//!   through.

/// A pattern's DFA, built by the compiler (`compiler/src/dfa.rs`).
///
/// A walk is a chain of dependent loads, one per step; what the tables
/// hold is chosen to keep that chain short (see [`Walk`]). Bytes fall in
/// `classes`, which no state tells apart.
///
/// States are numbered in four runs, so that every verdict is a compare:
/// first the states that go on and accept no end of input, then from
/// `accept_from` those after which the input may end, then from `stop_from`
/// those after which no match can follow (false), then from `hit_from`
/// those where a match has ended (true). `start` may be in any of them.
#[derive(Debug)]
pub struct Dfa<'t> {
    pub classes: &'t [u8; 256],
    pub walk: Walk,
    /// Little-endian entries, as [`Walk`] says.
    pub table: &'t [u8],
    pub start: usize,
    pub accept_from: usize,
    pub stop_from: usize,
    pub hit_from: usize,
}

/// How a [`Dfa`]'s table is laid out and walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// At most [`Walk::MAX_SHIFT_STATES`] states: a state is a shift
    /// amount (6 × its number), and the table holds one `u64` per byte
    /// value (256, `classes` unused), whose 6-bit field at that shift is the
    /// state after the byte. A step is a load that depends on the byte
    /// alone, then one shift that depends on the state: four instructions
    /// per byte on x86-64 (the shift count must sit in `cl`) and one cycle
    /// on the chain, no class lookup and no bounds check. Stopping states lead to themselves, so that the walk looks
    /// for a stop only once per eight bytes.
    Shifts,
    /// Two bytes per step, half as many dependent loads: `u16` entries, a
    /// state being the byte offset of its row, and the next state the entry
    /// at `classes[b1] * width + 2 * classes[b2]` from there, where `width`
    /// is the size in bytes of the entries for one first class. The last
    /// class of each such run stands for "no byte" (the odd byte at the end
    /// of the input). A first step into a stopping state stays there.
    Pairs { width: usize },
    /// One byte per step: `u16` entries, the next state being the entry at
    /// `2 * classes[byte]` from the state's row.
    Bytes,
}

impl Walk {
    /// Six bits per state in a `u64`.
    pub const MAX_SHIFT_STATES: usize = 10;
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
        match self.walk {
            Walk::Shifts => {
                // `next` keeps the bits above the field: the shift only
                // reads the low six (`wrapping_shr`), the verdicts mask.
                // Stopping states lead to themselves, so a stop is only
                // looked for every eight bytes, and not in the tail.
                let rows = self.byte_rows();
                let mut next = state as u64;
                let step = |next: u64, b: u8| {
                    // At most 255 * 8 + 7 < 2048: no bounds check left.
                    // Spelled out: `array::map` is not always inlined.
                    let at = usize::from(b) * 8;
                    let row = [
                        rows[at],
                        rows[at + 1],
                        rows[at + 2],
                        rows[at + 3],
                        rows[at + 4],
                        rows[at + 5],
                        rows[at + 6],
                        rows[at + 7],
                    ];
                    u64::from_le_bytes(row).wrapping_shr(next as u32)
                };
                let mut blocks = bytes.chunks_exact(8);
                for block in &mut blocks {
                    for &b in block {
                        next = step(next, b);
                    }
                    let state = (next & 63) as usize;
                    if state >= self.stop_from {
                        return state >= self.hit_from;
                    }
                }
                // The tail (under eight bytes) by four, two and one: one
                // test per run rather than one per byte.
                let mut tail = blocks.remainder();
                if let Some((four, rest)) = tail.split_first_chunk::<4>() {
                    for &b in four {
                        next = step(next, b);
                    }
                    tail = rest;
                }
                if let Some((two, rest)) = tail.split_first_chunk::<2>() {
                    for &b in two {
                        next = step(next, b);
                    }
                    tail = rest;
                }
                if let [b] = tail {
                    next = step(next, *b);
                }
                state = (next & 63) as usize;
            }
            Walk::Pairs { width } => {
                let mut chunks = bytes.chunks_exact(2);
                for pair in &mut chunks {
                    // The column does not depend on the state: computed
                    // off the chain, which is then a single load.
                    state = self.at(class(pair[0]) * width + class(pair[1]) * 2, state);
                    if state >= self.stop_from {
                        return state >= self.hit_from;
                    }
                }
                if let [b] = chunks.remainder() {
                    state = self.at(class(*b) * width + (width - 2), state);
                }
            }
            Walk::Bytes => {
                for &b in bytes {
                    state = self.at(class(b) * 2, state);
                    if state >= self.stop_from {
                        return state >= self.hit_from;
                    }
                }
            }
        }
        if state >= self.stop_from {
            return state >= self.hit_from;
        }
        state >= self.accept_from
    }

    /// The `u16` entry at byte `column + state` of the table. The two are
    /// added in the load's address, so that the chain of dependent loads
    /// carries no arithmetic.
    #[inline(always)]
    fn at(&self, column: usize, state: usize) -> usize {
        let row = self.table.get(column..).unwrap_or_default();
        match row.get(state..state + 2) {
            Some(&[lo, hi]) => usize::from(u16::from_le_bytes([lo, hi])),
            // The compiler never writes an offset out of the table.
            _ => panic!("DFA table offset out of bounds"),
        }
    }

    /// The 256 rows of [`Walk::Shifts`], one per byte value, 8 bytes
    /// each: indexed by a `u8`, with no bounds check.
    #[inline(always)]
    fn byte_rows(&self) -> &[u8; 2048] {
        match self.table.first_chunk::<2048>() {
            Some(rows) => rows,
            // The compiler writes a row for every byte value.
            None => panic!("DFA shift table is not 256 rows"),
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
