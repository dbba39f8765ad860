//! `AeronContext::new`: the C context with a logging error handler instead of C's default,
//! which prints the error and calls `exit()` (a driver timeout would kill the process).

use std::ffi::c_void;
use std::os::raw::{c_char, c_int};
use std::ptr::null_mut;

use rusteron_sys as sys;

use crate::error::{check, AeronCError, AeronErrorType};
use crate::AeronContext;

impl AeronContext {
    /// Creates a client context (`aeron_context_init`), reading the `AERON_*` environment
    /// variables as C does. Errors are logged through the `log` crate until
    /// [`set_error_handler`](AeronContext::set_error_handler) installs your handler: C's
    /// own default would print and exit the process.
    pub fn new() -> Result<AeronContext, AeronCError> {
        let mut ptr: *mut sys::aeron_context_t = null_mut();
        // SAFETY: `ptr` receives a fresh context, owned by the wrapper from here on.
        check(unsafe { sys::aeron_context_init(&mut ptr) })?;
        // SAFETY: `ptr` is the fresh context; its destructor (aeron_context_close) runs
        // when the last handle drops.
        let context = unsafe { AeronContext::from_raw_owned(ptr, None) };
        // SAFETY: a static function that needs no clientd.
        check(unsafe { sys::aeron_context_set_error_handler(ptr, Some(log_client_error), null_mut()) })?;
        Ok(context)
    }
}

unsafe extern "C" fn log_client_error(_clientd: *mut c_void, errcode: c_int, message: *const c_char) {
    // SAFETY: C passes a NUL-terminated message valid for this call.
    let message = unsafe { crate::strings::c_str_to_str(message) };
    log::error!(
        "aeron client error {errcode} ({:?}): {message}",
        AeronErrorType::from_code(errcode)
    );
}
