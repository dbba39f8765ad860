//! Property tests of strings and bytes crossing the C boundary:
//!
//! - counter labels and keys of every length up to the maximum (keys of any bytes, NUL
//!   included) come back from the driver's counters buffers exactly as added, and one byte
//!   too many is `InvalidArgument`;
//! - `IntoCString` rejects interior NULs with `InvalidArgument` and keeps everything else;
//! - text coming back from C that is not UTF-8 (a counter label, a channel) never panics:
//!   the readers give the longest valid prefix.
//!
//! Case counts are bounded so the whole file runs in a few seconds on two cores.

use std::ffi::{c_char, CString};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rusteron_client::counters::{COUNTER_MAX_KEY_LENGTH, COUNTER_MAX_LABEL_LENGTH};
use rusteron_client::strings::{bytes_to_str, c_str_to_str};
use rusteron_client::*;
use rusteron_media_driver::testing::{driver_and_client, TIMEOUT};

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// The longest prefix of `bytes` that is valid UTF-8.
fn valid_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap(),
    }
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn truncate_to(mut s: String, max: usize) -> String {
    while s.len() > max {
        s.pop();
    }
    s
}

/// Labels of every length 0..=max bytes: ASCII, multi-byte unicode, or both.
fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,380}",
        any::<String>(),
        proptest::collection::vec(any::<char>(), 0..200).prop_map(|c| c.into_iter().collect::<String>()),
        Just("L".repeat(COUNTER_MAX_LABEL_LENGTH)),
        Just("é".repeat(COUNTER_MAX_LABEL_LENGTH / 2)),
    ]
    .prop_map(|s| truncate_to(s.replace('\0', ""), COUNTER_MAX_LABEL_LENGTH))
}

/// Keys of every length 0..=max, any bytes (NUL included).
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..=COUNTER_MAX_KEY_LENGTH),
        proptest::collection::vec(Just(0u8), 0..=COUNTER_MAX_KEY_LENGTH),
        Just(vec![0xff; COUNTER_MAX_KEY_LENGTH]),
    ]
}

#[test]
fn counter_labels_and_keys_come_back_identically() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let reader = aeron.counters_reader().expect("counters reader");
    let added = std::cell::Cell::new(0usize);
    runner(96)
        .run(&(any::<i32>(), key(), label()), |(type_id, key, label)| {
            let counter = aeron
                .add_counter(type_id, &key, &label, TIMEOUT)
                .map_err(|e| TestCaseError::fail(format!("add_counter({}, {label:?}): {e}", key.len())))?;
            added.set(added.get() + 1);
            let id = counter.counter_id().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let label_back = reader
                .counter_label(id)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&label_back, &label);
            // The key area is the key followed by zeros (the buffers keep no key length).
            let mut key_area = key.clone();
            key_area.resize(COUNTER_MAX_KEY_LENGTH, 0);
            let mut seen = None;
            reader
                .foreach_counter_once(|_, counter_id, t, k, l, l_len| {
                    if counter_id == id {
                        seen = Some((t, k.to_vec(), l.to_owned(), l_len));
                    }
                })
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(seen, Some((type_id, key_area.clone(), label.clone(), label.len())));
            let snapshot = reader.counters().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let info = snapshot.iter().find(|c| c.id == id).expect("listed");
            prop_assert_eq!((&info.key, &info.label, info.type_id), (&key_area, &label, type_id));
            Ok(())
        })
        .unwrap();
    assert!(added.get() >= 96, "only {} counters were added", added.get());
    Ok(())
}

#[test]
fn one_byte_too_many_is_invalid_argument() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    runner(128)
        .run(
            &(0usize..64, 0usize..64, any::<bool>(), any::<u8>()),
            |(key_excess, label_excess, key_too_long, fill)| {
                let (key_len, label_len) = if key_too_long {
                    (COUNTER_MAX_KEY_LENGTH + 1 + key_excess, label_excess)
                } else {
                    (key_excess, COUNTER_MAX_LABEL_LENGTH + 1 + label_excess)
                };
                let key = vec![fill; key_len];
                let label = "x".repeat(label_len);
                let start = std::time::Instant::now();
                let e = aeron
                    .add_counter(1, &key, &label, TIMEOUT)
                    .err()
                    .ok_or_else(|| TestCaseError::fail(format!("accepted key {key_len} label {label_len}")))?;
                prop_assert_eq!(e.kind(), AeronErrorType::InvalidArgument);
                let what = if key_too_long { "key length" } else { "label length" };
                prop_assert!(e.message().unwrap_or_default().contains(what), "{}", e);
                prop_assert!(
                    start.elapsed() < std::time::Duration::from_millis(100),
                    "checked before C"
                );
                Ok(())
            },
        )
        .unwrap();
    // A label at the limit in bytes but not in characters: 190 two-byte characters fit,
    // one more does not.
    let fits = "é".repeat(COUNTER_MAX_LABEL_LENGTH / 2);
    let counter = aeron.add_counter(2, b"", &fits, TIMEOUT)?;
    let reader = aeron.counters_reader().expect("counters reader");
    assert_eq!(reader.counter_label(counter.counter_id()?)?, fits);
    let e = aeron
        .add_counter(2, b"", &format!("{fits}é"), TIMEOUT)
        .expect_err("381 bytes");
    assert_eq!(e.kind(), AeronErrorType::InvalidArgument);
    Ok(())
}

