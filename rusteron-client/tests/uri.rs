//! Channel URIs: parsing with Aeron's own parser, editing, printing, malformed input, and a
//! built channel accepted by a real driver.

use std::time::{Duration, Instant};

use rusteron_client::uri::MAX_URI_LENGTH;
use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;

use rusteron_media_driver::testing::TIMEOUT;

#[test]
fn parses_media_endpoint_control_and_params_in_order() -> Result<(), AeronCError> {
    let text = "aeron:udp?endpoint=localhost:40123|control=localhost:40124|control-mode=dynamic|term-length=65536";
    let uri = ChannelUri::parse(text)?;
    assert_eq!(uri.media(), Media::Udp);
    assert!(!uri.is_spy());
    assert_eq!(uri.endpoint(), Some("localhost:40123"));
    assert_eq!(uri.control(), Some("localhost:40124"));
    assert_eq!(uri.control_mode()?, Some(ControlMode::Dynamic));
    assert_eq!(uri.get("term-length"), Some("65536"));
    assert_eq!(uri.get("mtu"), None);
    let keys: Vec<&str> = uri.params().map(|(k, _)| k).collect();
    assert_eq!(keys, ["endpoint", "control", "control-mode", "term-length"]);
    assert_eq!(
        uri.to_string(),
        text,
        "printing a parsed channel gives it back unchanged"
    );
    Ok(())
}

#[test]
fn ipc_spy_and_from_str_forms() -> Result<(), AeronCError> {
    let ipc: ChannelUri = "aeron:ipc".parse()?;
    assert_eq!((ipc.media(), ipc.params().count()), (Media::Ipc, 0));
    assert_eq!(ipc.to_string(), "aeron:ipc");
    assert_eq!(ChannelUri::try_from(AERON_IPC_STREAM)?, ipc);

    let spy = ChannelUri::parse("aeron-spy:aeron:udp?endpoint=224.0.1.1:40456|interface=127.0.0.1")?;
    assert!(spy.is_spy());
    assert_eq!(spy.get("interface"), Some("127.0.0.1"));
    assert_eq!(
        spy.to_string(),
        "aeron-spy:aeron:udp?endpoint=224.0.1.1:40456|interface=127.0.0.1"
    );

    let mut plain = spy.clone();
    plain.set_spy(false);
    assert_eq!(
        plain.to_string(),
        "aeron:udp?endpoint=224.0.1.1:40456|interface=127.0.0.1"
    );

    // A repeated key: the last value wins, as in the driver.
    let repeated = ChannelUri::parse("aeron:ipc?term-length=65536|term-length=131072")?;
    assert_eq!(repeated.get("term-length"), Some("131072"));
    assert_eq!(repeated.params().count(), 1);
    Ok(())
}

#[test]
fn put_replaces_in_place_and_remove_deletes() -> Result<(), AeronCError> {
    let mut uri = ChannelUri::new(Media::Udp);
    uri.put("endpoint", "localhost:40001")?
        .put("term-length", "65536")?
        .put("mtu", "1408")?;
    uri.put("term-length", "131072")?;
    assert_eq!(
        uri.to_string(),
        "aeron:udp?endpoint=localhost:40001|term-length=131072|mtu=1408"
    );
    assert_eq!(uri.remove("term-length").as_deref(), Some("131072"));
    assert_eq!(uri.remove("term-length"), None);
    assert_eq!(uri.to_string(), "aeron:udp?endpoint=localhost:40001|mtu=1408");
    assert_eq!(
        ChannelUri::parse(&uri.to_string())?,
        uri,
        "built channels parse back equal"
    );
    assert_eq!(uri.to_c_string()?.as_bytes(), uri.to_string().as_bytes());
    Ok(())
}

#[test]
fn put_rejects_separators_and_empty_parts_without_changing_anything() -> Result<(), AeronCError> {
    let mut uri = ChannelUri::parse("aeron:ipc?alias=a")?;
    let before = uri.clone();
    for (key, value) in [
        ("", "v"),
        ("k", ""),
        ("k|x", "v"),
        ("k", "a=b"),
        ("k", "a?b"),
        ("k", "a|b"),
        ("k", "a\0b"),
    ] {
        let e = uri.put(key, value).expect_err("invalid part");
        assert_eq!(e.kind(), AeronErrorType::InvalidArgument, "{key:?}={value:?}: {e}");
        assert_eq!(uri, before);
    }
    Ok(())
}

