//! A `Broker`-shaped facade over the topic bus, for code written against Roker: register
//! clients, subscribe a client to a pattern, publish a [`Message`], receive for a client.
//!
//! There is no broker process: each registered client is a [`TopicSubscriber`] on the
//! bus stream and the broker publishes through one [`TopicPublisher`]; other processes
//! (or hosts, over UDP) on the same channel and stream see the same messages. `Broker` is
//! `Send + Sync` (share it in an `Arc`); each client's state sits behind its own mutex.
//!
//! ```
//! use rusteron_client::broker::*;
//! # fn main() -> Result<(), Error> {
//! let driver = rusteron_media_driver::launch_for_tests()?;
//! let aeron = rusteron_client::Aeron::builder().dir(driver.dir()).connect()?;
//! let broker = std::sync::Arc::new(Broker::new(&aeron, BrokerConfig::default())?);
//! let subscriber = broker.register_client("subscriber")?;
//! broker.subscribe(&subscriber, "/sensors/#")?;
//! broker.publish(Message::new(Topic::new("/sensors/temperature")?, b"25.5".to_vec()))?;
//! let message = broker.receive(&subscriber)?;
//! assert_eq!((message.topic.as_str(), &message.payload[..]), ("/sensors/temperature", &b"25.5"[..]));
//! # Ok(()) }
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::AeronCError;
pub use crate::topic::{Topic, TopicError};
use crate::topic::{TopicConfig, TopicPublisher, TopicSubscriber};
use crate::Aeron;

/// Errors of the broker facade.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bus is back pressured: the message was not published.
    BufferFull,
    /// No message arrived for the client within the receive timeout.
    NoMessage,
    /// The client id was never registered (or was unregistered).
    UnknownClient(String),
    /// The broker already has `max_clients` clients.
    TooManyClients(usize),
    /// A bad topic or pattern, or too many subscriptions.
    Topic(TopicError),
    /// An Aeron error.
    Aeron(AeronCError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BufferFull => f.write_str("buffer full: the bus is back pressured, retry"),
            Self::NoMessage => f.write_str("no message within the receive timeout"),
            Self::UnknownClient(id) => write!(f, "unknown client {id:?}"),
            Self::TooManyClients(max) => write!(f, "the broker already has its maximum of {max} clients"),
            Self::Topic(e) => write!(f, "{e}"),
            Self::Aeron(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<TopicError> for Error {
    fn from(e: TopicError) -> Self {
        match e {
            TopicError::BufferFull => Error::BufferFull,
            TopicError::Aeron(e) => Error::Aeron(e),
            e => Error::Topic(e),
        }
    }
}

impl From<AeronCError> for Error {
    fn from(e: AeronCError) -> Self {
        Error::Aeron(e)
    }
}

/// Broker options (Roker's fields, plus the bus stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerConfig {
    /// A name for logs.
    pub name: String,
    /// Log buffer size of the bus publication in bytes (three terms; rounded to a power of two).
    pub buffer_size: usize,
    /// Most registered clients.
    pub max_clients: usize,
    /// Most patterns per client.
    pub max_subscriptions_per_client: usize,
    /// How long [`Broker::receive`] waits for a message.
    pub receive_timeout: Duration,
    /// The bus (channel, stream, limits).
    pub topics: TopicConfig,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            name: "rusteron-broker".to_owned(),
            buffer_size: 3 * 1024 * 1024,
            max_clients: 1000,
            max_subscriptions_per_client: 64,
            receive_timeout: Duration::from_secs(1),
            topics: TopicConfig::default(),
        }
    }
}

/// A message with an owned topic and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The topic.
    pub topic: Topic,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Message {
    /// A message under `topic`.
    pub fn new(topic: Topic, payload: Vec<u8>) -> Message {
        Message { topic, payload }
    }
}

/// A registered client's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

struct Client {
    subscriber: TopicSubscriber,
    queue: VecDeque<Message>,
}

