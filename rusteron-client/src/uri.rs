//! Aeron channel URIs: `[aeron-spy:]aeron:<media>[?key=value|key=value...]`.
//!
//! [`ChannelUri`] parses a channel the way the media driver will (the key/value part goes
//! through Aeron's own C parser, `aeron_uri_parse_params`, so a channel that parses here is
//! one the driver can read, and a malformed one fails with the C message), lets you read
//! and change parameters, and prints the channel back for `async_add_publication` & co.
//!
//! ```
//! use rusteron_client::{ChannelUri, Media};
//!
//! let mut uri: ChannelUri = "aeron:udp?endpoint=localhost:40123|term-length=65536".parse()?;
//! assert_eq!(uri.media(), Media::Udp);
//! assert_eq!(uri.endpoint(), Some("localhost:40123"));
//! uri.put("term-length", "131072")?.put("mtu", "8192")?;
//! assert_eq!(uri.to_string(), "aeron:udp?endpoint=localhost:40123|term-length=131072|mtu=8192");
//! # Ok::<(), rusteron_client::AeronCError>(())
//! ```

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::fmt;
use std::str::FromStr;

use crate::constants::{ControlMode, Media, SPY_PREFIX};
use crate::error::{AeronCError, AeronErrorType};
use crate::strings::IntoCString;

/// Longest channel URI the driver accepts, in bytes (`AERON_URI_MAX_LENGTH` - 1).
pub const MAX_URI_LENGTH: usize = 4095;
/// Channel parameter naming the remote (publication) or local (subscription) address.
pub const ENDPOINT_KEY: &str = "endpoint";
/// Channel parameter naming the control address of multi-destination-cast.
pub const CONTROL_KEY: &str = "control";
/// Channel parameter selecting the [`ControlMode`].
pub const CONTROL_MODE_KEY: &str = "control-mode";

const SCHEME: &str = "aeron:";

/// Declarations of C client functions that the checked-in bindings (which cover `aeronc.h`
/// only) do not include. The symbols are part of the client library rusteron-sys links.
mod ffi {
    use std::ffi::{c_char, c_int, c_void};

    /// `aeron_uri_parse_callback_t` of `uri/aeron_uri.h`.
    pub type ParamFn = unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char) -> c_int;

    extern "C" {
        /// `int aeron_uri_parse_params(char *uri, aeron_uri_parse_callback_t, void *clientd)`:
        /// splits `key=value|...` in place (writes NULs into `uri`) and calls the callback per
        /// pair; -1 with the thread's Aeron error set on malformed input or callback failure.
        pub fn aeron_uri_parse_params(uri: *mut c_char, param_func: Option<ParamFn>, clientd: *mut c_void) -> c_int;
    }
}

/// A parsed Aeron channel: media, optional spy prefix, and ordered parameters.
///
/// Parameters keep the order they were parsed or first put in; putting an existing key
/// replaces its value in place. See the [module docs](self) for an example.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelUri {
    spy: bool,
    media: Media,
    params: Vec<(String, String)>,
}

impl ChannelUri {
    /// A channel of `media` with no parameters (`aeron:ipc`, `aeron:udp`).
    pub fn new(media: Media) -> Self {
        ChannelUri {
            spy: false,
            media,
            params: Vec::new(),
        }
    }

    /// Parses a channel. Errors are [`AeronErrorType::InvalidChannel`] (bad scheme, unknown
    /// media, empty key or value, too long: the C parser's message) or
    /// [`AeronErrorType::InvalidArgument`] (a NUL byte).
    pub fn parse(uri: &str) -> Result<Self, AeronCError> {
        let invalid = |why: &str| AeronCError::with_message(AeronErrorType::InvalidChannel, format!("{why}: {uri:?}"));
        if uri.len() > MAX_URI_LENGTH {
            return Err(invalid(&format!(
                "URI length ({}) exceeds max supported length ({MAX_URI_LENGTH})",
                uri.len()
            )));
        }
        let c_uri = uri.into_c_string()?;
        let (spy, rest) = match uri.strip_prefix(SPY_PREFIX) {
            Some(rest) => (true, rest),
            None => (false, uri),
        };
        let Some(rest) = rest.strip_prefix(SCHEME) else {
            return Err(invalid("invalid URI scheme, expected [aeron-spy:]aeron:<media>"));
        };
        let (media, query) = match rest.split_once('?') {
            Some((media, query)) => (media, Some(query)),
            None => (rest, None),
        };
        let media = match (media.parse::<Media>(), query) {
            (Ok(Media::Udp), None) => return Err(invalid("a UDP channel needs parameters (aeron:udp?endpoint=...)")),
            (Ok(media), _) => media,
            (Err(_), _) => {
                return Err(invalid(&format!(
                    "invalid URI transport {media:?}, expected ipc or udp"
                )))
            }
        };
        let mut channel = ChannelUri {
            spy,
            media,
            params: Vec::new(),
        };
        if query.is_some() {
            let offset = uri.len() - query.map_or(0, str::len);
            channel.params = parse_params(&c_uri.as_bytes_with_nul()[offset..]).map_err(|e| {
                let message = e.message().unwrap_or("malformed parameters");
                AeronCError::with_message(AeronErrorType::from_driver_code(e.code), format!("{message}: {uri:?}"))
            })?;
        }
        // `aeron:udp?` (or a lone key C drops) would print as `aeron:udp`, which is invalid.
        if channel.media == Media::Udp && channel.params.is_empty() {
            return Err(invalid("a UDP channel needs parameters (aeron:udp?endpoint=...)"));
        }
        Ok(channel)
    }

