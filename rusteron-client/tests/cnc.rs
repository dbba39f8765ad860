//! Reading a real embedded driver's CnC file: constants, counters, error log, loss report.

use std::time::{Duration, Instant};

use rusteron_client::cnc::{DriverStats, ErrorLogEntry};
use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;
use rusteron_media_driver::testing::{client, TIMEOUT};

#[test]
fn constants_and_counters_describe_this_driver() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let cnc = AeronCnc::open(driver.dir(), Duration::from_secs(5))?;
    let stats: DriverStats = cnc.stats()?;

    assert_eq!(
        stats.pid,
        i64::from(std::process::id()),
        "the embedded driver runs in this process"
    );
    assert_eq!(
        stats.cnc_semantic_version().0,
        0,
        "CnC major version of Aeron 1.54 is 0"
    );
    assert_eq!(
        stats.cnc_semantic_version().1,
        2,
        "CnC minor version of Aeron 1.54 is 2"
    );
    assert!(stats.cnc_file.ends_with("cnc.dat"), "{}", stats.cnc_file);
    assert!(stats.cnc_file.starts_with(driver.dir().to_str().unwrap_or_default()));
    // 512-byte metadata record per 128-byte value record.
    assert_eq!(
        stats.counter_metadata_buffer_length,
        4 * stats.counter_values_buffer_length
    );
    assert!(stats.to_driver_buffer_length > 0 && stats.to_clients_buffer_length > 0);
    assert!(stats.error_log_buffer_length > 0);
    assert!(stats.file_page_size > 0 && (stats.file_page_size as u32).is_power_of_two());
    // EmbeddedDriverOptions::default() sets a 10 s client liveness timeout.
    assert_eq!(stats.client_liveness_timeout_ns, 10_000_000_000);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(stats.start_timestamp_ms > now_ms - 60_000 && stats.start_timestamp_ms <= now_ms);

    for label in [
        "Bytes sent",
        "Bytes received",
        "Errors",
        "Heartbeats sent",
        "Client liveness timeouts",
    ] {
        let counter = stats
            .counter(label)
            .unwrap_or_else(|| panic!("{label:?} missing: {:#?}", stats.counters));
        assert_eq!(counter.type_id, 0, "{label} is a system counter");
    }
    assert!(
        stats.errors.is_empty(),
        "a fresh driver has no errors: {:?}",
        stats.errors
    );

    let text = stats.to_string();
    assert!(text.contains(&format!("pid {}", std::process::id())), "{text}");
    assert!(text.contains(" - Bytes sent"), "{text}");
    assert!(text.contains("0 distinct errors"), "{text}");
    Ok(())
}

#[test]
fn counter_added_by_a_client_is_visible_through_the_cnc() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let counter = aeron.add_counter(7_777, b"cnc", "seen from cnc", TIMEOUT)?;
    counter.set(123)?;
    let cnc = AeronCnc::open(driver.dir(), Duration::from_secs(5))?;
    let counters = cnc.counters()?;
    let seen = counters
        .iter()
        .find(|c| c.label == "seen from cnc")
        .expect("client counter in the CnC");
    assert_eq!((seen.id, seen.type_id, seen.value), (counter.counter_id()?, 7_777, 123));
    assert!(cnc.to_driver_heartbeat() > 0, "the driver heartbeats while it runs");
    Ok(())
}

