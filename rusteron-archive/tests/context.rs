//! Archive context configuration: defaults, setter/getter round trips, C validation, the
//! handler setters, and one `Aeron` type shared with rusteron-client.

mod common;

use std::any::TypeId;
use std::ffi::CString;

use common::driver_and_client;
use rusteron_archive::*;

#[test]
fn defaults_are_the_c_defaults() -> Result<(), AeronCError> {
    let ctx = AeronArchiveContext::new()?;
    assert_eq!(
        ctx.get_control_request_stream_id(),
        AERON_ARCHIVE_CONTROL_STREAM_ID_DEFAULT
    );
    assert_eq!(
        ctx.get_control_response_stream_id(),
        AERON_ARCHIVE_CONTROL_RESPONSE_STREAM_ID_DEFAULT
    );
    assert_eq!(
        ctx.get_recording_events_stream_id(),
        AERON_ARCHIVE_RECORDING_EVENTS_STREAM_ID_DEFAULT
    );
    assert_eq!(ctx.get_message_timeout_ns(), AERON_ARCHIVE_MESSAGE_TIMEOUT_NS_DEFAULT);
    assert_eq!(
        ctx.get_message_retry_attempts(),
        AERON_ARCHIVE_MESSAGE_RETRY_ATTEMPTS_DEFAULT
    );
    assert_eq!(
        ctx.get_control_term_buffer_length(),
        AERON_ARCHIVE_CONTROL_TERM_BUFFER_LENGTH_DEFAULT
    );
    assert!(ctx.get_control_term_buffer_sparse());
    assert_eq!(ctx.get_control_request_channel(), "");
    assert_eq!(ctx.get_control_response_channel(), "");
    assert_eq!(ctx.get_client_name(), "");
    assert!(
        !ctx.get_aeron_directory_name().is_empty(),
        "the default aeron directory"
    );
    assert!(ctx.get_aeron().is_none());
    assert!(!ctx.get_owns_aeron_client());
    Ok(())
}

#[test]
fn setters_round_trip_through_the_getters() -> Result<(), AeronCError> {
    let ctx = AeronArchiveContext::new()?;
    ctx.set_control_request_channel(c"aeron:udp?endpoint=localhost:8010")?;
    ctx.set_control_request_stream_id(110)?;
    ctx.set_control_response_channel(c"aeron:udp?endpoint=localhost:0")?;
    ctx.set_control_response_stream_id(120)?;
    ctx.set_recording_events_channel(c"aeron:udp?control-mode=dynamic|control=localhost:8030")?;
    ctx.set_recording_events_stream_id(130)?;
    ctx.set_message_timeout_ns(1_234_567_890)?;
    ctx.set_message_retry_attempts(7)?;
    ctx.set_control_term_buffer_length(256 * 1024)?;
    ctx.set_control_mtu_length(8192)?;
    ctx.set_control_term_buffer_sparse(false)?;
    ctx.set_client_name(c"round-trip")?;
    ctx.set_aeron_directory_name(c"/dev/shm/rusteron-round-trip")?;

    assert_eq!(ctx.get_control_request_channel(), "aeron:udp?endpoint=localhost:8010");
    assert_eq!(ctx.get_control_request_stream_id(), 110);
    assert_eq!(ctx.get_control_response_channel(), "aeron:udp?endpoint=localhost:0");
    assert_eq!(ctx.get_control_response_stream_id(), 120);
    assert_eq!(
        ctx.get_recording_events_channel(),
        "aeron:udp?control-mode=dynamic|control=localhost:8030"
    );
    assert_eq!(ctx.get_recording_events_stream_id(), 130);
    assert_eq!(ctx.get_message_timeout_ns(), 1_234_567_890);
    assert_eq!(ctx.get_message_retry_attempts(), 7);
    assert_eq!(ctx.get_control_term_buffer_length(), 256 * 1024);
    assert_eq!(ctx.get_control_mtu_length(), 8192);
    assert!(!ctx.get_control_term_buffer_sparse());
    assert_eq!(ctx.get_client_name(), "round-trip");
    assert_eq!(ctx.get_aeron_directory_name(), "/dev/shm/rusteron-round-trip");

    // Strings are copied by C: the getter does not depend on the argument's lifetime.
    {
        let channel = CString::new("aeron:ipc?term-length=64k").expect("no NUL");
        ctx.set_control_request_channel(&channel)?;
    }
    assert_eq!(ctx.get_control_request_channel(), "aeron:ipc?term-length=64k");
    Ok(())
}