fn invalid_channel(text: &str) -> AeronCError {
    let e = ChannelUri::parse(text).expect_err(text);
    assert_eq!(e.kind(), AeronErrorType::InvalidChannel, "{text:?}: {e}");
    e
}

#[test]
fn malformed_uris_are_invalid_channel_with_the_parser_message() {
    // Messages from Aeron's C parameter parser.
    let e = invalid_channel("aeron:udp?endpoint=");
    assert!(
        e.message().unwrap_or_default().contains("empty value not allowed"),
        "{e}"
    );
    let e = invalid_channel("aeron:udp?=localhost:40123");
    assert!(e.message().unwrap_or_default().contains("empty key not allowed"), "{e}");
    let e = invalid_channel("aeron:udp?endpoint|x=y");
    assert!(e.message().unwrap_or_default().contains("invalid end of key"), "{e}");
    let e = invalid_channel("aeron:ipc?alias=a||b=c");
    assert!(
        e.message().unwrap_or_default().contains("aeron:ipc?alias=a||b=c"),
        "the channel is named: {e}"
    );

    // Scheme and media, checked as aeron_uri_parse does.
    for text in [
        "aeron:foo",
        "aeron:tcp?endpoint=localhost:1",
        "aeron:",
        "foo:bar",
        "",
        "aeron:ipcx",
        "aeron:udp",
    ] {
        let e = invalid_channel(text);
        assert!(e.message().is_some_and(|m| m.contains(&format!("{text:?}"))), "{e}");
    }
    let e = invalid_channel(&format!("aeron:ipc?alias={}", "a".repeat(MAX_URI_LENGTH)));
    assert!(e.message().unwrap_or_default().contains("exceeds max"), "{e}");
    let uri = ChannelUri::parse("aeron:udp?endpoint=localhost:1|control-mode=sometimes").expect("parses");
    assert_eq!(
        uri.control_mode().expect_err("unknown mode").kind(),
        AeronErrorType::InvalidChannel
    );

    let nul = ChannelUri::parse("aeron:ipc\0?alias=x").expect_err("NUL byte");
    assert_eq!(nul.kind(), AeronErrorType::InvalidArgument);
}

#[test]
fn a_built_channel_is_accepted_by_the_driver() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let ctx = AeronContext::new()?;
    ctx.set_dir(&driver.dir_c_string())?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;

    let port = find_unused_udp_port(43_000).expect("a free UDP port");
    let mut uri = ChannelUri::new(Media::Udp);
    uri.put("endpoint", &format!("localhost:{port}"))?
        .put("term-length", "65536")?;
    let channel = uri.to_c_string()?;
    let publication = aeron.async_add_publication(&channel, 77)?.poll_blocking(TIMEOUT)?;
    let subscription = aeron
        .async_add_subscription(
            &channel,
            77,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )?
        .poll_blocking(TIMEOUT)?;
    assert_eq!(ChannelUri::parse(publication.channel())?, uri);
    assert_eq!(publication.constants()?.term_buffer_length(), 65536);

    let start = Instant::now();
    while !publication.is_connected() {
        assert!(start.elapsed() < TIMEOUT, "publication never connected");
        std::thread::sleep(Duration::from_millis(1));
    }
    loop {
        let sent = publication.offer(b"over a built channel", Handlers::no_reserved_value_supplier_handler());
        if matches!(sent, Ok(position) if position > 0) {
            break;
        }
        assert!(start.elapsed() < TIMEOUT, "offer never succeeded: {sent:?}");
    }
    let mut received = Vec::new();
    while received.is_empty() {
        subscription.poll_once(|msg: &[u8], _: AeronHeader| received.push(msg.to_vec()), 10)?;
        assert!(start.elapsed() < TIMEOUT, "message never arrived");
    }
    assert_eq!(received, [b"over a built channel".to_vec()]);
    Ok(())
}
