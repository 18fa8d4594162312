//! Linear-time patterns compiled, at build time, into DFA tables that the
//! generated code walks (`douane_runtime::validate::pattern::Dfa`): shift
//! rows, one per byte value, for automata of at most 10 states, else two
//! bytes per load when the pair table stays small, else one.
//!
//! `regex-automata` determinises the translated pattern; this module
//! renumbers the states reachable from the start of a haystack, merges the
//! bytes that no state tells apart into classes, and keeps per state only
//! what `is_match` needs: "a match has ended" (stop, true), "no match can
//! follow" (stop, false), "a match ends if the input ends here". No regex
//! is compiled at run time and no cache or lock is taken per request.
//!
//! Patterns whose DFA would exceed [`MAX_STATES`] (large Unicode classes
//! under repetition, say), or whose one-byte table would need offsets
//! beyond 16 bits (more than 32,767 entries), keep the `regex` crate's lazy
//! DFA instead.

use regex_automata::Anchored;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::util::syntax;

use crate::ir::{Dfa, DfaWalk};

/// Bigger automata keep the lazy DFA: their tables would cost more memory
/// than they save time (and the renumbering below is quadratic).
const MAX_STATES: usize = 255;

/// Flag: a match has ended before the current byte; the answer is yes.
pub const HIT: u8 = 1;
/// Flag: no match is possible any more; the answer is no.
pub const DEAD: u8 = 2;
/// Flag: a match ends if the input ends in this state.
pub const ACCEPT_AT_END: u8 = 4;

/// The tables for `regex` (in the `regex` crate's syntax, already checked),
/// or `None` when they would be too large or the pattern needs something a
/// DFA cannot do.
pub fn compile(regex: &str) -> Option<Dfa> {
    compile_with(regex, None)
}

/// [`compile`], walked as `walk` says, or (`None`) the fastest way whose
/// table stays small.
fn compile_with(regex: &str, walk: Option<Walk>) -> Option<Dfa> {
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .start_kind(StartKind::Unanchored)
                .minimize(true)
                // 255 states of 257 transitions of 4 bytes fit; bigger
                // automata give up early rather than slow the build.
                .dfa_size_limit(Some(300 << 10))
                .determinize_size_limit(Some(600 << 10)),
        )
        .syntax(syntax::Config::new().unicode(true).utf8(true))
        .build(regex)
        .ok()?;
    let start = dfa
        .start_state(&start::Config::new().anchored(Anchored::No))
        .ok()?;

    // Breadth-first renumbering from the start state (which becomes 0).
    let mut ids: Vec<StateID> = vec![start];
    let mut raw_next: Vec<[usize; 256]> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let from = ids[i];
        let mut row = [0usize; 256];
        for byte in 0..=255u8 {
            let to = dfa.next_state(from, byte);
            if dfa.is_quit_state(to) {
                return None;
            }
            row[usize::from(byte)] = match ids.iter().position(|&s| s == to) {
                Some(k) => k,
                None => {
                    ids.push(to);
                    if ids.len() > MAX_STATES {
                        return None;
                    }
                    ids.len() - 1
                }
            };
        }
        raw_next.push(row);
        i += 1;
    }

    // Byte classes: bytes whose column is the same in every state.
    let mut classes = [0u8; 256];
    let mut representatives: Vec<usize> = Vec::new();
    for byte in 0..256 {
        let same = representatives
            .iter()
            .position(|&r| raw_next.iter().all(|row| row[r] == row[byte]));
        classes[byte] = match same {
            Some(c) => c as u8,
            None => {
                representatives.push(byte);
                (representatives.len() - 1) as u8
            }
        };
    }
    let stride = representatives.len();
    let raw_flags: Vec<u8> = ids
        .iter()
        .map(|&s| {
            let mut f = 0;
            if dfa.is_match_state(s) {
                f |= HIT;
            }
            if dfa.is_dead_state(s) {
                f |= DEAD;
            }
            if dfa.is_match_state(dfa.next_eoi_state(s)) {
                f |= ACCEPT_AT_END;
            }
            f
        })
        .collect();
    let walk = walk.unwrap_or(if ids.len() <= MAX_SHIFT_STATES {
        Walk::Shifts
    } else if ids.len() * (stride + 1) * (stride + 1) <= MAX_PAIR_TABLE {
        Walk::Pairs
    } else {
        Walk::Bytes
    });
    tables(&raw_next, &representatives, &raw_flags, classes, walk)
}

