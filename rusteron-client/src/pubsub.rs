//! The idiomatic layer (Aeron.jl style): connect in one line, a [`StreamConfig`] with
//! defaults, a [`Publisher`] whose `offer` says "retry or give up" with an [`OfferStatus`],
//! and a [`Subscriber`] that hands whole messages to a loop as [`Frame`]s.
//!
//! It sits on the generated API without hiding it: a [`Publisher`] is an
//! [`OwnedExclusivePublication`], a [`Subscriber`] an [`OwnedSubscription`] plus a fragment
//! assembler, so both are `Send` (create on one thread, use on another) and the raw
//! `Result` API stays one call away.
//!
//! ```
//! use std::ops::ControlFlow;
//! use rusteron_client::*;
//! # fn main() -> Result<(), AeronCError> {
//! let driver = rusteron_media_driver::launch_for_tests()?;
//! let aeron = Aeron::builder().dir(driver.dir()).connect()?;
//! let config = StreamConfig::ipc(1001);
//! let mut subscriber = aeron.subscriber(&config)?;
//! aeron.with_publisher(&config, |publisher| {
//!     publisher.wait_connected(config.timeout())?;
//!     publisher.offer_blocking(b"hello", config.timeout())
//! })??;
//! let mut got = Vec::new();
//! subscriber.receive(config.timeout(), |frame| {
//!     got.extend_from_slice(&frame);
//!     ControlFlow::Break(())
//! })?;
//! assert_eq!(got, b"hello");
//! # Ok(()) }
//! ```

use std::ffi::{CStr, CString};
use std::fmt;
use std::ops::{ControlFlow, Deref};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{AeronCError, AeronErrorType};
use crate::owned::{OwnedExclusivePublication, OwnedSubscription, PublicationInfo};
use crate::subscription::AeronFragmentClosureAssembler;
use crate::{Aeron, AeronContext, AeronHeader, Handlers};

/// Default bound on waits of this layer (adds, connections, blocking offers).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default fragments read per poll.
pub const DEFAULT_FRAGMENT_LIMIT: usize = 10;

// ---------------------------------------------------------------------------------------
// Connecting

/// A client error handler given to [`ClientBuilder::error_handler`].
type ErrorHandler = Box<dyn FnMut(i32, &str) + Send>;

/// Options of a client connection, set with chained calls, then [`connect`](Self::connect).
///
/// ```
/// # use rusteron_client::*;
/// # fn main() -> Result<(), AeronCError> {
/// # let driver = rusteron_media_driver::launch_for_tests()?;
/// let errors = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
/// let seen = errors.clone();
/// let aeron = Aeron::builder()
///     .dir(driver.dir())
///     .driver_timeout(std::time::Duration::from_secs(2))
///     .client_name("docs")
///     .error_handler(move |_code, _message| { seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed); })
///     .connect()?;
/// assert!(aeron.publisher(&StreamConfig::ipc(9)).is_ok());
/// # Ok(()) }
/// ```
#[must_use = "call connect() to create the client"]
#[derive(Default)]
pub struct ClientBuilder {
    dir: Option<CString>,
    driver_timeout: Option<Duration>,
    idle_sleep: Option<Duration>,
    resource_linger: Option<Duration>,
    keepalive: Option<Duration>,
    client_name: Option<CString>,
    error_handler: Option<ErrorHandler>,
    invalid: Option<AeronCError>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("dir", &self.dir)
            .field("driver_timeout", &self.driver_timeout)
            .field("client_name", &self.client_name)
            .field("error_handler", &self.error_handler.is_some())
            .finish()
    }
}

