//! Creating an [`AeronArchiveReplayMerge`], which keeps both the subscription and the
//! archive it uses alive.
//!
//! `aeron_archive_replay_merge_init` stores the `aeron_archive_t` pointer and uses it in
//! every `do_work` and in `aeron_archive_replay_merge_close` (to stop the replay), so the
//! archive must outlive the merge. The merge's parent is the archive and it holds a share
//! of the subscription. (The other way round would put the archive into the client's
//! keep-alive list once the merge and subscription drop, a cycle through the archive
//! context, which keeps the client.)

use std::ffi::CStr;
use std::time::{SystemTime, UNIX_EPOCH};

use rusteron_client::{AeronCError, AeronErrorType, AeronSubscription};
use rusteron_sys::archive::{aeron_archive_replay_merge_init, aeron_archive_replay_merge_t};

use crate::{AeronArchive, AeronArchiveReplayMerge};

/// Default `merge_progress_timeout_ms` of a replay merge (C `REPLAY_MERGE_PROGRESS_TIMEOUT_DEFAULT_MS`).
pub const REPLAY_MERGE_PROGRESS_TIMEOUT_DEFAULT_MS: i64 = 5_000;

impl AeronArchiveReplayMerge {
    /// Replays recording `recording_id` from `start_position` into `subscription` and
    /// merges it with the live stream once the replay catches up.
    ///
    /// `subscription` must be a multi-destination subscription (`control-mode=manual`);
    /// the merge adds `replay_destination` and later `live_destination` to it.
    /// `replay_channel` is the channel the archive replays to. `epoch_clock_ms` is the
    /// current epoch time in milliseconds (see [`epoch_clock_ms`]); the merge fails when
    /// it makes no progress for `merge_progress_timeout_ms`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        subscription: &AeronSubscription,
        aeron_archive: &AeronArchive,
        replay_channel: &CStr,
        replay_destination: &CStr,
        live_destination: &CStr,
        recording_id: i64,
        start_position: i64,
        epoch_clock_ms: i64,
        merge_progress_timeout_ms: i64,
    ) -> Result<AeronArchiveReplayMerge, AeronCError> {
        let subscription_ptr = subscription.checked_ptr()?;
        let archive_ptr = aeron_archive.checked_ptr()?;
        let mut out: *mut aeron_archive_replay_merge_t = std::ptr::null_mut();
        // SAFETY: live subscription and archive; the strings are NUL-terminated and C
        // copies what it keeps; out is an out-param.
        let rc = unsafe {
            aeron_archive_replay_merge_init(
                &mut out,
                subscription_ptr,
                archive_ptr,
                replay_channel.as_ptr(),
                replay_destination.as_ptr(),
                live_destination.as_ptr(),
                recording_id,
                start_position,
                epoch_clock_ms,
                merge_progress_timeout_ms,
            )
        };
        if rc < 0 {
            return Err(AeronCError::from_last_error());
        }
        if out.is_null() {
            return Err(AeronCError::with_message(
                AeronErrorType::NullOrNotConnected,
                "aeron_archive_replay_merge_init returned no merge",
            ));
        }
        // SAFETY: a merge this wrapper closes once, before its parent archive and before
        // the subscription share below is released.
        let merge = unsafe { AeronArchiveReplayMerge::from_raw_owned(out, aeron_archive.owner().cloned()) };
        if let Some(subscription) = subscription.owner() {
            merge.keep_alive(Box::new(subscription.clone()));
        }
        Ok(merge)
    }
}

/// The current epoch time in milliseconds, for [`AeronArchiveReplayMerge::new`].
pub fn epoch_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