#[test]
fn c_validation_errors_are_returned() -> Result<(), AeronCError> {
    let ctx = AeronArchiveContext::new()?;
    let long_name = CString::new("n".repeat(1000)).expect("no NUL");
    let error = ctx.set_client_name(&long_name).expect_err("client name too long");
    assert!(
        error.message().is_some_and(|m| m.contains("client_name length")),
        "{error}"
    );
    assert_eq!(ctx.get_client_name(), "", "a rejected name is not stored");
    Ok(())
}

#[test]
fn closed_context_reports_resource_closed() -> Result<(), AeronCError> {
    let ctx = AeronArchiveContext::new()?;
    let clone = ctx.clone();
    ctx.close()?;
    let error = clone.set_control_request_stream_id(1).expect_err("closed");
    assert_eq!(error.kind(), AeronErrorType::ResourceClosed);
    assert_eq!(clone.get_control_request_channel(), "");
    assert_eq!(
        AeronArchive::connect(&clone).expect_err("closed").kind(),
        AeronErrorType::ResourceClosed
    );
    Ok(())
}

#[derive(Default)]
struct CountingErrors {
    errors: Vec<(i32, String)>,
}

impl AeronErrorHandlerCallback for CountingErrors {
    fn handle_aeron_error_handler(&mut self, errcode: i32, message: &str) {
        self.errors.push((errcode, message.to_owned()));
    }
}

#[test]
fn handler_setters_accept_handlers_closures_and_typed_nones() -> Result<(), AeronCError> {
    let ctx = AeronArchiveContext::new()?;
    let mut errors = Handlers::leak(CountingErrors::default());
    assert_eq!(ctx.set_error_handler(Some(&errors))?, 0);
    let mut signals = Handlers::leak(|signal: AeronArchiveRecordingSignal| {
        let _owned = RecordingSignal::from(&signal);
    });
    assert_eq!(ctx.set_recording_signal_consumer(Some(&signals))?, 0);
    let mut invoker = Handlers::leak(|| {});
    assert_eq!(ctx.set_delegating_invoker(Some(&invoker))?, 0);
    let mut idle = Handlers::leak(BackoffIdleStrategy::default());
    assert_eq!(ctx.set_idle_strategy(Some(&idle))?, 0);
    let mut credentials = Handlers::leak(StaticCredentials::new("user:password"));
    assert_eq!(ctx.set_credentials_supplier(Some(&credentials))?, 0);

    // Released early: the context keeps its share alive.
    errors.release();
    signals.release();
    invoker.release();
    idle.release();
    credentials.release();

    // A released handler cannot be registered again.
    let error = ctx.set_error_handler(Some(&errors)).expect_err("released");
    assert_eq!(error.kind(), AeronErrorType::InvalidArgument);

    // Typed "no handler" values reset every callback.
    ctx.set_error_handler(Handlers::no_error_handler_handler())?;
    ctx.set_recording_signal_consumer(Handlers::no_archive_recording_signal_consumer_func_handler())?;
    ctx.set_delegating_invoker(Handlers::no_archive_delegating_invoker_func_handler())?;
    ctx.set_idle_strategy(Handlers::no_idle_strategy_func_handler())?;
    ctx.set_credentials_supplier(None::<&Handler<StaticCredentials>>)?;
    Ok(())
}

#[test]
fn one_aeron_type_is_shared_with_rusteron_client() -> Result<(), AeronCError> {
    // Compile time: the re-export is the client's type, not a copy.
    assert_eq!(
        TypeId::of::<rusteron_archive::Aeron>(),
        TypeId::of::<rusteron_client::Aeron>()
    );
    fn takes_client_aeron(aeron: &rusteron_client::Aeron) -> *mut rusteron_client::bindings::aeron_t {
        aeron.get_inner()
    }

    let (_driver, aeron): (_, rusteron_client::Aeron) = driver_and_client()?;
    let ctx = AeronArchiveContext::new()?;
    ctx.set_aeron(&aeron)?;
    let from_context: rusteron_archive::Aeron = ctx.get_aeron().expect("set");
    assert_eq!(from_context.get_inner(), aeron.get_inner());
    assert_eq!(takes_client_aeron(&from_context), aeron.get_inner());
    assert!(
        !ctx.get_owns_aeron_client(),
        "the archive never closes a client it was given"
    );

    let shared = AeronArchiveContext::new_with_aeron(&aeron)?;
    assert_eq!(shared.get_aeron().map(|a| a.get_inner()), Some(aeron.get_inner()));

    // The context keeps the client alive after the caller's handle is gone.
    let client_id = aeron.client_id();
    drop(aeron);
    let kept = ctx.get_aeron().expect("still set");
    assert!(!kept.is_closed());
    assert_eq!(kept.client_id(), client_id);
    Ok(())
}