fn c_string(what: &str, value: &[u8]) -> Result<CString, AeronCError> {
    CString::new(value).map_err(|e| {
        AeronCError::with_message(
            AeronErrorType::InvalidArgument,
            format!("{what} has a NUL byte at {}", e.nul_position()),
        )
    })
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl ClientBuilder {
    /// The media driver's directory (default: C's default, `AERON_DIR` or
    /// `/dev/shm/aeron-<user>`).
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        use std::os::unix::ffi::OsStrExt;
        match c_string("aeron dir", dir.as_ref().as_os_str().as_bytes()) {
            Ok(dir) => self.dir = Some(dir),
            Err(e) => self.invalid = Some(e),
        }
        self
    }

    /// How long the client waits for the driver before failing (and, later, declares the
    /// driver dead).
    pub fn driver_timeout(mut self, timeout: Duration) -> Self {
        self.driver_timeout = Some(timeout);
        self
    }

    /// How long the client conductor sleeps when idle (adds complete within about this).
    pub fn idle_sleep(mut self, sleep: Duration) -> Self {
        self.idle_sleep = Some(sleep);
        self
    }

    /// How long closed resources linger before their memory is released.
    pub fn resource_linger(mut self, linger: Duration) -> Self {
        self.resource_linger = Some(linger);
        self
    }

    /// Interval of the client's keepalives to the driver.
    pub fn keepalive_interval(mut self, interval: Duration) -> Self {
        self.keepalive = Some(interval);
        self
    }

    /// The client's name, shown by driver tools.
    pub fn client_name(mut self, name: &str) -> Self {
        match c_string("client name", name.as_bytes()) {
            Ok(name) => self.client_name = Some(name),
            Err(e) => self.invalid = Some(e),
        }
        self
    }

    /// Errors of the client (driver timeout, ...) go to `handler`, on the conductor thread.
    /// A panic in it is logged, never unwound into C.
    pub fn error_handler(mut self, handler: impl FnMut(i32, &str) + Send + 'static) -> Self {
        self.error_handler = Some(Box::new(handler));
        self
    }

    /// Creates and starts the client. Fails within the driver timeout when no driver runs
    /// in the directory; a NUL byte in an option is an
    /// [`InvalidArgument`](AeronErrorType::InvalidArgument) error.
    pub fn connect(self) -> Result<Aeron, AeronCError> {
        if let Some(e) = self.invalid {
            return Err(e);
        }
        let ctx = AeronContext::new()?;
        if let Some(dir) = &self.dir {
            ctx.set_dir(dir)?;
        }
        if let Some(t) = self.driver_timeout {
            ctx.set_driver_timeout_ms(u64::try_from(t.as_millis()).unwrap_or(u64::MAX))?;
        }
        if let Some(t) = self.idle_sleep {
            ctx.set_idle_sleep_duration_ns(nanos(t))?;
        }
        if let Some(t) = self.resource_linger {
            ctx.set_resource_linger_duration_ns(nanos(t))?;
        }
        if let Some(t) = self.keepalive {
            ctx.set_keepalive_interval_ns(nanos(t))?;
        }
        if let Some(name) = &self.client_name {
            ctx.set_client_name(name)?;
        }
        if let Some(handler) = self.error_handler {
            let mut handler = Handlers::leak(handler);
            ctx.set_error_handler(Some(&handler))?;
            // The context keeps its own share.
            handler.release();
        }
        let aeron = Aeron::new(&ctx)?;
        aeron.start()?;
        Ok(aeron)
    }
}

impl Aeron {
    /// Connects to the media driver in the default directory with default options.
    pub fn connect() -> Result<Aeron, AeronCError> {
        ClientBuilder::default().connect()
    }

