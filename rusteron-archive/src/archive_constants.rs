//! Constants of `aeron_archive.h` and the archive context defaults (C macros, which the
//! bindings do not carry).

/// Where the recorded publication is, for `start_recording` / `extend_recording`:
/// `SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL` (the archive's own media driver)
/// or `SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_REMOTE`.
pub type SourceLocation = rusteron_sys::archive::aeron_archive_source_location_t;

/// A position that is not set (`AERON_NULL_POSITION`).
pub const AERON_NULL_POSITION: i64 = -1;

/// Replay length: replay the whole recording and follow it while it is live.
pub const ARCHIVE_REPLAY_ALL_AND_FOLLOW: i64 = -1;

/// Replay length: replay up to the recording's position when the replay starts, then end.
pub const ARCHIVE_REPLAY_ALL_AND_STOP: i64 = -2;

/// Default stream id of archive control requests.
pub const AERON_ARCHIVE_CONTROL_STREAM_ID_DEFAULT: i32 = 10;

/// Default stream id of archive control responses.
pub const AERON_ARCHIVE_CONTROL_RESPONSE_STREAM_ID_DEFAULT: i32 = 20;

/// Default stream id of the archive's recording events.
pub const AERON_ARCHIVE_RECORDING_EVENTS_STREAM_ID_DEFAULT: i32 = 30;

/// Default time to wait for an archive response, in nanoseconds (10 s).
pub const AERON_ARCHIVE_MESSAGE_TIMEOUT_NS_DEFAULT: u64 = 10_000_000_000;

/// Default number of attempts to send a control request.
pub const AERON_ARCHIVE_MESSAGE_RETRY_ATTEMPTS_DEFAULT: u32 = 3;

/// Default term length of the control channels (64 KiB).
pub const AERON_ARCHIVE_CONTROL_TERM_BUFFER_LENGTH_DEFAULT: usize = 64 * 1024;
