//! Channel URIs as the archive rewrites them: stripped channels for recordings, keys for
//! recording subscriptions, response and replay publication channels.

use rusteron_client::{AeronCError, ChannelUri, Media};

/// Parameters a stripped channel keeps (Aeron's `strippedChannelBuilder`).
const STRIPPED_KEYS: &[&str] = &[
    "endpoint",
    "interface",
    "control",
    "control-mode",
    "tags",
    "rejoin",
    "group",
    "tether",
    "fc",
    "gtag",
    "cc",
    "so-rcvbuf",
    "so-sndbuf",
    "rcv-wnd",
    "channel-snd-ts-offset",
    "channel-rcv-ts-offset",
    "media-rcv-ts-offset",
    "session-id",
    "alias",
    "response-correlation-id",
    "response-endpoint",
    "ttl",
    "stream-id",
];

/// Parameters that make two recording requests the same subscription (Aeron's `makeKey`).
const KEY_KEYS: &[&str] = &["endpoint", "interface", "control", "session-id", "tags"];

/// `uri` with only the parameters that identify the stream (no spy prefix, no term or MTU
/// settings).
pub(crate) fn stripped(uri: &ChannelUri) -> Result<ChannelUri, AeronCError> {
    let mut out = ChannelUri::new(uri.media());
    for (key, value) in uri.params() {
        if STRIPPED_KEYS.contains(&key) {
            out.put(key, value)?;
        }
    }
    Ok(out)
}

/// The key under which a recording subscription for `stream_id` on `uri` is known.
pub(crate) fn recording_key(stream_id: i32, uri: &ChannelUri) -> String {
    let params: Vec<String> = KEY_KEYS
        .iter()
        .filter_map(|key| uri.get(key).map(|value| format!("{key}={value}")))
        .collect();
    if params.is_empty() {
        format!("{stream_id}:{}", uri.media())
    } else {
        format!("{stream_id}:{}?{}", uri.media(), params.join("|"))
    }
}

/// The channel the archive subscribes to for a recording: the stripped channel, spied on
/// when the source is local and the media UDP.
pub(crate) fn recording_subscription_channel(stripped: &ChannelUri, local: bool) -> String {
    let mut channel = stripped.clone();
    if local && channel.media() == Media::Udp {
        channel.set_spy(true);
    }
    channel.to_string()
}

/// The channel of a control session's response publication: the stripped client channel
/// with the control term length, sparse and MTU settings of the request (or defaults).
pub(crate) fn response_channel(requested: &str, image_correlation_id: Option<i64>) -> Result<String, AeronCError> {
    let uri = ChannelUri::parse(requested)?;
    let mut out = stripped(&uri)?;
    out.put("term-length", uri.get("term-length").unwrap_or("65536"))?;
    out.put("sparse", uri.get("sparse").unwrap_or("true"))?;
    if let Some(mtu) = uri.get("mtu") {
        out.put("mtu", mtu)?;
    }
    if uri.get("control-mode") == Some("response") {
        if let Some(id) = image_correlation_id {
            out.put("response-correlation-id", &id.to_string())?;
        }
    }
    Ok(out.to_string())
}

/// `channel` with the port 0 of its endpoint replaced by the port of `resolved`
/// (`host:port` of the bound socket), as Aeron's `replaceEndpointWildcardPort`; unchanged
/// when its endpoint has a port of its own.
pub(crate) fn with_resolved_port(channel: &str, resolved: &str) -> Result<String, String> {
    let mut uri = ChannelUri::parse(channel).map_err(|e| e.to_string())?;
    let Some(endpoint) = uri.endpoint().map(str::to_owned) else {
        return Ok(channel.to_owned());
    };
    let Some(host) = endpoint.strip_suffix(":0") else {
        return Ok(channel.to_owned());
    };
    let port = resolved
        .rsplit_once(':')
        .map(|(_, port)| port)
        .filter(|port| port.parse::<u16>().is_ok())
        .ok_or_else(|| format!("malformed resolved endpoint {resolved:?}"))?;
    uri.put("endpoint", &format!("{host}:{port}"))
        .map_err(|e| e.to_string())?;
    Ok(uri.to_string())
}

/// Where a replay publication starts and how its log is shaped: the recording's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplayShape {
    pub position: i64,
    pub initial_term_id: i32,
    pub term_length: i32,
    pub mtu: i32,
}

