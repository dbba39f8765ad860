//! Runs every archive example's `run` with small settings against embedded media drivers
//! and archives, and checks what it reports. The example sources are included as modules,
//! so `cargo test` keeps them compiling and working; their `main`s only parse flags and
//! call `run`.
//!
//! The tests take turns (one lock): the throughput example busy-polls, and the machine
//! may have only two cores.

// Every example includes `examples/common/mod.rs` itself (so each example file builds on
// its own), hence one copy of that module per included example here.
#![allow(clippy::duplicate_mod)]

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusteron_archive::{AeronErrorType, ArchiveErrorCode};

#[allow(dead_code)]
#[path = "../examples/archive_error_handling.rs"]
mod archive_error_handling;
#[allow(dead_code)]
#[path = "../examples/record_and_replay.rs"]
mod record_and_replay;
#[allow(dead_code)]
#[path = "../examples/recording_replication.rs"]
mod recording_replication;
#[allow(dead_code)]
#[path = "../examples/recording_throughput.rs"]
mod recording_throughput;
#[allow(dead_code)]
#[path = "../examples/replay_merge.rs"]
mod replay_merge;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn record_and_replay_verifies_every_byte_and_position() -> Result {
    let _turn = one_at_a_time();
    // 2000-byte messages are fragmented (IPC MTU 1408): reassembly is part of the check.
    for (messages, length) in [(500, 100), (50, 2000)] {
        let summary = record_and_replay::run(record_and_replay::Config {
            messages,
            message_length: length,
            ..Default::default()
        })?;
        assert_eq!((summary.published, summary.replayed), (messages, messages));
        assert_eq!(summary.bytes_verified, messages * length as u64);
        assert_eq!(summary.start_position, 0);
        assert_eq!(summary.recording_id, 0, "the first recording of a fresh archive");
        // Each message takes its aligned frames: header + payload, 32-byte aligned, per
        // fragment of at most 1376 payload bytes.
        let frame = |payload: u64| (32 + payload).div_ceil(32) * 32;
        let per_message = if length <= 1376 {
            frame(length as u64)
        } else {
            frame(1376) + frame(length as u64 - 1376)
        };
        assert_eq!(summary.stop_position as u64, messages * per_message);
    }
    Ok(())
}

#[test]
fn record_and_replay_rejects_an_empty_run_and_parses_flags() -> Result {
    let _turn = one_at_a_time();
    let error = record_and_replay::run(record_and_replay::Config {
        messages: 0,
        ..Default::default()
    })
    .expect_err("nothing to record");
    assert!(error.to_string().contains("--messages"), "{error}");

    let mut flags =
        record_and_replay::common::Flags::parse(args("--messages 7 --length=64 --dir /tmp/aeron --control-stream 11"))?;
    let config = record_and_replay::Config::from_flags(&mut flags)?;
    flags.finish()?;
    assert_eq!((config.messages, config.message_length), (7, 64));
    assert_eq!(config.target.dir.as_deref(), Some(std::path::Path::new("/tmp/aeron")));
    assert_eq!(config.target.control_channel, "aeron:udp?endpoint=localhost:8010");
    assert_eq!(config.target.control_stream_id, 11);
    let mut flags = record_and_replay::common::Flags::parse(args("--bogus 1"))?;
    record_and_replay::Config::from_flags(&mut flags)?;
    assert_eq!(flags.finish().unwrap_err().to_string(), "unknown flag --bogus");
    Ok(())
}

#[test]
fn recording_throughput_measures_32_byte_and_1_kib_messages() -> Result {
    let _turn = one_at_a_time();
    let summary = recording_throughput::run(recording_throughput::Config {
        bytes_per_length: 2 << 20,
        start_stop_pairs: 5,
        ..Default::default()
    })?;
    assert_eq!(summary.rates.len(), 2);
    assert!(summary.start_stop_pairs_per_sec.is_some_and(|r| r > 0.0));
    for (rate, (length, recording_id)) in summary.rates.iter().zip([(32usize, 0i64), (1024, 1)]) {
        assert_eq!((rate.length, rate.recording_id), (length, recording_id));
        assert_eq!(rate.messages, (2u64 << 20) / length as u64);
        // 32-byte payloads take 64-byte frames, 1 KiB payloads 1056-byte frames.
        let frame = (32 + length as i64 + 31) / 32 * 32;
        let padding_free = rate.stop_position - rate.messages as i64 * frame;
        assert!(
            (0..16 << 20).contains(&padding_free),
            "stop position {} for {} frames of {frame}",
            rate.stop_position,
            rate.messages
        );
        assert!(rate.record_mb_per_sec > 0.0 && rate.replay_mb_per_sec > 0.0, "{rate:?}");
    }

    let error = recording_throughput::run(recording_throughput::Config {
        lengths: vec![4],
        ..Default::default()
    })
    .expect_err("too short for a sequence number");
    assert!(error.to_string().contains("below 8 bytes"), "{error}");
    let mut flags = recording_throughput::common::Flags::parse(args("--lengths 64,4096 --megabytes 3"))?;
    let config = recording_throughput::Config::from_flags(&mut flags)?;
    assert_eq!((config.lengths, config.bytes_per_length), (vec![64, 4096], 3 << 20));
    Ok(())
}

