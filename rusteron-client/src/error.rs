//! Errors of the Aeron C API as one Rust type.
//!
//! The C client reports failures in two ways: a negative `int` whose details are in the
//! thread-local `aeron_errcode()` / `aeron_errmsg()`, and, for publications, a negative
//! `int64_t` position that is itself the code (`AERON_PUBLICATION_BACK_PRESSURED`, ...).
//! [`AeronCError::from_last_error`] reads the former right after the failing call on the
//! same thread; [`AeronCError::from_publication_result`] maps the latter without touching
//! the heap, because back pressure is routine on a hot path.

use std::ffi::CStr;
use std::fmt;

/// What went wrong, as a matchable kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AeronErrorType {
    /// A null result, or a publication that is not connected to any subscriber.
    NullOrNotConnected,
    /// The media driver did not answer within the driver timeout.
    ClientErrorDriverTimeout,
    /// The driver timed this client out (it did not keep alive).
    ClientErrorClientTimeout,
    /// The client conductor's duty cycle took too long.
    ClientErrorConductorServiceTimeout,
    /// The client's command buffer to the conductor is full.
    ClientErrorBufferFull,
    /// The driver's command buffer is full.
    ClientErrorDriverBufferFull,
    /// The client is in an illegal state (for example already closed).
    ClientErrorIllegalState,
    /// The offer was back pressured by the flow control; retry.
    PublicationBackPressured,
    /// An administrative action (e.g. term rotation) is in progress; retry.
    PublicationAdminAction,
    /// The publication is closed.
    PublicationClosed,
    /// The publication reached its maximum position.
    PublicationMaxPositionExceeded,
    /// The publication failed (see the message).
    PublicationError,
    /// A blocking wait ran out of time.
    TimedOut,
    /// The channel URI is invalid.
    InvalidChannel,
    /// The driver does not know the subscription.
    UnknownSubscription,
    /// The driver does not know the publication.
    UnknownPublication,
    /// The driver could not open the channel endpoint (port in use, bad interface...).
    ChannelEndpointError,
    /// The driver does not know the counter.
    UnknownCounter,
    /// The driver rejected a malformed command.
    MalformedCommand,
    /// The operation is not supported.
    NotSupported,
    /// A host name could not be resolved.
    UnknownHost,
    /// A resource is temporarily unavailable; retry later.
    ResourceTemporarilyUnavailable,
    /// A generic driver error (see the message).
    GenericError,
    /// Not enough storage space for the log buffers.
    StorageSpace,
    /// The image was rejected.
    ImageRejected,
    /// The publication was revoked.
    PublicationRevoked,
    /// The Rust wrapper was used after it (or its parent) was closed; no C memory was
    /// touched.
    ResourceClosed,
    /// An argument was rejected before reaching C (interior NUL, length out of range...).
    InvalidArgument,
    /// A system error (`errno` value).
    Errno(i32),
    /// A code this crate does not know.
    Unknown(i32),
}

impl AeronErrorType {
    /// Maps a publication result code (-1 ... -6), a client error code (±1000 ... ±1006, the
    /// sign depends on whether it came from `aeron_errcode()` or an error handler), a
    /// positive `errno`, or one of this crate's own codes.
    pub fn from_code(code: i32) -> Self {
        use AeronErrorType::*;
        match code {
            -1 => NullOrNotConnected,
            -2 => PublicationBackPressured,
            -3 => PublicationAdminAction,
            -4 => PublicationClosed,
            -5 => PublicationMaxPositionExceeded,
            -6 => PublicationError,
            // The client reports its own errors negated through aeron_errcode() and as
            // positive AERON_CLIENT_ERROR_* codes to the error handler: accept both.
            -1000 | 1000 => ClientErrorDriverTimeout,
            -1001 | 1001 => ClientErrorClientTimeout,
            -1002 | 1002 => ClientErrorConductorServiceTimeout,
            -1003 | 1003 => ClientErrorBufferFull,
            -1004 | 1004 => ClientErrorDriverBufferFull,
            -1005 | -1006 | 1005 | 1006 => ClientErrorIllegalState,
            TIMED_OUT_CODE => TimedOut,
            RESOURCE_CLOSED_CODE => ResourceClosed,
            INVALID_ARGUMENT_CODE => InvalidArgument,
            // A timed-out wait in C (e.g. an archive response) arrives as errno ETIMEDOUT.
            code if code > 0 && std::io::Error::from_raw_os_error(code).kind() == std::io::ErrorKind::TimedOut => {
                TimedOut
            }
            code if code > 0 => Errno(code),
            code => Unknown(code),
        }
    }

    /// Maps a code read from `aeron_errcode()`, where small negative codes are the media
    /// driver's ErrorCode negated (-1 invalid channel ... -14 publication revoked).
    pub fn from_driver_code(code: i32) -> Self {
        use AeronErrorType::*;
        match code {
            -1 => InvalidChannel,
            -2 => UnknownSubscription,
            -3 => UnknownPublication,
            -4 => ChannelEndpointError,
            -5 => UnknownCounter,
            -6 | -7 => MalformedCommand,
            -8 => NotSupported,
            -9 => UnknownHost,
            -10 => ResourceTemporarilyUnavailable,
            -11 => GenericError,
            -12 => StorageSpace,
            -13 => ImageRejected,
            -14 => PublicationRevoked,
            _ => Self::from_code(code),
        }
    }

