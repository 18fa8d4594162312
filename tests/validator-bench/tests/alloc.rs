//! Heap allocations made by a generated validator on a valid payload that
//! is already parsed: the gateway validates every request, so the valid path
//! should not touch the allocator.
#![allow(unsafe_code, reason = "GlobalAlloc is an unsafe trait")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use douane_runtime::json;
use douane_runtime::validate::Violations;
use douane_validator_bench::{compiled, payloads};

/// Counts the allocations (and reallocations) of the current thread while
/// `COUNTING` is set; everything is delegated to [`System`].
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static REALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn bump(counter: &'static std::thread::LocalKey<Cell<usize>>) {
    // `try_with`: the allocator runs during thread teardown too.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = counter.try_with(|n| n.set(n.get() + 1));
        }
    });
}

// SAFETY: every call is forwarded unchanged to `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&REALLOCS);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `(allocations, reallocations)` made by `f` on this thread.
fn count<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let before = (ALLOCS.get(), REALLOCS.get());
    COUNTING.set(true);
    let t = std::hint::black_box(f());
    COUNTING.set(false);
    (t, ALLOCS.get() - before.0, REALLOCS.get() - before.1)
}

/// Allocations of one validation of the valid payload of `name`, with a
/// fresh `Violations::default()` as the gateway uses per request, after a
/// first call has initialised the lazily compiled patterns and literals.
fn steady_state(name: &str) -> (usize, usize) {
    let schema = compiled(name);
    let text = payloads::by_name(name);
    let value = json::parse(text.as_bytes(), 64).expect("payload parses");
    assert!((schema.validate)(&value, &mut Violations::default()));
    let (valid, allocs, reallocs) = count(|| {
        let mut out = Violations::default();
        (schema.validate)(&value, &mut out)
    });
    assert!(valid);
    (allocs, reallocs)
}

#[test]
fn small_valid_payload_validates_without_allocating() {
    // FIXME: should be (0, 0). `Violations` keeps the JSON pointer of the
    // current member in a `String` that starts empty: the first
    // `push_key("id")` allocates it (capacity 8) and `push_key("createdAt")`
    // grows it ("/createdAt" is 10 bytes), although the pointer is only read
    // when a rule fails. Reusing one `Violations` per connection, or
    // building the pointer lazily on failure, would remove both.
    assert_eq!(steady_state("small"), (1, 1));
}

#[test]
fn reusing_violations_makes_the_valid_path_allocation_free() {
    // The pointer's buffer is kept by `Violations` between validations, so
    // once it has grown the valid path allocates nothing: this is the
    // behaviour the FIXME above asks for from a fresh collector.
    let schema = compiled("small");
    let text = payloads::small();
    let value = json::parse(text.as_bytes(), 64).expect("payload parses");
    let mut out = Violations::default();
    assert!((schema.validate)(&value, &mut out));
    let (valid, allocs, reallocs) = count(|| (schema.validate)(&value, &mut out));
    assert!(valid);
    assert_eq!((allocs, reallocs), (0, 0));
}