/// The channel of a replay publication: the requested channel, stripped (keeping `eos`,
/// `sparse` and `linger`), starting at the replay position of the recording's log.
pub(crate) fn replay_channel(requested: &str, shape: ReplayShape) -> Result<String, AeronCError> {
    let uri = ChannelUri::parse(requested)?;
    let mut out = stripped(&uri)?;
    for key in ["eos", "sparse", "linger"] {
        if let Some(value) = uri.get(key) {
            out.put(key, value)?;
        }
    }
    let term_length = i64::from(shape.term_length);
    let bits = term_length.trailing_zeros();
    let term_id = shape.initial_term_id.wrapping_add((shape.position >> bits) as i32);
    let term_offset = shape.position & (term_length - 1);
    out.put("init-term-id", &shape.initial_term_id.to_string())?
        .put("term-id", &term_id.to_string())?
        .put("term-offset", &term_offset.to_string())?
        .put("term-length", &shape.term_length.to_string())?
        .put("mtu", &shape.mtu.to_string())?;
    Ok(out.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_parameter_order_and_tuning() {
        let a = ChannelUri::parse("aeron:udp?endpoint=localhost:4000|session-id=7|term-length=65536").unwrap();
        let b = ChannelUri::parse("aeron:udp?mtu=8192|session-id=7|endpoint=localhost:4000").unwrap();
        assert_eq!(recording_key(5, &a), recording_key(5, &b));
        assert_eq!(recording_key(5, &a), "5:udp?endpoint=localhost:4000|session-id=7");
        assert_ne!(recording_key(5, &a), recording_key(6, &a));
        assert_eq!(recording_key(3, &ChannelUri::parse("aeron:ipc").unwrap()), "3:ipc");
    }

    #[test]
    fn stripped_and_spied_channels() {
        let uri = ChannelUri::parse("aeron:udp?endpoint=localhost:4000|term-length=65536|alias=x").unwrap();
        let s = stripped(&uri).unwrap();
        assert_eq!(s.to_string(), "aeron:udp?endpoint=localhost:4000|alias=x");
        assert_eq!(
            recording_subscription_channel(&s, true),
            "aeron-spy:aeron:udp?endpoint=localhost:4000|alias=x"
        );
        assert_eq!(
            recording_subscription_channel(&s, false),
            "aeron:udp?endpoint=localhost:4000|alias=x"
        );
        let ipc = stripped(&ChannelUri::parse("aeron:ipc?term-length=65536").unwrap()).unwrap();
        assert_eq!(recording_subscription_channel(&ipc, true), "aeron:ipc");
    }

    #[test]
    fn replay_channel_starts_at_the_replay_position() {
        let shape = ReplayShape {
            position: 3 * 65536 + 96,
            initial_term_id: 100,
            term_length: 65536,
            mtu: 1408,
        };
        let channel = replay_channel("aeron:ipc?term-length=1m|linger=0", shape).unwrap();
        assert_eq!(
            channel,
            "aeron:ipc?linger=0|init-term-id=100|term-id=103|term-offset=96|term-length=65536|mtu=1408"
        );
    }

    #[test]
    fn wildcard_ports_are_replaced_by_the_resolved_one() {
        assert_eq!(
            with_resolved_port("aeron:udp?endpoint=localhost:0|session-id=7", "127.0.0.1:40123").unwrap(),
            "aeron:udp?endpoint=localhost:40123|session-id=7"
        );
        assert_eq!(
            with_resolved_port("aeron:udp?endpoint=[::1]:0", "[::1]:5000").unwrap(),
            "aeron:udp?endpoint=[::1]:5000"
        );
        assert_eq!(
            with_resolved_port("aeron:udp?endpoint=localhost:9000", "127.0.0.1:1").unwrap(),
            "aeron:udp?endpoint=localhost:9000"
        );
        assert_eq!(with_resolved_port("aeron:ipc", "x").unwrap(), "aeron:ipc");
        assert!(with_resolved_port("aeron:udp?endpoint=localhost:0", "no port").is_err());
    }

    #[test]
    fn response_channel_gets_control_defaults() {
        assert_eq!(
            response_channel("aeron:ipc", None).unwrap(),
            "aeron:ipc?term-length=65536|sparse=true"
        );
        assert!(response_channel("not a channel", None).is_err());
    }
}