    /// Options for [`connect`](ClientBuilder::connect).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

// ---------------------------------------------------------------------------------------
// Configuration

/// A channel given as text or as a C string: checked for NUL bytes once, when the config
/// is built.
pub trait IntoChannel {
    /// The channel as a C string, or [`InvalidArgument`](AeronErrorType::InvalidArgument).
    fn into_channel(self) -> Result<CString, AeronCError>;
}

impl IntoChannel for &str {
    fn into_channel(self) -> Result<CString, AeronCError> {
        CString::new(self).map_err(|e| {
            AeronCError::with_message(
                AeronErrorType::InvalidArgument,
                format!("channel {self:?} has a NUL byte at {}", e.nul_position()),
            )
        })
    }
}

impl IntoChannel for String {
    fn into_channel(self) -> Result<CString, AeronCError> {
        self.as_str().into_channel()
    }
}

impl IntoChannel for &String {
    fn into_channel(self) -> Result<CString, AeronCError> {
        self.as_str().into_channel()
    }
}

impl IntoChannel for &CStr {
    fn into_channel(self) -> Result<CString, AeronCError> {
        Ok(self.to_owned())
    }
}

impl IntoChannel for CString {
    fn into_channel(self) -> Result<CString, AeronCError> {
        Ok(self)
    }
}

/// Where to publish or subscribe: channel, stream id, and the bounds of the waits.
/// Defaults: `aeron:ipc`, stream 1001, [`DEFAULT_TIMEOUT`], [`DEFAULT_FRAGMENT_LIMIT`].
///
/// ```
/// # use rusteron_client::*;
/// let config = StreamConfig::builder().channel("aeron:udp?endpoint=localhost:40123").stream_id(7).build()?;
/// assert_eq!(config.stream_id(), 7);
/// let bad = StreamConfig::new("aeron:ipc\0", 7).unwrap_err();
/// assert_eq!(bad.kind(), AeronErrorType::InvalidArgument);
/// assert_eq!(StreamConfig::default().channel().to_str().unwrap(), "aeron:ipc");
/// # Ok::<(), AeronCError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConfig {
    channel: CString,
    stream_id: i32,
    timeout: Duration,
    fragment_limit: usize,
}

/// Aeron.jl's name for [`StreamConfig`].
pub type PubSubConfig = StreamConfig;

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            channel: c"aeron:ipc".to_owned(),
            stream_id: 1001,
            timeout: DEFAULT_TIMEOUT,
            fragment_limit: DEFAULT_FRAGMENT_LIMIT,
        }
    }
}

impl StreamConfig {
    /// `channel` and `stream_id` with the default bounds.
    pub fn new(channel: impl IntoChannel, stream_id: i32) -> Result<Self, AeronCError> {
        Ok(StreamConfig {
            channel: channel.into_channel()?,
            stream_id,
            ..Default::default()
        })
    }

    /// Shared memory (`aeron:ipc`) on `stream_id`.
    pub fn ipc(stream_id: i32) -> Self {
        StreamConfig {
            stream_id,
            ..Default::default()
        }
    }

    /// A builder starting from the defaults.
    pub fn builder() -> StreamConfigBuilder {
        StreamConfigBuilder {
            config: Ok(StreamConfig::default()),
        }
    }

    /// The channel URI.
    pub fn channel(&self) -> &CStr {
        &self.channel
    }

    /// The stream id.
    pub fn stream_id(&self) -> i32 {
        self.stream_id
    }

    /// Bound of the waits (adds, connection, blocking offers).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Fragments read per poll.
    pub fn fragment_limit(&self) -> usize {
        self.fragment_limit
    }

    /// The same config with another timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same config with another stream id.
    pub fn with_stream_id(mut self, stream_id: i32) -> Self {
        self.stream_id = stream_id;
        self
    }
}

/// Builds a [`StreamConfig`]; a bad channel is reported by [`build`](Self::build).
#[derive(Debug, Clone)]
#[must_use = "call build()"]
pub struct StreamConfigBuilder {
    config: Result<StreamConfig, AeronCError>,
}

impl StreamConfigBuilder {
    /// The channel URI (`&str` or `&CStr`).
    pub fn channel(mut self, channel: impl IntoChannel) -> Self {
        if let Ok(config) = &mut self.config {
            match channel.into_channel() {
                Ok(c) => config.channel = c,
                Err(e) => self.config = Err(e),
            }
        }
        self
    }