    /// True for the publication results that only mean "try again".
    pub fn is_back_pressure(&self) -> bool {
        matches!(self, Self::PublicationBackPressured | Self::PublicationAdminAction)
    }
}

/// Code used for [`AeronErrorType::TimedOut`] (not a C code).
pub const TIMED_OUT_CODE: i32 = -234_324;
/// Code used for [`AeronErrorType::ResourceClosed`] (not a C code).
pub const RESOURCE_CLOSED_CODE: i32 = -234_325;
/// Code used for [`AeronErrorType::InvalidArgument`] (not a C code).
pub const INVALID_ARGUMENT_CODE: i32 = -234_326;

/// An error from the Aeron C API, with the code, its kind and the C error message read on
/// the failing thread (when there is one).
#[derive(Clone, PartialEq, Eq)]
pub struct AeronCError {
    /// The raw C code.
    pub code: i32,
    kind: AeronErrorType,
    message: Option<Box<str>>,
}

impl AeronCError {
    /// An error for `code` with no message. Never allocates.
    pub fn from_code(code: i32) -> Self {
        AeronCError {
            code,
            kind: AeronErrorType::from_code(code),
            message: None,
        }
    }

    /// Maps the negative result of `offer`/`try_claim`/`offerv` (an `int64_t` code).
    /// Never allocates: back pressure is routine on hot paths.
    #[inline]
    pub fn from_publication_result(result: i64) -> Self {
        let code = i32::try_from(result).unwrap_or(i32::MIN);
        let kind = match result {
            -1 => AeronErrorType::NullOrNotConnected,
            -2 => AeronErrorType::PublicationBackPressured,
            -3 => AeronErrorType::PublicationAdminAction,
            -4 => AeronErrorType::PublicationClosed,
            -5 => AeronErrorType::PublicationMaxPositionExceeded,
            -6 => AeronErrorType::PublicationError,
            _ => AeronErrorType::Unknown(code),
        };
        AeronCError {
            code,
            kind,
            message: None,
        }
    }

    /// Reads `aeron_errcode()` and `aeron_errmsg()` of the calling thread. Call it right
    /// after the C call that failed, on the same thread.
    #[cold]
    pub fn from_last_error() -> Self {
        // SAFETY: both read the calling thread's error state; aeron_errmsg returns a
        // NUL-terminated string owned by that state, copied before any other C call.
        let (code, message) = unsafe {
            let code = rusteron_sys::aeron_errcode();
            let msg = rusteron_sys::aeron_errmsg();
            let message = if msg.is_null() {
                None
            } else {
                Some(CStr::from_ptr(msg).to_string_lossy().trim().to_owned())
            };
            (code, message)
        };
        let mut error = AeronCError {
            code,
            kind: AeronErrorType::from_driver_code(code),
            message: message.filter(|m| !m.is_empty()).map(String::into_boxed_str),
        };
        error.log_backtrace();
        // A -1 with no message is the C way of saying "null": keep that kind.
        if code == -1 && error.message.is_none() {
            error.kind = AeronErrorType::NullOrNotConnected;
        }
        error
    }

    /// An error raised on the Rust side, with a message.
    pub fn with_message(kind: AeronErrorType, message: impl Into<String>) -> Self {
        let code = match kind {
            AeronErrorType::TimedOut => TIMED_OUT_CODE,
            AeronErrorType::ResourceClosed => RESOURCE_CLOSED_CODE,
            AeronErrorType::InvalidArgument => INVALID_ARGUMENT_CODE,
            AeronErrorType::Errno(c) | AeronErrorType::Unknown(c) => c,
            _ => -1,
        };
        AeronCError {
            code,
            kind,
            message: Some(message.into().into_boxed_str()),
        }
    }

    /// The wrapper (or its parent) was closed before this call.
    #[cold]
    pub fn resource_closed(what: &str) -> Self {
        Self::with_message(AeronErrorType::ResourceClosed, format!("{what} is closed"))
    }

    /// The kind of error.
    pub fn kind(&self) -> AeronErrorType {
        self.kind
    }

    /// The C error message, if the failing call left one.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// True when the call may simply be retried (back pressure, admin action).
    pub fn is_back_pressured(&self) -> bool {
        self.kind.is_back_pressure()
    }

    #[cfg(feature = "backtrace")]
    fn log_backtrace(&self) {
        log::error!(
            "AeronCError code={} kind={:?} message={:?}\n{}",
            self.code,
            self.kind,
            self.message,
            std::backtrace::Backtrace::force_capture()
        );
    }

    #[cfg(not(feature = "backtrace"))]
    #[inline(always)]
    fn log_backtrace(&self) {}
}

impl fmt::Debug for AeronCError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeronCError")
            .field("code", &self.code)
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for AeronCError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "aeron error {:?} (code {})", self.kind, self.code)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AeronCError {}

/// Turns a C `int` status into a result: negative → the thread's last error.
#[inline]
pub fn check(result: i32) -> Result<i32, AeronCError> {
    if result < 0 {
        Err(AeronCError::from_last_error())
    } else {
        Ok(result)
    }
}
