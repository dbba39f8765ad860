//! Topics over Aeron streams, brokerless (Roker-style names and wildcards, over IPC or UDP
//! unicast/multicast, so they span hosts).
//!
//! Topic names are `/`-separated levels (`/sensors/room1/temperature`). Patterns add
//! `*` (exactly one level) and `#` (any number of trailing levels, last only).
//!
//! **Encoding.** Each message is an 8-byte header (`magic`, `version`, topic length,
//! topic id), the topic bytes, then the payload. The topic id is assigned by the
//! publishing [`TopicPublisher`], unique within its Aeron session, so a subscriber caches
//! "(session, topic id) → which patterns match" and matches each topic's text only the first
//! time it sees it: no per-message string compare. Ids never collide within a session by
//! construction; the cache is cleared whenever an image (publisher) comes or goes, so a
//! reused session id cannot inherit a stale entry. Payload and topic are handed out as
//! slices of the log (zero copy; reassembled messages from the reassembly buffer).
//!
//! ```
//! use rusteron_client::topic::*;
//! # fn main() -> Result<(), TopicError> {
//! let driver = rusteron_media_driver::launch_for_tests()?;
//! let aeron = rusteron_client::Aeron::builder().dir(driver.dir()).connect()?;
//! let config = TopicConfig::default();
//! let mut subscriber = TopicSubscriber::new(&aeron, &config)?;
//! let all_rooms = subscriber.subscribe("/sensors/*/temperature")?;
//! let mut publisher = TopicPublisher::new(&aeron, &config)?;
//! publisher.wait_connected()?;
//! publisher.publish_blocking("/sensors/room1/temperature", b"21.5")?;
//! publisher.publish_blocking("/sensors/room1/humidity", b"40")?;
//! let mut got = Vec::new();
//! while got.len() < 1 {
//!     subscriber.poll(|m| got.push((m.topic().to_owned(), m.payload().to_vec(), m.matches(all_rooms))))?;
//! }
//! assert_eq!(got, vec![("/sensors/room1/temperature".to_owned(), b"21.5".to_vec(), true)]);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{AeronCError, AeronErrorType};
use crate::owned::{OwnedExclusivePublication, OwnedSubscription};
use crate::pubsub::{IntoChannel, OfferStatus};
use crate::subscription::AeronFragmentClosureAssembler;
use crate::{Aeron, AeronHeader, AeronImage, AeronSubscription, Handlers};

/// First byte of every topic message.
pub const MAGIC: u8 = 0xA7;
/// Encoding version.
pub const VERSION: u8 = 1;
/// Length of the header in front of the topic bytes.
pub const HEADER_LENGTH: usize = 8;
/// Most patterns one [`TopicSubscriber`] may hold (one bit each in a `u64`).
pub const MAX_SUBSCRIPTIONS: usize = 64;

