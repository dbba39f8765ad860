//! The C media driver running inside this process.
//!
//! [`AeronDriver::launch_embedded`] initialises and starts the C driver, which runs on its
//! own agent thread(s) (one in `SHARED` threading mode). The returned [`EmbeddedDriver`]
//! stops it and deletes its directory when dropped.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rusteron_client::{AeronCError, IntoCString};

use crate::{AeronDriver, AeronDriverContext};

/// A running embedded media driver. Dropping it stops the driver (joining its threads) and
/// removes its aeron directory.
///
/// The driver is released before its context, and the directory is removed last, once
/// nothing maps its files (clones of [`EmbeddedDriver::driver`] kept elsewhere delay the
/// stop until they drop too).
pub struct EmbeddedDriver {
    driver: Option<AeronDriver>,
    context: Option<AeronDriverContext>,
    dir: PathBuf,
    remove_dir: bool,
}

impl EmbeddedDriver {
    /// The aeron directory clients connect to (`AeronContext::set_dir`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory as a C string, ready for `AeronContext::set_dir`.
    pub fn dir_c_string(&self) -> CString {
        CString::new(self.dir.to_string_lossy().as_bytes()).expect("aeron dir has no NUL byte")
    }

    /// The driver handle (for the generated driver API).
    pub fn driver(&self) -> &AeronDriver {
        self.driver.as_ref().expect("present until drop")
    }

    /// The driver's context.
    pub fn context(&self) -> &AeronDriverContext {
        self.context.as_ref().expect("present until drop")
    }

    /// Stops the driver now and removes its directory (the same as dropping it).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for EmbeddedDriver {
    fn drop(&mut self) {
        // Releasing the last handle runs aeron_driver_close (stops and joins the agents),
        // then the context is released.
        drop(self.driver.take());
        drop(self.context.take());
        if self.remove_dir {
            // The driver deletes its files on shutdown; this removes what is left.
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl std::fmt::Debug for EmbeddedDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedDriver").field("dir", &self.dir).finish()
    }
}

impl AeronDriver {
    /// Starts the C media driver configured by `context` in this process, on its own
    /// agent thread(s). The directory is removed when the returned handle drops if the
    /// context says `dir_delete_on_shutdown`.
    pub fn launch_embedded(context: AeronDriverContext) -> Result<EmbeddedDriver, AeronCError> {
        let dir = PathBuf::from(context.get_dir());
        let remove_dir = context.get_dir_delete_on_shutdown();
        let driver = AeronDriver::new(&context)?;
        driver.start(false)?;
        log::debug!("embedded media driver started in {}", dir.display());
        Ok(EmbeddedDriver {
            driver: Some(driver),
            context: Some(context),
            dir,
            remove_dir,
        })
    }
}

/// Options for an embedded driver meant for tests and examples: its own directory,
/// `SHARED` threading and backing-off idle strategies so two cores are enough.
#[derive(Debug, Clone)]
pub struct EmbeddedDriverOptions {
    /// Directory; `None` picks a fresh unique one (under /dev/shm when it exists).
    pub dir: Option<PathBuf>,
    /// Threading mode (`SHARED` by default).
    pub threading_mode: rusteron_sys::driver::aeron_threading_mode_t,
    /// Idle strategy name of the driver agents ("backoff", "sleeping", "yield", "spin", "noop").
    pub idle_strategy: String,
    /// Term buffer length for UDP and IPC publications (1 MiB by default: small files, so
    /// many tests can run in parallel; a message may be up to a term / 8).
    pub term_buffer_length: usize,
    /// How long the driver waits for a client's keep-alive.
    pub client_liveness_timeout_ns: u64,
}

impl Default for EmbeddedDriverOptions {
    fn default() -> Self {
        EmbeddedDriverOptions {
            dir: None,
            threading_mode: rusteron_sys::driver::aeron_threading_mode_enum::AERON_THREADING_MODE_SHARED,
            idle_strategy: "backoff".into(),
            term_buffer_length: 1 << 20,
            client_liveness_timeout_ns: 10_000_000_000,
        }
    }
}

/// A directory name no other driver in this or another process uses.
pub fn unique_aeron_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base.join(format!(
        "rusteron-{tag}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

impl EmbeddedDriverOptions {
    /// Builds the driver context these options describe. The directory is deleted when the
    /// driver starts and stops, so a `dir` that is not a directory, or that a live driver is
    /// using, is refused with [`AeronErrorType::InvalidArgument`](rusteron_client::AeronErrorType::InvalidArgument).
    pub fn context(&self) -> Result<AeronDriverContext, AeronCError> {
        if let Some(dir) = &self.dir {
            check_dir_is_ours(dir)?;
        }
        let dir = self.dir.clone().unwrap_or_else(|| unique_aeron_dir("driver"));
        let dir_c = dir.to_string_lossy().into_owned().into_c_string()?;
        let idle = self.idle_strategy.as_str().into_c_string()?;
        let ctx = AeronDriverContext::new()?;
        ctx.set_dir(&dir_c)?;
        ctx.set_threading_mode(self.threading_mode)?;
        ctx.set_shared_idle_strategy(&idle)?;
        ctx.set_conductor_idle_strategy(&idle)?;
        ctx.set_sender_idle_strategy(&idle)?;
        ctx.set_receiver_idle_strategy(&idle)?;
        ctx.set_term_buffer_length(self.term_buffer_length)?;
        ctx.set_ipc_term_buffer_length(self.term_buffer_length)?;
        ctx.set_client_liveness_timeout_ns(self.client_liveness_timeout_ns)?;
        ctx.set_dir_delete_on_start(true)?;
        ctx.set_dir_delete_on_shutdown(true)?;
        Ok(ctx)
    }

    /// Starts an embedded driver with these options.
    pub fn launch(&self) -> Result<EmbeddedDriver, AeronCError> {
        let ctx = self.context()?;
        AeronDriver::launch_embedded(ctx).map_err(|e| {
            AeronCError::with_message(
                e.kind(),
                format!(
                    "starting the embedded media driver: {}",
                    e.message().unwrap_or("no message")
                ),
            )
        })
    }
}

/// Starts an embedded driver for a test: a fresh directory, SHARED threading, backoff idle.
pub fn launch_for_tests() -> Result<EmbeddedDriver, AeronCError> {
    EmbeddedDriverOptions::default().launch()
}

/// Refuses a directory the driver must not delete: a path that is not a directory, or the
/// directory of a driver that is still running (its CnC heartbeat is recent).
fn check_dir_is_ours(dir: &Path) -> Result<(), AeronCError> {
    let refuse = |why: String| {
        Err(AeronCError::with_message(
            rusteron_client::AeronErrorType::InvalidArgument,
            why,
        ))
    };
    if dir.exists() && !dir.is_dir() {
        return refuse(format!(
            "{} exists and is not a directory: refusing to delete it",
            dir.display()
        ));
    }
    if dir.join("cnc.dat").exists() {
        let dir_c = dir.to_string_lossy().into_owned().into_c_string()?;
        // SAFETY: a NUL-terminated path and no log function; C only reads the CnC file.
        let active = unsafe { rusteron_sys::aeron_is_driver_active(dir_c.as_ptr(), 10_000, None) };
        if active {
            return refuse(format!(
                "a media driver is running in {}: refusing to replace it",
                dir.display()
            ));
        }
    }
    Ok(())
}
