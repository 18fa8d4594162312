//! Translating ECMA-262 regular expressions (what `pattern` is written in)
//! into the syntax of the `regex` crate, which runs in linear time.
//!
//! Where the two dialects differ, the translation keeps ECMA's meaning:
//! `\d`, `\w` are ASCII; `\s` is ECMA's whitespace set; `.` excludes ECMA's
//! line terminators. A pattern that `regex` cannot express (look-around,
//! back-references) goes to `fancy-regex`, which the generated code runs
//! under a step bound: never skipped, never unbounded.

const ECMA_SPACE: &str =
    r"\t\n\x0B\x0C\r \xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

use crate::ir::{Pattern, RegexEngine};

/// Translates `source` for the engine it needs; the result compiles.
///
/// Memoised per source: contracts repeat the same patterns (hundreds of
/// times in some), and determinising one is the costly part of a build.
pub fn translate(source: &str) -> Result<Pattern, String> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static CACHE: LazyLock<Mutex<HashMap<String, Result<Pattern, String>>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    if let Some(hit) = CACHE.lock().map_or(None, |c| c.get(source).cloned()) {
        return hit;
    }
    let result = translate_uncached(source);
    if let Ok(mut cache) = CACHE.lock() {
        cache.insert(source.to_owned(), result.clone());
    }
    result
}