#[test]
fn into_c_string_rejects_exactly_the_strings_with_nul() {
    let text = prop_oneof![
        any::<String>(),
        (any::<String>(), any::<String>()).prop_map(|(a, b)| format!("{a}\0{b}")),
        "[\0a]{0,8}",
    ];
    runner(1024)
        .run(&text, |text| {
            let results = [
                text.as_str().into_c_string(),
                text.clone().into_c_string(),
                (&text).into_c_string(),
            ];
            for result in results {
                match (text.find('\0'), result) {
                    (None, Ok(c)) => prop_assert_eq!(c.as_bytes(), text.as_bytes()),
                    (Some(at), Err(e)) => {
                        prop_assert_eq!(e.kind(), AeronErrorType::InvalidArgument);
                        let message = e.message().unwrap_or_default();
                        prop_assert!(message.contains(&format!("NUL byte at {at}")), "{}", message);
                    }
                    (nul, result) => return Err(TestCaseError::fail(format!("{text:?} (NUL at {nul:?}): {result:?}"))),
                }
            }
            Ok(())
        })
        .unwrap();
}

/// Bytes that are often not UTF-8: continuation bytes, truncated sequences, overlongs.
fn raw_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => any::<u8>(),
        2 => 0x20u8..0x7f,
        1 => proptest::sample::select(vec![0x80u8, 0xbf, 0xc0, 0xc1, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xf5, 0xff]),
    ];
    prop_oneof![
        proptest::collection::vec(byte, 0..64),
        any::<String>().prop_map(String::into_bytes),
        (any::<String>(), any::<u8>()).prop_map(|(s, b)| [s.as_bytes(), &[b]].concat()),
    ]
}

#[test]
fn readers_of_c_text_give_the_valid_prefix_and_never_panic() {
    runner(2048)
        .run(&raw_bytes(), |bytes| {
            // SAFETY: `bytes` is valid for its length during the call.
            let text = std::panic::catch_unwind(|| unsafe { bytes_to_str(bytes.as_ptr(), bytes.len()) })
                .map_err(|_| TestCaseError::fail(format!("bytes_to_str panicked on {bytes:?}")))?;
            prop_assert_eq!(text, valid_prefix(&bytes));
            // The same bytes as a NUL-terminated string, up to the first NUL.
            let until_nul = bytes.split(|b| *b == 0).next().unwrap_or_default();
            let c = CString::new(until_nul).unwrap();
            // SAFETY: `c` is NUL-terminated and alive during the call.
            let text = std::panic::catch_unwind(|| unsafe { c_str_to_str(c.as_ptr()) })
                .map_err(|_| TestCaseError::fail(format!("c_str_to_str panicked on {c:?}")))?;
            prop_assert_eq!(text, valid_prefix(until_nul));
            Ok(())
        })
        .unwrap();
    // SAFETY: NULL is allowed and reads as "".
    unsafe {
        assert_eq!(bytes_to_str(std::ptr::null(), 10), "");
        assert_eq!(c_str_to_str(std::ptr::null()), "");
    }
}

/// Adds a counter with raw label bytes (not UTF-8), through the C API directly.
fn add_raw_counter(aeron: &Aeron, label: &[u8]) -> Result<AeronCounter, AeronCError> {
    let mut pending = std::ptr::null_mut();
    // SAFETY: the client is open (checked_ptr); the label is valid for its length during the
    // call and C copies it.
    let rc = unsafe {
        bindings::aeron_async_add_counter(
            &mut pending,
            aeron.checked_ptr()?,
            77,
            std::ptr::null(),
            0,
            label.as_ptr() as *const c_char,
            label.len(),
        )
    };
    if rc < 0 {
        return Err(AeronCError::from_last_error());
    }
    // SAFETY: C returned a live async handle of this client; C frees it when a poll completes.
    unsafe { AeronAsyncAddCounter::from_raw_owned(pending, aeron.owner().cloned()) }.poll_blocking(TIMEOUT)
}

#[test]
fn invalid_utf8_labels_and_channels_from_c_read_as_their_valid_prefix() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let reader = aeron.counters_reader().expect("counters reader");
    let label_bytes = proptest::collection::vec(
        any::<u8>().prop_filter("no NUL", |b| *b != 0),
        1..=COUNTER_MAX_LABEL_LENGTH,
    );
    runner(48)
        .run(&label_bytes, |label| {
            let counter = add_raw_counter(&aeron, &label).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let id = counter.counter_id().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let expected = valid_prefix(&label);
            let read = reader
                .counter_label(id)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(read.as_str(), expected);
            let snapshot = reader.counters().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(
                snapshot.iter().find(|c| c.id == id).map(|c| c.label.as_str()),
                Some(expected)
            );
            let mut via_handler = None;
            let mut handler = Handlers::leak(|_: i64, counter_id: i32, _: i32, _: &[u8], l: &str| {
                if counter_id == id {
                    via_handler = Some(l.to_owned());
                }
            });
            reader
                .foreach_counter(Some(&handler))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            handler.release();
            drop(handler);
            prop_assert_eq!(via_handler.as_deref(), Some(expected));
            Ok(())
        })
        .unwrap();

    // A channel whose parameter value is not UTF-8: the driver accepts it, and the channel
    // read back is its valid prefix.
    for (i, tail) in [&b"\xff"[..], b"ok\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"a\x80b"]
        .iter()
        .enumerate()
    {
        let channel = CString::new([&b"aeron:ipc?alias="[..], tail].concat()).unwrap();
        let stream_id = 5000 + i as i32;
        let publication = aeron.add_publication(&channel, stream_id, TIMEOUT)?;
        let expected = valid_prefix(channel.as_bytes());
        assert_eq!(publication.channel(), expected, "{channel:?}");
        assert_eq!(
            ChannelUri::try_from(channel.as_c_str()).expect_err("not UTF-8").kind(),
            AeronErrorType::InvalidArgument
        );
        assert!(!publication.is_closed());
    }
    Ok(())
}
