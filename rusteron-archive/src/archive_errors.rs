//! What an archive failure means, on top of the client's [`AeronCError`].
//!
//! The C archive client reports its own failures through the same thread-local error as
//! the client, with three code spaces of its own:
//!
//! - an error response from the archive: `-(200 + code)` where `code` is the archive's
//!   `ArchiveException` error code (`aeron_archive_client_map_archive_to_client_error_code`);
//! - a client-side archive error: `-2000` (reentrant call), `-2001` (disconnected), `-2002`
//!   (the `aeron_archive_t` failed and must be closed);
//! - no answer within the context's message timeout: `ETIMEDOUT`, or `-1` with the message
//!   "connect timeout" while connecting.
//!
//! [`ArchiveErrorExt`] reads these from any [`AeronCError`]. The connect functions of this
//! crate already return [`AeronErrorType::TimedOut`] for a connect timeout.

use std::fmt;
use std::io::ErrorKind;

use rusteron_client::{AeronCError, AeronErrorType};

/// The error codes of the archive protocol and of the C archive client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArchiveErrorCode {
    /// A generic archive error (see the message).
    Generic,
    /// Too many concurrent listings for the control session.
    ActiveListing,
    /// The recording is active (e.g. cannot be truncated or purged).
    ActiveRecording,
    /// The subscription is already recording.
    ActiveSubscription,
    /// The archive does not know the subscription.
    UnknownSubscription,
    /// The archive does not know the recording id.
    UnknownRecording,
    /// The archive does not know the replay session.
    UnknownReplay,
    /// The archive reached its maximum number of replays.
    MaxReplays,
    /// The archive reached its maximum number of recordings.
    MaxRecordings,
    /// The extend request does not match the recording.
    InvalidExtension,
    /// The archive rejected the credentials.
    AuthenticationRejected,
    /// The archive is out of storage space.
    StorageSpace,
    /// The archive does not know the replication.
    UnknownReplication,
    /// The control session may not perform the action.
    UnauthorisedAction,
    /// The replication could not connect to the source archive.
    ReplicationConnectionFailure,
    /// The recording is empty.
    EmptyRecording,
    /// The position is not valid for the recording (e.g. not on a fragment boundary).
    InvalidPosition,
    /// An archive call was made from inside one of its own callbacks.
    ClientReentrantCall,
    /// The archive client lost its connection to the archive.
    ClientNotConnected,
    /// The archive client hit a fatal error and must be closed.
    ClientIllegalState,
}

impl ArchiveErrorCode {
    /// Maps the archive protocol's error code (`ArchiveException` codes, 0 ..= 16).
    pub fn from_archive_code(code: i64) -> Option<Self> {
        use ArchiveErrorCode::*;
        Some(match code {
            0 => Generic,
            1 => ActiveListing,
            2 => ActiveRecording,
            3 => ActiveSubscription,
            4 => UnknownSubscription,
            5 => UnknownRecording,
            6 => UnknownReplay,
            7 => MaxReplays,
            8 => MaxRecordings,
            9 => InvalidExtension,
            10 => AuthenticationRejected,
            11 => StorageSpace,
            12 => UnknownReplication,
            13 => UnauthorisedAction,
            14 => ReplicationConnectionFailure,
            15 => EmptyRecording,
            16 => InvalidPosition,
            _ => return None,
        })
    }

    /// Maps a C client error code: `aeron_errcode()` of a failed archive call, either sign
    /// (`-205` and `205` are both [`UnknownRecording`](Self::UnknownRecording)).
    pub fn from_client_code(code: i32) -> Option<Self> {
        let code = code.unsigned_abs();
        match code {
            200..=216 => Self::from_archive_code(i64::from(code - 200)),
            2000 => Some(Self::ClientReentrantCall),
            2001 => Some(Self::ClientNotConnected),
            2002 => Some(Self::ClientIllegalState),
            _ => None,
        }
    }

    /// The C client's code (`AERON_ARCHIVE_ERROR_CODE_*`, `AERON_ARCHIVE_CLIENT_ERROR_*`).
    pub fn client_code(self) -> i32 {
        use ArchiveErrorCode::*;
        match self {
            Generic => 200,
            ActiveListing => 201,
            ActiveRecording => 202,
            ActiveSubscription => 203,
            UnknownSubscription => 204,
            UnknownRecording => 205,
            UnknownReplay => 206,
            MaxReplays => 207,
            MaxRecordings => 208,
            InvalidExtension => 209,
            AuthenticationRejected => 210,
            StorageSpace => 211,
            UnknownReplication => 212,
            UnauthorisedAction => 213,
            ReplicationConnectionFailure => 214,
            EmptyRecording => 215,
            InvalidPosition => 216,
            ClientReentrantCall => 2000,
            ClientNotConnected => 2001,
            ClientIllegalState => 2002,
        }
    }
}

