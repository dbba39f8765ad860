//! Reading a media driver's command-and-control (CnC) file, like AeronStat and ErrorStat:
//! its constants (pid, version, buffer sizes), counters, distinct error log and loss report.
//!
//! [`AeronCnc`] maps the CnC file read-only; it does not register a client with the driver,
//! so it can watch any driver on the machine, even one that is busy or hung.
//!
//! ```no_run
//! use std::time::Duration;
//! use rusteron_client::AeronCnc;
//!
//! let cnc = AeronCnc::open("/dev/shm/aeron-me", Duration::from_secs(1))?;
//! let stats = cnc.stats()?;
//! println!("{stats}");
//! # Ok::<(), rusteron_client::AeronCError>(())
//! ```

use std::ffi::{c_char, c_void};
use std::fmt;
use std::path::Path;
use std::time::Duration;

use rusteron_sys::{aeron_cnc_error_log_read, aeron_cnc_loss_reporter_read};

use crate::counters::{text, CounterInfo};
use crate::error::{AeronCError, AeronErrorType};
use crate::handler::Handler;
use crate::panic::{call_and_resume, catch_in_callback, ClosureCall};
use crate::strings::IntoCString;
use crate::{AeronCnc, AeronErrorLogReaderFuncCallback, AeronLossReporterReadEntryFuncCallback};

/// One distinct error in the driver's error log (the same message observed
/// `observation_count` times).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ErrorLogEntry {
    /// How many times the error was seen.
    pub observation_count: i32,
    /// First time it was seen (ms since the epoch).
    pub first_observation_timestamp_ms: i64,
    /// Last time it was seen (ms since the epoch).
    pub last_observation_timestamp_ms: i64,
    /// The error text as the driver recorded it.
    pub message: String,
}

/// Data lost on one stream, from the driver's loss report.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LossReportEntry {
    /// How many gaps were observed.
    pub observation_count: i64,
    /// Bytes lost over all observations.
    pub total_bytes_lost: i64,
    /// First loss (ms since the epoch).
    pub first_observation_timestamp_ms: i64,
    /// Last loss (ms since the epoch).
    pub last_observation_timestamp_ms: i64,
    /// Session of the image that lost data.
    pub session_id: i32,
    /// Stream of the image that lost data.
    pub stream_id: i32,
    /// Channel of the image.
    pub channel: String,
    /// Source address of the image.
    pub source: String,
}

/// Everything AeronStat shows about a driver, read at one moment. `Display` prints it
/// in AeronStat's layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverStats {
    /// Path of the CnC file.
    pub cnc_file: String,
    /// Process id of the driver.
    pub pid: i64,
    /// CnC layout version (semantic version, see [`DriverStats::cnc_semantic_version`]).
    pub cnc_version: i32,
    /// When the driver started (ms since the epoch).
    pub start_timestamp_ms: i64,
    /// When the driver last read its command buffer (ms since the epoch).
    pub to_driver_heartbeat_ms: i64,
    /// How long the driver waits for a client's keep-alive (ns).
    pub client_liveness_timeout_ns: i64,
    /// Size of the clients-to-driver command buffer.
    pub to_driver_buffer_length: i32,
    /// Size of the driver-to-clients broadcast buffer.
    pub to_clients_buffer_length: i32,
    /// Size of the counters metadata buffer.
    pub counter_metadata_buffer_length: i32,
    /// Size of the counters values buffer.
    pub counter_values_buffer_length: i32,
    /// Size of the distinct error log.
    pub error_log_buffer_length: i32,
    /// Page size the driver used for its files.
    pub file_page_size: i32,
    /// Every allocated counter.
    pub counters: Vec<CounterInfo>,
    /// The distinct error log.
    pub errors: Vec<ErrorLogEntry>,
    /// The loss report.
    pub losses: Vec<LossReportEntry>,
}

impl DriverStats {
    /// `(major, minor, patch)` of [`cnc_version`](Self::cnc_version).
    pub fn cnc_semantic_version(&self) -> (u8, u8, u8) {
        let v = self.cnc_version as u32;
        ((v >> 16) as u8, (v >> 8) as u8, v as u8)
    }

