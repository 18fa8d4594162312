//! A borrowed JSON document model and its strict parser.
//!
//! Bodies are parsed once into [`Value`], which borrows strings from the
//! request bytes where no unescaping is needed, keeps object members in
//! document order and rejects what a lenient parser would let through:
//! duplicate keys (a validator and a backend that disagree on which duplicate
//! wins is a known bypass), nesting beyond a limit, trailing data.

use std::borrow::Cow;
use std::fmt;
use std::hash::BuildHasher as _;

/// A JSON value borrowing from the input where it can.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    /// Members in document order; keys are unique.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// A JSON number, kept as an exact integer when it has no fraction or
/// exponent and fits in 128 bits.
#[derive(Debug, Clone, Copy)]
pub enum Number {
    PosInt(u64),
    NegInt(i64),
    /// An integer beyond the 64-bit variants (never one they can hold), so
    /// that a 30-digit value compares exactly with a 30-digit bound.
    BigInt(Wide),
    Float(f64),
}

/// An `i128` stored as two 64-bit halves: `i128` is 16-byte aligned, which
/// would make every [`Value`] half as large again for a rare variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wide {
    hi: i64,
    lo: u64,
}

impl Wide {
    pub fn new(n: i128) -> Wide {
        Wide {
            hi: (n >> 64) as i64,
            lo: n as u64,
        }
    }

    pub fn get(self) -> i128 {
        (i128::from(self.hi) << 64) | i128::from(self.lo)
    }
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::PosInt(n) => n as f64,
            Number::NegInt(n) => n as f64,
            Number::BigInt(n) => n.get() as f64,
            Number::Float(f) => f,
        }
    }

    /// The exact value of an integer variant.
    fn as_i128(self) -> Option<i128> {
        match self {
            Number::PosInt(n) => Some(i128::from(n)),
            Number::NegInt(n) => Some(i128::from(n)),
            Number::BigInt(n) => Some(n.get()),
            Number::Float(_) => None,
        }
    }

    /// JSON Schema's notion of integer: `1.0` is an integer.
    pub fn is_integer(self) -> bool {
        match self {
            Number::PosInt(_) | Number::NegInt(_) | Number::BigInt(_) => true,
            Number::Float(f) => f.is_finite() && f.fract() == 0.0,
        }
    }
}

impl Number {
    /// Exact comparison with an integer (bounds beyond ±2^53, where f64
    /// cannot tell neighbouring integers apart).
    pub fn cmp_i128(self, bound: i128) -> std::cmp::Ordering {
        match self {
            Number::PosInt(n) => i128::from(n).cmp(&bound),
            Number::NegInt(n) => i128::from(n).cmp(&bound),
            Number::BigInt(n) => n.get().cmp(&bound),
            Number::Float(f) => {
                let b = bound as f64;
                if f < b {
                    std::cmp::Ordering::Less
                } else if f > b {
                    std::cmp::Ordering::Greater
                } else {
                    // Equal as floats: `f` is integral, compare exactly.
                    (f as i128).cmp(&bound)
                }
            }
        }
    }

    /// `multipleOf`: exact for integers, within float rounding otherwise.
    pub fn is_multiple_of(self, divisor: f64) -> bool {
        if divisor.fract() == 0.0 && divisor.abs() < u64::MAX as f64 {
            let d = divisor.abs() as u64;
            match self {
                Number::PosInt(n) => return n % d == 0,
                Number::NegInt(n) => return n.unsigned_abs() % d == 0,
                Number::BigInt(n) => return n.get().unsigned_abs() % u128::from(d) == 0,
                Number::Float(_) => {}
            }
        }
        // JSON numbers are decimals: compare the shortest decimal forms of
        // both (what the texts said), exactly, rather than binary floats.
        let (Some((vm, ve)), Some((dm, de))) = (decimal(self.as_f64()), decimal(divisor)) else {
            return false;
        };
        if vm == 0 {
            return true;
        }
        if dm == 0 {
            return false;
        }
        let dm = dm.unsigned_abs();
        let vm = vm.unsigned_abs();
        if ve >= de {
            // vm·10^(ve−de) mod dm, by modular exponentiation (no overflow:
            // dm has at most 17 digits).
            let mut rem = vm % dm;
            let mut base = 10 % dm;
            let mut k = (ve - de) as u32;
            while k > 0 {
                if k & 1 == 1 {
                    rem = rem * base % dm;
                }
                base = base * base % dm;
                k >>= 1;
            }
            rem == 0
        } else {
            // vm must be divisible by dm·10^(de−ve).
            match 10u128
                .checked_pow((de - ve) as u32)
                .and_then(|p| p.checked_mul(dm))
            {
                Some(d) => vm % d == 0,
                None => false,
            }
        }
    }
}

