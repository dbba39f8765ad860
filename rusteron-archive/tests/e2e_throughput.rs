//! Recording and replay throughput of the embedded Rust archive over IPC, for 32 B and
//! 1 KiB messages: every byte is checked, and the rates are printed
//! (`cargo test --release -p rusteron-archive --test e2e_throughput -- --nocapture`).

mod e2e_support;

use std::time::{Duration, Instant};

use e2e_support::*;
use rusteron_archive::*;

const LOCAL: SourceLocation = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;

fn run(h: &Harness, recording_id: i64, stream_id: i32, length: usize, total_bytes: usize) {
    let count = total_bytes / length;
    let sub = h
        .archive
        .start_recording(c"aeron:ipc", stream_id, LOCAL, false)
        .unwrap();
    let publication = publication(&h.aeron, c"aeron:ipc?term-length=1m", stream_id);
    wait_until("the archive to subscribe", || publication.is_connected());
    let mut payload = vec![0u8; length];
    let started = Instant::now();
    let mut end = 0;
    for i in 0..count {
        payload[..8].copy_from_slice(&(i as u64).to_le_bytes());
        end = offer(&publication, &payload);
    }
    h.signals.await_signal(&h.archive, START, Some(recording_id));
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.archive.get_recording_position(recording_id).unwrap() != end {
        assert!(Instant::now() < deadline, "recording did not catch up");
        std::thread::sleep(Duration::from_micros(200));
    }
    let record_secs = started.elapsed().as_secs_f64();
    h.archive.stop_recording_subscription(sub).unwrap();

    let params = AeronArchiveReplayParams::new().unwrap();
    params.set_position(0);
    params.set_length(ARCHIVE_REPLAY_ALL_AND_STOP);
    let started = Instant::now();
    let replay = h
        .archive
        .replay(recording_id, c"aeron:ipc", stream_id + 1, &params)
        .unwrap();
    let (mut received, mut last_position) = (0usize, 0i64);
    let deadline = Instant::now() + Duration::from_secs(60);
    while received < count {
        replay
            .poll_once(
                |m: &[u8], header: AeronHeader| {
                    assert_eq!(m.len(), length);
                    assert_eq!(
                        u64::from_le_bytes(m[..8].try_into().unwrap()),
                        received as u64,
                        "in order"
                    );
                    received += 1;
                    last_position = header.position();
                },
                256,
            )
            .unwrap();
        assert!(Instant::now() < deadline, "replay delivered {received} of {count}");
    }
    let replay_secs = started.elapsed().as_secs_f64();
    assert_eq!(last_position, end, "replay ends at the recorded position");
    let mb = (count * length) as f64 / 1e6;
    println!(
        "{length:>5} B x {count:>7}: record {:>7.1} MB/s ({:>5.2} M msg/s), replay {:>7.1} MB/s ({:>5.2} M msg/s)",
        mb / record_secs,
        count as f64 / record_secs / 1e6,
        mb / replay_secs,
        count as f64 / replay_secs / 1e6
    );
}

#[test]
fn record_and_replay_32_byte_and_1_kib_messages() {
    let h = Harness::start();
    run(&h, 0, 8001, 32, 4 << 20);
    run(&h, 1, 8003, 1024, 32 << 20);
}
