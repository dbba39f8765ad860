//! A global allocator that counts heap allocations per thread, to prove a hot path
//! allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// Counts heap allocations per thread. Install it in a test binary with
/// `#[global_allocator] static A: CountingAllocator = CountingAllocator;` and compare
/// [`allocations`] before and after; per-thread counts keep parallel tests apart.
pub struct CountingAllocator;

// SAFETY: delegates to the system allocator; the counter is a const thread-local (no lazy
// initialisation that could itself allocate), updated with `try_with` so it is never
// touched during thread teardown.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as GlobalAlloc::alloc.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as GlobalAlloc::dealloc.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as GlobalAlloc::realloc.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Heap allocations made by this thread so far through [`CountingAllocator`] (0 when it is
/// not the global allocator).
pub fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}