/// The shortest decimal form of a finite float: `(mantissa, exponent)` with
/// `x = mantissa · 10^exponent`, formatted on the stack (no allocation).
fn decimal(x: f64) -> Option<(i128, i32)> {
    use std::io::Write as _;
    if !x.is_finite() {
        return None;
    }
    let mut buf = [0u8; 40];
    let mut cursor = &mut buf[..];
    write!(cursor, "{x:e}").ok()?;
    let len = 40 - cursor.len();
    let text = std::str::from_utf8(&buf[..len]).ok()?;
    let (digits, exp) = text.split_once('e')?;
    let mut exp: i32 = exp.parse().ok()?;
    let negative = digits.starts_with('-');
    let digits = digits.trim_start_matches('-');
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    exp -= frac.len() as i32;
    let mut mantissa: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa * 10 + i128::from(b - b'0');
    }
    Some((if negative { -mantissa } else { mantissa }, exp))
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self.as_i128(), other.as_i128()) {
            (Some(a), Some(b)) => a == b,
            _ => self.as_f64() == other.as_f64(),
        }
    }
}

impl Value<'_> {
    /// The JSON Schema type name of this value (`integer` for integral
    /// numbers).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_integer() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Looks up an object member by key.
    pub fn get(&self, key: &str) -> Option<&Value<'_>> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// JSON Schema equality: numbers compare by value, objects regardless of
/// member order.
impl PartialEq for Value<'_> {
    fn eq(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.iter().any(|(k2, v2)| k == k2 && v == v2))
            }
            _ => false,
        }
    }
}

impl Value<'static> {
    /// Parses a JSON literal embedded in generated code (an `enum` list, a
    /// `const`); the compiler has checked it, so failure is a bug.
    pub fn literal(text: &'static str) -> Value<'static> {
        match parse(text.as_bytes(), 1024) {
            Ok(v) => v,
            Err(e) => panic!("invalid JSON literal in generated code: {e}"),
        }
    }
}

impl Value<'_> {
    /// A copy that borrows nothing (strings owned).
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Number(n) => Value::Number(n),
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Array(items) => Value::Array(items.into_iter().map(Value::into_owned).collect()),
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }

    /// For an array: whether any item equals `v` (JSON Schema equality).
    pub fn array_contains(&self, v: &Value<'_>) -> bool {
        matches!(self, Value::Array(items) if items.iter().any(|e| e == v))
    }
}

/// Index pair of the first two equal items, for `uniqueItems`: the
/// smallest `(i, j)`, whichever way it is found.
///
/// Short arrays compare every pair; longer ones group items by a hash that
/// agrees with JSON Schema equality first, so that a 100,000-item array
/// costs a sort, not five billion comparisons.
#[inline(always)]
pub fn first_duplicate(items: &[Value<'_>]) -> Option<(usize, usize)> {
    // Most arrays under `uniqueItems` are a few tags: settled inline.
    match items {
        [] | [_] => None,
        [a, b] => quick_eq(a, b).then_some((0, 1)),
        _ => first_duplicate_of_many(items),
    }
}

/// [`first_duplicate`] for three items or more.
fn first_duplicate_of_many(items: &[Value<'_>]) -> Option<(usize, usize)> {
    if items.len() <= 16 {
        for (i, a) in items.iter().enumerate() {
            for (j, b) in items.iter().enumerate().skip(i + 1) {
                if quick_eq(a, b) {
                    return Some((i, j));
                }
            }
        }
        return None;
    }
    first_duplicate_hashed(items)
}

/// JSON Schema equality with the common case inline: items of a
/// `uniqueItems` array are mostly strings, mostly of different lengths.
#[inline(always)]
fn quick_eq(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.len() == y.len() && x.as_bytes() == y.as_bytes(),
        (Value::String(_), _) | (_, Value::String(_)) => false,
        _ => a == b,
    }
}

/// [`first_duplicate`] for long arrays.
fn first_duplicate_hashed(items: &[Value<'_>]) -> Option<(usize, usize)> {
    let state = std::collections::hash_map::RandomState::new();
    let mut keyed: Vec<(u64, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, v)| (equality_hash(v, &state), i))
        .collect();
    keyed.sort_unstable();
    let mut best: Option<(usize, usize)> = None;
    for group in keyed.chunk_by(|a, b| a.0 == b.0) {
        for (k, &(_, i)) in group.iter().enumerate() {
            for &(_, j) in &group[k + 1..] {
                // Indices ascend within a group (the sort's second key).
                if best.is_none_or(|b| (i, j) < b) && items[i] == items[j] {
                    best = Some((i, j));
                }
            }
        }
    }
    best
}

/// A hash under which values equal for JSON Schema (`1` and `1.0`, objects
/// in any member order) collide.
fn equality_hash(v: &Value<'_>, state: &std::collections::hash_map::RandomState) -> u64 {
    use std::hash::{Hash, Hasher};
    fn feed<H: Hasher>(v: &Value<'_>, h: &mut H, state: &std::collections::hash_map::RandomState) {
        match v {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => (1u8, b).hash(h),
            Value::Number(n) => {
                // Equal numbers have equal `f64` images (integers beyond
                // 2^53 may share one: a collision, settled by `==`).
                let f = n.as_f64();
                (2u8, if f == 0.0 { 0 } else { f.to_bits() }).hash(h)
            }
            Value::String(s) => (4u8, &**s).hash(h),
            Value::Array(items) => {
                (5u8, items.len()).hash(h);
                for item in items {
                    feed(item, h, state);
                }
            }
            Value::Object(members) => {
                // Order-independent: a sum of per-member hashes.
                let sum = members.iter().fold(0u64, |acc, (k, v)| {
                    let mut m = state.build_hasher();
                    k.hash(&mut m);
                    feed(v, &mut m, state);
                    acc.wrapping_add(m.finish())
                });
                (6u8, members.len(), sum).hash(h);
            }
        }
    }
    let mut h = state.build_hasher();
    feed(v, &mut h, state);
    h.finish()
}

/// Why a body is not acceptable JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON at all, or trailing data; the message carries line and column.
    Malformed(String),
    /// An object has the same key twice.
    DuplicateKey(String),
    /// Objects and arrays nest deeper than the limit.
    TooDeep(u32),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Malformed(m) => write!(f, "malformed JSON: {m}"),
            ParseError::DuplicateKey(k) => write!(f, "duplicate object key \"{k}\""),
            ParseError::TooDeep(max) => write!(f, "JSON nesting deeper than {max} levels"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses `input` strictly: RFC 8259 JSON, unique keys, at most `max_depth`
/// nested arrays/objects, nothing after the value but whitespace.
///
/// A hand-written, iterative parser: no recursion (a deep document cannot
/// overflow the stack, whatever the configured limit), one UTF-8 check of
/// the whole input, strings borrowed unless they hold escapes, and one
/// exact-size allocation per non-empty array or object. While a container
/// is open its children wait on scratch stacks as [`Slot`]s, and become
/// [`Value`]s only when it closes, written straight into its vector. The
/// scratch stacks are kept per thread between calls (see [`Scratch`]), so
/// that a stream of bodies allocates only what it returns.
pub fn parse(input: &[u8], max_depth: u32) -> Result<Value<'_>, ParseError> {
    let text = match std::str::from_utf8(input) {
        Ok(text) => text,
        Err(e) => {
            return Err(error_at(e.valid_up_to(), input, "invalid UTF-8"));
        }
    };
    let scratch = SCRATCH.take();
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        max_depth,
        frames: scratch.frames,
        slots: scratch.slots,
        keys: scratch.keys,
        owned: scratch.owned,
        done: recycle(scratch.done),
        key_sets: Vec::new(),
        hasher: None,
    };
    let result = p.document();
    SCRATCH.set(Scratch::keep(p.frames, p.slots, p.keys, p.owned, p.done));
    result
}