    /// The first counter with this label, ignoring a `: details` suffix: `"Errors"` finds
    /// the system counter labelled `"Errors: version=1.54.0 commit=..."`.
    pub fn counter(&self, label: &str) -> Option<&CounterInfo> {
        self.counters.iter().find(|c| {
            c.label
                .strip_prefix(label)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
        })
    }
}

impl fmt::Display for DriverStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (major, minor, patch) = self.cnc_semantic_version();
        writeln!(
            f,
            "{} - pid {}, cnc v{major}.{minor}.{patch}, started {} ms, heartbeat {} ms",
            self.cnc_file, self.pid, self.start_timestamp_ms, self.to_driver_heartbeat_ms
        )?;
        writeln!(
            f,
            "======================================================================"
        )?;
        for c in &self.counters {
            writeln!(f, "{:3}: {:>20} - {}", c.id, c.value, c.label)?;
        }
        writeln!(f, "{} distinct errors", self.errors.len())?;
        for e in &self.errors {
            writeln!(
                f,
                "{} observations from {} to {} ms for:\n {}",
                e.observation_count, e.first_observation_timestamp_ms, e.last_observation_timestamp_ms, e.message
            )?;
        }
        writeln!(f, "{} loss entries", self.losses.len())?;
        for l in &self.losses {
            writeln!(
                f,
                "{} gaps, {} bytes lost, from {} to {} ms, session {} stream {} {} from {}",
                l.observation_count,
                l.total_bytes_lost,
                l.first_observation_timestamp_ms,
                l.last_observation_timestamp_ms,
                l.session_id,
                l.stream_id,
                l.channel,
                l.source
            )?;
        }
        Ok(())
    }
}

impl AeronCnc {
    /// Maps the CnC file of the driver whose aeron directory is `dir`, waiting up to
    /// `timeout` for the driver to create it ([`AeronErrorType::ClientErrorDriverTimeout`]
    /// when it does not).
    pub fn open(dir: impl AsRef<Path>, timeout: Duration) -> Result<AeronCnc, AeronCError> {
        let dir = dir.as_ref();
        let dir = dir.to_str().ok_or_else(|| {
            AeronCError::with_message(
                AeronErrorType::InvalidArgument,
                format!("aeron dir is not UTF-8: {dir:?}"),
            )
        })?;
        let timeout_ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
        AeronCnc::new(&dir.into_c_string()?, timeout_ms)
    }

    /// Calls `callback` with `(observation_count, first_ms, last_ms, message, message_length)`
    /// for each distinct error last seen at or after `since_timestamp` (ms; 0 for all).
    /// Returns how many it reported.
    pub fn error_log_read<H: AeronErrorLogReaderFuncCallback>(
        &self,
        callback: Option<&Handler<H>>,
        since_timestamp: i64,
    ) -> Result<usize, AeronCError> {
        let cnc = self.checked_ptr()?;
        let (func, clientd) = match callback {
            Some(h) if h.is_released() => return Err(released()),
            Some(h) => (Some(on_error_handler::<H> as ErrorFn), h.as_raw()),
            None => (Some(on_error_ignored as ErrorFn), std::ptr::null_mut()),
        };
        // SAFETY: `cnc` is open; the handler value lives for the call and the trampoline
        // matches `aeron_error_log_reader_func_t` (C calls it unconditionally, so a no-op
        // stands in for `None`).
        Ok(call_and_resume(|| unsafe {
            aeron_cnc_error_log_read(cnc, func, clientd, since_timestamp)
        }))
    }

    /// [`error_log_read`](Self::error_log_read) with a closure borrowed for this call.
    pub fn error_log_read_once<F: FnMut(i32, i64, i64, &str, usize)>(
        &self,
        mut callback: F,
        since_timestamp: i64,
    ) -> Result<usize, AeronCError> {
        let cnc = self.checked_ptr()?;
        let mut call = ClosureCall::new(&mut callback);
        let clientd = &mut call as *mut ClosureCall<'_, F> as *mut c_void;
        // SAFETY: `cnc` is open; `call` outlives the call and the trampoline casts `clientd`
        // back to exactly this type.
        let count = unsafe { aeron_cnc_error_log_read(cnc, Some(on_error_closure::<F>), clientd, since_timestamp) };
        call.finish();
        Ok(count)
    }