/// The facade. See the module docs.
pub struct Broker {
    aeron: Aeron,
    config: BrokerConfig,
    publisher: Mutex<TopicPublisher>,
    clients: Mutex<HashMap<ClientId, std::sync::Arc<Mutex<Client>>>>,
    next_id: Mutex<u64>,
}

impl fmt::Debug for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broker").field("config", &self.config).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Broker {
    /// Creates the broker's bus publication on `aeron`.
    pub fn new(aeron: &Aeron, config: BrokerConfig) -> Result<Broker, Error> {
        let mut topics = config.topics.clone();
        if topics.term_length.is_none() {
            let term = (config.buffer_size / 3).clamp(64 * 1024, 1 << 30).next_power_of_two();
            topics.term_length = Some(term as u32);
        }
        topics.max_subscriptions = config.max_subscriptions_per_client;
        let publisher = TopicPublisher::new(aeron, &topics)?;
        Ok(Broker {
            aeron: aeron.clone(),
            config: BrokerConfig { topics, ..config },
            publisher: Mutex::new(publisher),
            clients: Mutex::new(HashMap::new()),
            next_id: Mutex::new(0),
        })
    }

    /// Registers a client and waits (up to the bus timeout) until it receives the bus.
    pub fn register_client(&self, name: &str) -> Result<ClientId, Error> {
        if lock(&self.clients).len() >= self.config.max_clients {
            return Err(Error::TooManyClients(self.config.max_clients));
        }
        let subscriber = TopicSubscriber::new(&self.aeron, &self.config.topics)?;
        subscriber.wait_connected(self.config.topics.timeout)?;
        let id = {
            let mut next = lock(&self.next_id);
            *next += 1;
            ClientId(format!("{name}-{}", *next))
        };
        let client = Client {
            subscriber,
            queue: VecDeque::new(),
        };
        lock(&self.clients).insert(id.clone(), std::sync::Arc::new(Mutex::new(client)));
        Ok(id)
    }

    /// Removes a client; true if it was registered.
    pub fn unregister_client(&self, id: &ClientId) -> bool {
        lock(&self.clients).remove(id).is_some()
    }

    fn client(&self, id: &ClientId) -> Result<std::sync::Arc<Mutex<Client>>, Error> {
        lock(&self.clients)
            .get(id)
            .cloned()
            .ok_or_else(|| Error::UnknownClient(id.0.clone()))
    }

    /// Subscribes `client` to `pattern` (`*` one level, `#` the rest).
    pub fn subscribe(&self, client: &ClientId, pattern: &str) -> Result<(), Error> {
        let client = self.client(client)?;
        lock(&client).subscriber.subscribe(pattern)?;
        Ok(())
    }

    /// Publishes `message` once: [`Error::BufferFull`] when the bus is back pressured.
    /// Without any subscriber the message is dropped (as by a broker with no clients).
    pub fn publish(&self, message: Message) -> Result<(), Error> {
        match lock(&self.publisher).publish(message.topic.as_str(), &message.payload) {
            Ok(_) | Err(TopicError::NotConnected) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The next message for `client`, waiting up to the receive timeout
    /// ([`Error::NoMessage`] then).
    pub fn receive(&self, client: &ClientId) -> Result<Message, Error> {
        let client = self.client(client)?;
        let mut client = lock(&client);
        let deadline = Instant::now() + self.config.receive_timeout;
        loop {
            if let Some(message) = client.queue.pop_front() {
                return Ok(message);
            }
            let Client { subscriber, queue } = &mut *client;
            let read = subscriber.poll(|m| {
                queue.push_back(Message {
                    // Validated by the publisher; kept as received.
                    topic: Topic::received(m.topic()),
                    payload: m.payload().to_vec(),
                })
            })?;
            if read == 0 {
                if Instant::now() >= deadline {
                    return Err(Error::NoMessage);
                }
                std::thread::sleep(Duration::from_micros(100));
            }
        }
    }
}
