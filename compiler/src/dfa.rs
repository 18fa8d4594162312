//! Linear-time patterns compiled, at build time, into DFA tables that the
//! generated code walks byte by byte (`douane_runtime::validate::Dfa`).
//!
//! `regex-automata` determinises the translated pattern; this module
//! renumbers the states reachable from the start of a haystack, merges the
//! bytes that no state tells apart into classes, and keeps per state only
//! what `is_match` needs: "a match has ended" (stop, true), "no match can
//! follow" (stop, false), "a match ends if the input ends here". No regex
//! is compiled at run time and no cache or lock is taken per request.
//!
//! Patterns whose DFA would exceed [`MAX_STATES`] (large Unicode classes
//! under repetition, say) keep the `regex` crate's lazy DFA instead.

use regex_automata::Anchored;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::util::syntax;

use crate::ir::Dfa;

/// States are numbered in one byte in the generated tables.
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
    // States that stop the walk (`HIT` or `DEAD`) are numbered last, so that
    // the walk tests `state >= stop_from` rather than loading the flags of
    // every state it enters. The start state keeps 0: if it stops itself
    // (never seen), no renumbering and every state's flags are read.
    let stops = |k: usize| raw_flags[k] & (HIT | DEAD) != 0;
    let (order, stop_from) = if stops(0) {
        ((0..ids.len()).collect::<Vec<_>>(), 0)
    } else {
        let (go, stop): (Vec<usize>, Vec<usize>) = (0..ids.len()).partition(|&k| !stops(k));
        let stop_from = go.len();
        (go.into_iter().chain(stop).collect(), stop_from)
    };
    let mut new_id = vec![0usize; ids.len()];
    for (new, &old) in order.iter().enumerate() {
        new_id[old] = new;
    }
    let mut next = Vec::with_capacity(ids.len() * stride);
    for &old in &order {
        let row = &raw_next[old];
        next.extend(representatives.iter().map(|&r| new_id[row[r]] as u8));
    }
    let flags: Vec<u8> = order.iter().map(|&old| raw_flags[old]).collect();
    let next2 = pairs(&next, stride, &flags);
    Some(Dfa {
        classes,
        stride,
        next,
        flags,
        stop_from,
        next2,
    })
}

/// Pair tables above this size are not worth their memory.
const MAX_PAIR_TABLE: usize = 16 << 10;

/// Two steps in one: `next2[state * stride² + class1 * stride + class2]`,
/// so that the walk's chain of dependent loads is half as long. A first step
/// into a state that stops the walk stays there (the walk then stops on it,
/// as it would have one byte earlier). Empty when too large.
fn pairs(next: &[u8], stride: usize, flags: &[u8]) -> Vec<u8> {
    let states = flags.len();
    if states * stride * stride > MAX_PAIR_TABLE {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(states * stride * stride);
    for state in 0..states {
        for c1 in 0..stride {
            let mid = usize::from(next[state * stride + c1]);
            for c2 in 0..stride {
                out.push(if flags[mid] & (HIT | DEAD) != 0 {
                    mid as u8
                } else {
                    next[mid * stride + c2]
                });
            }
        }
    }
    out
}

/// What the generated code does with the tables, for tests here (the
/// runtime has the same loop).
#[cfg(test)]
fn run(dfa: &Dfa, s: &str) -> bool {
    let mut state = 0usize;
    for &b in s.as_bytes() {
        state =
            usize::from(dfa.next[state * dfa.stride + usize::from(dfa.classes[usize::from(b)])]);
        let f = dfa.flags[state];
        assert_eq!(
            state >= dfa.stop_from,
            f & (HIT | DEAD) != 0 || dfa.stop_from == 0
        );
        if f & HIT != 0 {
            return true;
        }
        if f & DEAD != 0 {
            return false;
        }
    }
    dfa.flags[state] & ACCEPT_AT_END != 0
}

/// [`run`] two bytes at a time through `next2` (the runtime's walk).
#[cfg(test)]
fn run_pairs(dfa: &Dfa, s: &str) -> bool {
    let class = |b: u8| usize::from(dfa.classes[usize::from(b)]);
    let stops = |state: usize| state >= dfa.stop_from && dfa.flags[state] & (HIT | DEAD) != 0;
    let mut state = 0usize;
    let mut chunks = s.as_bytes().chunks_exact(2);
    for pair in &mut chunks {
        let c = class(pair[0]) * dfa.stride + class(pair[1]);
        state = usize::from(dfa.next2[state * dfa.stride * dfa.stride + c]);
        if stops(state) {
            return dfa.flags[state] & HIT != 0;
        }
    }
    for &b in chunks.remainder() {
        state = usize::from(dfa.next[state * dfa.stride + class(b)]);
        if stops(state) {
            return dfa.flags[state] & HIT != 0;
        }
    }
    dfa.flags[state] & ACCEPT_AT_END != 0
}

#[cfg(test)]
mod tests {
    use super::{compile, run, run_pairs};
    use crate::pattern::translate;

    /// The tables agree with the `regex` crate on a set of inputs.
    fn agree(pattern: &str, inputs: &[&str]) {
        let p = translate(pattern).unwrap();
        let re = regex::Regex::new(&p.regex).unwrap();
        let dfa = compile(&p.regex).unwrap_or_else(|| panic!("{pattern} has no DFA"));
        for s in inputs {
            assert_eq!(run(&dfa, s), re.is_match(s), "{pattern} on {s:?}");
            if !dfa.next2.is_empty() {
                assert_eq!(
                    run_pairs(&dfa, s),
                    re.is_match(s),
                    "{pattern} on {s:?} by pairs"
                );
            }
        }
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