/// What went wrong with a topic, a pattern, or the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TopicError {
    /// The topic or pattern is empty or does not start with `/`.
    MissingLeadingSlash(String),
    /// A level is empty (`//`, or a trailing `/`).
    EmptyLevel(String),
    /// A publish topic contains `*` or `#`.
    WildcardInTopic(String),
    /// `*` or `#` is part of a level instead of the whole level, or `#` is not last.
    MisplacedWildcard(String),
    /// The topic is longer than the configured maximum.
    TooLong {
        /// Its length.
        length: usize,
        /// The maximum.
        max: usize,
    },
    /// A NUL byte in the topic.
    NulByte(String),
    /// The subscriber already holds the configured maximum of patterns.
    TooManySubscriptions {
        /// The maximum.
        max: usize,
    },
    /// The stream is back pressured: the message was not published (retry).
    BufferFull,
    /// No subscriber is connected: the message was not published.
    NotConnected,
    /// An Aeron error (closed publication, driver timeout, ...).
    Aeron(AeronCError),
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingLeadingSlash(t) => write!(f, "topic {t:?} must start with '/'"),
            Self::EmptyLevel(t) => write!(f, "topic {t:?} has an empty level"),
            Self::WildcardInTopic(t) => write!(f, "topic {t:?} has a wildcard: only patterns may"),
            Self::MisplacedWildcard(t) => {
                write!(f, "pattern {t:?}: '*' and '#' must be whole levels, '#' only the last")
            }
            Self::TooLong { length, max } => write!(f, "topic is {length} bytes, longer than the maximum {max}"),
            Self::NulByte(t) => write!(f, "topic {t:?} has a NUL byte"),
            Self::TooManySubscriptions { max } => write!(f, "at most {max} subscriptions per subscriber"),
            Self::BufferFull => f.write_str("buffer full: the stream is back pressured, retry"),
            Self::NotConnected => f.write_str("no subscriber is connected"),
            Self::Aeron(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TopicError {}

impl From<AeronCError> for TopicError {
    fn from(e: AeronCError) -> Self {
        TopicError::Aeron(e)
    }
}

/// Limits and stream of a topic bus. Defaults: `aeron:ipc`, stream 4000, topics up to 256
/// bytes, [`MAX_SUBSCRIPTIONS`] patterns, 4096 cached topics, 5 s waits, Aeron's term length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfig {
    /// The channel carrying the bus (`aeron:ipc`, `aeron:udp?endpoint=...`, multicast...).
    pub channel: String,
    /// The stream id of the bus.
    pub stream_id: i32,
    /// Longest topic name in bytes.
    pub max_topic_length: usize,
    /// Most patterns per subscriber (at most [`MAX_SUBSCRIPTIONS`]).
    pub max_subscriptions: usize,
    /// Entries of a subscriber's "(session, topic id) → matches" cache.
    pub topic_cache_capacity: usize,
    /// Term length of the publisher's log (the buffer size: 3 terms), `None` for Aeron's default.
    pub term_length: Option<u32>,
    /// Bound of the waits (adds, connection, blocking publishes).
    pub timeout: Duration,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            channel: "aeron:ipc".to_owned(),
            stream_id: 4000,
            max_topic_length: 256,
            max_subscriptions: MAX_SUBSCRIPTIONS,
            topic_cache_capacity: 4096,
            term_length: None,
            timeout: Duration::from_secs(5),
        }
    }
}

impl TopicConfig {
    fn publication_channel(&self) -> Result<std::ffi::CString, AeronCError> {
        match self.term_length {
            None => self.channel.as_str().into_channel(),
            Some(length) => {
                let separator = if self.channel.contains('?') { '|' } else { '?' };
                format!("{}{separator}term-length={length}", self.channel).into_channel()
            }
        }
    }
}

fn check_common(topic: &str, max: usize) -> Result<(), TopicError> {
    if topic.len() > max {
        return Err(TopicError::TooLong {
            length: topic.len(),
            max,
        });
    }
    if !topic.starts_with('/') {
        return Err(TopicError::MissingLeadingSlash(topic.to_owned()));
    }
    if topic.contains('\0') {
        return Err(TopicError::NulByte(topic.to_owned()));
    }
    if topic[1..].split('/').any(str::is_empty) {
        return Err(TopicError::EmptyLevel(topic.to_owned()));
    }
    Ok(())
}

/// Checks a publish topic (no wildcards).
pub fn validate_topic(topic: &str, max_length: usize) -> Result<(), TopicError> {
    check_common(topic, max_length)?;
    if topic.contains(['*', '#']) {
        return Err(TopicError::WildcardInTopic(topic.to_owned()));
    }
    Ok(())
}

/// A checked publish topic (Roker's `Topic`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Topic(String);

