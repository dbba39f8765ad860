//! Names and values every Aeron user needs: channel media, prefixes, default timeouts, and
//! two helpers to find a free UDP port for tests and examples.
//!
//! Values are Aeron's own: `CommonContext` and `ChannelUri` of the Java client, the
//! `aeron_uri.h` / `aeronc.h` macros of the C client, and the archive's `SourceLocation`.

use std::ffi::CStr;
use std::fmt;
use std::net::{Ipv4Addr, UdpSocket};
use std::str::FromStr;

use crate::error::{AeronCError, AeronErrorType};

/// System property (Java) naming the aeron directory; the C client reads the `AERON_DIR`
/// environment variable instead.
pub const AERON_DIR_PROP_NAME: &str = "aeron.dir";
/// Media of shared-memory channels: `aeron:ipc`.
pub const AERON_IPC_MEDIA: &str = "ipc";
/// Media of network channels: `aeron:udp?...`.
pub const AERON_UDP_MEDIA: &str = "udp";
/// How long a client waits for the media driver by default (ms), as in
/// `CommonContext.DEFAULT_DRIVER_TIMEOUT_MS` and `AERON_CONTEXT_DRIVER_TIMEOUT_MS_DEFAULT`.
pub const DRIVER_TIMEOUT_MS_DEFAULT: u64 = 10_000;
/// Archive `SourceLocation.LOCAL`: the recorded publication is on the archive's own driver.
pub const SOURCE_LOCATION_LOCAL: i32 = 0;
/// Archive `SourceLocation.REMOTE`: the recorded publication is on another driver.
pub const SOURCE_LOCATION_REMOTE: i32 = 1;
/// Prefix that turns a publication channel into a spy subscription channel
/// (`aeron-spy:aeron:udp?endpoint=...`).
pub const SPY_PREFIX: &str = "aeron-spy:";
/// Prefix of a tag reference in a channel parameter (`session-id=tag:7`).
pub const TAG_PREFIX: &str = "tag:";

/// The IPC channel, ready to pass where a `&CStr` channel is expected.
///
/// ```
/// assert_eq!(rusteron_client::AERON_IPC_STREAM.to_str().unwrap(), "aeron:ipc");
/// ```
pub static AERON_IPC_STREAM: &CStr = c"aeron:ipc";

/// The transport of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Media {
    /// Shared memory between processes on one machine (`aeron:ipc`).
    Ipc,
    /// UDP unicast or multicast (`aeron:udp`).
    Udp,
}

impl Media {
    /// The media as written in a channel URI: `"ipc"` or `"udp"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Media::Ipc => AERON_IPC_MEDIA,
            Media::Udp => AERON_UDP_MEDIA,
        }
    }
}

impl fmt::Display for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Media {
    type Err = AeronCError;

    /// Parses `"ipc"` or `"udp"`; anything else is [`AeronErrorType::InvalidChannel`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            AERON_IPC_MEDIA => Ok(Media::Ipc),
            AERON_UDP_MEDIA => Ok(Media::Udp),
            other => Err(AeronCError::with_message(
                AeronErrorType::InvalidChannel,
                format!("unknown media {other:?}: expected \"ipc\" or \"udp\""),
            )),
        }
    }
}

/// The `control-mode` of a UDP channel: how a publication finds its subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlMode {
    /// Destinations are added and removed by the application (multi-destination-cast).
    Manual,
    /// Subscribers register with the publication's control address.
    Dynamic,
    /// The channel answers requests on a response channel.
    Response,
}

impl ControlMode {
    /// The mode as written in a channel URI: `"manual"`, `"dynamic"` or `"response"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ControlMode::Manual => "manual",
            ControlMode::Dynamic => "dynamic",
            ControlMode::Response => "response",
        }
    }
}

impl fmt::Display for ControlMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ControlMode {
    type Err = AeronCError;

    /// Parses a `control-mode` value; anything unknown is [`AeronErrorType::InvalidChannel`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "manual" => Ok(ControlMode::Manual),
            "dynamic" => Ok(ControlMode::Dynamic),
            "response" => Ok(ControlMode::Response),
            other => Err(AeronCError::with_message(
                AeronErrorType::InvalidChannel,
                format!("unknown control-mode {other:?}: expected \"manual\", \"dynamic\" or \"response\""),
            )),
        }
    }
}

/// True when nothing on this machine holds UDP `port` on any IPv4 address, so a channel
/// endpoint may bind it. Port 0 (any port) is never "available".
///
/// The answer can be stale by the time the port is used: another process may take it.
pub fn is_udp_port_available(port: u16) -> bool {
    // Binding the wildcard address conflicts with any existing bind on the port, so it is
    // the strictest check; the socket closes when it drops here.
    port != 0 && UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
}

/// The first UDP port at or above `start` that [`is_udp_port_available`], or `None` when
/// every port up to 65535 is taken.
///
/// ```
/// let port = rusteron_client::find_unused_udp_port(40_000).expect("a free port");
/// assert!(port >= 40_000);
/// ```
pub fn find_unused_udp_port(start: u16) -> Option<u16> {
    (start.max(1)..=u16::MAX).find(|&port| is_udp_port_available(port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_and_control_mode_round_trip() {
        for media in [Media::Ipc, Media::Udp] {
            assert_eq!(media.as_str().parse::<Media>().unwrap(), media);
        }
        for mode in [ControlMode::Manual, ControlMode::Dynamic, ControlMode::Response] {
            assert_eq!(mode.to_string().parse::<ControlMode>().unwrap(), mode);
        }
        assert_eq!(
            "tcp".parse::<Media>().unwrap_err().kind(),
            AeronErrorType::InvalidChannel
        );
        assert_eq!(
            "auto".parse::<ControlMode>().unwrap_err().kind(),
            AeronErrorType::InvalidChannel
        );
    }

    #[test]
    fn a_bound_port_is_not_available() {
        let port = find_unused_udp_port(30_000).expect("a free port");
        assert!(is_udp_port_available(port));
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).expect("bind the free port");
        assert!(!is_udp_port_available(port), "port {port} is bound but reported free");
        let next = find_unused_udp_port(port).expect("another free port");
        assert_ne!(next, port);
        drop(socket);
        assert!(!is_udp_port_available(0));
    }
}