/// The scratch stacks of a finished parse, empty, kept for the next parse on
/// the same thread. They hold no value: the lifetime of the document they
/// served is erased by [`recycle`].
struct Scratch {
    frames: Vec<Frame>,
    slots: Vec<Slot>,
    keys: Vec<Slot>,
    owned: Vec<String>,
    done: Vec<Value<'static>>,
}

impl Scratch {
    /// Entries kept per stack between parses: enough for the bodies most
    /// requests carry, without pinning the memory of a rare huge one to
    /// the thread (under 100 KB per thread).
    const KEEP: usize = 1024;

    const EMPTY: Scratch = Scratch {
        frames: Vec::new(),
        slots: Vec::new(),
        keys: Vec::new(),
        owned: Vec::new(),
        done: Vec::new(),
    };

    fn keep(
        frames: Vec<Frame>,
        slots: Vec<Slot>,
        keys: Vec<Slot>,
        owned: Vec<String>,
        done: Vec<Value<'_>>,
    ) -> Scratch {
        fn bounded<T>(mut v: Vec<T>) -> Vec<T> {
            v.clear();
            if v.capacity() <= Scratch::KEEP {
                v
            } else {
                Vec::new()
            }
        }
        Scratch {
            frames: bounded(frames),
            slots: bounded(slots),
            keys: bounded(keys),
            owned: bounded(owned),
            done: recycle(bounded(done)),
        }
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::EMPTY
    }
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = const { std::cell::Cell::new(Scratch::EMPTY) };
}

/// An empty vector of `U` in the allocation of `v`: the standard library's
/// `collect` of a `Vec`'s own `into_iter` reuses the buffer when `T` and `U`
/// have the same size and alignment (here, the same type under another
/// lifetime), so no element is ever mapped and nothing is allocated. Were
/// that optimisation gone, this would still be correct, only allocate.
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector was cleared"))
        .collect()
}

/// A parsed value (or key) waiting for its container to close: plain
/// integers rather than a [`Value`]. Pushing an enum of borrowed and owned
/// payloads made the compiler assemble each one on the machine stack and
/// copy it with wider loads than the stores that built it, a
/// store-forwarding stall per value (measured: most of the parse time).
#[derive(Clone, Copy)]
struct Slot {
    kind: SlotKind,
    a: u64,
    b: u64,
}

