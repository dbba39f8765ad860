//! Owned descriptors and signals converted from C structs built by hand, through the
//! borrowed wrappers C callbacks receive and through the generated trampolines.

use std::ffi::{c_char, CString};

use rusteron_archive::bindings::archive::{
    aeron_archive_recording_descriptor_t, aeron_archive_recording_signal_t,
    aeron_archive_recording_subscription_descriptor_t,
};
use rusteron_archive::*;

/// C strings the way the archive client allocates them: bytes, a NUL, and the length.
struct CStrings {
    stripped: CString,
    original: CString,
    source: CString,
}

impl CStrings {
    fn new(stripped: &str, original: &str, source: &str) -> Self {
        CStrings {
            stripped: CString::new(stripped).expect("no NUL"),
            original: CString::new(original).expect("no NUL"),
            source: CString::new(source).expect("no NUL"),
        }
    }

    fn descriptor(&self) -> aeron_archive_recording_descriptor_t {
        aeron_archive_recording_descriptor_t {
            control_session_id: 11,
            correlation_id: 12,
            recording_id: 13,
            start_timestamp: 1_700_000_000_000,
            stop_timestamp: 1_700_000_001_000,
            start_position: 4096,
            stop_position: 1 << 20,
            initial_term_id: -5,
            segment_file_length: 128 << 20,
            term_buffer_length: 64 << 10,
            mtu_length: 1408,
            session_id: -123_456,
            stream_id: 1001,
            stripped_channel: self.stripped.as_ptr() as *mut c_char,
            stripped_channel_length: self.stripped.as_bytes().len(),
            original_channel: self.original.as_ptr() as *mut c_char,
            original_channel_length: self.original.as_bytes().len(),
            source_identity: self.source.as_ptr() as *mut c_char,
            source_identity_length: self.source.as_bytes().len(),
        }
    }
}

fn expected_descriptor() -> RecordingDescriptor {
    RecordingDescriptor {
        control_session_id: 11,
        correlation_id: 12,
        recording_id: 13,
        start_timestamp: 1_700_000_000_000,
        stop_timestamp: 1_700_000_001_000,
        start_position: 4096,
        stop_position: 1 << 20,
        initial_term_id: -5,
        segment_file_length: 128 << 20,
        term_buffer_length: 64 << 10,
        mtu_length: 1408,
        session_id: -123_456,
        stream_id: 1001,
        stripped_channel: "aeron:udp?endpoint=localhost:40123".into(),
        original_channel: "aeron:udp?endpoint=localhost:40123|alias=orders".into(),
        source_identity: "127.0.0.1:53412".into(),
    }
}

fn strings() -> CStrings {
    CStrings::new(
        "aeron:udp?endpoint=localhost:40123",
        "aeron:udp?endpoint=localhost:40123|alias=orders",
        "127.0.0.1:53412",
    )
}

#[test]
fn recording_descriptor_copies_every_field() {
    let strings = strings();
    let mut raw = strings.descriptor();
    // SAFETY: raw and its strings outlive the borrowed wrapper.
    let wrapper = unsafe { AeronArchiveRecordingDescriptor::from_raw_borrowed(&mut raw) };
    let owned = RecordingDescriptor::from(&wrapper);
    assert_eq!(owned, expected_descriptor());
    assert!(!owned.is_active());
    // SAFETY: the strings are C strings.
    assert_eq!(unsafe { RecordingDescriptor::from_c(&raw) }, owned);
    drop(wrapper);
    drop(strings);
    // The owned copy needs nothing from C any more.
    assert_eq!(
        owned.original_channel,
        "aeron:udp?endpoint=localhost:40123|alias=orders"
    );
}

struct CollectDescriptors(Vec<RecordingDescriptor>);

impl AeronArchiveRecordingDescriptorConsumerFuncCallback for CollectDescriptors {
    fn handle_aeron_archive_recording_descriptor_consumer_func(&mut self, descriptor: AeronArchiveRecordingDescriptor) {
        self.0.push(RecordingDescriptor::from(&descriptor));
    }
}

