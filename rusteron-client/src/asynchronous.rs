//! Async use under Tokio (feature `tokio`): adds are futures, `offer_async` waits out back
//! pressure, a subscriber is a [`Stream`] of owned messages and has a borrowing
//! [`receive_async`](AsyncSubscriber::receive_async).
//!
//! Nothing here blocks a runtime thread: while there is nothing to do a task yields a few
//! times, then sleeps with an exponential back-off capped at 1 ms ([`MAX_BACKOFF`]; Tokio's
//! timer has millisecond resolution, so an idle subscriber answers within about 1 ms).
//! Every future is `Send` (spawnable on a multi-thread runtime) and cancellation-safe:
//! what an offer accepted or a poll consumed is returned in the same poll of the future,
//! so dropping a future loses nothing (a dropped add is cancelled in the driver).
//!
//! ```
//! use rusteron_client::*;
//! # fn main() -> Result<(), AeronCError> {
//! # let driver = rusteron_media_driver::launch_for_tests()?;
//! # let dir = driver.dir().to_owned();
//! tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//!     let aeron = Aeron::builder().dir(&dir).connect()?;
//!     let config = StreamConfig::ipc(77);
//!     let mut subscriber = aeron.subscriber_async(&config).await?;
//!     let mut publisher = aeron.publisher_async(&config).await?;
//!     publisher.offer_async(b"hello").await?;
//!     let bytes = subscriber.receive_async(|frame| frame.to_vec()).await?;
//!     assert_eq!(bytes, b"hello");
//!     Ok(())
//! })
//! # }
//! ```

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;

use crate::error::{AeronCError, AeronErrorType};
use crate::pubsub::{OfferStatus, Publisher, StreamConfig, Subscriber};
use crate::topic::{TopicError, TopicPublisher, TopicSubscriber};
use crate::{Aeron, AeronAsyncAddExclusivePublication, AeronAsyncAddSubscription, Handlers};

/// Longest idle sleep of a waiting task.
pub const MAX_BACKOFF: Duration = Duration::from_millis(1);
/// Idle rounds a task yields (re-scheduled at once) before it starts sleeping.
const YIELDS: u32 = 8;

/// Yields to the scheduler once (no runtime feature needed).
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The idle wait of the futures here: yields, then sleeps 1 µs, 2 µs, ... up to [`MAX_BACKOFF`].
#[derive(Debug, Default)]
pub struct Backoff {
    step: u32,
}

impl Backoff {
    /// Back to yielding (after progress).
    pub fn reset(&mut self) {
        self.step = 0;
    }

    fn next_sleep(&mut self) -> Option<Duration> {
        self.step = self.step.saturating_add(1);
        if self.step <= YIELDS {
            None
        } else {
            Some(Duration::from_micros(1u64 << (self.step - YIELDS).min(10)).min(MAX_BACKOFF))
        }
    }

    /// Waits one round.
    pub async fn wait(&mut self) {
        match self.next_sleep() {
            None => YieldNow(false).await,
            Some(d) => tokio::time::sleep(d).await,
        }
    }
}

fn timed_out(what: &str, timeout: Duration) -> AeronCError {
    AeronCError::with_message(AeronErrorType::TimedOut, format!("{what} within {timeout:?}"))
}

/// A pending add, cancelled in the driver if dropped before it completed.
struct PendingAdd<P> {
    aeron: Aeron,
    pending: P,
    cancel: fn(&Aeron, &P) -> Result<i32, AeronCError>,
    done: bool,
}

// SAFETY: the pending add handle is created inside the future that owns this value and is
// never cloned or lent out, so it is the only handle; C's async-add poll is for one thread
// at a time (the conductor completes it through atomics), which moving between polls
// preserves (the executor synchronises when it moves a task). `Aeron` is Send + Sync.
unsafe impl<P> Send for PendingAdd<P> {}

