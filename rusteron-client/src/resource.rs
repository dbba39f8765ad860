//! Ownership of C handles: one reference-counted owner per handle, released exactly once.
//!
//! Every generated wrapper (`AeronPublication`, `Aeron`, ...) is a raw pointer plus an
//! optional `Arc<ManagedCResource>`. Clones share the owner. The owner also holds:
//!
//! - its **parent** (the client a publication was created by, the context a client was
//!   created from), so a parent outlives its children whatever order users drop them in;
//! - its **dependencies** (handlers C may still call), so `Handler::release()` on a
//!   handler that C still holds cannot leave C with a dangling pointer.
//!
//! `close()` is logical: from then on every call through any clone returns
//! [`AeronErrorType::ResourceClosed`](crate::AeronErrorType::ResourceClosed) without touching
//! C, and the C destructor runs when the last handle drops. Releasing C memory only when no
//! Rust handle (and so no `&self` borrow on any thread) remains is what makes `close()` safe
//! to call while another thread is in the middle of an `offer` on a clone, or while a
//! `BufferClaim` is outstanding. Closing the client (`aeron_t`) also closes, logically, every
//! resource created from it, as `aeron_close` does in C.
//!
//! The closed check costs two relaxed loads on the hot path (own flag + a process-wide
//! count of closes of handles that had children); the parent chain is only walked after
//! such a close has happened.

use std::any::Any;
use std::ffi::c_void;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::AeronCError;

/// C types whose close also closes every resource created from them (`aeron_close` frees
/// the client's publications, subscriptions, counters and images).
const CLOSE_CASCADES: &[&str] = &["aeron_t"];

fn cascades(name: &str) -> bool {
    CLOSE_CASCADES.contains(&name)
}

/// How many handles were closed explicitly while children were open. While it is zero no
/// child can have a closed ancestor, so `is_closed` needs no parent walk.
static CLOSED_WITH_CHILDREN: AtomicUsize = AtomicUsize::new(0);

/// The C destructor of a handle: receives the raw pointer, returns the C status.
pub type Cleanup = unsafe fn(*mut c_void) -> i32;

/// Something C may call back into, kept alive by the resource that registered it.
pub type Dependency = Box<dyn Any + Send>;

/// Owner of one C handle. See the module docs.
pub struct ManagedCResource {
    ptr: *mut c_void,
    name: &'static str,
    cleanup: Option<Cleanup>,
    closed: AtomicBool,
    /// The C destructor ran, or C released the handle itself.
    released: AtomicBool,
    /// Open resources created with this one as their parent.
    children: AtomicUsize,
    parent: Option<Arc<ManagedCResource>>,
    dependencies: Mutex<Vec<Dependency>>,
}

// SAFETY: the raw pointer is only handed to C functions whose thread-safety the wrapper
// types decide (each wrapper has its own Send/Sync with a reason); the owner itself only
// runs the destructor once (guarded by an atomic) and guards its dependency list with a
// mutex. Dependencies are `Send`.
unsafe impl Send for ManagedCResource {}
// SAFETY: see above; shared access only reads the pointer and the atomic flag.
unsafe impl Sync for ManagedCResource {}

impl ManagedCResource {
    /// Takes ownership of `ptr`, to be released with `cleanup` (if any).
    ///
    /// # Safety
    /// `ptr` must be a live handle that `cleanup` may release exactly once, and `parent`
    /// must own whatever `ptr` depends on.
    pub unsafe fn new(
        ptr: *mut c_void,
        name: &'static str,
        cleanup: Option<Cleanup>,
        parent: Option<Arc<ManagedCResource>>,
    ) -> Arc<Self> {
        #[cfg(feature = "extra-logging")]
        log::info!("created {name} {ptr:p}");
        if let Some(parent) = &parent {
            parent.children.fetch_add(1, Ordering::AcqRel);
        }
        Arc::new(ManagedCResource {
            ptr,
            name,
            cleanup,
            closed: AtomicBool::new(false),
            released: AtomicBool::new(false),
            children: AtomicUsize::new(0),
            parent,
            dependencies: Mutex::new(Vec::new()),
        })
    }

    /// The raw handle.
    #[inline(always)]
    pub fn as_ptr(&self) -> *mut c_void {
        self.ptr
    }

    /// The C type name, for messages.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// True once this handle or any ancestor was closed.
    #[inline(always)]
    pub fn is_closed(&self) -> bool {
        if self.closed.load(Ordering::Relaxed) {
            return true;
        }
        if CLOSED_WITH_CHILDREN.load(Ordering::Relaxed) == 0 {
            return false;
        }
        self.ancestor_closed()
    }

    /// True when an ancestor whose close cascades in C (the client) was closed.
    #[cold]
    fn ancestor_closed(&self) -> bool {
        let mut next = self.parent.as_deref();
        while let Some(parent) = next {
            if cascades(parent.name) && parent.closed.load(Ordering::Acquire) {
                return true;
            }
            next = parent.parent.as_deref();
        }
        false
    }