    /// The stream id.
    pub fn stream_id(mut self, stream_id: i32) -> Self {
        if let Ok(config) = &mut self.config {
            config.stream_id = stream_id;
        }
        self
    }

    /// Bound of the waits.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if let Ok(config) = &mut self.config {
            config.timeout = timeout;
        }
        self
    }

    /// Fragments read per poll (at least 1).
    pub fn fragment_limit(mut self, limit: usize) -> Self {
        if let Ok(config) = &mut self.config {
            config.fragment_limit = limit.max(1);
        }
        self
    }

    /// The config, or the first error (a NUL byte in the channel).
    pub fn build(self) -> Result<StreamConfig, AeronCError> {
        self.config
    }
}

// ---------------------------------------------------------------------------------------
// Publishing

/// What an offer did: published, or why not (retry the first three, give up on the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferStatus {
    /// Published; the stream's new position.
    Published(i64),
    /// Subscribers are behind (flow control): retry.
    BackPressured,
    /// No subscriber is connected: retry or drop.
    NotConnected,
    /// The log is rotating a term: retry at once.
    AdminAction,
    /// The publication (or its client) is closed.
    Closed,
    /// The stream reached its maximum position: create a new publication.
    MaxPositionExceeded,
}

impl OfferStatus {
    /// Maps the raw `offer` result. Other failures (a message longer than the maximum,
    /// an unknown code) stay errors. Allocates nothing.
    #[inline]
    pub fn from_result(result: Result<i64, AeronCError>) -> Result<OfferStatus, AeronCError> {
        match result {
            Ok(position) => Ok(OfferStatus::Published(position)),
            Err(e) => match e.kind() {
                AeronErrorType::PublicationBackPressured => Ok(OfferStatus::BackPressured),
                AeronErrorType::NullOrNotConnected => Ok(OfferStatus::NotConnected),
                AeronErrorType::PublicationAdminAction => Ok(OfferStatus::AdminAction),
                AeronErrorType::PublicationClosed | AeronErrorType::ResourceClosed => Ok(OfferStatus::Closed),
                AeronErrorType::PublicationMaxPositionExceeded => Ok(OfferStatus::MaxPositionExceeded),
                _ => Err(e),
            },
        }
    }

    /// True for the outcomes worth retrying (back pressure, admin action, not connected).
    #[inline]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::BackPressured | Self::AdminAction | Self::NotConnected)
    }

    /// The position, when published.
    #[inline]
    pub fn position(&self) -> Option<i64> {
        match self {
            Self::Published(p) => Some(*p),
            _ => None,
        }
    }
}

fn timed_out(what: &str, timeout: Duration) -> AeronCError {
    AeronCError::with_message(AeronErrorType::TimedOut, format!("{what} within {timeout:?}"))
}

/// Waits between retries: a few spins, then yields, then sleeps up to 1 ms.
#[derive(Debug, Default)]
pub(crate) struct Idle {
    step: u32,
}

impl Idle {
    #[inline]
    pub(crate) fn reset(&mut self) {
        self.step = 0;
    }

    pub(crate) fn idle(&mut self) {
        self.step = self.step.saturating_add(1);
        match self.step {
            0..=10 => std::hint::spin_loop(),
            11..=20 => std::thread::yield_now(),
            n => std::thread::sleep(Duration::from_micros(1u64 << (n - 20).min(10))),
        }
    }
}

/// The publishing end of a stream: one thread at a time (`Send`, not `Sync`), an
/// exclusive publication underneath. From [`Aeron::publisher`].
#[derive(Debug)]
pub struct Publisher {
    publication: OwnedExclusivePublication,
    timeout: Duration,
}

impl Publisher {
    #[allow(dead_code)]
    pub(crate) fn from_publication(
        publication: crate::AeronExclusivePublication,
        config: &StreamConfig,
    ) -> Result<Self, AeronCError> {
        Ok(Publisher {
            publication: publication.into_owned().map_err(|e| e.error())?,
            timeout: config.timeout(),
        })
    }

