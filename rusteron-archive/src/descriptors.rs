//! Recording descriptors, recording subscription descriptors and recording signals as
//! owned Rust values, and the listing methods that return them.
//!
//! C hands these to a callback as a struct valid only during the call (the descriptor is
//! on the poller's stack and its strings are freed right after). The generated wrappers
//! passed to callbacks ([`AeronArchiveRecordingDescriptor`], ...) borrow that struct;
//! convert them with `From` to keep anything.

use std::ffi::{c_char, CStr};

use rusteron_client::AeronCError;
use rusteron_sys::archive::{
    aeron_archive_recording_descriptor_t, aeron_archive_recording_signal_t,
    aeron_archive_recording_subscription_descriptor_t,
};

use crate::archive_errors::typed_timeout;
use crate::{
    AeronArchive, AeronArchiveRecordingDescriptor, AeronArchiveRecordingSignal,
    AeronArchiveRecordingSubscriptionDescriptor,
};

/// Copies a C string the archive client allocated with an explicit length (and a NUL at
/// that length). Reads at most up to the first NUL, so a length that was changed through
/// a setter can never make it read past the allocation.
///
/// # Safety
/// `ptr` must be NULL or a NUL-terminated string.
unsafe fn owned_string(ptr: *const c_char, length: usize) -> String {
    if ptr.is_null() {
        return String::new();
    }
    let bytes = CStr::from_ptr(ptr).to_bytes();
    String::from_utf8_lossy(&bytes[..length.min(bytes.len())]).into_owned()
}

/// Everything the archive's catalog says about one recording, owned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RecordingDescriptor {
    /// Control session id of the listing request.
    pub control_session_id: i64,
    /// Correlation id of the listing request.
    pub correlation_id: i64,
    /// Id of the recording.
    pub recording_id: i64,
    /// Epoch time (ms) the recording started.
    pub start_timestamp: i64,
    /// Epoch time (ms) the recording stopped (`AERON_NULL_VALUE` while active).
    pub stop_timestamp: i64,
    /// Position of the recorded publication where the recording starts.
    pub start_position: i64,
    /// Highest position recorded (`AERON_NULL_VALUE` while active: ask
    /// [`AeronArchive::get_recording_position`]).
    pub stop_position: i64,
    /// Initial term id of the recorded publication.
    pub initial_term_id: i32,
    /// Length of the recording's segment files (a multiple of the term length).
    pub segment_file_length: i32,
    /// Term buffer length of the recorded publication.
    pub term_buffer_length: i32,
    /// MTU length of the recorded publication.
    pub mtu_length: i32,
    /// Session id of the recorded publication.
    pub session_id: i32,
    /// Stream id of the recorded publication.
    pub stream_id: i32,
    /// Channel of the recording subscription (parameters that do not identify the stream
    /// removed).
    pub stripped_channel: String,
    /// Channel given in the start-recording request.
    pub original_channel: String,
    /// Source identity of the recorded image (`aeron:ipc`, or the sender's address).
    pub source_identity: String,
}

impl RecordingDescriptor {
    /// Copies a C descriptor.
    ///
    /// # Safety
    /// The three string pointers must each be NULL or a NUL-terminated string.
    pub unsafe fn from_c(raw: &aeron_archive_recording_descriptor_t) -> Self {
        RecordingDescriptor {
            control_session_id: raw.control_session_id,
            correlation_id: raw.correlation_id,
            recording_id: raw.recording_id,
            start_timestamp: raw.start_timestamp,
            stop_timestamp: raw.stop_timestamp,
            start_position: raw.start_position,
            stop_position: raw.stop_position,
            initial_term_id: raw.initial_term_id,
            segment_file_length: raw.segment_file_length,
            term_buffer_length: raw.term_buffer_length,
            mtu_length: raw.mtu_length,
            session_id: raw.session_id,
            stream_id: raw.stream_id,
            stripped_channel: owned_string(raw.stripped_channel, raw.stripped_channel_length),
            original_channel: owned_string(raw.original_channel, raw.original_channel_length),
            source_identity: owned_string(raw.source_identity, raw.source_identity_length),
        }
    }

    /// True while the recording is active (it has no stop timestamp yet).
    pub fn is_active(&self) -> bool {
        self.stop_timestamp == i64::from(rusteron_sys::AERON_NULL_VALUE)
    }
}

