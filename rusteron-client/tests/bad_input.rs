//! Bad input gives a typed error with a clear message, quickly: no crash, no hang.

use std::ffi::CStr;
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;
use rusteron_media_driver::testing::{client, TIMEOUT};

/// A rejection must come well within the timeout: the driver answers at once.
const PROMPT: Duration = Duration::from_secs(3);

/// Adds a publication, an exclusive publication and a subscription on `channel`; each must
/// fail promptly with `kind` and a message that names the problem.
fn assert_all_rejected(aeron: &Aeron, channel: &CStr, kind: AeronErrorType, needle: &str) -> Result<(), AeronCError> {
    let start = Instant::now();
    let publication = aeron
        .async_add_publication(channel, 1)?
        .poll_blocking(TIMEOUT)
        .map(|_| ());
    let exclusive = aeron
        .async_add_exclusive_publication(channel, 1)?
        .poll_blocking(TIMEOUT)
        .map(|_| ());
    let subscription = aeron
        .async_add_subscription(
            channel,
            1,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )?
        .poll_blocking(TIMEOUT)
        .map(|_| ());
    for (what, result) in [
        ("publication", publication),
        ("exclusive", exclusive),
        ("subscription", subscription),
    ] {
        let e = result.expect_err(&format!("{what} on {channel:?} must be rejected"));
        assert_eq!(e.kind(), kind, "{what} on {channel:?}: {e}");
        let message = e.message().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{what} on {channel:?}: {needle:?} not in {message:?}"
        );
    }
    assert!(start.elapsed() < PROMPT, "rejections took {:?}", start.elapsed());
    Ok(())
}

#[test]
fn malformed_channels_are_rejected_as_invalid_channel() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    assert_all_rejected(&aeron, c"aeron:foo", AeronErrorType::InvalidChannel, "aeron:foo")?;
    assert_all_rejected(
        &aeron,
        c"aeron:udp?endpoint=",
        AeronErrorType::InvalidChannel,
        "empty value",
    )?;
    assert_all_rejected(
        &aeron,
        c"not-a-channel",
        AeronErrorType::InvalidChannel,
        "not-a-channel",
    )?;
    // The client is still usable afterwards.
    aeron.async_add_publication(c"aeron:ipc", 2)?.poll_blocking(TIMEOUT)?;
    Ok(())
}

#[test]
fn unknown_media_is_rejected_as_invalid_channel() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    assert_all_rejected(
        &aeron,
        c"aeron:tcp?endpoint=localhost:40000",
        AeronErrorType::InvalidChannel,
        "aeron:tcp",
    )?;
    // ChannelUri catches it before the driver does, with the same kind.
    let e = ChannelUri::parse("aeron:tcp?endpoint=localhost:40000").expect_err("unknown media");
    assert_eq!(e.kind(), AeronErrorType::InvalidChannel);
    Ok(())
}

#[test]
fn second_publication_with_a_different_term_length_is_rejected() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let port = find_unused_udp_port(44_000).expect("a free UDP port");
    let first = format!("aeron:udp?endpoint=localhost:{port}|term-length=65536").into_c_string()?;
    let second = format!("aeron:udp?endpoint=localhost:{port}|term-length=131072").into_c_string()?;

    let publication = aeron.async_add_publication(&first, 33)?.poll_blocking(TIMEOUT)?;
    let start = Instant::now();
    let e = aeron
        .async_add_publication(&second, 33)?
        .poll_blocking(TIMEOUT)
        .expect_err("conflicting term length");
    assert!(start.elapsed() < PROMPT, "rejection took {:?}", start.elapsed());
    assert_eq!(e.kind(), AeronErrorType::GenericError, "{e}");
    let message = e.message().unwrap_or_default();
    assert!(
        message.contains("existing publication has different 'term-length'"),
        "{message}"
    );
    assert!(
        message.contains("existing=65536") && message.contains("requested=131072"),
        "{message}"
    );

    // The same parameters share the existing publication.
    let same = aeron.async_add_publication(&first, 33)?.poll_blocking(TIMEOUT)?;
    assert_eq!(same.session_id(), publication.session_id());
    Ok(())
}

#[test]
fn no_driver_is_a_driver_timeout_within_the_configured_time() -> Result<(), AeronCError> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ctx = AeronContext::new()?;
    ctx.set_dir(&dir.path().to_string_lossy().as_ref().into_c_string()?)?;
    ctx.set_driver_timeout_ms(500)?;
    let start = Instant::now();
    // aeron_init connects to the driver; start only runs if init succeeded.
    let result = Aeron::new(&ctx).and_then(|aeron| aeron.start().map(|_| aeron));
    let elapsed = start.elapsed();
    let e = result.expect_err("there is no driver in an empty directory");
    assert_eq!(e.kind(), AeronErrorType::ClientErrorDriverTimeout, "{e}");
    assert!(e.message().unwrap_or_default().contains("CnC file not created"), "{e}");
    assert!(
        elapsed >= Duration::from_millis(450),
        "gave up before the timeout: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "took {elapsed:?} for a 500 ms timeout"
    );
    Ok(())
}

#[test]
fn interior_nul_is_invalid_argument() -> Result<(), AeronCError> {
    for e in [
        "aeron:ipc\0?alias=x".into_c_string().expect_err("&str"),
        String::from("a\0b").into_c_string().expect_err("String"),
        ChannelUri::parse("aeron:ipc\0").expect_err("ChannelUri"),
    ] {
        assert_eq!(e.kind(), AeronErrorType::InvalidArgument, "{e}");
        assert!(e.message().unwrap_or_default().contains("NUL"), "{e}");
    }
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let e = aeron
        .add_counter(1, b"", "label\0tail", TIMEOUT)
        .expect_err("label with NUL");
    assert_eq!(e.kind(), AeronErrorType::InvalidArgument, "{e}");
    assert!(e.message().unwrap_or_default().contains("NUL"), "{e}");
    Ok(())
}