impl Topic {
    /// Checks `name` with the default maximum length.
    pub fn new(name: &str) -> Result<Topic, TopicError> {
        validate_topic(name, TopicConfig::default().max_topic_length)?;
        Ok(Topic(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A topic read off the bus (checked by its publisher).
    pub(crate) fn received(name: &str) -> Topic {
        Topic(name.to_owned())
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    Exact(Box<str>),
    One,
    Rest,
}

/// A compiled subscription pattern.
///
/// ```
/// # use rusteron_client::topic::*;
/// let p = TopicPattern::new("/sensors/*/temperature")?;
/// assert!(p.matches("/sensors/room1/temperature"));
/// assert!(!p.matches("/sensors/room1/b/temperature"));
/// let all = TopicPattern::new("/sensors/#")?;
/// assert!(all.matches("/sensors/room1/humidity") && all.matches("/sensors"));
/// assert_eq!(TopicPattern::new("/a/b#").unwrap_err(), TopicError::MisplacedWildcard("/a/b#".into()));
/// # Ok::<(), TopicError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPattern {
    text: String,
    /// Length of the literal text before the `/` of the first wildcard: a cheap first reject.
    prefix_len: usize,
    /// How many levels the prefix covers (the walk starts after them).
    prefix_levels: usize,
    levels: Vec<Level>,
    exact: bool,
}

impl TopicPattern {
    /// Compiles `pattern` with the default maximum length.
    pub fn new(pattern: &str) -> Result<TopicPattern, TopicError> {
        Self::with_max_length(pattern, TopicConfig::default().max_topic_length)
    }

    /// Compiles `pattern`, at most `max_length` bytes.
    pub fn with_max_length(pattern: &str, max_length: usize) -> Result<TopicPattern, TopicError> {
        check_common(pattern, max_length)?;
        let parts: Vec<&str> = pattern[1..].split('/').collect();
        let mut levels = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            levels.push(match *part {
                "*" => Level::One,
                "#" if i + 1 == parts.len() => Level::Rest,
                p if p.contains(['*', '#']) => return Err(TopicError::MisplacedWildcard(pattern.to_owned())),
                p => Level::Exact(p.into()),
            });
        }
        if levels.contains(&Level::Rest) && levels.last() != Some(&Level::Rest) {
            return Err(TopicError::MisplacedWildcard(pattern.to_owned()));
        }
        // A wildcard always follows a '/': the prefix stops before it, so "/a/#" still
        // matches "/a".
        let wildcard = pattern.find(['*', '#']);
        let exact = wildcard.is_none();
        let prefix_len = wildcard.map_or(pattern.len(), |w| w - 1);
        let prefix_levels = levels.iter().take_while(|l| matches!(l, Level::Exact(_))).count();
        Ok(TopicPattern {
            text: pattern.to_owned(),
            prefix_len,
            prefix_levels,
            levels,
            exact,
        })
    }

    /// The pattern's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when `topic` (a valid topic) matches. Allocates nothing.
    #[inline]
    pub fn matches(&self, topic: &str) -> bool {
        if self.exact {
            return topic == self.text;
        }
        let t = topic.as_bytes();
        let prefix = &self.text.as_bytes()[..self.prefix_len];
        if !t.starts_with(prefix) {
            return false;
        }
        // The prefix is whole levels: the topic must end or start a level right after it.
        let mut pos = match t.get(self.prefix_len) {
            None => t.len() + 1,
            Some(b'/') => self.prefix_len + 1,
            Some(_) => return false,
        };
        // Walk the rest level by level (no iterator, no allocation).
        for level in &self.levels[self.prefix_levels..] {
            match level {
                Level::Rest => return true,
                Level::One => {
                    if pos >= t.len() {
                        return false;
                    }
                    pos = match t[pos..].iter().position(|&b| b == b'/') {
                        Some(i) => pos + i + 1,
                        None => t.len() + 1,
                    };
                }
                Level::Exact(text) => {
                    let l = text.as_bytes();
                    let end = pos + l.len();
                    if end > t.len() || &t[pos..end] != l || (end < t.len() && t[end] != b'/') {
                        return false;
                    }
                    pos = end + 1;
                }
            }
        }
        pos > t.len()
    }
}

/// Identifies one pattern of a [`TopicSubscriber`] (its bit in [`TopicMessage::matched`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubscriptionId(u8);

impl SubscriptionId {
    /// The bit of this subscription in a match mask.
    pub fn bit(self) -> u64 {
        1 << self.0
    }
}

/// A set of patterns, matched against a topic into a bit mask.
///
/// Each pattern has a one-word pre-filter (the first bytes of its literal prefix and the
/// level counts it accepts), kept in one contiguous array: a topic is measured once (its
/// first eight bytes, its level count) and most patterns are rejected with two compares,
/// before any byte walk.
///
/// ```
/// # use rusteron_client::topic::*;
/// let mut m = TopicMatcher::default();
/// let one = m.add(TopicPattern::new("/sensors/*/temperature")?, 64)?;
/// let all = m.add(TopicPattern::new("/sensors/#")?, 64)?;
/// assert_eq!(m.matches("/sensors/room1/temperature"), one.bit() | all.bit());
/// assert_eq!(m.matches("/sensors/room1/humidity"), all.bit());
/// assert_eq!(m.matches("/market/eu"), 0);
/// # Ok::<(), TopicError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TopicMatcher {
    patterns: Vec<Option<TopicPattern>>,
    filters: Vec<Filter>,
}

/// The cheap first test of one pattern: `topic_head & mask == head` and the topic's level
/// count within `min_levels..=max_levels`.
#[derive(Debug, Clone, Copy)]
struct Filter {
    head: u64,
    mask: u64,
    min_levels: u32,
    max_levels: u32,
}

impl Filter {
    /// Accepts nothing (a removed pattern's slot).
    const NONE: Filter = Filter {
        head: 0,
        mask: 0,
        min_levels: u32::MAX,
        max_levels: 0,
    };

