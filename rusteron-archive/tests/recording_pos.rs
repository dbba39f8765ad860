//! RecordingPos over a counter laid out like the archive's recording position counter
//! (type 100), allocated by a real media driver: no archive needed to read one.

mod common;

use std::time::{Duration, Instant};

use common::{driver_and_client, TIMEOUT};
use rusteron_archive::*;

/// The archive's recording position key: recording id, session id, source identity
/// (length-prefixed), then the archive id.
fn recording_position_key(recording_id: i64, session_id: i32, source_identity: &str, archive_id: i64) -> Vec<u8> {
    let mut key = Vec::new();
    key.extend_from_slice(&recording_id.to_le_bytes());
    key.extend_from_slice(&session_id.to_le_bytes());
    key.extend_from_slice(&(source_identity.len() as i32).to_le_bytes());
    key.extend_from_slice(source_identity.as_bytes());
    key.extend_from_slice(&archive_id.to_le_bytes());
    key
}

fn add_counter(aeron: &Aeron, type_id: i32, key: &[u8], label: &str) -> Result<AeronCounter, AeronCError> {
    aeron.async_add_counter(type_id, key, label)?.poll_blocking(TIMEOUT)
}

#[test]
fn finds_and_reads_a_recording_position_counter() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let counters = aeron.counters_reader().expect("a started client has a counters reader");
    let (recording_id, session_id, archive_id) = (4242_i64, -77_001_i32, 987_654_321_i64);
    let source = "127.0.0.1:53412";
    let key = recording_position_key(recording_id, session_id, source, archive_id);
    let counter = add_counter(
        &aeron,
        RECORDING_POSITION_TYPE_ID,
        &key,
        "rec-pos: 4242 -77001 987654321",
    )?;
    let counter_id = counter.constants()?.counter_id();

    assert_eq!(
        RecordingPos::find_counter_id_by_recording_id(&counters, recording_id, archive_id),
        counter_id
    );
    assert_eq!(
        RecordingPos::find_counter_id_by_session_id(&counters, session_id, archive_id),
        counter_id
    );
    assert_eq!(RecordingPos::get_recording_id(&counters, counter_id), recording_id);
    assert_eq!(RecordingPos::get_source_identity(&counters, counter_id)?, source);
    assert_eq!(
        AeronArchive::recording_pos_get_source_identity(&counters, counter_id)?,
        source
    );
    assert!(RecordingPos::is_active(&counters, counter_id, recording_id)?);

    // Other archives, recordings and sessions do not match.
    assert_eq!(
        RecordingPos::find_counter_id_by_recording_id(&counters, recording_id, archive_id + 1),
        -1
    );
    assert_eq!(
        RecordingPos::find_counter_id_by_recording_id(&counters, recording_id + 1, archive_id),
        -1
    );
    assert_eq!(
        RecordingPos::find_counter_id_by_session_id(&counters, session_id + 1, archive_id),
        -1
    );
    assert!(!RecordingPos::is_active(&counters, counter_id, recording_id + 1)?);

    // Once the counter is gone it is no longer an active recording position.
    drop(counter);
    let deadline = Instant::now() + TIMEOUT;
    while RecordingPos::is_active(&counters, counter_id, recording_id)? {
        assert!(Instant::now() < deadline, "the counter was never freed");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        RecordingPos::find_counter_id_by_recording_id(&counters, recording_id, archive_id),
        -1
    );
    assert_eq!(
        RecordingPos::get_source_identity(&counters, counter_id)?,
        "",
        "not allocated: no identity"
    );
    Ok(())
}

#[test]
fn the_longest_source_identity_is_read_whole() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let counters = aeron.counters_reader().expect("a started client has a counters reader");
    // The key holds 112 bytes: 16 of header, 8 of archive id, so 88 of identity.
    let source = "s".repeat(88);
    let key = recording_position_key(1, 2, &source, 3);
    assert_eq!(key.len(), 112);
    let counter = add_counter(&aeron, RECORDING_POSITION_TYPE_ID, &key, "rec-pos: long identity")?;
    let counter_id = counter.constants()?.counter_id();
    assert_eq!(RecordingPos::get_source_identity(&counters, counter_id)?, source);
    assert_eq!(RecordingPos::find_counter_id_by_session_id(&counters, 2, 3), counter_id);
    Ok(())
}

#[test]
fn counters_of_other_types_are_ignored() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let counters = aeron.counters_reader().expect("a started client has a counters reader");
    let key = recording_position_key(5, 6, "aeron:ipc", 7);
    let counter = add_counter(&aeron, 1001, &key, "not a recording position")?;
    let counter_id = counter.constants()?.counter_id();
    assert_eq!(RecordingPos::find_counter_id_by_recording_id(&counters, 5, 7), -1);
    assert!(!RecordingPos::is_active(&counters, counter_id, 5)?);
    assert_eq!(RecordingPos::get_source_identity(&counters, counter_id)?, "");
    let error = RecordingPos::get_source_identity(&counters, -5).expect_err("no such counter");
    assert!(
        error.message().is_some_and(|m| m.contains("failed to read metadata")),
        "{error}"
    );
    Ok(())
}