    /// The distinct errors last seen at or after `since_timestamp` (ms; 0 for all).
    pub fn errors(&self, since_timestamp: i64) -> Result<Vec<ErrorLogEntry>, AeronCError> {
        let mut errors = Vec::new();
        self.error_log_read_once(
            |observation_count, first, last, message, _| {
                errors.push(ErrorLogEntry {
                    observation_count,
                    first_observation_timestamp_ms: first,
                    last_observation_timestamp_ms: last,
                    message: message.to_owned(),
                })
            },
            since_timestamp,
        )?;
        Ok(errors)
    }

    /// Calls `entry_func` for each entry of the loss report with `(observation_count,
    /// total_bytes_lost, first_ms, last_ms, session_id, stream_id, channel, channel_length,
    /// source, source_length)`; returns the number of entries.
    pub fn loss_reporter_read<H: AeronLossReporterReadEntryFuncCallback>(
        &self,
        entry_func: Option<&Handler<H>>,
    ) -> Result<i32, AeronCError> {
        let cnc = self.checked_ptr()?;
        let (func, clientd) = match entry_func {
            Some(h) if h.is_released() => return Err(released()),
            Some(h) => (Some(on_loss_handler::<H> as LossFn), h.as_raw()),
            None => (Some(on_loss_ignored as LossFn), std::ptr::null_mut()),
        };
        // SAFETY: `cnc` is open; the handler value lives for the call and the trampoline
        // matches `aeron_loss_reporter_read_entry_func_t` (C calls it unconditionally, so a
        // no-op stands in for `None`).
        let count = call_and_resume(|| unsafe { aeron_cnc_loss_reporter_read(cnc, func, clientd) });
        crate::error::check(count)
    }

    /// [`loss_reporter_read`](Self::loss_reporter_read) with a closure borrowed for this call.
    pub fn loss_reporter_read_once<F: FnMut(i64, i64, i64, i64, i32, i32, &str, i32, &str, i32)>(
        &self,
        mut entry_func: F,
    ) -> Result<i32, AeronCError> {
        let cnc = self.checked_ptr()?;
        let mut call = ClosureCall::new(&mut entry_func);
        let clientd = &mut call as *mut ClosureCall<'_, F> as *mut c_void;
        // SAFETY: as in `error_log_read_once`.
        let count = unsafe { aeron_cnc_loss_reporter_read(cnc, Some(on_loss_closure::<F>), clientd) };
        call.finish();
        crate::error::check(count)
    }

    /// Every entry of the loss report (empty when no stream lost data).
    pub fn loss_report(&self) -> Result<Vec<LossReportEntry>, AeronCError> {
        let mut losses = Vec::new();
        self.loss_reporter_read_once(
            |count, bytes, first, last, session_id, stream_id, channel, _, source, _| {
                losses.push(LossReportEntry {
                    observation_count: count,
                    total_bytes_lost: bytes,
                    first_observation_timestamp_ms: first,
                    last_observation_timestamp_ms: last,
                    session_id,
                    stream_id,
                    channel: channel.to_owned(),
                    source: source.to_owned(),
                })
            },
        )?;
        Ok(losses)
    }

    /// A snapshot of every allocated counter of the driver.
    pub fn counters(&self) -> Result<Vec<CounterInfo>, AeronCError> {
        self.counters_reader()
            .ok_or_else(|| AeronCError::resource_closed("aeron_cnc_t"))?
            .counters()
    }

    /// Constants, counters, errors and losses in one [`DriverStats`].
    pub fn stats(&self) -> Result<DriverStats, AeronCError> {
        let constants = self.constants()?;
        Ok(DriverStats {
            cnc_file: self.filename().to_owned(),
            pid: constants.pid(),
            cnc_version: constants.cnc_version(),
            start_timestamp_ms: constants.start_timestamp(),
            to_driver_heartbeat_ms: self.to_driver_heartbeat(),
            client_liveness_timeout_ns: constants.client_liveness_timeout(),
            to_driver_buffer_length: constants.to_driver_buffer_length(),
            to_clients_buffer_length: constants.to_clients_buffer_length(),
            counter_metadata_buffer_length: constants.counter_metadata_buffer_length(),
            counter_values_buffer_length: constants.counter_values_buffer_length(),
            error_log_buffer_length: constants.error_log_buffer_length(),
            file_page_size: constants.file_page_size(),
            counters: self.counters()?,
            errors: self.errors(0)?,
            losses: self.loss_report()?,
        })
    }
}