    /// True when the C client (`aeron_t`) this handle belongs to has closed itself, e.g.
    /// after a driver timeout: C then never completes pending asynchronous adds.
    pub fn client_is_closed(&self) -> bool {
        let mut next = Some(self);
        while let Some(resource) = next {
            if resource.name == "aeron_t" {
                // SAFETY: an open aeron_t handle (this chain keeps it alive); aeron_is_closed
                // only reads its state.
                return unsafe { rusteron_sys::aeron_is_closed(resource.ptr as *mut rusteron_sys::aeron_t) };
            }
            next = resource.parent.as_deref();
        }
        false
    }

    /// True when this owner releases the C handle itself (made by `from_raw_owned`), as
    /// opposed to tracking a handle C owns.
    pub(crate) fn owns_handle(&self) -> bool {
        self.cleanup.is_some()
    }

    /// Open resources created from this one.
    pub fn children(&self) -> usize {
        self.children.load(Ordering::Acquire)
    }

    /// Marks the handle finished without calling C (C released it itself, e.g. a completed
    /// asynchronous add).
    pub fn mark_done(&self) {
        self.released.store(true, Ordering::Release);
        self.closed.store(true, Ordering::Release);
    }

    /// The parent this handle keeps alive.
    pub fn parent(&self) -> Option<&Arc<ManagedCResource>> {
        self.parent.as_ref()
    }

    /// Keeps `dependency` alive at least as long as this handle is open.
    pub fn add_dependency(&self, dependency: Dependency) {
        self.dependencies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(dependency);
    }

    /// Closes the handle: every later call through any clone fails with `ResourceClosed`,
    /// and the C destructor runs once the last handle drops (never while another thread may
    /// still be inside a call). Closing the client closes what was created from it.
    pub fn close(&self) -> Result<i32, AeronCError> {
        if self.is_closed() {
            return Ok(0);
        }
        if cascades(self.name) && self.children() > 0 {
            // Publish "some ancestor may be closed" before the flag, so children that see
            // the flag also walk their parents.
            CLOSED_WITH_CHILDREN.fetch_add(1, Ordering::SeqCst);
        }
        self.closed.store(true, Ordering::Release);
        #[cfg(feature = "extra-logging")]
        log::info!(
            "closed {} {:p} (released when the last handle drops)",
            self.name,
            self.ptr
        );
        Ok(0)
    }

    fn run_cleanup(&self) -> Result<i32, AeronCError> {
        let Some(cleanup) = self.cleanup else { return Ok(0) };
        #[cfg(feature = "extra-logging")]
        log::info!("closing {} {:p}", self.name, self.ptr);
        // SAFETY: `new`'s contract: cleanup releases ptr; the `released` flag (swapped by
        // the only caller, Drop) guarantees this runs at most once, with no handle left.
        let rc = unsafe { cleanup(self.ptr) };
        crate::error::check(rc)
    }
}

impl Drop for ManagedCResource {
    fn drop(&mut self) {
        // Children hold their parent, so the parent's C object is alive here: releasing
        // this one through C is valid even when the client was closed logically.
        if !self.released.swap(true, Ordering::AcqRel) {
            if let Err(e) = self.run_cleanup() {
                log::warn!("closing {} failed: {e}", self.name);
            }
        }
        // C may finish closing asynchronously (a subscription's image handlers can still
        // run on the conductor thread), so handlers move to the parent and are freed when
        // the root closes, never while C might still call them.
        // Only handlers move: other resources kept alive here (a wrapper passed to a setter
        // or constructor, possibly the parent itself) are released with this one, else a
        // parent could end up holding itself and never be freed.
        let deps = std::mem::take(self.dependencies.get_mut().unwrap_or_else(|e| e.into_inner()));
        let (resources, handlers): (Vec<Dependency>, Vec<Dependency>) =
            deps.into_iter().partition(|d| d.is::<Arc<ManagedCResource>>());
        if let Some(parent) = &self.parent {
            if !handlers.is_empty() {
                let mut parent_deps = parent.dependencies.lock().unwrap_or_else(|e| e.into_inner());
                parent_deps.extend(handlers);
            }
            parent.children.fetch_sub(1, Ordering::AcqRel);
        }
        drop(resources);
    }
}

impl fmt::Debug for ManagedCResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedCResource")
            .field("name", &self.name)
            .field("ptr", &self.ptr)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Frees a heap copy of a plain C struct made by a wrapper's `new_zeroed` / `clone_struct`.
///
/// # Safety
/// `ptr` must come from `Box::<T>::into_raw`.
pub unsafe fn free_boxed<T>(ptr: *mut c_void) -> i32 {
    drop(Box::from_raw(ptr as *mut T));
    0
}