/// Pair tables above this many entries are not worth their memory.
const MAX_PAIR_TABLE: usize = 8 << 10;

/// Bits per state in a shift row: a state is a shift amount below 64.
const SHIFT_BITS: usize = 6;
/// States a shift row holds (the runtime's `MAX_SHIFT_STATES`).
const MAX_SHIFT_STATES: usize = 64 / SHIFT_BITS;

/// How the tables are walked (`ir::DfaWalk` without its tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    Shifts,
    Pairs,
    Bytes,
}

/// The runtime's tables for the automaton `raw_next` (state 0 the start;
/// `raw_next[state][byte]`), whose bytes fall in classes of which
/// `representatives` holds one byte each, walked as `walk` says (the width
/// of pairs is computed here). `None` when the automaton does not fit:
/// more states than shift rows hold, or offsets beyond the tables' 16 bits.
/// Shift rows are indexed by the byte itself, not its class: 2 KiB for
/// no class lookup on the way.
fn tables(
    raw_next: &[[usize; 256]],
    representatives: &[usize],
    raw_flags: &[u8],
    classes: [u8; 256],
    walk: Walk,
) -> Option<Dfa> {
    let states = raw_flags.len();
    let stride = representatives.len();
    // Four runs, in this order, so that each verdict is one compare: going
    // on and not accepting an end of input, going on and accepting one, no
    // match possible (DEAD), match ended (HIT).
    let run = |k: usize| match raw_flags[k] {
        f if f & HIT != 0 => 3,
        f if f & DEAD != 0 => 2,
        f if f & ACCEPT_AT_END != 0 => 1,
        _ => 0,
    };
    let mut order: Vec<usize> = (0..states).collect();
    order.sort_by_key(|&k| run(k)); // stable: breadth-first within a run
    let first_of = |r: usize| order.iter().position(|&k| run(k) >= r).unwrap_or(states);
    let mut new_id = vec![0usize; states];
    for (new, &old) in order.iter().enumerate() {
        new_id[old] = new;
    }
    let stops = |old: usize| raw_flags[old] & (HIT | DEAD) != 0;
    let dfa = |unit: usize, walk: DfaWalk| Dfa {
        classes,
        walk,
        start: new_id[0] * unit,
        accept_from: first_of(1) * unit,
        stop_from: first_of(2) * unit,
        hit_from: first_of(3) * unit,
    };
    if walk == Walk::Shifts {
        if states > MAX_SHIFT_STATES {
            return None;
        }
        // Row of a byte: for each state (at its shift), the shift of the
        // state after it; stopping states lead to themselves.
        let rows = (0..256)
            .map(|byte| {
                order.iter().enumerate().fold(0u64, |row, (k, &old)| {
                    let to = if stops(old) { old } else { raw_next[old][byte] };
                    row | ((new_id[to] * SHIFT_BITS) as u64) << (k * SHIFT_BITS)
                })
            })
            .collect();
        return Some(dfa(SHIFT_BITS, DfaWalk::Shifts(rows)));
    }
    let pairs = walk == Walk::Pairs;
    // Offsets in bytes, entries being two bytes (the runtime reads them so).
    let columns = if pairs { stride + 1 } else { stride };
    let unit = 2 * if pairs { columns * columns } else { columns };
    let offset = |old: usize| u16::try_from(new_id[old] * unit).ok();
    let mut table = Vec::with_capacity(states * unit / 2);
    for &old in &order {
        let row = &raw_next[old];
        if !pairs {
            for &r in representatives {
                table.push(offset(row[r])?);
            }
            continue;
        }
        for c1 in 0..columns {
            // The "no byte" class never comes first: its run is unused.
            let mid = representatives.get(c1).map_or(old, |&r| row[r]);
            for c2 in 0..columns {
                let to = match representatives.get(c2) {
                    Some(&r) if c1 < stride && !stops(mid) => raw_next[mid][r],
                    _ => mid,
                };
                table.push(offset(to)?);
            }
        }
    }
    Some(dfa(
        unit,
        if pairs {
            DfaWalk::Pairs {
                width: 2 * columns,
                table,
            }
        } else {
            DfaWalk::Bytes(table)
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::{MAX_SHIFT_STATES, Walk, compile, compile_with};
    use crate::ir::{Dfa, DfaWalk};
    use crate::pattern::translate;
    use douane_runtime::__private as runtime;

    /// The runtime's walk over these tables.
    fn run(dfa: &Dfa, s: &str) -> bool {
        let table = dfa.table_bytes();
        runtime::Dfa {
            classes: &dfa.classes,
            walk: match dfa.walk {
                DfaWalk::Shifts(_) => runtime::Walk::Shifts,
                DfaWalk::Pairs { width, .. } => runtime::Walk::Pairs { width },
                DfaWalk::Bytes(_) => runtime::Walk::Bytes,
            },
            table: &table,
            start: dfa.start,
            accept_from: dfa.accept_from,
            stop_from: dfa.stop_from,
            hit_from: dfa.hit_from,
        }
        .is_match(s)
    }

    /// The tables, walked each way that fits the automaton, agree with the
    /// `regex` crate on a set of inputs.
    fn agree(pattern: &str, inputs: &[&str]) {
        let p = translate(pattern).unwrap();
        let re = regex::Regex::new(&p.regex).unwrap();
        for walk in [Walk::Shifts, Walk::Pairs, Walk::Bytes] {
            let Some(dfa) = compile_with(&p.regex, Some(walk)) else {
                // Only shift rows have a size the automaton may exceed.
                assert_eq!(walk, Walk::Shifts, "{pattern} has no DFA");
                continue;
            };
            for s in inputs {
                assert_eq!(
                    run(&dfa, s),
                    re.is_match(s),
                    "{pattern} on {s:?}, walk: {walk:?}"
                );
            }
        }
    }

    #[test]
    fn shift_rows_hold_what_the_runtime_walks() {
        assert_eq!(MAX_SHIFT_STATES, runtime::Walk::MAX_SHIFT_STATES);
        // The walk is chosen by size: shifts for the smallest automata.
        let small = compile("^[a-z0-9._-]+@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}$").unwrap();
        assert!(matches!(small.walk, DfaWalk::Shifts { .. }));
        let larger = compile("^[A-Z]{3}-[0-9]{4,8}$").unwrap();
        assert!(matches!(larger.walk, DfaWalk::Pairs { .. }));
    }

    #[test]
    fn tables_agree_with_regex() {
        let inputs = [
            "",
            "a",
            "ab",
            "abc",
            "A",
            "a@b.co",
            "x.y@ex-ample.org",
            "a@b",
            "é",
            "éa",
            "12345",
            "1234567890123456",
            "ABC-1234",
            "ABC-123",
            "FR7630006000011234567890189",
            "01/25",
            "13/25",
            "foo bar",
            "foo\nbar",
            "\u{2028}",
            "😀",
            "a😀b",
            "aaaa",
            "ba",
            "line1\r\nline2",
            // Odd and even lengths, and stops inside a pair.
            "a@example.org",
            "ab@example.org",
            "ada@example.o",
            "ada@exa mple.org",
            "ABC-12345678",
            "ABC-123456789",
            // Longer than a block of eight bytes (shift walks look for a
            // stop once per block), with stops in and after the blocks.
            "abcdefgh@ijklmnop.qrstuvwx",
            "abcdefghijklmnop@",
            "abcdefghijklmnopq@x.org",
            "ab cdefghijklmnopqrstu@x.org",
            "abcdefghijklmno é@x.org",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            // A block and every tail length (the shift walk takes tails by
            // four, two and one), valid or not.
            "ab@cd.efgh",
            "abc@def.ghi",
            "abcd@efgh.ij",
            "abcde@fgh.ijk",
            "abcdef@ghij.kl",
            "abcdefg@hij.klm",
            "abcdefg@hij.klm.",
            "abcdefg@hij.k m",
            "abcdefg@hij.klé",
        ];
        for pattern in [
            "^[a-z0-9._-]+@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}$",
            "^[A-Z]{3}-[0-9]{4,8}$",
            "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$",
            "^(0[1-9]|1[0-2])/[0-9]{2}$",
            "a",
            "b$",
            "^a",
            "é",
            "^.$",
            "^.*$",
            "\\d+",
            "^\\w+$",
            "\\bbar",
            "^\\S+$",
            "[^a-z]",
            "^$",
            "^(a|ab)(c|bcd)?$",
            "😀",
            // The start state accepts, or matches whatever follows.
            "",
            "a*",
            "^a*$",
            "[^\\s\\S]",
        ] {
            agree(pattern, &inputs);
        }
    }

    #[test]
    fn large_automata_keep_the_lazy_dfa() {
        // A Unicode class repeated, or searched anywhere: beyond 255 states.
        assert!(compile("^\\p{L}{20}x$").is_none());
        assert!(compile("\\p{L}").is_none());
    }
}
