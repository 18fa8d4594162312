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
    let mut engine = RegexEngine::Linear;
    let mut out = String::with_capacity(source.len() + 8);
    let mut chars = source.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
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
                    'd' => out.push_str(&class("0-9", false)),
                    'D' => out.push_str(&class("0-9", true)),
                    'w' => out.push_str(&class("A-Za-z0-9_", false)),
                    'W' => out.push_str(&class("A-Za-z0-9_", true)),
                    's' => out.push_str(&class(ECMA_SPACE, false)),
                    'S' => out.push_str(&class(ECMA_SPACE, true)),
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
                out.push(']');
            }
            '.' if !in_class => out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
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
    })
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