/// Calls the closure trampoline the way C calls a `*_once` consumer.
fn call_once_trampoline<F: FnMut(AeronArchiveRecordingDescriptor)>(
    raw: &mut aeron_archive_recording_descriptor_t,
    call: &mut rusteron_client::panic::ClosureCall<'_, F>,
) {
    // SAFETY: raw is a valid descriptor; clientd is a ClosureCall over F.
    unsafe {
        aeron_archive_recording_descriptor_consumer_func_callback_for_once_closure::<F>(
            raw,
            call as *mut _ as *mut std::ffi::c_void,
        )
    }
}

#[test]
fn recording_descriptor_through_the_generated_callback_trampolines() {
    let strings = strings();
    let mut raw = strings.descriptor();

    // The handler path (list_recordings(.., Some(&handler))).
    let mut collect = Handlers::leak(CollectDescriptors(Vec::new()));
    // SAFETY: raw is a valid descriptor and clientd the CollectDescriptors; no callback
    // runs while get_mut reads it.
    unsafe {
        aeron_archive_recording_descriptor_consumer_func_callback::<CollectDescriptors>(&mut raw, collect.as_raw());
        assert_eq!(
            collect.get_mut().map(|c| c.0.clone()),
            Some(vec![expected_descriptor()])
        );
    }
    collect.release();

    // The closure path (list_recordings_once), which list_recording_descriptors uses.
    let mut found = Vec::new();
    let mut push = |descriptor: AeronArchiveRecordingDescriptor| found.push(RecordingDescriptor::from(&descriptor));
    let mut call = rusteron_client::panic::ClosureCall::new(&mut push);
    call_once_trampoline(&mut raw, &mut call);
    call_once_trampoline(&mut raw, &mut call);
    call.finish();
    drop(strings);
    assert_eq!(found, vec![expected_descriptor(), expected_descriptor()]);
}

#[test]
fn strings_are_bounded_by_the_nul_and_the_length() {
    let strings = CStrings::new("aeron:ipc", "aeron:ipc?alias=x", "aeron:ipc");
    let mut raw = strings.descriptor();
    // A length shorter than the string: only `length` bytes.
    raw.original_channel_length = 9;
    // A length longer than the allocation (as the generated setter allows): stops at the NUL.
    raw.source_identity_length = 4096;
    // SAFETY: raw and its strings outlive the wrapper.
    let wrapper = unsafe { AeronArchiveRecordingDescriptor::from_raw_borrowed(&mut raw) };
    wrapper.set_stripped_channel_length(1_000_000);
    let owned = RecordingDescriptor::from(&wrapper);
    assert_eq!(owned.stripped_channel, "aeron:ipc");
    assert_eq!(owned.original_channel, "aeron:ipc");
    assert_eq!(owned.source_identity, "aeron:ipc");
}

#[test]
fn null_strings_and_invalid_utf8_do_not_fail_the_copy() {
    let bad = CString::new(vec![b'a', 0xff, b'b']).expect("no NUL");
    let mut raw = aeron_archive_recording_descriptor_t {
        stripped_channel: std::ptr::null_mut(),
        stripped_channel_length: 17,
        original_channel: bad.as_ptr() as *mut c_char,
        original_channel_length: 3,
        source_identity: std::ptr::null_mut(),
        source_identity_length: 0,
        ..strings().descriptor()
    };
    // SAFETY: raw's strings are NULL or C strings alive for the call.
    let owned = unsafe { RecordingDescriptor::from_c(&raw) };
    assert_eq!(owned.stripped_channel, "");
    assert_eq!(owned.original_channel, "a\u{fffd}b");
    assert_eq!(owned.source_identity, "");
    raw.stop_timestamp = -1;
    // SAFETY: as above.
    assert!(unsafe { RecordingDescriptor::from_c(&raw) }.is_active());
}

