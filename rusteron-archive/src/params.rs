//! The string fields of [`AeronArchiveReplicationParams`].
//!
//! The generated wrapper reads `live_destination`, `replication_channel` and
//! `src_response_channel` but cannot set them: they are `const char *` that C reads during
//! `aeron_archive_replicate`. The setters here point them at interned copies that live for
//! the rest of the process (each distinct string is stored once), so the struct and every
//! copy of it (`clone_struct`) stay valid whatever is dropped first. The encoded
//! credentials a replication connects to the source archive with are kept the same way.

use std::collections::{HashMap, HashSet};
use std::ffi::CStr;
use std::sync::{Mutex, OnceLock};

use rusteron_client::{AeronCError, AeronErrorType};
use rusteron_sys::archive::aeron_archive_encoded_credentials_t;

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

/// A process-lifetime `aeron_archive_encoded_credentials_t` holding `bytes`, shared by equal
/// credentials.
fn intern_credentials(bytes: &[u8]) -> Result<*mut aeron_archive_encoded_credentials_t, AeronCError> {
    // Addresses are stored as usize: the pointees are leaked and never written after
    // creation, so sharing them between threads is sound.
    static INTERNED: OnceLock<Mutex<HashMap<Vec<u8>, usize>>> = OnceLock::new();
    let length = u32::try_from(bytes.len()).map_err(|_| {
        AeronCError::with_message(
            AeronErrorType::InvalidArgument,
            format!("encoded credentials too long: {} bytes", bytes.len()),
        )
    })?;
    let mut map = INTERNED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let address = *map.entry(bytes.to_vec()).or_insert_with(|| {
        let data: &'static [u8] = Box::leak(bytes.to_vec().into_boxed_slice());
        let credentials = Box::leak(Box::new(aeron_archive_encoded_credentials_t {
            data: data.as_ptr().cast(),
            length,
        }));
        credentials as *mut aeron_archive_encoded_credentials_t as usize
    });
    Ok(address as *mut aeron_archive_encoded_credentials_t)
}

impl AeronArchiveReplicationParams {
    /// Credentials the destination archive connects to the source archive with (empty:
    /// none). A source archive that challenges the connect fails the replication: as in
    /// Aeron, replication does not answer challenges. The bytes are kept for the rest of
    /// the process (one copy per distinct value).
    pub fn set_encoded_credentials(&self, encoded_credentials: &[u8]) -> Result<(), AeronCError> {
        let ptr = self.checked_ptr()?;
        let credentials = if encoded_credentials.is_empty() {
            std::ptr::null_mut()
        } else {
            intern_credentials(encoded_credentials)?
        };
        // SAFETY: ptr is this wrapper's live struct; the credentials are 'static and C only
        // reads them.
        unsafe { (*ptr).encoded_credentials = credentials };
        Ok(())
    }

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

    #[test]
    fn interned_credentials_hold_their_bytes_and_are_shared() {
        let a = intern_credentials(b"replicator:secret").unwrap();
        // Equal bytes from another buffer share the interned copy.
        let copy = String::from("replicator:secret").into_bytes();
        let b = intern_credentials(&copy).unwrap();
        assert_eq!(a, b);
        // SAFETY: a points to a leaked struct whose data holds `length` bytes.
        let bytes = unsafe { std::slice::from_raw_parts((*a).data.cast::<u8>(), (*a).length as usize) };
        assert_eq!(bytes, b"replicator:secret");
        assert_ne!(intern_credentials(b"other").unwrap(), a);
    }
}