    fn of(pattern: &TopicPattern) -> Filter {
        let known = pattern.prefix_len.min(8);
        let head = head_word(&pattern.text.as_bytes()[..known]);
        let mask = if known == 8 {
            u64::MAX
        } else {
            (1u64 << (known * 8)) - 1
        };
        let levels = pattern.levels.len() as u32;
        let (min_levels, max_levels) = match pattern.levels.last() {
            // "/a/#" also matches "/a" itself.
            Some(Level::Rest) => (levels - 1, u32::MAX),
            _ => (levels, levels),
        };
        Filter {
            head,
            mask,
            min_levels,
            max_levels,
        }
    }

    #[inline]
    fn admits(&self, head: u64, levels: u32) -> bool {
        head & self.mask == self.head && levels >= self.min_levels && levels <= self.max_levels
    }
}

/// Up to the first eight bytes of `bytes`, little-endian, zero-padded.
#[inline]
fn head_word(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(word)
}

impl TopicMatcher {
    /// Adds a pattern (at most `max` in total).
    pub fn add(&mut self, pattern: TopicPattern, max: usize) -> Result<SubscriptionId, TopicError> {
        let max = max.min(MAX_SUBSCRIPTIONS);
        let slot = match self.patterns.iter().position(Option::is_none) {
            Some(i) => i,
            None if self.patterns.len() < max => {
                self.patterns.push(None);
                self.filters.push(Filter::NONE);
                self.patterns.len() - 1
            }
            None => return Err(TopicError::TooManySubscriptions { max }),
        };
        self.filters[slot] = Filter::of(&pattern);
        self.patterns[slot] = Some(pattern);
        Ok(SubscriptionId(slot as u8))
    }

    /// Removes a pattern; true if it was there.
    pub fn remove(&mut self, id: SubscriptionId) -> bool {
        let slot = id.0 as usize;
        match self.patterns.get_mut(slot).and_then(Option::take) {
            Some(_) => {
                self.filters[slot] = Filter::NONE;
                true
            }
            None => false,
        }
    }

    /// The mask of the patterns `topic` matches. Allocates nothing.
    #[inline]
    pub fn matches(&self, topic: &str) -> u64 {
        let bytes = topic.as_bytes();
        let head = head_word(bytes);
        // A valid topic starts with '/': one level per '/'.
        let levels = bytes.iter().filter(|&&b| b == b'/').count() as u32;
        let mut mask = 0;
        for (i, filter) in self.filters.iter().enumerate() {
            if filter.admits(head, levels) {
                if let Some(p) = &self.patterns[i] {
                    if p.matches(topic) {
                        mask |= 1 << i;
                    }
                }
            }
        }
        mask
    }
}

/// What a [`TopicSubscriber`] consults per message: "(session id, topic id) → match mask",
/// open addressing over `u64` keys, cleared when half full or stale. Public for benchmarks.
#[derive(Debug)]
pub struct MatchCache {
    keys: Vec<u64>,
    masks: Vec<u64>,
    len: usize,
}

const EMPTY: u64 = u64::MAX;

impl MatchCache {
    /// A cache for about `capacity` topics.
    pub fn new(capacity: usize) -> Self {
        let slots = (capacity.max(8) * 2).next_power_of_two();
        MatchCache {
            keys: vec![EMPTY; slots],
            masks: vec![0; slots],
            len: 0,
        }
    }

    #[inline]
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & (self.keys.len() - 1)
    }

    /// The key of a message: its session id and topic id.
    #[inline]
    pub fn key(session_id: i32, topic_id: u32) -> u64 {
        (session_id as u32 as u64) << 32 | topic_id as u64
    }