/// A whole word, so that a [`Slot`] has no padding (copied along with the
/// fields, half-written padding stalled store forwarding again).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
enum SlotKind {
    Null,
    False,
    True,
    /// A string borrowed from the input, bytes `a..b`.
    Borrowed,
    /// A string with escapes: `owned[a]`.
    Owned,
    PosInt,
    NegInt,
    /// `Wide { hi: a, lo: b }`.
    BigInt,
    /// The bits of an `f64` in `b`.
    Float,
    /// An array or object, finished: the next one on `done`.
    Container,
}

impl Slot {
    const fn new(kind: SlotKind, a: u64, b: u64) -> Slot {
        Slot { kind, a, b }
    }

    fn number(n: Number) -> Slot {
        match n {
            Number::PosInt(u) => Slot::new(SlotKind::PosInt, 0, u),
            Number::NegInt(i) => Slot::new(SlotKind::NegInt, 0, i as u64),
            Number::BigInt(w) => Slot::new(SlotKind::BigInt, w.hi as u64, w.lo),
            Number::Float(f) => Slot::new(SlotKind::Float, 0, f.to_bits()),
        }
    }

    /// The bytes of a string slot; `owned` is the parser's stack of strings.
    #[inline]
    fn bytes<'s>(&self, input: &'s [u8], owned: &'s [String]) -> &'s [u8] {
        match self.kind {
            SlotKind::Owned => owned[self.a as usize].as_bytes(),
            _ => &input[self.a as usize..self.b as usize],
        }
    }

    /// The value of this slot. `owned` and `done` yield, in order, the
    /// escaped strings and finished containers of the slots being converted
    /// (a container's own children took theirs when it closed).
    #[inline(always)]
    fn value<'a>(
        self,
        text: &'a str,
        owned: &mut impl Iterator<Item = String>,
        done: &mut impl Iterator<Item = Value<'a>>,
    ) -> Value<'a> {
        match self.kind {
            SlotKind::Null => Value::Null,
            SlotKind::False => Value::Bool(false),
            SlotKind::True => Value::Bool(true),
            SlotKind::Borrowed => Value::String(self.key(text, owned)),
            SlotKind::Owned => Value::String(self.key(text, owned)),
            SlotKind::PosInt => Value::Number(Number::PosInt(self.b)),
            SlotKind::NegInt => Value::Number(Number::NegInt(self.b as i64)),
            SlotKind::BigInt => Value::Number(Number::BigInt(Wide {
                hi: self.a as i64,
                lo: self.b,
            })),
            SlotKind::Float => Value::Number(Number::Float(f64::from_bits(self.b))),
            SlotKind::Container => done.next().expect("a finished container per slot"),
        }
    }

    /// The string of a string slot, as [`Slot::value`] takes it.
    #[inline(always)]
    fn key<'a>(self, text: &'a str, owned: &mut impl Iterator<Item = String>) -> Cow<'a, str> {
        match self.kind {
            SlotKind::Owned => Cow::Owned(owned.next().expect("an owned string per slot")),
            _ => Cow::Borrowed(&text[self.a as usize..self.b as usize]),
        }
    }
}

/// An open array or object while its children are parsed: where its
/// children start on each scratch stack.
#[derive(Clone, Copy)]
struct Frame {
    slots: usize,
    keys: usize,
    owned: usize,
    done: usize,
    object: bool,
}

/// Objects with more members than this check duplicates through a hash set.
const LINEAR_KEY_SCAN: usize = 16;

/// The parser's state: children of the open containers wait on `slots`
/// (array items and member values) and `keys`, each container's after its
/// parent's; their escaped strings on `owned` and their finished
/// containers on `done`, in document order.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    max_depth: u32,
    /// Open containers, innermost last.
    frames: Vec<Frame>,
    slots: Vec<Slot>,
    keys: Vec<Slot>,
    owned: Vec<String>,
    done: Vec<Value<'a>>,
    /// For each open large object (by index in `frames`): hashes of its keys
    /// so far, so that duplicate detection stays linear (a hash hit is
    /// confirmed by comparing the keys).
    key_sets: Vec<(usize, std::collections::HashSet<u64>)>,
    hasher: Option<std::collections::hash_map::RandomState>,
}

/// A `Malformed` error naming the line and column of byte `at`.
#[cold]
fn error_at(at: usize, bytes: &[u8], what: &str) -> ParseError {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    ParseError::Malformed(format!("{what} at line {line} column {column}"))
}

impl<'a> Parser<'a> {
    #[cold]
    fn error(&self, what: &str) -> ParseError {
        error_at(self.pos, self.bytes, what)
    }

    /// What was found where something else was expected.
    #[cold]
    fn unexpected(&self, expected: &str) -> ParseError {
        match self.bytes.get(self.pos) {
            None => self.error(&format!("EOF while parsing {expected}")),
            Some(_) => self.error(&format!("expected {expected}")),
        }
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn document(&mut self) -> Result<Value<'a>, ParseError> {
        self.value()?;
        self.skip_whitespace();
        if self.pos != self.bytes.len() {
            return Err(self.error("trailing characters"));
        }
        let slot = self.slots.pop().expect("the document's value");
        let mut owned = self.owned.drain(..);
        let mut done = self.done.drain(..);
        Ok(slot.value(self.text, &mut owned, &mut done))
    }