    /// Offers `message`; see [`OfferStatus`]. Allocates nothing.
    #[inline]
    pub fn offer(&self, message: &[u8]) -> Result<OfferStatus, AeronCError> {
        OfferStatus::from_result(self.publication.offer(message))
    }

    /// The raw result: the position, or the [`AeronCError`] of the generated API.
    #[inline]
    pub fn offer_raw(&self, message: &[u8]) -> Result<i64, AeronCError> {
        self.publication.offer(message)
    }

    /// Offers, retrying back pressure, admin actions and "not connected" for up to
    /// `timeout` ([`TimedOut`](AeronErrorType::TimedOut) then). Closed and max-position are
    /// errors at once.
    pub fn offer_blocking(&self, message: &[u8], timeout: Duration) -> Result<i64, AeronCError> {
        let deadline = Instant::now() + timeout;
        let mut idle = Idle::default();
        loop {
            match self.offer(message)? {
                OfferStatus::Published(position) => return Ok(position),
                OfferStatus::Closed => return Err(AeronCError::from_code(-4)),
                OfferStatus::MaxPositionExceeded => return Err(AeronCError::from_code(-5)),
                _ if Instant::now() >= deadline => return Err(timed_out("offer not accepted", timeout)),
                _ => idle.idle(),
            }
        }
    }

    /// Waits up to `timeout` for a subscriber.
    pub fn wait_connected(&self, timeout: Duration) -> Result<(), AeronCError> {
        wait(timeout, "publisher not connected", || {
            if self.publication.is_closed() {
                return Err(AeronCError::resource_closed("publisher"));
            }
            Ok(self.publication.is_connected())
        })
    }

    /// True when a subscriber is connected.
    pub fn is_connected(&self) -> bool {
        self.publication.is_connected()
    }

    /// The stream position.
    pub fn position(&self) -> i64 {
        self.publication.position()
    }

    /// Session id, stream id and size limits.
    pub fn info(&self) -> Result<PublicationInfo, AeronCError> {
        self.publication.constants()
    }

    /// The owned publication, for the full raw API (`offerv`, `try_claim`, ...).
    pub fn publication(&self) -> &OwnedExclusivePublication {
        &self.publication
    }

    /// The timeout of the config this publisher was made with.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Closes the publication now (also done on drop).
    pub fn close(&self) -> Result<(), AeronCError> {
        self.publication.close()
    }
}

fn wait(
    timeout: Duration,
    what: &str,
    mut ready: impl FnMut() -> Result<bool, AeronCError>,
) -> Result<(), AeronCError> {
    let deadline = Instant::now() + timeout;
    loop {
        if ready()? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(timed_out(what, timeout));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

// ---------------------------------------------------------------------------------------
// Subscribing

/// One whole message, valid for one iteration of the receive loop: it borrows the log (or
/// the reassembly buffer) and cannot be kept (copy what you need). Derefs to the bytes.
pub struct Frame<'a> {
    data: &'a [u8],
    header: AeronHeader<'a>,
}

impl<'a> Frame<'a> {
    /// The message bytes.
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The stream position just after this message.
    #[inline]
    pub fn position(&self) -> i64 {
        self.header.position()
    }

    fn values(&self) -> rusteron_sys::aeron_header_values_frame_t {
        let mut values = rusteron_sys::aeron_header_values_t::default();
        // SAFETY: the header is valid during the callback this frame lives in; values is a
        // valid out-parameter on the stack.
        unsafe { rusteron_sys::aeron_header_values(self.header.get_inner(), &mut values) };
        values.frame
    }

    /// The publisher's session id.
    pub fn session_id(&self) -> i32 {
        self.values().session_id
    }

    /// The stream id.
    pub fn stream_id(&self) -> i32 {
        self.values().stream_id
    }

    /// The reserved value of the (last) frame of the message.
    pub fn reserved_value(&self) -> i64 {
        self.values().reserved_value
    }

    /// The term id of the (last) frame.
    pub fn term_id(&self) -> i32 {
        self.values().term_id
    }

    /// The term offset of the (last) frame.
    pub fn term_offset(&self) -> i32 {
        self.values().term_offset
    }

    /// The header, for everything else the generated API offers.
    pub fn header(&self) -> &AeronHeader<'a> {
        &self.header
    }
}