impl fmt::Display for ArchiveErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?} ({})", self.client_code())
    }
}

/// Archive meaning of an [`AeronCError`].
pub trait ArchiveErrorExt {
    /// The archive error code, when the failure came from the archive or the archive client.
    fn archive_error_code(&self) -> Option<ArchiveErrorCode>;

    /// True when the archive did not answer in time: [`AeronErrorType::TimedOut`], a
    /// response timeout (`ETIMEDOUT`) or a connect timeout.
    fn is_archive_timeout(&self) -> bool;
}

impl ArchiveErrorExt for AeronCError {
    fn archive_error_code(&self) -> Option<ArchiveErrorCode> {
        if self.code < 0 {
            ArchiveErrorCode::from_client_code(self.code)
        } else {
            None
        }
    }

    fn is_archive_timeout(&self) -> bool {
        match self.kind() {
            AeronErrorType::TimedOut => true,
            AeronErrorType::Errno(errno) => std::io::Error::from_raw_os_error(errno).kind() == ErrorKind::TimedOut,
            _ => is_connect_timeout(self),
        }
    }
}

/// The C connect state machine fails its deadline with `AERON_SET_ERR(-1, "connect timeout")`.
fn is_connect_timeout(error: &AeronCError) -> bool {
    error.code == -1 && error.message().is_some_and(|m| m.contains("connect timeout"))
}

/// Reads the calling thread's C error after a failed archive call and gives timeouts the
/// kind [`AeronErrorType::TimedOut`], keeping the C message.
#[cold]
pub(crate) fn last_archive_error() -> AeronCError {
    typed_timeout(AeronCError::from_last_error())
}

/// [`AeronErrorType::TimedOut`] for any archive timeout (see [`ArchiveErrorExt::is_archive_timeout`]).
pub(crate) fn typed_timeout(error: AeronCError) -> AeronCError {
    if error.kind() != AeronErrorType::TimedOut && error.is_archive_timeout() {
        let message = error.message().unwrap_or("archive timeout").to_owned();
        AeronCError::with_message(AeronErrorType::TimedOut, message)
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_codes_round_trip_through_client_codes() {
        for code in 0..=16 {
            let kind = ArchiveErrorCode::from_archive_code(code).expect("known code");
            assert_eq!(i64::from(kind.client_code()), code + 200);
            assert_eq!(ArchiveErrorCode::from_client_code(-kind.client_code()), Some(kind));
        }
        assert_eq!(ArchiveErrorCode::from_archive_code(17), None);
        assert_eq!(
            ArchiveErrorCode::from_client_code(-2001),
            Some(ArchiveErrorCode::ClientNotConnected)
        );
        assert_eq!(ArchiveErrorCode::from_client_code(-1), None);
    }

    #[test]
    fn unknown_recording_response_is_recognised() {
        let error = AeronCError::with_message(AeronErrorType::Unknown(-205), "response for correlationId=7");
        assert_eq!(error.archive_error_code(), Some(ArchiveErrorCode::UnknownRecording));
        assert!(!error.is_archive_timeout());
    }

    #[test]
    fn timeouts_get_the_timed_out_kind() {
        // The platform's ETIMEDOUT, found through std's errno table.
        let errno = (1..200)
            .find(|e| std::io::Error::from_raw_os_error(*e).kind() == ErrorKind::TimedOut)
            .expect("the platform has ETIMEDOUT");
        let response_timeout = AeronCError::with_message(AeronErrorType::Errno(errno), "awaiting response");
        assert!(response_timeout.is_archive_timeout());
        let typed = typed_timeout(response_timeout);
        assert_eq!(typed.kind(), AeronErrorType::TimedOut);
        assert_eq!(typed.message(), Some("awaiting response"));

        let connect = AeronCError::with_message(AeronErrorType::InvalidChannel, "(-1) connect timeout");
        assert!(connect.is_archive_timeout());
        assert_eq!(typed_timeout(connect).kind(), AeronErrorType::TimedOut);

        let other = AeronCError::with_message(AeronErrorType::InvalidChannel, "bad uri");
        assert!(!other.is_archive_timeout());
        assert_eq!(typed_timeout(other).kind(), AeronErrorType::InvalidChannel);
    }
}