fn translate_uncached(source: &str) -> Result<Pattern, String> {
    let mut notes = Vec::new();
    let rewritten = long_counted_repetition(source);
    if let Some(r) = &rewritten {
        notes.push(format!(
            "pattern \"{source}\" is searched as \"{r}\", which matches the same strings (a bounded run of one class that nothing follows)"
        ));
    }
    let text = rewritten.as_deref().unwrap_or(source);
    let mut engine = RegexEngine::Linear;
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    let mut in_class = false;
    // Whether the last thing written in the current class was a class
    // escape (`\d`, `\w`...): a `-` after one is a literal (Annex B).
    let mut after_class_escape = false;
    while let Some(c) = chars.next() {
        let was_after_class_escape = std::mem::take(&mut after_class_escape);
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    return Err(format!("pattern \"{source}\" ends with a lone backslash"));
                };
                let class = |set: &str, negated: bool| match (in_class, negated) {
                    (true, false) => set.to_owned(),
                    (false, false) => format!("[{set}]"),
                    (false, true) => format!("[^{set}]"),
                    // A negated class inside a class: regex supports nesting.
                    (true, true) => format!("[^{set}]"),
                };
                match e {
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' => {
                        let set = match e.to_ascii_lowercase() {
                            'd' => "0-9",
                            'w' => "A-Za-z0-9_",
                            _ => ECMA_SPACE,
                        };
                        out.push_str(&class(set, e.is_ascii_uppercase()));
                        if in_class {
                            after_class_escape = true;
                            escape_literal_hyphen(&mut chars, &mut out);
                        }
                    }
                    'p' | 'P' if chars.peek() == Some(&'{') => {
                        let name: String =
                            chars.clone().skip(1).take_while(|&c| c != '}').collect();
                        match java_class(&name) {
                            Some(set) => {
                                for _ in 0..name.chars().count() + 2 {
                                    chars.next();
                                }
                                notes.push(format!(
                                    "pattern \"{source}\": \\{e}{{{name}}} is not an ECMA-262 property; read as Java's class [{set}]"
                                ));
                                out.push_str(&class(set, e == 'P'));
                            }
                            // A Unicode property: regex knows the same names.
                            None => {
                                out.push('\\');
                                out.push(e);
                                for q in chars.by_ref() {
                                    out.push(q);
                                    if q == '}' {
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    // `\u{1F600}` (the `u` flag's form): regex reads it alike.
                    'u' if chars.peek() == Some(&'{') => {
                        out.push_str("\\u");
                        for q in chars.by_ref() {
                            out.push(q);
                            if q == '}' {
                                break;
                            }
                        }
                    }
                    'u' => {
                        let Some(unit) = hex4(&mut chars) else {
                            // ECMA (without the `u` flag): `\u` alone is a `u`.
                            out.push('u');
                            continue;
                        };
                        // A surrogate pair written as two escapes is one
                        // character (the `u` flag's reading).
                        let mut point = unit;
                        if (0xD800..0xDC00).contains(&unit) {
                            let mut ahead = chars.clone();
                            if ahead.next() == Some('\\') && ahead.next() == Some('u') {
                                if let Some(low) =
                                    hex4(&mut ahead).filter(|l| (0xDC00..0xE000).contains(l))
                                {
                                    point = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                                    chars = ahead;
                                }
                            }
                        }
                        // A range `\uXXXX-\uYYYY` in a class.
                        let mut end = point;
                        if in_class {
                            let mut ahead = chars.clone();
                            if ahead.next() == Some('-')
                                && ahead.next() == Some('\\')
                                && ahead.next() == Some('u')
                            {
                                if let Some(e) = hex4(&mut ahead) {
                                    end = e;
                                    chars = ahead;
                                }
                            }
                        }
                        // Strings are Unicode scalar values: a lone
                        // surrogate matches nothing, in or out of a class.
                        let ranges = without_surrogates(point, end);
                        if ranges.is_empty() && !in_class {
                            out.push_str(r"[^\s\S]");
                        }
                        if point > end {
                            return Err(format!(
                                "pattern \"{source}\" is not a valid regular expression: range out of order in a character class"
                            ));
                        }
                        for (lo, hi) in ranges {
                            if lo == hi {
                                out.push_str(&format!("\\x{{{lo:X}}}"));
                            } else {
                                out.push_str(&format!("\\x{{{lo:X}}}-\\x{{{hi:X}}}"));
                            }
                        }
                    }
                    '0' => {
                        // `\0` is NUL; `\0dd` a legacy octal escape (Annex B).
                        let mut value = 0u32;
                        for _ in 0..2 {
                            match chars.peek().and_then(|c| c.to_digit(8)) {
                                Some(d) => {
                                    value = value * 8 + d;
                                    chars.next();
                                }
                                None => break,
                            }
                        }
                        out.push_str(&format!("\\x{{{value:X}}}"));
                    }
                    '1'..='9' => {
                        engine = RegexEngine::Backtracking;
                        out.push('\\');
                        out.push(e);
                    }
                    'c' => match chars.next() {
                        Some(l) if l.is_ascii_alphabetic() => {
                            out.push_str(&format!("\\x{:02X}", (l as u8) % 32))
                        }
                        _ => return Err(format!("pattern \"{source}\": bad \\c escape")),
                    },
                    // ECMA's word boundary is ASCII; in a class `\b` is a backspace.
                    'b' if in_class => out.push_str("\\x08"),
                    'b' => out.push_str("(?-u:\\b)"),
                    'B' => out.push_str("(?-u:\\B)"),
                    // Not ECMA-262: the anchors of Java, Ruby and Perl,
                    // which is what contracts that write them mean.
                    'A' | 'z' | 'Z' if !in_class => {
                        notes.push(format!(
                            "pattern \"{source}\": \\{e} is not ECMA-262; read as the anchor it is in Java, Ruby and Perl"
                        ));
                        out.push_str(match e {
                            'A' => r"\A",
                            'z' => r"\z",
                            _ => r"(?:\n?\z)",
                        });
                    }
                    '/' => out.push('/'),
                    '-' => out.push_str("\\-"),
                    e => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().expect("peeked"));
                }
                // ECMA `[]` matches nothing and `[^]` anything; regex has no
                // empty class.
                if chars.peek() == Some(&']') {
                    chars.next();
                    in_class = false;
                    let negated = out.ends_with('^');
                    out.truncate(out.len() - if negated { 2 } else { 1 });
                    out.push_str(if negated { r"[\s\S]" } else { r"[^\s\S]" });
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                // Everything in the class matched nothing (lone surrogates).
                if out.ends_with('[') || out.ends_with("[^") {
                    let negated = out.ends_with('^');
                    out.truncate(out.len() - if negated { 2 } else { 1 });
                    out.push_str(if negated { r"[\s\S]" } else { r"[^\s\S]" });
                } else {
                    out.push(']');
                }
            }
            // `[a-\d]`: the hyphen before a class escape is a literal.
            '-' if in_class
                && (was_after_class_escape || {
                    let mut ahead = chars.clone();
                    ahead.next() == Some('\\')
                        && matches!(ahead.next(), Some('d' | 'D' | 'w' | 'W' | 's' | 'S'))
                }) =>
            {
                out.push_str("\\-")
            }
            '.' if !in_class => out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
            // A brace that starts no quantifier is a literal (Annex B).
            '{' if !in_class && !starts_quantifier(chars.clone()) => out.push_str("\\{"),
            '}' if !in_class => {
                // Quantifiers are copied whole below; this one is a literal.
                out.push_str("\\}")
            }
            '{' if !in_class => {
                out.push('{');
                for q in chars.by_ref() {
                    out.push(q);
                    if q == '}' {
                        break;
                    }
                }
            }
            '(' if !in_class && chars.peek() == Some(&'?') => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("?=")
                    || rest.starts_with("?!")
                    || rest.starts_with("?<=")
                    || rest.starts_with("?<!")
                {
                    engine = RegexEngine::Backtracking;
                }
                out.push('(');
            }
            '&' | '~' if in_class => {
                // regex gives `&&`/`~~` set-operation meanings inside classes.
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    let invalid = |e: String| {
        format!(
            "pattern \"{source}\" is not a valid regular expression: {}",
            e.lines().last().unwrap_or("")
        )
    };
    match engine {
        RegexEngine::Linear => {
            regex::Regex::new(&out).map_err(|e| invalid(e.to_string()))?;
        }
        RegexEngine::Backtracking => {
            fancy_regex::Regex::new(&out).map_err(|e| invalid(e.to_string()))?;
        }
    }
    let dfa = match engine {
        RegexEngine::Linear => crate::dfa::compile(&out),
        RegexEngine::Backtracking => None,
    };
    Ok(Pattern {
        source: source.to_owned(),
        regex: out,
        engine,
        dfa,
        notes,
    })
}

/// After a class escape in a class: a following `-` that does not close
/// the class is a literal hyphen (Annex B reads `[\w-.]` as `\w`, `-`, `.`).
fn escape_literal_hyphen(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) {
    let mut ahead = chars.clone();
    if ahead.next() == Some('-') && ahead.peek().is_some_and(|&c| c != ']') {
        chars.next();
        out.push_str("\\-");
    }
}

/// Four hex digits (after `\u`), consumed only if all four are there.
fn hex4(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<u32> {
    let digits: String = chars.clone().take(4).collect();
    if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    for _ in 0..4 {
        chars.next();
    }
    u32::from_str_radix(&digits, 16).ok()
}

/// `lo..=hi` without the surrogate code points (which no string holds).
fn without_surrogates(lo: u32, hi: u32) -> Vec<(u32, u32)> {
    let mut ranges = Vec::new();
    if lo <= hi.min(0xD7FF) {
        ranges.push((lo, hi.min(0xD7FF)));
    }
    if lo.max(0xE000) <= hi {
        ranges.push((lo.max(0xE000), hi));
    }
    ranges
}

/// Whether the text after a `{` makes it a quantifier: `n}`, `n,}`, `n,m}`.
fn starts_quantifier(mut chars: std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let mut digits = 0;
    while chars.peek().is_some_and(char::is_ascii_digit) {
        chars.next();
        digits += 1;
    }
    if digits == 0 {
        return false;
    }
    if chars.peek() == Some(&',') {
        chars.next();
        while chars.peek().is_some_and(char::is_ascii_digit) {
            chars.next();
        }
    }
    chars.next() == Some('}')
}

/// Java's POSIX and shorthand classes (`\p{Alpha}`...), which contracts
/// generated from Java models use; ECMA-262 has none of these names.
fn java_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => r"\x00-\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => r"!-/:-@\[-`{-~",
        "Graph" => r"\x21-\x7E",
        "Print" => r"\x20-\x7E",
        "Blank" => r" \t",
        "Cntrl" => r"\x00-\x1F\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => r" \t\n\x0B\x0C\r",
        "all" => r"\x{0}-\x{10FFFF}",
        "L1" => r"\x00-\xFF",
        "LD" => r"\p{L}\p{Nd}",
        _ => return None,
    })
}

/// `C{m,n}` with a large `n`, alone in the pattern and not anchored at
/// the end (`^.{1,2097152}`, `\S{1,8192}`): the same strings match
/// `C{m}`, which `regex` can compile (the bounded form exceeds its size
/// limit). A match of `k ≥ m` characters of C contains one of `m`.
fn long_counted_repetition(source: &str) -> Option<String> {
    use std::sync::LazyLock;
    static SHAPE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^(\^?)(\.|\\[dDwWsS]|\[(?:[^\]\\]|\\.)*\])\{(\d+),(\d*)\}$")
            .expect("valid")
    });
    let caps = SHAPE.captures(source)?;
    let min: u64 = caps[3].parse().ok()?;
    let max: Option<u64> = caps[4].parse().ok();
    if max.is_some_and(|m| m < 1000) || min > 1000 {
        return None;
    }
    Some(format!("{}{}{{{min}}}", &caps[1], &caps[2]))
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn check(pattern: &str, yes: &[&str], no: &[&str]) {
        let re = regex::Regex::new(&translate(pattern).unwrap().regex).unwrap();
        for s in yes {
            assert!(re.is_match(s), "{pattern} should match {s:?}");
        }
        for s in no {
            assert!(!re.is_match(s), "{pattern} should not match {s:?}");
        }
    }

    #[test]
    fn ecma_semantics() {
        check(r"^\d{3}$", &["123"], &["١٢٣", "12"]);
        check(r"^[\w-]+$", &["a_b-9"], &["é"]);
        check(r"^a.c$", &["abc"], &["a\nc", "a\u{2028}c"]);
        check(r"^\s$", &["\u{feff}", " "], &["a"]);
        check(r"b", &["abc"], &["xyz"]); // unanchored search
        check(r"^[^]$", &["x", "\n"], &[""]);
    }

    /// What real contracts write that ECMA-262 leaves undefined or that
    /// `regex` cannot take as written (each seen in the public corpus).
    #[test]
    fn contracts_dialects() {
        // Java's POSIX classes, in and out of a class, and negated.
        check(r"^\p{Alpha}+$", &["abC"], &["ab1", "é"]);
        check(r"^[\p{Alnum}_]+$", &["a_1"], &["a-1"]);
        check(r"^[\p{Graph}\x20]*$", &["a b~"], &["a\tb", "é"]);
        check(r"^\p{XDigit}{2}$", &["aF"], &["ag"]);
        check(r"^\P{Digit}$", &["a"], &["1"]);
        check(r"^[\p{all}]*$", &["any\nthing é"], &[]);
        // Unicode properties keep their meaning.
        check(r"^\p{L}+$", &["é"], &["1"]);
        // Surrogates: a pair of escapes is one character; a lone one (or a
        // range of them) matches nothing, as no string holds one.
        check(r"^\uD83D\uDE00$", &["😀"], &["a"]);
        check(
            r"^[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDBFF-\uDC00\uDFFF\t]*$",
            &["abc\t", "\u{E000}"],
            &["\n", "😀"],
        );
        check(r"^a\uD800?$", &["a"], &["b"]);
        check(r"^\u{1F600}$", &["😀"], &["u"]);
        // Annex B: a hyphen next to a class escape is a literal; a brace
        // that starts no quantifier is a literal; `\0dd` is octal.
        check(r"^[\w-.+]+$", &["a-b.c+d"], &["a b"]);
        check(r"^[.-\w]+$", &["a-b."], &["a b"]);
        check(r"^1[0-9]{,2}$", &["10{,2}"], &["12"]);
        check(r"^[^/:|\000-\037]+$", &["ab"], &["a/b", "a\u{1}b"]);
        // Java and Ruby anchors.
        check(r"\Aab\z", &["ab"], &["xab", "abx"]);
        check(r"\Aab\Z", &["ab", "ab\n"], &["abx"]);
        // A long bounded run that nothing follows: searched as its minimum.
        let long = translate(r"^.{1,2097152}").unwrap();
        assert_eq!(long.regex, r"^[^\n\r\x{2028}\x{2029}]{1}");
        assert!(!long.notes.is_empty());
        check(r"^.{1,2097152}", &["a"], &["", "\nabc"]);
        check(r"\S{1,8192}", &[" a "], &["   "]);
        // Java-dialect readings are noted (a warning in the surface).
        assert!(translate(r"\p{Alpha}").unwrap().notes[0].contains("Java"));
        assert!(translate(r"^a+$").unwrap().notes.is_empty());
    }

    #[test]
    fn backtracking_only_where_needed() {
        use crate::ir::RegexEngine;
        assert_eq!(translate(r"^[a-z]+$").unwrap().engine, RegexEngine::Linear);
        assert_eq!(
            translate(r"(a)\1").unwrap().engine,
            RegexEngine::Backtracking
        );
        assert_eq!(
            translate(r"a(?=b)").unwrap().engine,
            RegexEngine::Backtracking
        );
        assert_eq!(
            translate(r"(?<!x)y").unwrap().engine,
            RegexEngine::Backtracking
        );
        assert!(translate(r"(").unwrap_err().contains("not a valid"));
    }
}
