//! Ownership of C handles: one reference-counted owner per handle, closed exactly once.
//!
//! Every generated wrapper (`AeronPublication`, `Aeron`, ...) is a raw pointer plus an
//! optional `Arc<ManagedCResource>`. Clones share the owner; the C destructor runs when the
//! last clone drops, or on an explicit `close()`. The owner also holds:
//!
//! - its **parent** (the client a publication was created by, the context a client was
//!   created from), so a parent outlives its children whatever order users drop them in;
//! - its **dependencies** (handlers C may still call), so `Handler::release()` on a
//!   handler that C still holds cannot leave C with a dangling pointer.
//!
//! When a parent is closed explicitly, C frees the children with it: the children then
//! report [`AeronErrorType::ResourceClosed`](crate::AeronErrorType::ResourceClosed) and
//! skip their own destructor instead of freeing twice.

use std::any::Any;
use std::ffi::c_void;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::AeronCError;

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
        Arc::new(ManagedCResource {
            ptr,
            name,
            cleanup,
            closed: AtomicBool::new(false),
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
    #[inline]
    pub fn is_closed(&self) -> bool {
        if self.closed.load(Ordering::Acquire) {
            return true;
        }
        match &self.parent {
            Some(parent) => parent.is_closed(),
            None => false,
        }
    }

    /// The parent this handle keeps alive.
    pub fn parent(&self) -> Option<&Arc<ManagedCResource>> {
        self.parent.as_ref()
    }

    /// Keeps `dependency` alive at least as long as this handle is open.
    pub fn add_dependency(&self, dependency: Dependency) {
        self.dependencies.lock().unwrap_or_else(|e| e.into_inner()).push(dependency);
    }

    /// Runs the C destructor now (once). Later calls, and calls after an ancestor was
    /// closed, return `Ok(0)` without touching C.
    pub fn close(&self) -> Result<i32, AeronCError> {
        let ancestor_closed = self.parent.as_ref().is_some_and(|p| p.is_closed());
        if self.closed.swap(true, Ordering::AcqRel) || ancestor_closed {
            return Ok(0);
        }
        self.run_cleanup()
    }

    fn run_cleanup(&self) -> Result<i32, AeronCError> {
        let Some(cleanup) = self.cleanup else { return Ok(0) };
        #[cfg(feature = "extra-logging")]
        log::info!("closing {} {:p}", self.name, self.ptr);
        // SAFETY: `new`'s contract: cleanup releases ptr, and the closed flag (set by the
        // caller) guarantees this runs at most once.
        let rc = unsafe { cleanup(self.ptr) };
        crate::error::check(rc)
    }
}

impl Drop for ManagedCResource {
    fn drop(&mut self) {
        let ancestor_closed = self.parent.as_ref().is_some_and(|p| p.is_closed());
        if !self.closed.swap(true, Ordering::AcqRel) && !ancestor_closed {
            if let Err(e) = self.run_cleanup() {
                log::warn!("closing {} failed: {e}", self.name);
            }
        }
        // C may finish closing asynchronously (a subscription's image handlers can still
        // run on the conductor thread), so handlers move to the parent and are freed when
        // the root closes, never while C might still call them.
        let deps = std::mem::take(self.dependencies.get_mut().unwrap_or_else(|e| e.into_inner()));
        if let (Some(parent), false) = (&self.parent, deps.is_empty()) {
            let mut parent_deps = parent.dependencies.lock().unwrap_or_else(|e| e.into_inner());
            parent_deps.extend(deps);
        }
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