    /// The cached mask of `key`.
    #[inline]
    pub fn get(&self, key: u64) -> Option<u64> {
        let mut i = self.slot(key);
        loop {
            match self.keys[i] {
                k if k == key => return Some(self.masks[i]),
                EMPTY => return None,
                _ => i = (i + 1) & (self.keys.len() - 1),
            }
        }
    }

    /// Caches `mask` for `key` (clearing everything first when half full).
    pub fn insert(&mut self, key: u64, mask: u64) {
        if self.len * 2 >= self.keys.len() {
            self.clear();
        }
        let mut i = self.slot(key);
        while self.keys[i] != EMPTY && self.keys[i] != key {
            i = (i + 1) & (self.keys.len() - 1);
        }
        if self.keys[i] == EMPTY {
            self.len += 1;
        }
        self.keys[i] = key;
        self.masks[i] = mask;
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.keys.fill(EMPTY);
        self.len = 0;
    }
}

/// Publishes messages under topics on the bus: one thread at a time (`Send`), its own
/// Aeron session (an exclusive publication).
#[derive(Debug)]
pub struct TopicPublisher {
    publication: OwnedExclusivePublication,
    /// Topic name → index into `headers`.
    ids: HashMap<String, u32>,
    /// Encoded header + topic bytes per topic id.
    headers: Vec<Box<[u8]>>,
    max_topic_length: usize,
    timeout: Duration,
}

/// A topic registered with a [`TopicPublisher`]: publishing through it skips the name lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicHandle(u32);

impl TopicPublisher {
    /// Adds the bus's publication (waits up to the config's timeout).
    pub fn new(aeron: &Aeron, config: &TopicConfig) -> Result<TopicPublisher, TopicError> {
        let channel = config.publication_channel()?;
        let publication = aeron.add_exclusive_publication(&channel, config.stream_id, config.timeout)?;
        let publication = publication.into_owned().map_err(|e| e.error())?;
        Ok(TopicPublisher {
            publication,
            ids: HashMap::new(),
            headers: Vec::new(),
            max_topic_length: config.max_topic_length,
            timeout: config.timeout,
        })
    }

    /// Registers (once) and returns the handle of `topic`.
    pub fn topic(&mut self, topic: &str) -> Result<TopicHandle, TopicError> {
        if let Some(&id) = self.ids.get(topic) {
            return Ok(TopicHandle(id));
        }
        validate_topic(topic, self.max_topic_length.min(u16::MAX as usize))?;
        let id = self.headers.len() as u32;
        let mut header = Vec::with_capacity(HEADER_LENGTH + topic.len());
        header.extend_from_slice(&[MAGIC, VERSION]);
        header.extend_from_slice(&(topic.len() as u16).to_le_bytes());
        header.extend_from_slice(&id.to_le_bytes());
        header.extend_from_slice(topic.as_bytes());
        self.headers.push(header.into_boxed_slice());
        self.ids.insert(topic.to_owned(), id);
        Ok(TopicHandle(id))
    }

    /// Publishes `payload` under a registered topic, once: [`TopicError::BufferFull`] when
    /// back pressured, [`TopicError::NotConnected`] without subscribers. Allocates nothing.
    #[inline]
    pub fn publish_to(&self, topic: TopicHandle, payload: &[u8]) -> Result<i64, TopicError> {
        let header = &self.headers[topic.0 as usize];
        match OfferStatus::from_result(self.publication.offerv(&[header, payload]))? {
            OfferStatus::Published(position) => Ok(position),
            OfferStatus::BackPressured | OfferStatus::AdminAction => Err(TopicError::BufferFull),
            OfferStatus::NotConnected => Err(TopicError::NotConnected),
            OfferStatus::Closed => Err(AeronCError::from_code(-4).into()),
            OfferStatus::MaxPositionExceeded => Err(AeronCError::from_code(-5).into()),
        }
    }

    /// Publishes `payload` under `topic` once (see [`publish_to`](Self::publish_to)). The
    /// first use of a topic registers it (one allocation); later ones look it up.
    pub fn publish(&mut self, topic: &str, payload: &[u8]) -> Result<i64, TopicError> {
        let handle = self.topic(topic)?;
        self.publish_to(handle, payload)
    }