#[test]
fn zeroed_and_closed_wrappers_convert_to_defaults() {
    let zeroed = AeronArchiveRecordingDescriptor::new_zeroed();
    zeroed.set_recording_id(77);
    zeroed.set_stream_id(9);
    let owned = RecordingDescriptor::from(&zeroed);
    assert_eq!(owned.recording_id, 77);
    assert_eq!(owned.stream_id, 9);
    assert_eq!(owned.stripped_channel, "");

    let owner = zeroed.owner().expect("owned by Rust").clone();
    owner.close().expect("close once");
    assert_eq!(RecordingDescriptor::from(&zeroed), RecordingDescriptor::default());
}

#[test]
fn recording_subscription_descriptor_copies_every_field() {
    let channel = CString::new("aeron:udp?endpoint=localhost:40124").expect("no NUL");
    let mut raw = aeron_archive_recording_subscription_descriptor_t {
        control_session_id: 21,
        correlation_id: 22,
        subscription_id: 23,
        stream_id: 24,
        stripped_channel: channel.as_ptr() as *mut c_char,
        stripped_channel_length: channel.as_bytes().len(),
    };
    // SAFETY: raw and channel outlive the wrapper.
    let wrapper = unsafe { AeronArchiveRecordingSubscriptionDescriptor::from_raw_borrowed(&mut raw) };
    assert_eq!(
        RecordingSubscriptionDescriptor::from(&wrapper),
        RecordingSubscriptionDescriptor {
            control_session_id: 21,
            correlation_id: 22,
            subscription_id: 23,
            stream_id: 24,
            stripped_channel: "aeron:udp?endpoint=localhost:40124".into(),
        }
    );
}

#[test]
fn recording_signals_map_every_code() {
    let names = [
        RecordingSignalCode::Start,
        RecordingSignalCode::Stop,
        RecordingSignalCode::Extend,
        RecordingSignalCode::Replicate,
        RecordingSignalCode::Merge,
        RecordingSignalCode::Sync,
        RecordingSignalCode::Delete,
        RecordingSignalCode::ReplicateEnd,
    ];
    for (code, expected) in names.into_iter().enumerate() {
        let code = code as i32;
        assert_eq!(RecordingSignalCode::from_code(code), expected);
        assert_eq!(expected.code(), code);
    }
    assert_eq!(RecordingSignalCode::from_code(99), RecordingSignalCode::Unknown(99));
    assert_eq!(RecordingSignalCode::Unknown(99).code(), 99);

    let mut raw = aeron_archive_recording_signal_t {
        control_session_id: 31,
        recording_id: 32,
        subscription_id: 33,
        position: 34,
        recording_signal_code: 1,
    };
    // SAFETY: raw outlives the wrapper.
    let wrapper = unsafe { AeronArchiveRecordingSignal::from_raw_borrowed(&mut raw) };
    let signal = RecordingSignal::from(&wrapper);
    assert_eq!(
        signal,
        RecordingSignal {
            control_session_id: 31,
            recording_id: 32,
            subscription_id: 33,
            position: 34,
            signal: RecordingSignalCode::Stop,
        }
    );

    // Through the generated trampoline of a recording signal consumer.
    struct Collect(Vec<RecordingSignal>);
    impl AeronArchiveRecordingSignalConsumerFuncCallback for Collect {
        fn handle_aeron_archive_recording_signal_consumer_func(&mut self, signal: AeronArchiveRecordingSignal) {
            self.0.push(RecordingSignal::from(signal));
        }
    }
    let mut collect = Handlers::leak(Collect(Vec::new()));
    // SAFETY: raw is a valid signal; clientd is the Collect handler.
    unsafe {
        aeron_archive_recording_signal_consumer_func_callback::<Collect>(&mut raw, collect.as_raw());
        assert_eq!(collect.get_mut().map(|c| c.0.clone()), Some(vec![signal]));
    }
    collect.release();
}
