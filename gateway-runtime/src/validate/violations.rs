//! Collecting rule violations with their location, cheaply on the valid path.

use std::borrow::Cow;
use std::fmt;

use crate::json::Value;

/// Where in the request a violation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
    Cookie,
    /// The whole query string as one value (OpenAPI 3.2 `in: querystring`).
    QueryString,
    Body,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
            Location::QueryString => "querystring",
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
/// Generated validators call [`Violations::fail`] for each broken rule, with
/// a pointer relative to the value being checked; a parent descending into
/// a member or item takes a [`Violations::mark`] and, once the child
/// returns, [`Violations::at_key`] / [`Violations::at_index`] prefix the
/// child's violations with their segment. A valid value thus costs no
/// pointer bookkeeping at all. While a branch of `anyOf`/`oneOf`/`not` is
/// being tried, the collector is *probing*: nothing is recorded and
/// validators return at the first failure.
#[derive(Debug)]
pub struct Violations {
    items: Vec<Violation>,
    cap: usize,
    probing: u32,
    location: Location,
    /// A `&'static str` rather than the `Cow` of [`Violation::name`]: a
    /// collector that recorded nothing then costs one vector's drop.
    name: &'static str,
    /// Current nesting of recursive validators ([`Sink::descend`]), and
    /// whether it went past the guard (validation is then over: every
    /// validator returns false).
    depth: u32,
    too_deep: bool,
}

impl Default for Violations {
    fn default() -> Self {
        Violations::new(Self::DEFAULT_CAP)
    }
}

impl Violations {
    /// How many violations an error response lists by default.
    pub const DEFAULT_CAP: usize = 10;

    /// Deepest nesting of recursive validators (those of schemas on a
    /// `$ref` cycle, the only ones whose depth follows the instance's),
    /// whatever the parser allowed: a guard against stack exhaustion that
    /// does not rely on every caller having bounded its input.
    pub const MAX_DEPTH: u32 = 512;

    pub fn new(cap: usize) -> Violations {
        Violations {
            items: Vec::new(),
            cap,
            probing: 0,
            location: Location::Body,
            name: "",
            depth: 0,
            too_deep: false,
        }
    }

    /// Starts checking a new request part (a parameter or the body).
    pub fn enter(&mut self, location: Location, name: &'static str) {
        self.location = location;
        self.name = name;
    }

