//! Collecting rule violations with their location, cheaply on the valid path.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Where in the request a violation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
    Body,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Body => "body",
        }
    }
}

/// One broken rule: where, which keyword, and a short message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub location: Location,
    /// The parameter name; empty for the body.
    pub name: Cow<'static, str>,
    /// JSON pointer into the parameter value or the body (`""` = the whole).
    pub pointer: String,
    /// The schema keyword or parameter rule that failed (`maximum`,
    /// `required`, `type`...).
    pub rule: &'static str,
    pub message: String,
}

/// Accumulates violations in a deterministic order, up to a cap.
///
/// Generated validators keep the current JSON pointer here and call
/// [`Violations::fail`] for each broken rule. While a branch of
/// `anyOf`/`oneOf`/`not` is being tried, the collector is *probing*: nothing
/// is recorded and validators return at the first failure.
#[derive(Debug)]
pub struct Violations {
    items: Vec<Violation>,
    cap: usize,
    probing: u32,
    location: Location,
    name: Cow<'static, str>,
    pointer: String,
}

impl Default for Violations {
    fn default() -> Self {
        Violations::new(Self::DEFAULT_CAP)
    }
}

impl Violations {
    /// How many violations an error response lists by default.
    pub const DEFAULT_CAP: usize = 10;

    pub fn new(cap: usize) -> Violations {
        Violations {
            items: Vec::new(),
            cap,
            probing: 0,
            location: Location::Body,
            name: Cow::Borrowed(""),
            pointer: String::new(),
        }
    }

    /// Starts checking a new request part (a parameter or the body).
    pub fn enter(&mut self, location: Location, name: &'static str) {
        self.location = location;
        self.name = Cow::Borrowed(name);
        self.pointer.clear();
    }

    /// True when a validator that found a failure should return now: inside
    /// a probe (the verdict is known) or once the cap is reached.
    #[inline]
    pub fn should_stop(&self) -> bool {
        self.probing > 0 || self.items.len() >= self.cap
    }

    /// True when failures are being recorded (not inside a probe).
    #[inline]
    pub fn collecting(&self) -> bool {
        self.probing == 0
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True once the cap is reached: callers may stop validating.
    pub fn is_full(&self) -> bool {
        self.items.len() >= self.cap
    }

    pub fn into_vec(self) -> Vec<Violation> {
        self.items
    }

    pub fn as_slice(&self) -> &[Violation] {
        &self.items
    }

    /// Records a broken rule at the current location; always returns
    /// `false` so that generated code can write `ok = out.fail(..)`.
    #[cold]
    pub fn fail(&mut self, rule: &'static str, message: fmt::Arguments<'_>) -> bool {
        if self.probing == 0 && self.items.len() < self.cap {
            self.items.push(Violation {
                location: self.location,
                name: self.name.clone(),
                pointer: self.pointer.clone(),
                rule,
                message: message.to_string(),
            });
        }
        false
    }

    /// Descends into an object member; returns the mark to pass to
    /// [`Violations::pop`].
    #[inline]
    pub fn push_key(&mut self, key: &str) -> usize {
        let mark = self.pointer.len();
        self.pointer.push('/');
        for c in key.chars() {
            match c {
                '~' => self.pointer.push_str("~0"),
                '/' => self.pointer.push_str("~1"),
                c => self.pointer.push(c),
            }
        }
        mark
    }

    /// Descends into an array item.
    #[inline]
    pub fn push_index(&mut self, index: usize) -> usize {
        let mark = self.pointer.len();
        let _ = write!(self.pointer, "/{index}");
        mark
    }

    #[inline]
    pub fn pop(&mut self, mark: usize) {
        self.pointer.truncate(mark);
    }

    /// Enters a probe: failures are not recorded until the matching
    /// [`Violations::end_probe`].
    #[inline]
    pub fn begin_probe(&mut self) {
        self.probing += 1;
    }

    #[inline]
    pub fn end_probe(&mut self) {
        self.probing -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_pointer_and_respects_cap_and_probes() {
        let mut out = Violations::new(2);
        out.enter(Location::Body, "");
        let m = out.push_key("a/b~c");
        let m2 = out.push_index(3);
        assert!(!out.fail("type", format_args!("must be {}", "string")));
        out.pop(m2);
        out.pop(m);
        out.begin_probe();
        out.fail("x", format_args!("hidden"));
        out.end_probe();
        out.fail("y", format_args!("second"));
        out.fail("z", format_args!("over the cap"));
        let v = out.into_vec();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].pointer, "/a~1b~0c/3");
        assert_eq!(v[0].message, "must be string");
        assert_eq!(v[1].rule, "y");
    }
}
