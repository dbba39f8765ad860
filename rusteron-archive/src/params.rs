//! The string fields of [`AeronArchiveReplicationParams`].
//!
//! The generated wrapper reads `live_destination`, `replication_channel` and
//! `src_response_channel` but cannot set them: they are `const char *` that C reads during
//! `aeron_archive_replicate`. The setters here point them at interned copies that live for
//! the rest of the process (each distinct string is stored once), so the struct and every
//! copy of it (`clone_struct`) stay valid whatever is dropped first.

use std::collections::HashSet;
use std::ffi::CStr;
use std::sync::{Mutex, OnceLock};

use rusteron_client::AeronCError;

use crate::AeronArchiveReplicationParams;

/// A process-lifetime copy of `s`, shared by equal strings.
fn intern(s: &CStr) -> &'static CStr {
    static INTERNED: OnceLock<Mutex<HashSet<&'static CStr>>> = OnceLock::new();
    let mut set = INTERNED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(existing) = set.get(s) {
        return existing;
    }
    let leaked: &'static CStr = Box::leak(s.to_owned().into_boxed_c_str());
    set.insert(leaked);
    leaked
}

impl AeronArchiveReplicationParams {
    /// Destination of the live stream to merge with once the replication catches up
    /// (empty: no merge).
    pub fn set_live_destination(&self, live_destination: &CStr) -> Result<(), AeronCError> {
        let ptr = self.checked_ptr()?;
        // SAFETY: ptr is this wrapper's live struct; the string is 'static.
        unsafe { (*ptr).live_destination = intern(live_destination).as_ptr() };
        Ok(())
    }

    /// Channel the source archive replays the recording on to the destination archive
    /// (empty: the destination archive's default).
    pub fn set_replication_channel(&self, replication_channel: &CStr) -> Result<(), AeronCError> {
        let ptr = self.checked_ptr()?;
        // SAFETY: as in set_live_destination.
        unsafe { (*ptr).replication_channel = intern(replication_channel).as_ptr() };
        Ok(())
    }

    /// Response channel the destination archive uses to talk to the source archive
    /// (empty: the default).
    pub fn set_src_response_channel(&self, src_response_channel: &CStr) -> Result<(), AeronCError> {
        let ptr = self.checked_ptr()?;
        // SAFETY: as in set_live_destination.
        unsafe { (*ptr).src_response_channel = intern(src_response_channel).as_ptr() };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_strings_are_shared_and_outlive_their_source() {
        let a = intern(&std::ffi::CString::new("aeron:udp?endpoint=localhost:8010").unwrap());
        let b = intern(c"aeron:udp?endpoint=localhost:8010");
        assert_eq!(a.as_ptr(), b.as_ptr());
        assert_eq!(a.to_str(), Ok("aeron:udp?endpoint=localhost:8010"));
        assert_ne!(intern(c"aeron:ipc").as_ptr(), a.as_ptr());
    }
}