type ErrorFn = unsafe extern "C" fn(i32, i64, i64, *const c_char, usize, *mut c_void);
type LossFn = unsafe extern "C" fn(*mut c_void, i64, i64, i64, i64, i32, i32, *const c_char, i32, *const c_char, i32);

fn released() -> AeronCError {
    AeronCError::with_message(AeronErrorType::InvalidArgument, "handler was released")
}

fn len(length: i32) -> usize {
    usize::try_from(length).unwrap_or(0)
}

// The error and loss texts are not NUL-terminated in the CnC/loss files (the next record
// follows directly), so every trampoline slices them by the length C passes.

unsafe extern "C" fn on_error_closure<F: FnMut(i32, i64, i64, &str, usize)>(
    count: i32,
    first: i64,
    last: i64,
    error: *const c_char,
    error_length: usize,
    clientd: *mut c_void,
) {
    // SAFETY: `clientd` is the ClosureCall lent by error_log_read_once; `error` is valid for
    // `error_length` bytes during the callback.
    let (call, message) = unsafe { (&mut *(clientd as *mut ClosureCall<'_, F>), text(error, error_length)) };
    call.invoke((), |f| f(count, first, last, message, error_length))
}

unsafe extern "C" fn on_error_handler<H: AeronErrorLogReaderFuncCallback>(
    count: i32,
    first: i64,
    last: i64,
    error: *const c_char,
    error_length: usize,
    clientd: *mut c_void,
) {
    // SAFETY: `clientd` is the Handler<H> value error_log_read passed; `error` as above.
    let (handler, message) = unsafe { (&mut *(clientd as *mut H), text(error, error_length)) };
    catch_in_callback((), || {
        handler.handle_aeron_error_log_reader_func(count, first, last, message)
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn on_loss_closure<F: FnMut(i64, i64, i64, i64, i32, i32, &str, i32, &str, i32)>(
    clientd: *mut c_void,
    count: i64,
    bytes: i64,
    first: i64,
    last: i64,
    session_id: i32,
    stream_id: i32,
    channel: *const c_char,
    channel_length: i32,
    source: *const c_char,
    source_length: i32,
) {
    // SAFETY: `clientd` is the ClosureCall lent by loss_reporter_read_once; channel and source
    // are valid for their lengths inside the mapped loss report during the callback.
    let (call, channel_text, source_text) = unsafe {
        (
            &mut *(clientd as *mut ClosureCall<'_, F>),
            text(channel, len(channel_length)),
            text(source, len(source_length)),
        )
    };
    call.invoke((), |f| {
        f(
            count,
            bytes,
            first,
            last,
            session_id,
            stream_id,
            channel_text,
            channel_length,
            source_text,
            source_length,
        )
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn on_loss_handler<H: AeronLossReporterReadEntryFuncCallback>(
    clientd: *mut c_void,
    count: i64,
    bytes: i64,
    first: i64,
    last: i64,
    session_id: i32,
    stream_id: i32,
    channel: *const c_char,
    channel_length: i32,
    source: *const c_char,
    source_length: i32,
) {
    // SAFETY: `clientd` is the Handler<H> value loss_reporter_read passed; texts as above.
    let (handler, channel_text, source_text) = unsafe {
        (
            &mut *(clientd as *mut H),
            text(channel, len(channel_length)),
            text(source, len(source_length)),
        )
    };
    catch_in_callback((), || {
        handler.handle_aeron_loss_reporter_read_entry_func(
            count,
            bytes,
            first,
            last,
            session_id,
            stream_id,
            channel_text,
            source_text,
        )
    })
}

unsafe extern "C" fn on_error_ignored(_: i32, _: i64, _: i64, _: *const c_char, _: usize, _: *mut c_void) {}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn on_loss_ignored(
    _: *mut c_void,
    _: i64,
    _: i64,
    _: i64,
    _: i64,
    _: i32,
    _: i32,
    _: *const c_char,
    _: i32,
    _: *const c_char,
    _: i32,
) {
}