    /// True when a validator that found a failure should return now: inside
    /// a probe (the verdict is known) or once the cap is reached.
    #[inline]
    pub fn should_stop(&self) -> bool {
        self.probing > 0 || self.items.len() >= self.cap || self.too_deep
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
                name: Cow::Borrowed(self.name),
                pointer: String::new(),
                rule,
                message: message.to_string(),
            });
        }
        false
    }

    /// Descends into a member or an item: returns the mark to pass to
    /// [`Violations::at_key`] or [`Violations::at_index`] after checking
    /// it.
    #[inline]
    pub fn mark(&mut self) -> usize {
        self.items.len()
    }

    /// Enters a recursive validator: `false` past
    /// [`Violations::MAX_DEPTH`] (a `maxDepth` violation is then recorded,
    /// probing or not, and validation is over), else [`Violations::ascend`]
    /// follows once it is checked.
    #[inline]
    pub fn descend(&mut self) -> bool {
        self.depth += 1;
        if self.depth > Self::MAX_DEPTH {
            self.overflow();
            return false;
        }
        true
    }

    #[inline]
    pub fn ascend(&mut self) {
        self.depth -= 1;
    }

    #[cold]
    fn overflow(&mut self) {
        if !self.too_deep {
            self.too_deep = true;
            self.items.push(Violation {
                location: self.location,
                name: Cow::Borrowed(self.name),
                pointer: String::new(),
                rule: "maxDepth",
                message: format!("nested deeper than {} levels", Self::MAX_DEPTH),
            });
        }
    }

    /// Back from member `key`: its violations (recorded since `mark`) get
    /// `/key` in front of their pointer.
    #[inline]
    pub fn at_key(&mut self, mark: usize, key: &str) {
        if self.items.len() > mark {
            self.prefix_key(mark, key);
        }
    }

    /// Back from item `index`, as [`Violations::at_key`].
    #[inline]
    pub fn at_index(&mut self, mark: usize, index: usize) {
        if self.items.len() > mark {
            self.prefix(mark, &format!("/{index}"));
        }
    }

    #[cold]
    fn prefix_key(&mut self, mark: usize, key: &str) {
        let mut segment = String::with_capacity(key.len() + 1);
        segment.push('/');
        for c in key.chars() {
            match c {
                '~' => segment.push_str("~0"),
                '/' => segment.push_str("~1"),
                c => segment.push(c),
            }
        }
        self.prefix(mark, &segment);
    }

    #[cold]
    fn prefix(&mut self, mark: usize, segment: &str) {
        for v in &mut self.items[mark..] {
            v.pointer.insert_str(0, segment);
        }
    }

    /// True once nesting went past the guard.
    pub fn too_deep(&self) -> bool {
        self.too_deep
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

/// What a generated validator reports to. [`Violations`] records each
/// broken rule with its location; [`Verdict`] only answers valid or not and
/// makes every validator return at the first failure. Entry points try a
/// `Verdict` first, so that a valid value costs no error bookkeeping, and
/// check again with `Violations` only to explain a rejection.
pub trait Sink {
    /// A broken rule; always `false`, see [`Violations::fail`].
    fn fail(&mut self, rule: &'static str, message: fmt::Arguments<'_>) -> bool;
    fn should_stop(&self) -> bool;
    fn mark(&mut self) -> usize;
    fn at_key(&mut self, mark: usize, key: &str);
    fn at_index(&mut self, mark: usize, index: usize);
    fn begin_probe(&mut self);
    fn end_probe(&mut self);
    /// The nesting guard, entered by the validators of recursive schemas
    /// only: the others nest no deeper than the schema itself, so that
    /// members and items of a plain object cost no counting.
    fn descend(&mut self) -> bool;
    fn ascend(&mut self);

    /// Checks the member `key` of an object with `check`, its violations
    /// placed under `key`, and folds its verdict into `ok`. `false` when
    /// validation is over (the failure stops it): the caller then returns
    /// `false`. One call per member keeps the generated code short.
    #[inline(always)]
    fn member(&mut self, key: &str, ok: &mut bool, check: impl FnOnce(&mut Self) -> bool) -> bool
    where
        Self: Sized,
    {
        let mark = self.mark();
        let member_ok = check(self);
        self.at_key(mark, key);
        if !member_ok {
            *ok = false;
            return !self.should_stop();
        }
        true
    }
}

impl Sink for Violations {
    #[inline]
    fn fail(&mut self, rule: &'static str, message: fmt::Arguments<'_>) -> bool {
        Violations::fail(self, rule, message)
    }
    #[inline]
    fn should_stop(&self) -> bool {
        Violations::should_stop(self)
    }
    #[inline]
    fn mark(&mut self) -> usize {
        Violations::mark(self)
    }
    #[inline]
    fn at_key(&mut self, mark: usize, key: &str) {
        Violations::at_key(self, mark, key)
    }
    #[inline]
    fn at_index(&mut self, mark: usize, index: usize) {
        Violations::at_index(self, mark, index)
    }
    #[inline]
    fn begin_probe(&mut self) {
        Violations::begin_probe(self)
    }
    #[inline]
    fn end_probe(&mut self) {
        Violations::end_probe(self)
    }
    #[inline]
    fn descend(&mut self) -> bool {
        Violations::descend(self)
    }
    #[inline]
    fn ascend(&mut self) {
        Violations::ascend(self)
    }
}

/// The verdict alone: nothing recorded, stop at the first failure. Only
/// the nesting guard of [`Violations::MAX_DEPTH`] is kept, counted as the
/// recording pass counts it (past it the verdict is "invalid", and the
/// recording pass reports `maxDepth`).
#[derive(Debug, Default)]
pub struct Verdict {
    depth: u32,
    too_deep: bool,
}

impl Sink for Verdict {
    #[inline(always)]
    fn fail(&mut self, _rule: &'static str, _message: fmt::Arguments<'_>) -> bool {
        false
    }
    #[inline(always)]
    fn should_stop(&self) -> bool {
        true
    }
    #[inline(always)]
    fn mark(&mut self) -> usize {
        0
    }
    #[inline(always)]
    fn at_key(&mut self, _mark: usize, _key: &str) {}
    #[inline(always)]
    fn at_index(&mut self, _mark: usize, _index: usize) {}
    #[inline(always)]
    fn begin_probe(&mut self) {}
    #[inline(always)]
    fn end_probe(&mut self) {}
    #[inline(always)]
    fn descend(&mut self) -> bool {
        self.depth += 1;
        if self.depth > Violations::MAX_DEPTH {
            self.too_deep = true;
            return false;
        }
        true
    }
    #[inline(always)]
    fn ascend(&mut self) {
        self.depth -= 1;
    }
}

/// Runs a generated validator as every entry point does: `verdict` (the
/// validator instantiated for [`Verdict`]) first, so that a valid value
/// costs no error bookkeeping, then, for a rejection, `record` (the same
/// validator for [`Violations`]) to say why. Past the nesting guard the
/// value is invalid whatever the validators returned: a failure deep
/// inside a `not` must not turn into a success.
#[inline(always)]
pub fn run(
    v: &Value<'_>,
    out: &mut Violations,
    verdict: impl FnOnce(&Value<'_>, &mut Verdict) -> bool,
    record: impl Fn(&Value<'_>, &mut Violations) -> bool,
) -> bool {
    let mut quick = Verdict::default();
    let valid = verdict(v, &mut quick) && !quick.too_deep;
    debug_assert_eq!(
        valid,
        {
            let mut silent = Violations::new(0);
            record(v, &mut silent) && !silent.too_deep
        },
        "verdict-only and recording validators disagree"
    );
    valid || explain(v, out, record)
}

/// The recording pass of [`run`], out of line: a rejection is the rare
/// path, and inlined it would double the hot validator's code.
#[cold]
#[inline(never)]
fn explain(
    v: &Value<'_>,
    out: &mut Violations,
    record: impl Fn(&Value<'_>, &mut Violations) -> bool,
) -> bool {
    record(v, out) && !out.too_deep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_guard_stops_validation() {
        let mut out = Violations::default();
        let mut levels = 0;
        while out.descend() {
            levels += 1;
        }
        assert_eq!(levels, Violations::MAX_DEPTH);
        assert!(out.too_deep() && out.should_stop());
        assert_eq!(out.as_slice()[0].rule, "maxDepth");
        // The verdict-only sink counts alike.
        let mut verdict = Verdict::default();
        let mut levels = 0;
        while verdict.descend() {
            levels += 1;
        }
        assert_eq!(levels, Violations::MAX_DEPTH);
        assert!(verdict.too_deep);
    }

    #[test]
    fn records_pointer_and_respects_cap_and_probes() {
        let mut out = Violations::new(2);
        out.enter(Location::Body, "");
        let m = out.mark();
        let m2 = out.mark();
        assert!(!out.fail("type", format_args!("must be {}", "string")));
        out.at_index(m2, 3);
        out.at_key(m, "a/b~c");
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