impl<P> Drop for PendingAdd<P> {
    fn drop(&mut self) {
        if !self.done {
            if let Err(e) = (self.cancel)(&self.aeron, &self.pending) {
                log::debug!("cancelling a dropped add: {e}");
            }
        }
    }
}

async fn complete<P, T>(
    mut add: PendingAdd<P>,
    timeout: Duration,
    poll: impl Fn(&P) -> Result<Option<T>, AeronCError>,
) -> Result<T, AeronCError> {
    let deadline = Instant::now() + timeout;
    let mut backoff = Backoff::default();
    loop {
        // Decide before awaiting, so no (non-Send) handle is held across the await.
        match poll(&add.pending) {
            Ok(Some(resource)) => {
                add.done = true;
                return Ok(resource);
            }
            Err(e) => {
                add.done = true;
                return Err(e);
            }
            Ok(None) => {}
        }
        if Instant::now() >= deadline {
            return Err(timed_out("add not answered", timeout));
        }
        backoff.wait().await;
    }
}

impl Aeron {
    /// [`publisher`](Aeron::publisher) as a future (`Send`; dropped early, it cancels the add).
    pub async fn publisher_async(&self, config: &StreamConfig) -> Result<Publisher, AeronCError> {
        let pending = self.async_add_exclusive_publication(config.channel(), config.stream_id())?;
        let add = PendingAdd {
            aeron: self.clone(),
            pending,
            cancel: |a: &Aeron, p: &AeronAsyncAddExclusivePublication| a.async_add_exclusive_publication_cancel(p),
            done: false,
        };
        let publication = complete(add, config.timeout(), |p| p.poll()).await?;
        Publisher::from_publication(publication, config)
    }

    /// [`subscriber`](Aeron::subscriber) as a future, returning an [`AsyncSubscriber`].
    pub async fn subscriber_async(&self, config: &StreamConfig) -> Result<AsyncSubscriber, AeronCError> {
        let pending = self.async_add_subscription(
            config.channel(),
            config.stream_id(),
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )?;
        let add = PendingAdd {
            aeron: self.clone(),
            pending,
            cancel: |a: &Aeron, p: &AeronAsyncAddSubscription| a.async_add_subscription_cancel(p),
            done: false,
        };
        let subscription = complete(add, config.timeout(), |p| p.poll()).await?;
        Ok(AsyncSubscriber::new(Subscriber::from_subscription(
            subscription,
            config,
        )?))
    }
}

impl Publisher {
    /// Offers `message`, waiting out back pressure, admin actions and "not connected" (up
    /// to the config's timeout) without blocking the runtime. Cancellation-safe: if the
    /// future is dropped, the message was either published (and this returned) or not
    /// published at all.
    pub async fn offer_async(&mut self, message: &[u8]) -> Result<i64, AeronCError> {
        let deadline = Instant::now() + self.timeout();
        let mut backoff = Backoff::default();
        loop {
            match self.offer(message)? {
                OfferStatus::Published(position) => return Ok(position),
                OfferStatus::Closed => return Err(AeronCError::from_code(-4)),
                OfferStatus::MaxPositionExceeded => return Err(AeronCError::from_code(-5)),
                _ if Instant::now() >= deadline => return Err(timed_out("offer not accepted", self.timeout())),
                _ => backoff.wait().await,
            }
        }
    }
}

/// A message copied out of the log, for the [`Stream`] of an [`AsyncSubscriber`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedFrame {
    /// The bytes.
    pub data: Vec<u8>,
    /// The stream position after the message.
    pub position: i64,
    /// The publisher's session id.
    pub session_id: i32,
}