impl From<&AeronArchiveRecordingDescriptor<'_>> for RecordingDescriptor {
    /// Copies the descriptor (all fields; default values if the wrapper was closed).
    fn from(descriptor: &AeronArchiveRecordingDescriptor) -> Self {
        match descriptor.checked_ptr() {
            // SAFETY: the wrapper points at a live descriptor (its constructor's
            // contract), whose string pointers are NULL or C strings (C allocates them,
            // and the safe setters cannot change them).
            Ok(ptr) if !ptr.is_null() => unsafe { RecordingDescriptor::from_c(&*ptr) },
            _ => RecordingDescriptor::default(),
        }
    }
}

impl From<AeronArchiveRecordingDescriptor<'_>> for RecordingDescriptor {
    fn from(descriptor: AeronArchiveRecordingDescriptor) -> Self {
        RecordingDescriptor::from(&descriptor)
    }
}

/// A subscription the archive records from (a `start_recording` still in effect), owned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RecordingSubscriptionDescriptor {
    /// Control session id of the listing request.
    pub control_session_id: i64,
    /// Correlation id of the listing request.
    pub correlation_id: i64,
    /// Id of the subscription: pass it to [`AeronArchive::stop_recording_subscription`].
    pub subscription_id: i64,
    /// Stream id the subscription was registered with.
    pub stream_id: i32,
    /// Channel the subscription was registered with.
    pub stripped_channel: String,
}

impl RecordingSubscriptionDescriptor {
    /// Copies a C descriptor.
    ///
    /// # Safety
    /// `stripped_channel` must be NULL or a NUL-terminated string.
    pub unsafe fn from_c(raw: &aeron_archive_recording_subscription_descriptor_t) -> Self {
        RecordingSubscriptionDescriptor {
            control_session_id: raw.control_session_id,
            correlation_id: raw.correlation_id,
            subscription_id: raw.subscription_id,
            stream_id: raw.stream_id,
            stripped_channel: owned_string(raw.stripped_channel, raw.stripped_channel_length),
        }
    }
}

impl From<&AeronArchiveRecordingSubscriptionDescriptor<'_>> for RecordingSubscriptionDescriptor {
    /// Copies the descriptor (default values if the wrapper was closed).
    fn from(descriptor: &AeronArchiveRecordingSubscriptionDescriptor) -> Self {
        match descriptor.checked_ptr() {
            // SAFETY: as for RecordingDescriptor.
            Ok(ptr) if !ptr.is_null() => unsafe { RecordingSubscriptionDescriptor::from_c(&*ptr) },
            _ => RecordingSubscriptionDescriptor::default(),
        }
    }
}

impl From<AeronArchiveRecordingSubscriptionDescriptor<'_>> for RecordingSubscriptionDescriptor {
    fn from(descriptor: AeronArchiveRecordingSubscriptionDescriptor) -> Self {
        RecordingSubscriptionDescriptor::from(&descriptor)
    }
}

/// What happened to a recording (the archive protocol's `RecordingSignal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingSignalCode {
    /// Recording started for a stream.
    Start,
    /// Recording stopped for a stream.
    Stop,
    /// Recording started extending an existing recording.
    Extend,
    /// Recording descriptor replicated from a source archive.
    Replicate,
    /// Recording merged with the live stream after a replay.
    Merge,
    /// Recording synchronised with the source archive.
    Sync,
    /// Segments of the recording were deleted.
    Delete,
    /// Replication of the recording ended.
    ReplicateEnd,
    /// A code this version does not know.
    Unknown(i32),
}

impl RecordingSignalCode {
    /// Maps the C `recording_signal_code`.
    pub fn from_code(code: i32) -> Self {
        use RecordingSignalCode::*;
        match code {
            0 => Start,
            1 => Stop,
            2 => Extend,
            3 => Replicate,
            4 => Merge,
            5 => Sync,
            6 => Delete,
            7 => ReplicateEnd,
            other => Unknown(other),
        }
    }

    /// The C code.
    pub fn code(self) -> i32 {
        use RecordingSignalCode::*;
        match self {
            Start => 0,
            Stop => 1,
            Extend => 2,
            Replicate => 3,
            Merge => 4,
            Sync => 5,
            Delete => 6,
            ReplicateEnd => 7,
            Unknown(code) => code,
        }
    }
}