    /// The transport.
    pub fn media(&self) -> Media {
        self.media
    }

    /// True for a spy channel (`aeron-spy:` prefix): a subscription that reads a local
    /// publication's log without a network round trip.
    pub fn is_spy(&self) -> bool {
        self.spy
    }

    /// Adds or removes the `aeron-spy:` prefix.
    pub fn set_spy(&mut self, spy: bool) -> &mut Self {
        self.spy = spy;
        self
    }

    /// The `endpoint` parameter.
    pub fn endpoint(&self) -> Option<&str> {
        self.get(ENDPOINT_KEY)
    }

    /// The `control` parameter.
    pub fn control(&self) -> Option<&str> {
        self.get(CONTROL_KEY)
    }

    /// The `control-mode` parameter; an unknown value is [`AeronErrorType::InvalidChannel`].
    pub fn control_mode(&self) -> Result<Option<ControlMode>, AeronCError> {
        self.get(CONTROL_MODE_KEY).map(str::parse).transpose()
    }

    /// The value of parameter `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Sets parameter `key` (replacing its value if present). Keys and values must be
    /// non-empty and free of `?`, `|`, `=` and NUL, or the result is
    /// [`AeronErrorType::InvalidArgument`] and nothing changes.
    pub fn put(&mut self, key: &str, value: &str) -> Result<&mut Self, AeronCError> {
        check_part("key", key)?;
        check_part("value", value)?;
        match self.params.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value.to_owned(),
            None => self.params.push((key.to_owned(), value.to_owned())),
        }
        Ok(self)
    }

    /// Removes parameter `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let index = self.params.iter().position(|(k, _)| k == key)?;
        Some(self.params.remove(index).1)
    }

    /// The parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The channel as a C string, for the `&CStr` arguments of the client API. Fails only
    /// if the channel is longer than [`MAX_URI_LENGTH`].
    pub fn to_c_string(&self) -> Result<CString, AeronCError> {
        let text = self.to_string();
        if text.len() > MAX_URI_LENGTH {
            return Err(AeronCError::with_message(
                AeronErrorType::InvalidChannel,
                format!(
                    "URI length ({}) exceeds max supported length ({MAX_URI_LENGTH})",
                    text.len()
                ),
            ));
        }
        text.into_c_string()
    }
}

impl fmt::Display for ChannelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.spy {
            f.write_str(SPY_PREFIX)?;
        }
        write!(f, "{SCHEME}{}", self.media)?;
        for (i, (key, value)) in self.params.iter().enumerate() {
            write!(f, "{}{key}={value}", if i == 0 { '?' } else { '|' })?;
        }
        Ok(())
    }
}

impl FromStr for ChannelUri {
    type Err = AeronCError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelUri::parse(s)
    }
}

impl TryFrom<&CStr> for ChannelUri {
    type Error = AeronCError;

    fn try_from(value: &CStr) -> Result<Self, Self::Error> {
        let text = value.to_str().map_err(|e| {
            AeronCError::with_message(AeronErrorType::InvalidArgument, format!("channel is not UTF-8: {e}"))
        })?;
        ChannelUri::parse(text)
    }
}

fn check_part(what: &str, part: &str) -> Result<(), AeronCError> {
    let bad = part.is_empty() || part.contains(['?', '|', '=', '\0']);
    if bad {
        return Err(AeronCError::with_message(
            AeronErrorType::InvalidArgument,
            format!("channel parameter {what} {part:?} must be non-empty and free of '?', '|', '=' and NUL"),
        ));
    }
    Ok(())
}

/// Runs the C parser over `query` (the NUL-terminated text after `?`).
fn parse_params(query: &[u8]) -> Result<Vec<(String, String)>, AeronCError> {
    unsafe extern "C" fn on_param(clientd: *mut c_void, key: *const c_char, value: *const c_char) -> c_int {
        let pairs = clientd as *mut Vec<(String, String)>;
        // Only allocation can fail here, which aborts rather than unwinds; still, nothing
        // may unwind into C.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: C passes NUL-terminated key and value inside the buffer it is
            // parsing, and `clientd` is the vector `parse_params` lent for this call.
            unsafe {
                let key = CStr::from_ptr(key).to_string_lossy().into_owned();
                let value = CStr::from_ptr(value).to_string_lossy().into_owned();
                match (*pairs).iter_mut().find(|(k, _)| *k == key) {
                    Some((_, v)) => *v = value,
                    None => (*pairs).push((key, value)),
                }
            }
            0
        }))
        .unwrap_or(-1)
    }

    debug_assert_eq!(query.last(), Some(&0));
    // C writes NULs into the text it parses, so it gets a private mutable copy.
    let mut buffer = query.to_vec();
    let mut pairs: Vec<(String, String)> = Vec::new();
    // SAFETY: `buffer` is NUL-terminated and lives across the call; the callback matches
    // `aeron_uri_parse_callback_t` and only touches `pairs` through `clientd`.
    let rc = unsafe {
        ffi::aeron_uri_parse_params(
            buffer.as_mut_ptr() as *mut c_char,
            Some(on_param),
            &mut pairs as *mut Vec<(String, String)> as *mut c_void,
        )
    };
    if rc < 0 {
        return Err(AeronCError::from_last_error());
    }
    Ok(pairs)
}