/// A [`Subscriber`] for async code: a [`Stream`] of [`OwnedFrame`]s, and
/// [`receive_async`](Self::receive_async) that lends the frame to a closure instead.
#[derive(Debug)]
pub struct AsyncSubscriber {
    subscriber: Subscriber,
    queue: VecDeque<OwnedFrame>,
    backoff: Backoff,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl AsyncSubscriber {
    /// Wraps a subscriber.
    pub fn new(subscriber: Subscriber) -> Self {
        AsyncSubscriber {
            subscriber,
            queue: VecDeque::new(),
            backoff: Backoff::default(),
            sleep: None,
        }
    }

    /// Waits for the next message and gives it, borrowed, to `f`. Messages already queued
    /// by the stream come first. Ends with an error once the subscription or client closed.
    pub async fn receive_async<R>(&mut self, mut f: impl FnMut(crate::Frame<'_>) -> R) -> Result<R, AeronCError> {
        if !self.queue.is_empty() {
            return Err(AeronCError::with_message(
                AeronErrorType::InvalidArgument,
                "receive_async: the stream side has queued messages; drain them with the stream first",
            ));
        }
        let mut backoff = Backoff::default();
        loop {
            let mut out = None;
            let read = self.subscriber.poll_limit(|frame| out = Some(f(frame)), 1)?;
            if let Some(result) = out {
                return Ok(result);
            }
            if read > 0 {
                // A fragment of a longer message: keep reading.
                continue;
            }
            if self.subscriber.is_closed_or_client_closed() {
                return Err(AeronCError::resource_closed("subscriber (or its client)"));
            }
            backoff.wait().await;
        }
    }

    /// The synchronous subscriber inside.
    pub fn get_mut(&mut self) -> &mut Subscriber {
        &mut self.subscriber
    }
}

impl Stream for AsyncSubscriber {
    type Item = Result<OwnedFrame, AeronCError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(frame) = this.queue.pop_front() {
                return Poll::Ready(Some(Ok(frame)));
            }
            if let Some(sleep) = &mut this.sleep {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.sleep = None;
            }
            let queue = &mut this.queue;
            let read = this.subscriber.poll(|frame| {
                queue.push_back(OwnedFrame {
                    data: frame.to_vec(),
                    position: frame.position(),
                    session_id: frame.session_id(),
                })
            });
            match read {
                Err(e) => return Poll::Ready(Some(Err(e))),
                Ok(_) if !this.queue.is_empty() => this.backoff.reset(),
                Ok(_) if this.subscriber.is_closed_or_client_closed() => return Poll::Ready(None),
                Ok(_) => match this.backoff.next_sleep() {
                    None => {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    Some(d) => this.sleep = Some(Box::pin(tokio::time::sleep(d))),
                },
            }
        }
    }
}

impl TopicPublisher {
    /// Publishes, waiting out back pressure and "not connected" (up to the config's
    /// timeout) without blocking the runtime; cancellation-safe like
    /// [`Publisher::offer_async`].
    pub async fn publish_async(&mut self, topic: &str, payload: &[u8]) -> Result<i64, TopicError> {
        let handle = self.topic(topic)?;
        let deadline = Instant::now() + self.timeout();
        let mut backoff = Backoff::default();
        loop {
            match self.publish_to(handle, payload) {
                Err(TopicError::BufferFull | TopicError::NotConnected) if Instant::now() < deadline => {
                    backoff.wait().await
                }
                Err(TopicError::BufferFull | TopicError::NotConnected) => {
                    return Err(timed_out("publish not accepted", self.timeout()).into())
                }
                result => return result,
            }
        }
    }
}

impl TopicSubscriber {
    /// Waits for the next matching message and returns it owned (topic, payload, mask).
    /// Cancellation-safe: a message is consumed only in the poll that returns it.
    pub async fn recv_async(&mut self) -> Result<(String, Vec<u8>, u64), TopicError> {
        let mut backoff = Backoff::default();
        loop {
            let mut out = None;
            let read = self.poll_limit(
                |m| out = Some((m.topic().to_owned(), m.payload().to_vec(), m.matched())),
                1,
            )?;
            if let Some(message) = out {
                return Ok(message);
            }
            if read > 0 {
                // Not matching, or a fragment: keep reading.
                continue;
            }
            backoff.wait().await;
        }
    }
}
