//! Runs every example's `run` with small settings against real embedded media drivers and
//! checks what it reports. The example sources are included as modules, so `cargo test`
//! keeps them compiling and working; their `main`s only parse flags and call `run`.
//!
//! The tests take turns (one lock): several examples busy-spin, and the machine may have
//! only two cores.

// Every example includes `examples/common/mod.rs` itself (so each example file builds on
// its own), hence one copy of that module per included example here.
#![allow(clippy::duplicate_mod)]

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusteron_client::{aligned_frame_length, find_unused_udp_port};
use rusteron_media_driver::launch_for_tests;

#[allow(dead_code)]
#[path = "../examples/basic_pub_sub.rs"]
mod basic_pub_sub;
#[allow(dead_code)]
#[path = "../examples/basic_publisher.rs"]
mod basic_publisher;
#[allow(dead_code)]
#[path = "../examples/basic_subscriber.rs"]
mod basic_subscriber;
#[allow(dead_code)]
#[path = "../examples/driver_stats.rs"]
mod driver_stats;
#[allow(dead_code)]
#[path = "../examples/embedded_exclusive_ipc_throughput.rs"]
mod embedded_exclusive_ipc_throughput;
#[allow(dead_code)]
#[path = "../examples/embedded_ping_pong.rs"]
mod embedded_ping_pong;
#[allow(dead_code)]
#[path = "../examples/file_transfer.rs"]
mod file_transfer;
#[allow(dead_code)]
#[path = "../examples/multi_destination_subscription.rs"]
mod multi_destination_subscription;
#[allow(dead_code)]
#[path = "../examples/request_response.rs"]
mod request_response;
#[allow(dead_code)]
#[path = "../examples/zero_copy_claim.rs"]
mod zero_copy_claim;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn basic_pub_sub_receives_every_message_in_order() -> Result {
    let _turn = one_at_a_time();
    let summary = basic_pub_sub::run(basic_pub_sub::Config {
        messages: 5_000,
        ..Default::default()
    })?;
    assert_eq!((summary.sent, summary.received), (5_000, 5_000));
    assert!(summary.elapsed > Duration::ZERO);
    Ok(())
}

#[test]
fn basic_publisher_and_subscriber_through_a_driver_directory() -> Result {
    let _turn = one_at_a_time();
    let driver = launch_for_tests()?;
    let port = find_unused_udp_port(41_234).expect("a free UDP port");
    let channel = format!("aeron:udp?endpoint=localhost:{port}");
    let subscriber = {
        let config = basic_subscriber::Config {
            dir: Some(driver.dir().to_path_buf()),
            channel: channel.clone(),
            stream_id: 2001,
            messages: 5,
            timeout: Duration::from_secs(10),
        };
        std::thread::spawn(move || basic_subscriber::run(config).map_err(|e| e.to_string()))
    };
    let published = basic_publisher::run(basic_publisher::Config {
        dir: Some(driver.dir().to_path_buf()),
        channel,
        stream_id: 2001,
        messages: 5,
        interval: Duration::from_millis(1),
        connect_timeout: Duration::from_secs(10),
    })?;
    let received = subscriber.join().expect("subscriber thread")?;
    let sent: Vec<Vec<u8>> = published.sent.iter().map(|m| m.clone().into_bytes()).collect();
    assert_eq!(sent.len(), 5);
    assert_eq!(received.received, sent);
    assert_eq!(sent[4], b"Hello World! 4");
    assert!(published.position > 0);
    Ok(())
}

#[test]
fn basic_publisher_fails_without_a_subscriber() -> Result {
    let _turn = one_at_a_time();
    let driver = launch_for_tests()?;
    let error = basic_publisher::run(basic_publisher::Config {
        dir: Some(driver.dir().to_path_buf()),
        channel: "aeron:ipc".into(),
        connect_timeout: Duration::from_millis(200),
        ..Default::default()
    })
    .expect_err("nobody subscribes");
    assert!(error.to_string().contains("timed out"), "{error}");
    Ok(())
}

