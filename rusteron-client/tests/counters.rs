//! Counters against a real embedded driver: add, update, read back through the counters
//! reader, system counters, bad arguments, removal.

use std::time::{Duration, Instant};

use rusteron_client::counters::{
    CounterInfo, COUNTER_MAX_KEY_LENGTH, COUNTER_MAX_LABEL_LENGTH, SYSTEM_COUNTER_TYPE_ID,
};
use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;
use rusteron_media_driver::testing::{client, TIMEOUT};

fn find(counters: &[CounterInfo], id: i32) -> &CounterInfo {
    counters
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("counter {id} missing from {counters:#?}"))
}

#[test]
fn added_counter_is_visible_with_its_type_key_label_and_value() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let counter = aeron.add_counter(9_001, b"desk-7", "orders accepted", TIMEOUT)?;
    let id = counter.counter_id()?;
    let registration_id = counter.registration_id()?;
    let reader = aeron.counters_reader().expect("an open client has a counters reader");

    let snapshot = reader.counters()?;
    let info = find(&snapshot, id);
    assert_eq!(info.type_id, 9_001);
    assert_eq!(info.label, "orders accepted");
    assert_eq!(info.registration_id, registration_id);
    assert_eq!(info.value, 0);
    assert_eq!(info.key.len(), COUNTER_MAX_KEY_LENGTH);
    assert_eq!(&info.key[..6], b"desk-7");
    assert!(
        info.key[6..].iter().all(|&b| b == 0),
        "key area after the key is not zeroed: {:?}",
        info.key
    );
    assert_eq!(reader.counter_label(id)?, "orders accepted");
    assert_eq!(reader.find_by_type_id_and_registration_id(9_001, registration_id), id);
    assert_eq!(reader.find_by_type_id_and_registration_id(9_002, registration_id), -1);

    counter.set(41)?;
    assert_eq!(counter.increment()?, 41);
    assert_eq!(counter.get()?, 42);
    assert_eq!(reader.counter_value(id)?, 42);
    assert_eq!(counter.get_and_add(8)?, 42);
    assert!(counter.compare_and_set(50, 7)?);
    assert!(!counter.compare_and_set(50, 9)?);
    assert_eq!(find(&reader.counters()?, id).value, 7);

    // A clone shares the same value cell.
    let clone = counter.clone();
    clone.increment()?;
    assert_eq!(counter.get()?, 8);
    Ok(())
}

#[test]
fn driver_system_counters_are_listed() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let counters = aeron.counters_reader().expect("counters reader").counters()?;
    for label in ["Bytes sent", "Bytes received", "Errors", "Heartbeats sent"] {
        // "Errors" carries a suffix: "Errors: version=1.54.0 commit=...".
        let counter = counters
            .iter()
            .find(|c| c.label == label || c.label.starts_with(&format!("{label}: ")));
        let counter = counter.unwrap_or_else(|| panic!("system counter {label:?} missing: {counters:#?}"));
        assert_eq!(counter.type_id, SYSTEM_COUNTER_TYPE_ID, "{label}");
        assert!(counter.value >= 0, "{label} = {}", counter.value);
    }
    // Ids are unique and ascending, as the reader walks the buffers in order.
    assert!(counters.windows(2).all(|w| w[0].id < w[1].id));
    Ok(())
}

#[test]
fn full_length_label_is_read_by_its_length_not_up_to_a_nul() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    // A label filling its whole area has no NUL after it; the next record (allocated right
    // after) starts with a non-zero state, which a strlen-based reader would append.
    let long_label = "L".repeat(COUNTER_MAX_LABEL_LENGTH);
    let first = aeron.add_counter(9_010, b"", &long_label, TIMEOUT)?;
    let second = aeron.add_counter(9_011, b"", "next", TIMEOUT)?;
    let reader = aeron.counters_reader().expect("counters reader");
    let snapshot = reader.counters()?;
    assert_eq!(find(&snapshot, first.counter_id()?).label, long_label);
    assert_eq!(find(&snapshot, second.counter_id()?).label, "next");
    assert_eq!(reader.counter_label(first.counter_id()?)?, long_label);

    let mut via_closure = None;
    let first_id = first.counter_id()?;
    reader.foreach_counter_once(|_, id, _, _, label, label_length| {
        if id == first_id {
            via_closure = Some((label.to_owned(), label_length));
        }
    })?;
    assert_eq!(via_closure, Some((long_label.clone(), COUNTER_MAX_LABEL_LENGTH)));
    Ok(())
}