impl Deref for Frame<'_> {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.data
    }
}

impl fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("len", &self.data.len())
            .field("position", &self.position())
            .finish()
    }
}

/// The receiving end of a stream: whole messages (reassembled), one thread at a time
/// (`Send`, not `Sync`). From [`Aeron::subscriber`].
#[derive(Debug)]
pub struct Subscriber {
    subscription: OwnedSubscription,
    assembler: AeronFragmentClosureAssembler,
    fragment_limit: usize,
    timeout: Duration,
}

// The assembler is Send; OwnedSubscription is Send: Subscriber is Send by composition.

impl Subscriber {
    /// One poll: up to the config's fragment limit, each whole message given to `f`.
    /// Returns the fragments read. Allocates nothing (once the reassembly buffer fits the
    /// largest message).
    #[inline]
    pub fn poll<F: FnMut(Frame<'_>)>(&mut self, f: F) -> Result<usize, AeronCError> {
        self.poll_limit(f, self.fragment_limit)
    }

    /// [`poll`](Self::poll) reading at most `fragment_limit` fragments.
    #[inline]
    pub fn poll_limit<F: FnMut(Frame<'_>)>(&mut self, mut f: F, fragment_limit: usize) -> Result<usize, AeronCError> {
        let read = self.assembler.poll(
            self.subscription.shared(),
            |data: &[u8], header: AeronHeader| f(Frame { data, header }),
            fragment_limit,
        )?;
        Ok(read as usize)
    }

    #[allow(dead_code)]
    pub(crate) fn is_closed_or_client_closed(&self) -> bool {
        self.subscription.is_closed() || self.client_closed()
    }

    #[allow(dead_code)]
    pub(crate) fn from_subscription(
        subscription: crate::AeronSubscription,
        config: &StreamConfig,
    ) -> Result<Self, AeronCError> {
        Ok(Subscriber {
            subscription: subscription.into_owned().map_err(|e| e.error())?,
            assembler: AeronFragmentClosureAssembler::new()?,
            fragment_limit: config.fragment_limit(),
            timeout: config.timeout(),
        })
    }

    /// The receive loop (`for frame in sub`): gives every message to `f` until it returns
    /// `ControlFlow::Break`, idling (spin, yield, then sleeps up to 1 ms) while nothing
    /// arrives. Returns the messages seen. Ends with an error when the subscription or
    /// its client closes (e.g. the driver died: the client closes after its driver
    /// timeout), so it never hangs on a dead driver.
    pub fn for_each<F: FnMut(Frame<'_>) -> ControlFlow<()>>(&mut self, f: F) -> Result<usize, AeronCError> {
        self.run(None, f)
    }

    /// [`for_each`](Self::for_each) for at most `timeout`: returns (with the count) when
    /// `f` breaks or the time is up.
    pub fn receive<F: FnMut(Frame<'_>) -> ControlFlow<()>>(
        &mut self,
        timeout: Duration,
        f: F,
    ) -> Result<usize, AeronCError> {
        self.run(Some(Instant::now() + timeout), f)
    }

