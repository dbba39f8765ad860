//! Replay and replication parameters: C defaults from the generated `new()`, setters, and
//! the hand-written string setters of the replication parameters.

use std::ffi::CString;

use rusteron_archive::*;

const NULL_VALUE: i64 = -1;

#[test]
fn replay_params_start_from_the_c_defaults_and_take_every_setter() -> Result<(), AeronCError> {
    let params = AeronArchiveReplayParams::new()?;
    assert_eq!(params.bounding_limit_counter_id(), NULL_VALUE as i32);
    assert_eq!(params.file_io_max_length(), NULL_VALUE as i32);
    assert_eq!(params.position(), NULL_VALUE);
    assert_eq!(params.length(), NULL_VALUE);
    assert_eq!(params.replay_token(), NULL_VALUE);
    assert_eq!(params.subscription_registration_id(), NULL_VALUE);

    params.set_position(4096);
    params.set_length(ARCHIVE_REPLAY_ALL_AND_STOP);
    params.set_bounding_limit_counter_id(12);
    params.set_file_io_max_length(1 << 20);
    params.set_replay_token(99);
    params.set_subscription_registration_id(100);
    assert_eq!(params.position(), 4096);
    assert_eq!(params.length(), -2);
    assert_eq!(params.bounding_limit_counter_id(), 12);
    assert_eq!(params.file_io_max_length(), 1 << 20);
    assert_eq!(params.replay_token(), 99);
    assert_eq!(params.subscription_registration_id(), 100);

    // A copy is independent of the original.
    let copy = params.clone_struct();
    params.set_position(0);
    assert_eq!(copy.position(), 4096);
    Ok(())
}

#[test]
fn replication_params_defaults_and_setters() -> Result<(), AeronCError> {
    let params = AeronArchiveReplicationParams::new()?;
    assert_eq!(params.stop_position(), NULL_VALUE);
    assert_eq!(params.dst_recording_id(), NULL_VALUE);
    assert_eq!(params.channel_tag_id(), NULL_VALUE);
    assert_eq!(params.subscription_tag_id(), NULL_VALUE);
    assert_eq!(params.file_io_max_length(), NULL_VALUE as i32);
    assert_eq!(params.replication_session_id(), NULL_VALUE as i32);
    assert_eq!(params.live_destination(), "");
    assert_eq!(params.replication_channel(), "");
    assert_eq!(params.src_response_channel(), "");
    assert!(params.encoded_credentials().is_null());

    params.set_stop_position(1 << 30);
    params.set_dst_recording_id(7);
    params.set_channel_tag_id(8);
    params.set_subscription_tag_id(9);
    params.set_file_io_max_length(4096);
    params.set_replication_session_id(10);
    params.set_live_destination(c"aeron:udp?endpoint=localhost:20122")?;
    {
        // The setters copy: the argument may go away.
        let channel = CString::new("aeron:udp?endpoint=localhost:0").expect("no NUL");
        params.set_replication_channel(&channel)?;
    }
    params.set_src_response_channel(c"aeron:udp?endpoint=localhost:0|alias=src")?;

    assert_eq!(params.stop_position(), 1 << 30);
    assert_eq!(params.dst_recording_id(), 7);
    assert_eq!(params.channel_tag_id(), 8);
    assert_eq!(params.subscription_tag_id(), 9);
    assert_eq!(params.file_io_max_length(), 4096);
    assert_eq!(params.replication_session_id(), 10);
    assert_eq!(params.live_destination(), "aeron:udp?endpoint=localhost:20122");
    assert_eq!(params.replication_channel(), "aeron:udp?endpoint=localhost:0");
    assert_eq!(
        params.src_response_channel(),
        "aeron:udp?endpoint=localhost:0|alias=src"
    );

    // A shallow copy keeps pointing at valid strings after the original is gone.
    let copy = params.clone_struct();
    drop(params);
    assert_eq!(copy.replication_channel(), "aeron:udp?endpoint=localhost:0");
    assert_eq!(copy.live_destination(), "aeron:udp?endpoint=localhost:20122");

    // Back to empty.
    copy.set_live_destination(c"")?;
    assert_eq!(copy.live_destination(), "");
    Ok(())
}

#[test]
fn closed_params_refuse_the_string_setters() -> Result<(), AeronCError> {
    let params = AeronArchiveReplicationParams::new()?;
    params.owner().expect("owned by Rust").close()?;
    let error = params.set_replication_channel(c"aeron:ipc").expect_err("closed");
    assert_eq!(error.kind(), AeronErrorType::ResourceClosed);
    Ok(())
}