#[test]
fn ping_pong_reports_ordered_percentiles() -> Result {
    let _turn = one_at_a_time();
    let summary = embedded_ping_pong::run(embedded_ping_pong::Config {
        messages: 3_000,
        warmup: 500,
        // Yield rather than spin: tests share the cores.
        idle: embedded_ping_pong::Idle::Yield,
        ..Default::default()
    })?;
    assert_eq!(summary.round_trips, 3_000);
    assert_eq!(summary.echoed, 3_500, "pong echoed warm-up and measured messages");
    let percentiles = [
        summary.p50_ns,
        summary.p90_ns,
        summary.p99_ns,
        summary.p99_9_ns,
        summary.p99_99_ns,
        summary.max_ns,
    ];
    assert!(summary.p50_ns > 0, "{summary:?}");
    assert!(percentiles.windows(2).all(|w| w[0] <= w[1]), "{summary:?}");
    assert!(summary.round_trips_per_sec > 0.0);
    Ok(())
}

#[test]
fn ping_pong_rejects_messages_too_short_for_a_sequence_number() {
    let _turn = one_at_a_time();
    let error = embedded_ping_pong::run(embedded_ping_pong::Config {
        message_length: 4,
        ..Default::default()
    })
    .expect_err("4 bytes cannot hold the sequence");
    assert!(error.to_string().contains("at least 8"), "{error}");
}

#[test]
fn exclusive_ipc_throughput_loses_nothing() -> Result {
    let _turn = one_at_a_time();
    let summary = embedded_exclusive_ipc_throughput::run(embedded_exclusive_ipc_throughput::Config {
        duration: Duration::from_millis(300),
        term_length: 4 << 20,
        ..Default::default()
    })?;
    assert!(summary.sent > 1_000, "{summary:?}");
    assert_eq!(summary.received, summary.sent);
    let expected_mb = summary.msgs_per_sec * 32.0 / 1e6;
    assert!(
        (summary.mb_per_sec - expected_mb).abs() < 1e-6 * expected_mb.max(1.0),
        "{summary:?}"
    );
    Ok(())
}

#[test]
fn zero_copy_claim_commits_what_was_written_in_place() -> Result {
    let _turn = one_at_a_time();
    let summary = zero_copy_claim::run(zero_copy_claim::Config {
        messages: 3_000,
        message_length: 200,
        ..Default::default()
    })?;
    assert_eq!((summary.sent, summary.verified), (3_000, 3_000));
    // 256-byte frames divide the 1 MiB test term: no padding, so the position is exact.
    assert_eq!(summary.position, 3_000 * aligned_frame_length(200) as i64);

    let error = zero_copy_claim::run(zero_copy_claim::Config {
        message_length: 5_000,
        ..Default::default()
    })
    .expect_err("longer than one MTU payload");
    assert!(error.to_string().contains("one MTU payload"), "{error}");
    Ok(())
}

#[test]
fn driver_stats_of_the_embedded_demo_show_traffic_and_the_rejected_command() -> Result {
    let _turn = one_at_a_time();
    let summary = driver_stats::run(driver_stats::Config::default())?;
    let stats = &summary.stats;
    assert_eq!(stats.pid, i64::from(std::process::id()));
    assert!(stats.counter("Errors").is_some_and(|c| c.value >= 1), "{stats}");
    assert!(
        stats.errors.iter().any(|e| e.message.contains("term length")),
        "{stats}"
    );
    let publisher_position = stats
        .counters
        .iter()
        .find(|c| c.label.starts_with("pub-pos") && c.label.contains(" 1006 aeron:ipc"))
        .unwrap_or_else(|| panic!("no publisher position counter in\n{stats}"));
    assert_eq!(publisher_position.value, 100 * aligned_frame_length(4) as i64);
    Ok(())
}

#[test]
fn driver_stats_reads_a_driver_by_directory() -> Result {
    let _turn = one_at_a_time();
    let driver = launch_for_tests()?;
    let summary = driver_stats::run(driver_stats::Config {
        dir: Some(driver.dir().to_path_buf()),
        repeat: 2,
        interval: Duration::from_millis(10),
        ..Default::default()
    })?;
    assert!(summary.stats.cnc_file.starts_with(&*driver.dir().to_string_lossy()));
    assert!(summary.stats.errors.is_empty(), "a fresh driver has no errors");
    assert!(summary.stats.counter("Bytes sent").is_some());

    let missing = PathBuf::from(driver.dir()).join("no-driver-here");
    let error = driver_stats::run(driver_stats::Config {
        dir: Some(missing),
        timeout: Duration::from_millis(100),
        ..Default::default()
    })
    .expect_err("no CnC file there");
    assert!(!error.to_string().is_empty());
    Ok(())
}

