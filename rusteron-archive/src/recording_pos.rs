//! [`RecordingPos`]: the archive's recording position counters, read through a client's
//! counters reader.
//!
//! While the archive records a stream it publishes the recorded position in a counter
//! (type id 100) whose key holds the recording id, session id, source identity and
//! archive id. These functions find and read such counters, so a publisher can wait until
//! its data is recorded without asking the archive.

use std::ffi::c_char;

use rusteron_client::{AeronCError, AeronCountersReader};
use rusteron_sys::archive::aeron_archive_recording_pos_get_source_identity;

use crate::AeronArchive;

/// Counter type id of a recording position (`AERON_COUNTER_ARCHIVE_RECORDING_POSITION_TYPE_ID`).
pub const RECORDING_POSITION_TYPE_ID: i32 = 100;

/// Room for the longest source identity a counter key can hold (C `MAX_SOURCE_IDENTITY_LENGTH`,
/// 88 bytes) plus the NUL.
const SOURCE_IDENTITY_BUFFER: usize = 128;

/// Functions over the archive's recording position counters (see the module docs).
///
/// Every function returns `AERON_NULL_COUNTER_ID` (-1) / `AERON_NULL_VALUE` when nothing
/// matches, as C does.
#[derive(Debug, Clone, Copy)]
pub struct RecordingPos;

impl RecordingPos {
    /// Counter id of the active recording `recording_id` of archive `archive_id`
    /// ([`AeronArchive::get_archive_id`]), or -1.
    pub fn find_counter_id_by_recording_id(counters: &AeronCountersReader, recording_id: i64, archive_id: i64) -> i32 {
        AeronArchive::recording_pos_find_counter_id_by_recording_id(counters, recording_id, archive_id)
    }

    /// Counter id of the active recording of the image with `session_id` in archive
    /// `archive_id`, or -1. The publication's session id identifies its recording.
    pub fn find_counter_id_by_session_id(counters: &AeronCountersReader, session_id: i32, archive_id: i64) -> i32 {
        AeronArchive::recording_pos_find_counter_id_by_session_id(counters, session_id, archive_id)
    }

    /// Recording id of the recording position counter `counter_id`, or -1.
    pub fn get_recording_id(counters: &AeronCountersReader, counter_id: i32) -> i64 {
        AeronArchive::recording_pos_get_recording_id(counters, counter_id)
    }

    /// Source identity of the recorded image (`aeron:ipc` or the sender's address); empty
    /// when the counter is not an allocated recording position.
    pub fn get_source_identity(counters: &AeronCountersReader, counter_id: i32) -> Result<String, AeronCError> {
        AeronArchive::recording_pos_get_source_identity(counters, counter_id)
    }

    /// True while counter `counter_id` is the active position of recording `recording_id`.
    pub fn is_active(counters: &AeronCountersReader, counter_id: i32, recording_id: i64) -> Result<bool, AeronCError> {
        AeronArchive::recording_pos_is_active(counters, counter_id, recording_id)
    }
}

impl AeronArchive {
    /// Source identity of the recording position counter `counter_id` (see
    /// [`RecordingPos::get_source_identity`]).
    pub fn recording_pos_get_source_identity(
        counters_reader: &AeronCountersReader,
        counter_id: i32,
    ) -> Result<String, AeronCError> {
        let reader = counters_reader.checked_ptr()?;
        let mut buffer = [0 as c_char; SOURCE_IDENTITY_BUFFER];
        // In: the buffer's capacity (C keeps one byte for the NUL). Out: the length written.
        let mut length = buffer.len();
        // SAFETY: reader is live; buffer has `length` writable bytes; C writes at most
        // length - 1 bytes plus a NUL and stores the count in `length`.
        let rc = unsafe {
            aeron_archive_recording_pos_get_source_identity(reader, counter_id, buffer.as_mut_ptr(), &mut length)
        };
        rusteron_client::error::check(rc)?;
        let bytes: Vec<u8> = buffer[..length.min(buffer.len())].iter().map(|&c| c as u8).collect();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
