//! Messages with a sequence number and a payload pattern derived from it, and receivers
//! that verify every byte and the order.

use std::time::{Duration, Instant};

use rusteron_client::*;

use crate::*;

/// Length of message `seq`: 8 to 264 bytes (a single frame at the default MTU, so every
/// fragment is a whole message), varying so frames are not all alike.
pub fn message_len(seq: u64) -> usize {
    8 + (seq.wrapping_mul(37) % 257) as usize
}

fn pattern_byte(seq: u64, index: usize) -> u8 {
    (seq as u8).wrapping_mul(31) ^ (index as u8).wrapping_mul(7) ^ ((seq >> 8) as u8)
}

/// Message `seq`: its sequence number (little endian) then the pattern.
pub fn message(seq: u64) -> Vec<u8> {
    let len = message_len(seq);
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&seq.to_le_bytes());
    m.extend((8..len).map(|i| pattern_byte(seq, i)));
    m
}

/// Checks what one subscriber receives: every message whole and in sequence. The first
/// error is kept (never panics inside a poll callback).
#[derive(Debug, Clone)]
pub struct Verifier {
    /// The next sequence number expected.
    pub next: u64,
    /// Messages accepted.
    pub received: u64,
    /// Payload bytes accepted.
    pub bytes: u64,
    /// Messages skipped where a gap was allowed (see [`allow_gap_once`](Self::allow_gap_once)).
    pub skipped: u64,
    gap_allowed: bool,
    error: Option<String>,
}

impl Verifier {
    /// Expects `first`, `first + 1`, ...
    pub fn starting_at(first: u64) -> Verifier {
        Verifier {
            next: first,
            received: 0,
            bytes: 0,
            skipped: 0,
            gap_allowed: false,
            error: None,
        }
    }

    /// The next message may skip ahead (a new image joins where its publisher is), once;
    /// from then on the sequence must be contiguous again.
    pub fn allow_gap_once(&mut self) {
        self.gap_allowed = true;
    }

    /// Checks one fragment.
    pub fn on_fragment(&mut self, buffer: &[u8]) {
        if self.error.is_some() {
            return;
        }
        if buffer.len() < 8 {
            self.error = Some(format!(
                "fragment of {} bytes after {} messages",
                buffer.len(),
                self.received
            ));
            return;
        }
        let seq = u64::from_le_bytes(buffer[..8].try_into().expect("8 bytes"));
        if seq != self.next {
            if self.gap_allowed && seq > self.next {
                self.skipped += seq - self.next;
                self.next = seq;
            } else {
                let kind = if seq < self.next {
                    "duplicate or reordered"
                } else {
                    "lost"
                };
                self.error = Some(format!("expected message {} but got {seq} ({kind})", self.next));
                return;
            }
        }
        self.gap_allowed = false;
        let expected = message(seq);
        if buffer != expected.as_slice() {
            let at = buffer.iter().zip(&expected).position(|(a, b)| a != b);
            self.error = Some(format!(
                "message {seq} corrupted: {} bytes (expected {}), first difference at {at:?}",
                buffer.len(),
                expected.len()
            ));
            return;
        }
        self.next += 1;
        self.received += 1;
        self.bytes += buffer.len() as u64;
    }

    /// Panics with the first error, if any.
    pub fn assert_ok(&self, who: &str) {
        if let Some(e) = &self.error {
            panic!("{who}: {e}");
        }
    }

    /// True once an error was seen.
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }
}

/// A subscription and what it received.
pub struct Receiver {
    /// Used in messages.
    pub name: String,
    /// The subscription polled.
    pub subscription: AeronSubscription,
    /// Its image events.
    pub images: ImageLog,
    /// The check of everything polled.
    pub verifier: Verifier,
}

impl Receiver {
    /// Subscribes to `channel` through `aeron`, expecting messages `first`, `first + 1`, ...
    pub fn subscribe(name: &str, aeron: &Aeron, channel: &str, stream_id: i32, first: u64) -> Receiver {
        let (subscription, images) = subscription(aeron, channel, stream_id);
        Receiver {
            name: name.to_owned(),
            subscription,
            images,
            verifier: Verifier::starting_at(first),
        }
    }

    /// The image events so far.
    pub fn image_events(&self) -> Vec<ImageEvent> {
        self.images.lock().expect("image log").clone()
    }

    /// One poll of up to 256 fragments; the number read.
    pub fn poll(&mut self) -> i32 {
        let verifier = &mut self.verifier;
        self.subscription
            .poll_once(|buffer: &[u8], _header: AeronHeader| verifier.on_fragment(buffer), 256)
            .unwrap_or_else(|e| panic!("{}: poll failed: {e}", self.name))
    }
}

/// Polls every receiver once; the fragments read.
pub fn poll_all(receivers: &mut [Receiver]) -> i32 {
    receivers.iter_mut().map(Receiver::poll).sum()
}

/// What a transfer did.
#[derive(Debug, Clone, Copy)]
pub struct Transfer {
    /// Messages published.
    pub messages: u64,
    /// Offers refused with back pressure (each retried).
    pub back_pressured: u64,
    /// From the first offer until every receiver had every message.
    pub elapsed: Duration,
}

/// Publishes messages `first..first + count` on `publication` and polls `receivers` until
/// each has received them all, verified; panics on any error or after `within`.
pub fn send_and_verify(
    publication: &AeronPublication,
    receivers: &mut [Receiver],
    first: u64,
    count: u64,
    within: Duration,
) -> Transfer {
    let start = Instant::now();
    let deadline = start + within;
    let mut back_pressured = 0;
    for seq in first..first + count {
        let m = message(seq);
        let result = offer_retrying(publication, &m, deadline, || {
            back_pressured += 1;
            if poll_all(receivers) == 0 {
                std::thread::yield_now();
            }
        });
        if let Err(kind) = result {
            let progress: Vec<String> = receivers
                .iter()
                .map(|r| format!("{}: {}", r.name, r.verifier.next))
                .collect();
            panic!("offer of message {seq} failed: {kind:?} (receivers at {progress:?})");
        }
        if seq % 64 == 0 {
            poll_all(receivers);
        }
        for r in receivers.iter() {
            r.verifier.assert_ok(&r.name);
        }
    }
    let end = first + count;
    while receivers.iter().any(|r| r.verifier.next < end) {
        if poll_all(receivers) == 0 {
            std::thread::sleep(Duration::from_micros(100));
        }
        for r in receivers.iter() {
            r.verifier.assert_ok(&r.name);
        }
        if Instant::now() >= deadline {
            let progress: Vec<String> = receivers
                .iter()
                .map(|r| format!("{} at {}", r.name, r.verifier.next))
                .collect();
            panic!("not every message {first}..{end} arrived within {within:?}: {progress:?}");
        }
    }
    for r in receivers.iter() {
        assert_eq!(r.verifier.next, end, "{} received past the end", r.name);
    }
    Transfer {
        messages: count,
        back_pressured,
        elapsed: start.elapsed(),
    }
}

/// Polls `receivers` for `period` and panics if anything more arrives (a duplicate, or a
/// message nobody sent).
pub fn assert_quiet(receivers: &mut [Receiver], period: Duration) {
    let start = Instant::now();
    while start.elapsed() < period {
        let read = poll_all(receivers);
        for r in receivers.iter() {
            r.verifier.assert_ok(&r.name);
        }
        assert_eq!(read, 0, "fragments arrived after the last message");
        std::thread::sleep(Duration::from_millis(1));
    }
}