#[derive(Default)]
struct LabelCollector(Vec<(i32, String)>);

impl AeronCountersReaderForeachCounterFuncCallback for LabelCollector {
    fn handle_aeron_counters_reader_foreach_counter_func(
        &mut self,
        _value: i64,
        id: i32,
        _type_id: i32,
        _key: &[u8],
        label: &str,
    ) {
        self.0.push((id, label.to_owned()));
    }
}

#[test]
fn foreach_counter_with_a_handler_and_panics_in_closures() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let counter = aeron.add_counter(9_020, b"k", "handler sees me", TIMEOUT)?;
    let reader = aeron.counters_reader().expect("counters reader");

    let mut handler = Handlers::leak(LabelCollector::default());
    reader.foreach_counter(Some(&handler))?;
    // SAFETY: the foreach call has returned; nothing else runs this handler.
    let seen = unsafe { handler.get_mut() }.map(|c| c.0.clone()).unwrap_or_default();
    assert!(
        seen.contains(&(counter.counter_id()?, "handler sees me".to_owned())),
        "{seen:?}"
    );
    handler.release();
    let released = reader
        .foreach_counter(Some(&handler))
        .expect_err("a released handler is rejected");
    assert_eq!(released.kind(), AeronErrorType::InvalidArgument);

    let panicked = std::panic::catch_unwind(|| {
        let _ = reader.foreach_counter_once(|_, _, _, _, _, _| panic!("boom in foreach"));
    });
    let payload = panicked.expect_err("the closure's panic is resumed after C returns");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in foreach"));
    // The reader still works after the panic.
    assert!(!reader.counters()?.is_empty());
    Ok(())
}

#[test]
fn bad_counter_arguments_are_typed_errors() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let long_key = vec![1u8; COUNTER_MAX_KEY_LENGTH + 1];
    let e = aeron
        .add_counter(9_030, &long_key, "x", TIMEOUT)
        .expect_err("key too long");
    assert_eq!(e.kind(), AeronErrorType::InvalidArgument);
    assert!(e.message().unwrap_or_default().contains("key length"), "{e}");
    let long_label = "x".repeat(COUNTER_MAX_LABEL_LENGTH + 1);
    let e = aeron
        .add_counter(9_030, b"", &long_label, TIMEOUT)
        .expect_err("label too long");
    assert_eq!(e.kind(), AeronErrorType::InvalidArgument);
    let e = aeron
        .add_counter(9_030, b"", "nul\0inside", TIMEOUT)
        .expect_err("label with NUL");
    assert_eq!(e.kind(), AeronErrorType::InvalidArgument);

    let reader = aeron.counters_reader().expect("counters reader");
    let max = reader.max_counter_id();
    assert!(max > 0);
    for id in [-1, max + 1, i32::MAX] {
        assert_eq!(
            reader.counter_value(id).expect_err("id out of range").kind(),
            AeronErrorType::InvalidArgument
        );
        assert_eq!(
            reader.counter_label(id).expect_err("id out of range").kind(),
            AeronErrorType::InvalidArgument
        );
    }
    Ok(())
}

#[test]
fn closed_counter_errors_and_leaves_the_reader() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let counter = aeron.add_counter(9_040, b"", "short lived", TIMEOUT)?;
    let registration_id = counter.registration_id()?;
    let reader = aeron.counters_reader().expect("counters reader");
    assert!(reader.find_by_type_id_and_registration_id(9_040, registration_id) >= 0);

    counter.close()?;
    assert_eq!(
        counter.get().expect_err("closed").kind(),
        AeronErrorType::ResourceClosed
    );
    assert_eq!(
        counter.increment().expect_err("closed").kind(),
        AeronErrorType::ResourceClosed
    );

    // close() is logical; the C counter is released when the last handle drops.
    drop(counter);
    let start = Instant::now();
    while reader.find_by_type_id_and_registration_id(9_040, registration_id) >= 0 {
        assert!(start.elapsed() < TIMEOUT, "the driver never freed the closed counter");
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}