    fn run<F: FnMut(Frame<'_>) -> ControlFlow<()>>(
        &mut self,
        deadline: Option<Instant>,
        mut f: F,
    ) -> Result<usize, AeronCError> {
        let mut seen = 0usize;
        let mut stop = false;
        let mut idle = Idle::default();
        let mut idle_polls = 0u32;
        while !stop {
            let read = self.assembler.poll(
                self.subscription.shared(),
                |data: &[u8], header: AeronHeader| {
                    if stop {
                        // Already told to stop: C still hands the rest of this poll's
                        // fragments; they are consumed (as with any handler that ignores
                        // them), so stop early with a small fragment limit when it matters.
                        return;
                    }
                    seen += 1;
                    if f(Frame { data, header }).is_break() {
                        stop = true;
                    }
                },
                if deadline.is_some() { 1 } else { self.fragment_limit },
            )?;
            if stop {
                break;
            }
            if read > 0 {
                idle.reset();
                idle_polls = 0;
                continue;
            }
            idle_polls += 1;
            if idle_polls % 64 == 0 && (self.subscription.is_closed() || self.client_closed()) {
                return Err(AeronCError::resource_closed("subscriber (or its client)"));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            idle.idle();
        }
        Ok(seen)
    }

    fn client_closed(&self) -> bool {
        self.subscription
            .shared()
            .owner()
            .is_some_and(|owner| owner.client_is_closed())
    }

    /// Waits up to `timeout` for a publisher.
    pub fn wait_connected(&self, timeout: Duration) -> Result<(), AeronCError> {
        wait(timeout, "subscriber not connected", || {
            if self.subscription.is_closed() {
                return Err(AeronCError::resource_closed("subscriber"));
            }
            Ok(self.subscription.is_connected())
        })
    }

    /// True when a publisher is connected.
    pub fn is_connected(&self) -> bool {
        self.subscription.is_connected()
    }

    /// The owned subscription, for the raw API (`poll_once`, `controlled_poll_once`...).
    pub fn subscription(&self) -> &OwnedSubscription {
        &self.subscription
    }

    /// The timeout of the config this subscriber was made with.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Closes the subscription now (also done on drop).
    pub fn close(&self) -> Result<(), AeronCError> {
        self.subscription.close()
    }
}

impl Aeron {
    /// A [`Publisher`] on `config`'s channel and stream, waiting up to the config's timeout
    /// for the driver ([`TimedOut`](AeronErrorType::TimedOut), or the driver's error for a
    /// bad channel).
    pub fn publisher(&self, config: &StreamConfig) -> Result<Publisher, AeronCError> {
        let publication = self.add_exclusive_publication(config.channel(), config.stream_id(), config.timeout())?;
        // Fresh from the add: the only handle, so into_owned cannot refuse.
        Publisher::from_publication(publication, config)
    }

    /// A [`Subscriber`] on `config`'s channel and stream, waiting up to the config's timeout.
    pub fn subscriber(&self, config: &StreamConfig) -> Result<Subscriber, AeronCError> {
        let subscription = self.add_subscription(
            config.channel(),
            config.stream_id(),
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
            config.timeout(),
        )?;
        Subscriber::from_subscription(subscription, config)
    }

    /// Runs `f` with a new [`Publisher`] and closes it afterwards, also when `f` panics.
    pub fn with_publisher<R>(&self, config: &StreamConfig, f: impl FnOnce(&Publisher) -> R) -> Result<R, AeronCError> {
        let scoped = Scoped(self.publisher(config)?, |p: &Publisher| p.close());
        Ok(f(&scoped.0))
    }

    /// Runs `f` with a new [`Subscriber`] and closes it afterwards, also when `f` panics.
    pub fn with_subscriber<R>(
        &self,
        config: &StreamConfig,
        f: impl FnOnce(&mut Subscriber) -> R,
    ) -> Result<R, AeronCError> {
        let mut scoped = Scoped(self.subscriber(config)?, |s: &Subscriber| s.close());
        Ok(f(&mut scoped.0))
    }
}

/// Closes its value when dropped, including while unwinding from a panic.
struct Scoped<T, C: Fn(&T) -> Result<(), AeronCError>>(T, C);

impl<T, C: Fn(&T) -> Result<(), AeronCError>> Drop for Scoped<T, C> {
    fn drop(&mut self) {
        if let Err(e) = (self.1)(&self.0) {
            log::warn!("closing a scoped publisher/subscriber failed: {e}");
        }
    }
}
