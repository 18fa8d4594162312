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
    /// Requested sizes of the first allocations and reallocations counted.
    static SIZES: Cell<[usize; 4]> = const { Cell::new([0; 4]) };
}

fn bump(counter: &'static std::thread::LocalKey<Cell<usize>>, size: usize) {
    // `try_with`: the allocator runs during thread teardown too.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = counter.try_with(|n| n.set(n.get() + 1));
            let n = ALLOCS.get() + REALLOCS.get();
            let mut sizes = SIZES.get();
            if let Some(slot) = sizes.get_mut(n - 1) {
                *slot = size;
            }
            SIZES.set(sizes);
        }
    });
}

// SAFETY: every call is forwarded unchanged to `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS, layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS, layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&REALLOCS, new_size);
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
    ALLOCS.set(0);
    REALLOCS.set(0);
    SIZES.set([0; 4]);
    COUNTING.set(true);
    let t = std::hint::black_box(f());
    COUNTING.set(false);
    (t, ALLOCS.get(), REALLOCS.get())
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

/// Asserts that validating the valid payload of `name` allocates nothing.
fn check_allocation_free(name: &str) {
    let (allocs, reallocs) = steady_state(name);
    assert_eq!(
        (allocs, reallocs),
        (0, 0),
        "{name}: allocations and reallocations on the valid path; first requested sizes: {:?}",
        SIZES.get()
    );
}

#[test]
fn small_valid_payload_validates_without_allocating() {
    check_allocation_free("small");
}

#[test]
fn medium_and_large_valid_payloads_validate_without_allocating() {
    check_allocation_free("medium");
    check_allocation_free("large");
}

#[test]
fn the_counter_sees_allocations() {
    // An invalid payload records a violation (its message is a `String`):
    // if this counted nothing, the zeros above would prove nothing.
    let schema = compiled("small");
    let value = json::parse(br#"{"name": 1}"#, 64).expect("parses");
    let (valid, allocs, _) = count(|| (schema.validate)(&value, &mut Violations::default()));
    assert!(!valid);
    assert!(allocs > 0);
}