#[test]
fn archive_error_handling_reports_typed_errors() -> Result {
    let _turn = one_at_a_time();
    let summary = archive_error_handling::run(archive_error_handling::Config {
        message_timeout: Duration::from_millis(500),
        ..Default::default()
    })?;

    let unknown = &summary.unknown_recording;
    assert_eq!(
        unknown.archive_code,
        Some(ArchiveErrorCode::UnknownRecording),
        "{unknown:?}"
    );
    assert!(unknown.message.contains("unknown recording id: 999"), "{unknown:?}");
    assert!(!unknown.timed_out);

    let past = &summary.replay_past_the_end;
    assert_eq!(past.archive_code, Some(ArchiveErrorCode::InvalidPosition), "{past:?}");
    let unaligned = &summary.replay_unaligned;
    assert_eq!(unaligned.archive_code, Some(ArchiveErrorCode::Generic), "{unaligned:?}");
    assert!(unaligned.message.contains("FRAME_ALIGNMENT"), "{unaligned:?}");

    let none = &summary.no_archive;
    assert_eq!(none.kind, AeronErrorType::TimedOut, "{none:?}");
    assert!(none.timed_out);
    assert!(
        summary.no_archive_after >= Duration::from_millis(500) && summary.no_archive_after < Duration::from_secs(5),
        "gave up after {:?}",
        summary.no_archive_after
    );

    let closed = &summary.closed_by_owner;
    assert_eq!(closed.kind, AeronErrorType::ResourceClosed, "{closed:?}");
    assert_eq!(closed.archive_code, None);

    // Depending on how soon the client sees the archive's subscription go: no answer
    // (timed out), the client's own "not connected", or the request's offer refused
    // because the control publication lost its subscriber (ENOTCONN).
    let gone = &summary.archive_gone;
    let offer_not_connected = matches!(gone.kind, AeronErrorType::Errno(errno)
        if std::io::Error::from_raw_os_error(errno).kind() == std::io::ErrorKind::NotConnected);
    assert!(
        gone.timed_out || gone.archive_code == Some(ArchiveErrorCode::ClientNotConnected) || offer_not_connected,
        "{gone:?}"
    );
    Ok(())
}

#[test]
fn replay_merge_gives_a_late_subscriber_every_message_once() -> Result {
    let _turn = one_at_a_time();
    let summary = replay_merge::run(replay_merge::Config {
        history: 600,
        live: 600,
        ..Default::default()
    })?;
    // `run` itself fails unless every message arrived once, in order, at its position.
    assert_eq!((summary.published, summary.received), (1200, 1200));
    assert!(summary.time_to_merge < Duration::from_secs(10));
    let error = replay_merge::run(replay_merge::Config {
        history: 0,
        ..Default::default()
    })
    .expect_err("nothing to replay");
    assert!(error.to_string().contains("--history"), "{error}");
    Ok(())
}

#[test]
fn recording_replication_copies_a_recording_between_two_archives() -> Result {
    let _turn = one_at_a_time();
    // 2000-byte messages are fragmented: the copy must keep the fragments.
    let summary = recording_replication::run(recording_replication::Config {
        messages: 300,
        message_length: 2000,
        ..Default::default()
    })?;
    assert_eq!(summary.verified, 300);
    // REPLICATE, EXTEND, SYNC, STOP, REPLICATE_END.
    assert_eq!(summary.signals, [3, 2, 5, 1, 7]);
    // 2000 B + 32 B header in fragments of at most 1408 B: 2 frames, 2080 B aligned, plus
    // the padding at the end of each 64 KiB term (`run` checks the copy ends where the
    // source recording ends).
    assert!(summary.stop_position >= 300 * 2080, "{summary:?}");
    Ok(())
}