    fn open(&mut self, object: bool) -> Result<(), ParseError> {
        if self.frames.len() as u32 >= self.max_depth {
            return Err(ParseError::TooDeep(self.max_depth));
        }
        self.frames.push(Frame {
            slots: self.slots.len(),
            keys: self.keys.len(),
            owned: self.owned.len(),
            done: self.done.len(),
            object,
        });
        Ok(())
    }

    /// Parses one value onto `slots`, iteratively: containers push a frame
    /// and the loop goes on with their first child; after each value, the
    /// containers the input closes are built from their children.
    fn value(&mut self) -> Result<(), ParseError> {
        'value: loop {
            self.skip_whitespace();
            let slot = match self.peek() {
                Some(b'"') => self.string()?,
                Some(b'-' | b'0'..=b'9') => Slot::number(self.number()?),
                Some(b'{') => {
                    self.pos += 1;
                    self.open(true)?;
                    self.skip_whitespace();
                    if self.peek() != Some(b'}') {
                        self.member_key()?;
                        continue 'value;
                    }
                    self.pos += 1;
                    self.frames.pop();
                    self.done.push(Value::Object(Vec::new()));
                    Slot::new(SlotKind::Container, 0, 0)
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.open(false)?;
                    self.skip_whitespace();
                    if self.peek() != Some(b']') {
                        continue 'value;
                    }
                    self.pos += 1;
                    self.frames.pop();
                    self.done.push(Value::Array(Vec::new()));
                    Slot::new(SlotKind::Container, 0, 0)
                }
                Some(b't') => self.literal("true", SlotKind::True)?,
                Some(b'f') => self.literal("false", SlotKind::False)?,
                Some(b'n') => self.literal("null", SlotKind::Null)?,
                _ => return Err(self.unexpected("value")),
            };
            self.slots.push(slot);
            // Close the containers the input closes after this value.
            loop {
                let Some(&frame) = self.frames.last() else {
                    return Ok(());
                };
                self.skip_whitespace();
                match (self.peek(), frame.object) {
                    (Some(b','), true) => {
                        self.pos += 1;
                        self.skip_whitespace();
                        self.member_key()?;
                        continue 'value;
                    }
                    (Some(b','), false) => {
                        self.pos += 1;
                        continue 'value;
                    }
                    (Some(b'}'), true) => {
                        self.pos += 1;
                        self.close(frame);
                    }
                    (Some(b']'), false) => {
                        self.pos += 1;
                        self.close(frame);
                    }
                    (_, true) => return Err(self.unexpected("`,` or `}`")),
                    (_, false) => return Err(self.unexpected("`,` or `]`")),
                }
            }
        }
    }

    /// Closes the innermost container (`frame`): its children become
    /// values in one exact-size vector, the container goes to `done` and
    /// its slot to its parent.
    fn close(&mut self, frame: Frame) {
        self.frames.pop();
        if self
            .key_sets
            .last()
            .is_some_and(|(f, _)| *f == self.frames.len())
        {
            self.key_sets.pop();
        }
        let text = self.text;
        let mut owned = self.owned.drain(frame.owned..);
        let mut done = self.done.drain(frame.done..);
        let n = self.slots.len() - frame.slots;
        let container = if frame.object {
            let mut members = Vec::with_capacity(n);
            // Key first, then value: the order their strings were pushed.
            members.extend(
                self.keys
                    .drain(frame.keys..)
                    .zip(self.slots.drain(frame.slots..))
                    .map(|(k, v)| {
                        let key = k.key(text, &mut owned);
                        (key, v.value(text, &mut owned, &mut done))
                    }),
            );
            Value::Object(members)
        } else {
            let mut items = Vec::with_capacity(n);
            items.extend(
                self.slots
                    .drain(frame.slots..)
                    .map(|v| v.value(text, &mut owned, &mut done)),
            );
            Value::Array(items)
        };
        drop((owned, done));
        self.done.push(container);
        self.slots.push(Slot::new(SlotKind::Container, 0, 0));
    }

    /// Reads `"key":` for the innermost object onto `keys`, refusing a
    /// duplicate.
    #[inline]
    fn member_key(&mut self) -> Result<(), ParseError> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("object key"));
        }
        let key = self.string()?;
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return Err(self.unexpected("`:`"));
        }
        self.pos += 1;
        let start = self.frames.last().expect("an open object").keys;
        let duplicate = if self.keys.len() - start < LINEAR_KEY_SCAN {
            let (input, owned) = (self.bytes, &self.owned[..]);
            let name = key.bytes(input, owned);
            self.keys[start..].iter().any(|k| {
                // Lengths first: most siblings differ there.
                let len = match k.kind {
                    SlotKind::Owned => owned[k.a as usize].len(),
                    _ => (k.b - k.a) as usize,
                };
                len == name.len() && k.bytes(input, owned) == name
            })
        } else {
            self.seen_in_large_object(start, key)
        };
        if duplicate {
            let name = String::from_utf8_lossy(key.bytes(self.bytes, &self.owned));
            return Err(ParseError::DuplicateKey(name.into_owned()));
        }
        self.keys.push(key);
        Ok(())
    }

    /// Whether `key` is among the keys of the innermost object, a large one
    /// (its keys from `start`), through the object's set of key hashes.
    #[cold]
    fn seen_in_large_object(&mut self, start: usize, key: Slot) -> bool {
        let state = self.hasher.get_or_insert_with(Default::default);
        let frame = self.frames.len() - 1;
        let (input, owned) = (self.bytes, &self.owned[..]);
        let siblings = &self.keys[start..];
        if self.key_sets.last().is_none_or(|(f, _)| *f != frame) {
            let hashes = siblings
                .iter()
                .map(|k| state.hash_one(k.bytes(input, owned)))
                .collect();
            self.key_sets.push((frame, hashes));
        }
        let (_, hashes) = self.key_sets.last_mut().expect("just ensured");
        let name = key.bytes(input, owned);
        !hashes.insert(state.hash_one(name))
            && siblings.iter().any(|k| k.bytes(input, owned) == name)
    }

    #[inline]
    fn literal(&mut self, word: &str, kind: SlotKind) -> Result<Slot, ParseError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Slot::new(kind, 0, 0))
        } else {
            Err(self.error("expected value"))
        }
    }

    /// A string, the opening quote at `pos`: a span of the input unless it
    /// has escapes, then pushed on `owned`.
    #[inline(always)]
    fn string(&mut self) -> Result<Slot, ParseError> {
        let start = self.pos + 1;
        // Fast scan: most strings have no escape.
        self.pos = plain_run_end(self.bytes, start);
        if self.bytes.get(self.pos) == Some(&b'"') {
            let end = self.pos;
            self.pos += 1;
            return Ok(Slot::new(SlotKind::Borrowed, start as u64, end as u64));
        }
        let s = self.escaped_string(start)?;
        self.owned.push(s);
        Ok(Slot::new(SlotKind::Owned, (self.owned.len() - 1) as u64, 0))
    }

    /// The rest of a string that does not end at the first special byte
    /// (`pos`): an escape, or an error.
    #[cold]
    fn escaped_string(&mut self, start: usize) -> Result<String, ParseError> {
        let mut owned = String::with_capacity(self.pos - start + 16);
        owned.push_str(&self.text[start..self.pos]);
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(owned);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    owned.push(c);
                }
                Some(_) => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
                None => return Err(self.error("EOF while parsing a string")),
            }
            let run = self.pos;
            self.pos = plain_run_end(self.bytes, run);
            owned.push_str(&self.text[run..self.pos]);
        }
    }

    /// The character of an escape, the backslash just consumed.
    fn escape(&mut self) -> Result<char, ParseError> {
        let Some(b) = self.peek() else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                match first {
                    0xD800..=0xDBFF => {
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(c).expect("a surrogate pair is a scalar value")
                    }
                    0xDC00..=0xDFFF => {
                        return Err(
                            self.error("unexpected end of hex escape (lone trailing surrogate)")
                        );
                    }
                    c => char::from_u32(c).expect("not a surrogate"),
                }
            }
            _ => {
                self.pos -= 1;
                return Err(self.error("invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let Some(digits) = self.bytes.get(self.pos..self.pos + 4) else {
            return Err(self.error("EOF while parsing a string"));
        };
        let mut n = 0;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.error("invalid escape")),
            };
            n = n * 16 + u32::from(v);
        }
        self.pos += 4;
        Ok(n)
    }

    /// A number in RFC 8259 syntax, the first byte at `pos`.
    #[inline(always)]
    fn number(&mut self) -> Result<Number, ParseError> {
        let (number, len) = scan_number(&self.bytes[self.pos..])
            .map_err(|(at, what)| error_at(self.pos + at, self.bytes, what))?;
        self.pos += len;
        Ok(number)
    }
}