fn wait_for_errors(cnc: &AeronCnc, what: &str) -> Result<Vec<ErrorLogEntry>, AeronCError> {
    let start = Instant::now();
    loop {
        let errors = cnc.errors(0)?;
        if errors.iter().any(|e| e.message.contains(what)) {
            return Ok(errors);
        }
        assert!(start.elapsed() < TIMEOUT, "no error containing {what:?} in {errors:#?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn error_log_records_a_command_the_driver_rejected() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let port = find_unused_udp_port(42_000).expect("a free UDP port");
    // The C client forwards the channel untouched; the driver rejects the term length
    // (below the 64 KiB minimum) and records the error in its distinct error log.
    let channel = format!("aeron:udp?endpoint=localhost:{port}|term-length=12345").into_c_string()?;
    let rejected = aeron
        .async_add_publication(&channel, 10)?
        .poll_blocking(TIMEOUT)
        .expect_err("driver rejects");
    assert_eq!(rejected.kind(), AeronErrorType::GenericError, "{rejected}");
    assert!(
        rejected.message().unwrap_or_default().contains("term length"),
        "{rejected}"
    );

    let cnc = AeronCnc::open(driver.dir(), Duration::from_secs(5))?;
    let errors = wait_for_errors(&cnc, "term length")?;
    let entry = errors
        .iter()
        .find(|e| e.message.contains("term length"))
        .expect("found above");
    assert!(entry.observation_count >= 1);
    assert!(entry.first_observation_timestamp_ms > 0);
    assert!(entry.last_observation_timestamp_ms >= entry.first_observation_timestamp_ms);
    // The text is sliced by its length: no bytes of the next record leak in.
    assert!(!entry.message.contains('\0'), "{:?}", entry.message);

    // The same error again is one distinct entry observed twice.
    let again = aeron.async_add_publication(&channel, 10)?.poll_blocking(TIMEOUT);
    assert!(again.is_err());
    let start = Instant::now();
    loop {
        let errors = cnc.errors(0)?;
        let same: Vec<_> = errors.iter().filter(|e| e.message.contains("term length")).collect();
        assert_eq!(same.len(), 1, "distinct errors are not repeated: {errors:#?}");
        if same[0].observation_count >= 2 {
            break;
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "second observation never recorded: {errors:#?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }

    // Errors since a future timestamp: none; the count matches the closure calls.
    let mut calls = 0;
    assert_eq!(cnc.error_log_read_once(|_, _, _, _, _| calls += 1, i64::MAX)?, 0);
    assert_eq!(calls, 0);
    let count = cnc.error_log_read_once(|_, _, _, _, _| calls += 1, 0)?;
    assert_eq!(count, calls);
    assert!(count >= 1);
    assert_eq!(
        cnc.error_log_read(Handlers::no_error_log_reader_func_handler(), 0)?,
        count
    );

    let errors_counter = cnc.stats()?.counter("Errors").map(|c| c.value).unwrap_or_default();
    assert!(
        errors_counter >= 2,
        "the Errors system counter counts both rejections: {errors_counter}"
    );
    Ok(())
}

#[test]
fn loss_report_is_readable_and_empty_on_a_clean_run() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let cnc = AeronCnc::open(driver.dir(), Duration::from_secs(5))?;
    let mut entries = 0;
    let count = cnc.loss_reporter_read_once(|_, _, _, _, _, _, _, _, _, _| entries += 1)?;
    assert_eq!((count, entries), (0, 0));
    assert!(cnc.loss_report()?.is_empty());
    assert_eq!(
        cnc.loss_reporter_read(Handlers::no_loss_reporter_read_entry_func_handler())?,
        0
    );
    Ok(())
}

#[test]
fn opening_a_directory_without_a_driver_times_out() -> Result<(), AeronCError> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let start = Instant::now();
    let error = AeronCnc::open(dir.path(), Duration::from_millis(100)).expect_err("no driver there");
    assert_eq!(error.kind(), AeronErrorType::ClientErrorDriverTimeout, "{error}");
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    Ok(())
}

#[test]
fn a_closed_cnc_reports_resource_closed() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let cnc = AeronCnc::open(driver.dir(), Duration::from_secs(5))?;
    let reader = cnc.counters_reader().expect("reader");
    // Closing is logical: the reader keeps the mapping alive and keeps working until it
    // drops; the CnC itself refuses further calls.
    cnc.close()?;
    assert!(!reader.counters()?.is_empty());
    let reader_clone = reader.clone();
    drop(reader);
    assert!(!reader_clone.counters()?.is_empty());
    drop(reader_clone);
    assert_eq!(cnc.stats().expect_err("closed").kind(), AeronErrorType::ResourceClosed);
    assert_eq!(
        cnc.errors(0).expect_err("closed").kind(),
        AeronErrorType::ResourceClosed
    );
    assert_eq!(
        cnc.counters().expect_err("closed").kind(),
        AeronErrorType::ResourceClosed
    );
    assert!(cnc.counters_reader().is_none());
    Ok(())
}