#[test]
fn multi_destination_subscription_receives_from_both_destinations() -> Result {
    let _turn = one_at_a_time();
    let summary = multi_destination_subscription::run(multi_destination_subscription::Config {
        messages: 50,
        port: 41_456,
        ..Default::default()
    })?;
    assert_eq!(summary.received, [50, 50]);
    assert_ne!(summary.destinations[0], summary.destinations[1]);
    Ok(())
}

#[test]
fn request_response_answers_each_client_on_its_own_response_channel() -> Result {
    let _turn = one_at_a_time();
    let summary = request_response::run(request_response::Config {
        clients: 2,
        requests: 5,
        port: 41_556,
        ..Default::default()
    })?;
    assert_eq!(summary.responses, vec![5, 5]);
    assert_eq!(summary.served, 10);
    assert_eq!(summary.response_channels, 2, "one response publication per client");
    Ok(())
}

#[test]
fn file_transfer_reassembles_files_larger_than_the_mtu() -> Result {
    let _turn = one_at_a_time();
    let size = 300_001;
    let summary = file_transfer::run(file_transfer::Config {
        size,
        files: 2,
        ..Default::default()
    })?;
    assert_eq!(summary.received, summary.sent);
    assert_eq!(summary.sent.len(), 2);
    assert!(summary.sent.iter().all(|f| f.length == size));
    assert_ne!(summary.sent[0].checksum, summary.sent[1].checksum, "different contents");
    // 8 * 300_001 rounds up to a 4 MiB term; 1376-byte payloads per 1408-byte IPC MTU.
    assert_eq!(summary.term_length, 4 << 20);
    assert_eq!(summary.fragments_per_file, size.div_ceil(1376));

    let error = file_transfer::run(file_transfer::Config {
        size: (16 << 20) + 1,
        ..Default::default()
    })
    .expect_err("above Aeron's 16 MiB message cap");
    assert!(error.to_string().contains("--size"), "{error}");
    Ok(())
}

#[test]
fn flags_parse_into_configs_and_reject_unknown_names() -> Result {
    // Each included example has its own copy of the `common` module (distinct types).
    use embedded_ping_pong::common::{fnv1a64, Flags};

    let mut flags = Flags::parse(args("--messages 7 --warmup=3 --idle yield --length 64"))?;
    let config = embedded_ping_pong::Config::from_flags(&mut flags)?;
    flags.finish()?;
    assert_eq!((config.messages, config.warmup, config.message_length), (7, 3, 64));
    assert_eq!(config.idle, embedded_ping_pong::Idle::Yield);
    assert_eq!(config.channel, "aeron:ipc", "absent flags keep their defaults");

    let mut flags = Flags::parse(args("--idle sometimes"))?;
    let error = embedded_ping_pong::Config::from_flags(&mut flags).unwrap_err();
    assert!(error.to_string().contains("--idle \"sometimes\""), "{error}");
    assert!(Flags::parse(args("--messages")).is_err(), "a flag without its value");
    assert!(Flags::parse(args("stray")).is_err(), "a bare argument");

    let mut flags = basic_pub_sub::common::Flags::parse(args("--messages 7 --bogus 1"))?;
    assert_eq!(basic_pub_sub::Config::from_flags(&mut flags)?.messages, 7);
    assert_eq!(flags.finish().unwrap_err().to_string(), "unknown flag --bogus");

    let mut flags = basic_publisher::common::Flags::parse(args("--dir /tmp/aeron --interval-ms 5"))?;
    let config = basic_publisher::Config::from_flags(&mut flags)?;
    assert_eq!(config.dir, Some(PathBuf::from("/tmp/aeron")));
    assert_eq!(config.interval, Duration::from_millis(5));
    let mut flags = embedded_exclusive_ipc_throughput::common::Flags::parse(args("--seconds 0.5"))?;
    let config = embedded_exclusive_ipc_throughput::Config::from_flags(&mut flags)?;
    assert_eq!(config.duration, Duration::from_millis(500));

    // FNV-1a 64 reference values.
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    Ok(())
}