    /// Publishes, retrying back pressure and "not connected" up to the config's timeout.
    pub fn publish_blocking(&mut self, topic: &str, payload: &[u8]) -> Result<i64, TopicError> {
        let handle = self.topic(topic)?;
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.publish_to(handle, payload) {
                Err(TopicError::BufferFull | TopicError::NotConnected) if Instant::now() < deadline => {
                    std::thread::yield_now()
                }
                Err(TopicError::BufferFull | TopicError::NotConnected) => {
                    return Err(AeronCError::with_message(
                        AeronErrorType::TimedOut,
                        format!("publish not accepted within {:?}", self.timeout),
                    )
                    .into())
                }
                result => return result,
            }
        }
    }

    /// The bound of this publisher's waits.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Waits up to the config's timeout for a subscriber.
    pub fn wait_connected(&self) -> Result<(), TopicError> {
        let deadline = Instant::now() + self.timeout;
        while !self.publication.is_connected() {
            if Instant::now() >= deadline || self.publication.is_closed() {
                return Err(TopicError::NotConnected);
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        Ok(())
    }

    /// Session id, stream id and size limits of the bus publication.
    pub fn info(&self) -> Result<crate::owned::PublicationInfo, TopicError> {
        Ok(self.publication.constants()?)
    }

    /// The longest payload `publish` accepts for `topic`.
    pub fn max_payload(&self, topic: &str) -> Result<usize, TopicError> {
        let info = self.publication.constants()?;
        Ok(info.max_message_length - HEADER_LENGTH - topic.len())
    }
}

/// One received message: topic and payload borrowed from the log for this callback only.
pub struct TopicMessage<'a> {
    topic: &'a str,
    payload: &'a [u8],
    matched: u64,
    header: AeronHeader<'a>,
}

impl<'a> TopicMessage<'a> {
    /// The topic it was published under.
    #[inline]
    pub fn topic(&self) -> &'a str {
        self.topic
    }

    /// The payload (zero copy).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The mask of this subscriber's patterns that matched (see [`SubscriptionId::bit`]).
    #[inline]
    pub fn matched(&self) -> u64 {
        self.matched
    }

    /// True when the pattern `id` matched.
    #[inline]
    pub fn matches(&self, id: SubscriptionId) -> bool {
        self.matched & id.bit() != 0
    }

    /// The stream position after this message.
    pub fn position(&self) -> i64 {
        self.header.position()
    }
}

impl fmt::Debug for TopicMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopicMessage")
            .field("topic", &self.topic)
            .field("len", &self.payload.len())
            .field("matched", &self.matched)
            .finish()
    }
}

/// Decodes a topic message: (topic id, topic, payload), or `None` when malformed.
#[inline]
pub fn decode(message: &[u8]) -> Option<(u32, &str, &[u8])> {
    if message.len() < HEADER_LENGTH || message[0] != MAGIC || message[1] != VERSION {
        return None;
    }
    let topic_len = u16::from_le_bytes([message[2], message[3]]) as usize;
    let id = u32::from_le_bytes([message[4], message[5], message[6], message[7]]);
    let topic = message.get(HEADER_LENGTH..HEADER_LENGTH + topic_len)?;
    let topic = std::str::from_utf8(topic).ok()?;
    Some((id, topic, &message[HEADER_LENGTH + topic_len..]))
}

/// Receives the bus's messages whose topic matches one of its patterns: one thread at a
/// time (`Send`).
pub struct TopicSubscriber {
    subscription: OwnedSubscription,
    assembler: AeronFragmentClosureAssembler,
    matcher: TopicMatcher,
    cache: MatchCache,
    /// Bumped by the image handlers (conductor thread) when publishers come or go.
    images: Arc<AtomicU64>,
    seen_images: u64,
    max_subscriptions: usize,
    max_topic_length: usize,
    malformed: u64,
}

impl fmt::Debug for TopicSubscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopicSubscriber")
            .field("matcher", &self.matcher)
            .field("malformed", &self.malformed)
            .finish()
    }
}