/// The index of the first byte from `pos` on that ends a run of plain
/// string bytes (`"`, `\\` or a control character), or `b.len()`.
///
/// Eight bytes at a time with the classic "has a zero byte" word tricks:
/// each mask's lowest set bit is exact (false positives only appear above a
/// true one), so the lowest bit of their union is the first special byte.
#[inline]
fn plain_run_end(b: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(pos..pos + 8) {
        let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = v ^ (ONES * u64::from(b'"'));
        let backslash = v ^ (ONES * u64::from(b'\\'));
        let special = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (v.wrapping_sub(ONES * 0x20) & !v))
            & HIGH;
        if special != 0 {
            return pos + (special.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&c) = b.get(pos) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        pos += 1;
    }
    pos
}

/// `m · 10^scale` when both `m` and the power of ten are exact as `f64`
/// (Clinger's fast path): one IEEE multiplication or division then rounds
/// correctly, as `str::parse` would. `None` otherwise.
#[inline]
fn exact_float(m: u64, scale: i64) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    if m > 1 << 53 || !(-22..=22).contains(&scale) {
        return None;
    }
    let p = POW10[scale.unsigned_abs() as usize];
    Some(if scale < 0 {
        m as f64 / p
    } else {
        m as f64 * p
    })
}

/// Reads the longest JSON number at the start of `b`: its value and length,
/// or the offset and description of the syntax error. Integers keep their
/// exact value up to 128 bits; fractions and exponents become `f64`, which
/// must be finite.
#[inline]
pub(crate) fn scan_number(b: &[u8]) -> Result<(Number, usize), (usize, &'static str)> {
    let negative = b.first() == Some(&b'-');
    let mut i = usize::from(negative);
    // Accumulate the magnitude while it fits (u64 first: the common case).
    let mut small: u64 = 0;
    let mut big: Option<u128> = None;
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while let Some(&d) = b.get(i) {
                if !d.is_ascii_digit() {
                    break;
                }
                let digit = u64::from(d - b'0');
                match big {
                    None => match small.checked_mul(10).and_then(|n| n.checked_add(digit)) {
                        Some(n) => small = n,
                        None => big = Some(u128::from(small) * 10 + u128::from(digit)),
                    },
                    Some(n) => big = Some(n.saturating_mul(10).saturating_add(u128::from(digit))),
                }
                i += 1;
            }
        }
        _ => return Err((i, "invalid number")),
    }
    let mut integral = true;
    // For the fast float path below: all the significant digits as one
    // integer while it fits (`None` once not), and the power of ten that
    // scales it.
    let mut digits = if big.is_none() { Some(small) } else { None };
    let mut scale: i64 = 0;
    if b.get(i) == Some(&b'.') {
        integral = false;
        i += 1;
        let frac = i;
        while let Some(&d) = b.get(i) {
            if !d.is_ascii_digit() {
                break;
            }
            digits = digits
                .and_then(|n| n.checked_mul(10))
                .and_then(|n| n.checked_add(u64::from(d - b'0')));
            i += 1;
        }
        if i == frac {
            return Err((i, "invalid number"));
        }
        scale = -((i - frac) as i64);
    }
    if let Some(b'e' | b'E') = b.get(i) {
        integral = false;
        i += 1;
        let negative_exp = b.get(i) == Some(&b'-');
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let exp = i;
        let mut e: i64 = 0;
        while let Some(&d) = b.get(i) {
            if !d.is_ascii_digit() {
                break;
            }
            // Saturating: beyond this the fast path is out of reach anyway.
            e = (e * 10 + i64::from(d - b'0')).min(1 << 32);
            i += 1;
        }
        if i == exp {
            return Err((i, "invalid number"));
        }
        scale += if negative_exp { -e } else { e };
    }
    if !integral {
        if let Some(f) = digits.and_then(|m| exact_float(m, scale)) {
            return Ok((Number::Float(if negative { -f } else { f }), i));
        }
    }
    if integral {
        let number = match (big, negative) {
            (None, false) => Some(Number::PosInt(small)),
            (None, true) if small <= i64::MAX as u64 + 1 => Some(if small == 0 {
                Number::PosInt(0)
            } else {
                Number::NegInt((small as i64).wrapping_neg())
            }),
            (None, true) => Some(Number::BigInt(Wide::new(-i128::from(small)))),
            (Some(n), _) if n <= i128::MAX as u128 => {
                Some(Number::BigInt(Wide::new(if negative {
                    -(n as i128)
                } else {
                    n as i128
                })))
            }
            // Beyond 128 bits: the magnitude as a float, below.
            (Some(_), _) => None,
        };
        if let Some(number) = number {
            return Ok((number, i));
        }
    }
    let text = std::str::from_utf8(&b[..i]).expect("ASCII digits and signs");
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok((Number::Float(f), i)),
        _ => Err((0, "number out of range")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<&str, ParseError>) {
        let got = parse(input.as_bytes(), 3).map(|v| v.type_name());
        assert_eq!(got, expect, "input: {input}");
    }

    #[test]
    fn parses_strictly() {
        check(r#"{"a": [1, 2.5, "x", null, true]}"#, Ok("object"));
        check("1.0", Ok("integer"));
        check("-3", Ok("integer"));
        check("1.5", Ok("number"));
        check(
            r#"{"a": 1, "a": 2}"#,
            Err(ParseError::DuplicateKey("a".into())),
        );
        check(
            r#"{"a": {"b": 1, "b": 2}}"#,
            Err(ParseError::DuplicateKey("b".into())),
        );
        check("[[[1]]]", Ok("array"));
        check("[[[[1]]]]", Err(ParseError::TooDeep(3)));
        assert!(matches!(parse(b"{} x", 3), Err(ParseError::Malformed(_))));
        assert!(matches!(
            parse(b"{'a': 1}", 3),
            Err(ParseError::Malformed(_))
        ));
        assert!(matches!(parse(b"", 3), Err(ParseError::Malformed(_))));
    }

    #[test]
    fn escaped_keys_are_compared_unescaped() {
        // "\u0061" is "a": a duplicate a backend would see too.
        check(
            r#"{"a": 1, "\u0061": 2}"#,
            Err(ParseError::DuplicateKey("a".into())),
        );
    }

    #[test]
    fn multiple_of_within_float_rounding_only() {
        assert!(Number::Float(0.0075).is_multiple_of(0.0001));
        assert!(Number::Float(19.99).is_multiple_of(0.01));
        assert!(!Number::Float(1e-20).is_multiple_of(0.01));
        assert!(!Number::Float(5e-324).is_multiple_of(0.01));
        assert!(!Number::Float(0.010000000000000009).is_multiple_of(0.01));
        assert!(Number::Float(1e308).is_multiple_of(0.01));
        assert!(Number::Float(0.0).is_multiple_of(0.01));
        assert!(Number::PosInt(10).is_multiple_of(2.0));
        assert!(!Number::NegInt(-7).is_multiple_of(2.0));
    }

    #[test]
    fn containers_are_exact_and_scratch_is_reused() {
        // One exact-size allocation per container...
        let v = parse(br#"{"a": [1, 2, 3], "b": {"c": null}}"#, 8).unwrap();
        let Value::Object(members) = &v else { panic!() };
        assert_eq!(members.capacity(), 2);
        let Value::Array(items) = &members[0].1 else {
            panic!()
        };
        assert_eq!(items.capacity(), 3);
        // ...and the scratch stacks survive the parse, emptied, for the next
        // one on this thread (what `recycle` relies on the standard library for).
        let scratch = SCRATCH.take();
        assert!(scratch.slots.capacity() >= 3 && scratch.keys.capacity() >= 2);
        assert!(scratch.done.capacity() >= 2 && scratch.done.is_empty());
        SCRATCH.set(scratch);
    }

    #[test]
    fn fast_float_path_rounds_as_str_parse() {
        for text in [
            "87.5",
            "-0.0",
            "0.1",
            "1e22",
            "9007199254740993.0",
            "123456789012.345678",
            "1.7976931348623157e308",
            "5e-324",
            "2.2250738585072014e-308",
            "0.000123e-5",
            "4.35",
            "1E+2",
            "-12.5e-3",
            "0.30000000000000004",
        ] {
            let (Number::Float(f), _) = scan_number(text.as_bytes()).unwrap() else {
                panic!("{text} is a float")
            };
            let expected: f64 = text.parse().unwrap();
            assert_eq!(f.to_bits(), expected.to_bits(), "{text}");
        }
    }

    #[test]
    fn values_stay_small() {
        // Moved on every parse step: keep them at four words.
        assert_eq!(std::mem::size_of::<Value<'_>>(), 32);
        assert_eq!(Wide::new(-(1i128 << 100) - 7).get(), -(1i128 << 100) - 7);
    }

    #[test]
    fn big_integers_compare_exactly() {
        use std::cmp::Ordering::*;
        let big = (1i128 << 53) + 1;
        assert_eq!(Number::PosInt(1u64 << 53).cmp_i128(big), Less);
        assert_eq!(Number::PosInt((1u64 << 53) + 1).cmp_i128(big), Equal);
        assert_eq!(
            Number::PosInt(u64::MAX).cmp_i128(i128::from(u64::MAX) - 1),
            Greater
        );
        assert_eq!(
            Number::NegInt(i64::MIN).cmp_i128(i128::from(i64::MIN)),
            Equal
        );
        assert_eq!(Number::Float(1e30).cmp_i128(i128::from(u64::MAX)), Greater);
        assert_eq!(Number::Float(0.5).cmp_i128(big), Less);
    }

    #[test]
    fn duplicates_in_long_arrays_are_found_by_hash() {
        // 1 and 1.0 are equal; objects equal in any member order.
        let mut text = String::from("[");
        for i in 0..100 {
            text.push_str(&format!("{{\"n\": {i}, \"s\": \"x\"}},"));
        }
        text.push_str("{\"s\": \"x\", \"n\": 7.0}, 3, 3.0]");
        let Value::Array(items) = parse(text.as_bytes(), 8).unwrap() else {
            panic!()
        };
        assert_eq!(first_duplicate(&items), Some((7, 100)));
        assert_eq!(first_duplicate(&items[8..]), Some((93, 94)));
        assert_eq!(first_duplicate(&items[..100]), None);
        let many: Vec<Value<'_>> = (0..100_000u64)
            .map(|i| Value::Number(Number::PosInt(i)))
            .collect();
        assert_eq!(first_duplicate(&many), None);
    }

    #[test]
    fn equality_follows_json_schema() {
        let a = parse(br#"{"x": 1, "y": [1.0]}"#, 8).unwrap();
        let b = parse(br#"{"y": [1], "x": 1.0}"#, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(parse(b"1", 8).unwrap(), parse(b"true", 8).unwrap());
    }
}