/// A recording signal, owned (see [`AeronArchiveContext::set_recording_signal_consumer`](crate::AeronArchiveContext::set_recording_signal_consumer)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordingSignal {
    /// Control session id of the session that caused it.
    pub control_session_id: i64,
    /// Recording that transitioned.
    pub recording_id: i64,
    /// Subscription that captured the recording.
    pub subscription_id: i64,
    /// Position of the recording at the transition.
    pub position: i64,
    /// What happened.
    pub signal: RecordingSignalCode,
}

impl From<&aeron_archive_recording_signal_t> for RecordingSignal {
    fn from(raw: &aeron_archive_recording_signal_t) -> Self {
        RecordingSignal {
            control_session_id: raw.control_session_id,
            recording_id: raw.recording_id,
            subscription_id: raw.subscription_id,
            position: raw.position,
            signal: RecordingSignalCode::from_code(raw.recording_signal_code),
        }
    }
}

impl From<&AeronArchiveRecordingSignal<'_>> for RecordingSignal {
    /// Copies the signal (zeroed fields if the wrapper was closed).
    fn from(signal: &AeronArchiveRecordingSignal) -> Self {
        RecordingSignal::from(&signal.get_struct())
    }
}

impl From<AeronArchiveRecordingSignal<'_>> for RecordingSignal {
    fn from(signal: AeronArchiveRecordingSignal) -> Self {
        RecordingSignal::from(&signal)
    }
}

/// Listing methods returning owned descriptors. They block until the archive has sent
/// every descriptor or the context's message timeout passes
/// ([`AeronErrorType::TimedOut`](rusteron_client::AeronErrorType::TimedOut)).
///
/// The generated `list_recordings(.., handler)` / `list_recordings_once(.., closure)`
/// family calls back per descriptor instead, without allocating.
impl AeronArchive {
    /// Up to `record_count` descriptors of recordings with ids from `from_recording_id`.
    pub fn list_recording_descriptors(
        &self,
        from_recording_id: i64,
        record_count: i32,
    ) -> Result<Vec<RecordingDescriptor>, AeronCError> {
        let mut found = Vec::new();
        self.list_recordings_once(from_recording_id, record_count, |d| {
            found.push(RecordingDescriptor::from(&d))
        })
        .map_err(typed_timeout)?;
        Ok(found)
    }

    /// Up to `record_count` descriptors, from `from_recording_id`, of recordings whose
    /// original channel contains `channel_fragment` and whose stream id is `stream_id`.
    pub fn list_recording_descriptors_for_uri(
        &self,
        from_recording_id: i64,
        record_count: i32,
        channel_fragment: &CStr,
        stream_id: i32,
    ) -> Result<Vec<RecordingDescriptor>, AeronCError> {
        let mut found = Vec::new();
        self.list_recordings_for_uri_once(from_recording_id, record_count, channel_fragment, stream_id, |d| {
            found.push(RecordingDescriptor::from(&d))
        })
        .map_err(typed_timeout)?;
        Ok(found)
    }

    /// The descriptor of recording `recording_id`, `None` if the archive has no such
    /// recording.
    pub fn list_recording_descriptor(&self, recording_id: i64) -> Result<Option<RecordingDescriptor>, AeronCError> {
        let mut found = None;
        self.list_recording_once(recording_id, |d| found = Some(RecordingDescriptor::from(&d)))
            .map_err(typed_timeout)?;
        Ok(found)
    }

    /// Up to `subscription_count` recording subscriptions, from index `pseudo_index`,
    /// whose channel contains `channel_fragment` (and whose stream id is `stream_id` when
    /// `apply_stream_id`).
    pub fn list_recording_subscription_descriptors(
        &self,
        pseudo_index: i32,
        subscription_count: i32,
        channel_fragment: &CStr,
        stream_id: i32,
        apply_stream_id: bool,
    ) -> Result<Vec<RecordingSubscriptionDescriptor>, AeronCError> {
        let mut found = Vec::new();
        self.list_recording_subscriptions_once(
            pseudo_index,
            subscription_count,
            channel_fragment,
            stream_id,
            apply_stream_id,
            |d| found.push(RecordingSubscriptionDescriptor::from(&d)),
        )
        .map_err(typed_timeout)?;
        Ok(found)
    }
}