impl TopicSubscriber {
    /// Adds the bus's subscription (waits up to the config's timeout).
    pub fn new(aeron: &Aeron, config: &TopicConfig) -> Result<TopicSubscriber, TopicError> {
        let channel = config.channel.as_str().into_channel()?;
        let images = Arc::new(AtomicU64::new(0));
        let (came, went) = (images.clone(), images.clone());
        let mut on_available = Handlers::leak(move |_s: AeronSubscription, _i: AeronImage| {
            came.fetch_add(1, Ordering::Release);
        });
        let mut on_unavailable = Handlers::leak(move |_s: AeronSubscription, _i: AeronImage| {
            went.fetch_add(1, Ordering::Release);
        });
        let subscription = aeron.add_subscription(
            &channel,
            config.stream_id,
            Some(&on_available),
            Some(&on_unavailable),
            config.timeout,
        );
        // The subscription keeps its own share of the handlers.
        on_available.release();
        on_unavailable.release();
        let subscription = subscription?.into_owned().map_err(|e| e.error())?;
        Ok(TopicSubscriber {
            subscription,
            assembler: AeronFragmentClosureAssembler::new()?,
            matcher: TopicMatcher::default(),
            cache: MatchCache::new(config.topic_cache_capacity),
            images,
            seen_images: u64::MAX,
            max_subscriptions: config.max_subscriptions,
            max_topic_length: config.max_topic_length,
            malformed: 0,
        })
    }

    /// Subscribes to `pattern` (`*` one level, `#` the rest).
    pub fn subscribe(&mut self, pattern: &str) -> Result<SubscriptionId, TopicError> {
        let pattern = TopicPattern::with_max_length(pattern, self.max_topic_length)?;
        let id = self.matcher.add(pattern, self.max_subscriptions)?;
        self.cache.clear();
        Ok(id)
    }

    /// Drops the pattern `id`; true if it was subscribed.
    pub fn unsubscribe(&mut self, id: SubscriptionId) -> bool {
        self.cache.clear();
        self.matcher.remove(id)
    }

    /// Messages that were not topic messages (skipped).
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// True when a publisher is connected.
    pub fn is_connected(&self) -> bool {
        self.subscription.is_connected()
    }

    /// One poll of up to `fragment_limit` fragments; `f` gets each matching message.
    /// Returns the fragments read. Allocates nothing once every topic was seen.
    #[inline]
    pub fn poll_limit<F: FnMut(TopicMessage<'_>)>(
        &mut self,
        mut f: F,
        fragment_limit: usize,
    ) -> Result<usize, TopicError> {
        let images = self.images.load(Ordering::Acquire);
        if images != self.seen_images {
            self.cache.clear();
            self.seen_images = images;
        }
        let cache = &mut self.cache;
        let matcher = &self.matcher;
        let malformed = &mut self.malformed;
        let seen_images = self.seen_images;
        let images = &self.images;
        let read = self.assembler.poll(
            self.subscription.shared(),
            |message: &[u8], header: AeronHeader| {
                let Some((id, topic, payload)) = decode(message) else {
                    *malformed += 1;
                    return;
                };
                // An image that joined during this poll may reuse a session id: start over.
                if images.load(Ordering::Acquire) != seen_images {
                    cache.clear();
                }
                let mut values = rusteron_sys::aeron_header_values_t::default();
                // SAFETY: the header is valid during this callback; values is on the stack.
                unsafe { rusteron_sys::aeron_header_values(header.get_inner(), &mut values) };
                let key = MatchCache::key(values.frame.session_id, id);
                let matched = match cache.get(key) {
                    Some(mask) => mask,
                    None => {
                        let mask = matcher.matches(topic);
                        cache.insert(key, mask);
                        mask
                    }
                };
                if matched != 0 {
                    f(TopicMessage {
                        topic,
                        payload,
                        matched,
                        header,
                    });
                }
            },
            fragment_limit,
        )?;
        Ok(read as usize)
    }

    /// [`poll_limit`](Self::poll_limit) with a limit of 10 fragments.
    #[inline]
    pub fn poll<F: FnMut(TopicMessage<'_>)>(&mut self, f: F) -> Result<usize, TopicError> {
        self.poll_limit(f, 10)
    }

    /// Waits up to `timeout` for a publisher.
    pub fn wait_connected(&self, timeout: Duration) -> Result<(), TopicError> {
        let deadline = Instant::now() + timeout;
        while !self.subscription.is_connected() {
            if Instant::now() >= deadline || self.subscription.is_closed() {
                return Err(TopicError::NotConnected);
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        Ok(())
    }
}
