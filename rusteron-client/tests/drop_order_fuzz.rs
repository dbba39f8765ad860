//! Drop-order and panic fuzzing against a real embedded driver.
//!
//! A seeded random walk (several seeds, a bounded number of steps each) creates clients,
//! publications, exclusive publications, subscriptions and counters, clones them, closes
//! them (logically) and drops them in random orders, offering and polling in between. It
//! checks that nothing crashes, that every operation on a closed resource (or on a child of
//! a closed client) fails with `ResourceClosed` and nothing else, and that messages keep
//! flowing between the live ones. Between steps it makes callbacks of every kind panic:
//! synchronous ones (fragment closures and handlers, controlled handlers, assemblers, block
//! and image polls, reserved value suppliers, counters foreach) must resume the panic on the
//! calling thread once C has returned; conductor-thread ones (image, new publication and
//! subscription, counter, close and error handlers) must be contained, leaving the process
//! and the client working.
//!
//! A failing seed prints its step log; rerun just that seed with `FUZZ_SEED=<n>`.

use std::any::Any;
use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::testing::{client, retry, wait_until, TIMEOUT};
use rusteron_media_driver::{launch_for_tests, EmbeddedDriver};

const CHANNEL: &CStr = c"aeron:ipc";
/// Streams the random walk uses (two, so that pairs often match).
const STREAMS: [i32; 2] = [7_101, 7_102];
const SEEDS: [u64; 6] = [1, 2, 3, 0x5eed, 0xdead_beef, 0x1234_5678_9abc];
const STEPS: usize = 70;
const MAX_CLIENTS: usize = 3;

/// splitmix64: small, seedable, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Client,
    Publication,
    Exclusive,
    Subscription,
    Counter,
}

/// One C resource (all clones of a handle share it).
#[derive(Debug)]
struct Resource {
    kind: Kind,
    /// Index of the client resource it was created from (itself for a client).
    client: usize,
    stream: i32,
    closed: bool,
}

#[derive(Clone)]
enum Handle {
    Client(Aeron),
    Publication(AeronPublication),
    Exclusive(AeronExclusivePublication),
    Subscription(AeronSubscription),
    Counter(AeronCounter),
}

/// Every synchronous callback kind: a panic in it resumes on the calling thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SyncPanic {
    PollClosure,
    PollHandler,
    ControlledPollClosure,
    ControlledPollHandler,
    FragmentAssembler,
    ControlledFragmentAssembler,
    ImagePollClosure,
    ImageControlledPollHandler,
    BlockPollClosure,
    SupplierHandler,
    SupplierClosure,
    OffervSupplierHandler,
    ForeachCounterClosure,
    ForeachCounterHandler,
}

const SYNC_PANICS: [SyncPanic; 14] = [
    SyncPanic::PollClosure,
    SyncPanic::PollHandler,
    SyncPanic::ControlledPollClosure,
    SyncPanic::ControlledPollHandler,
    SyncPanic::FragmentAssembler,
    SyncPanic::ControlledFragmentAssembler,
    SyncPanic::ImagePollClosure,
    SyncPanic::ImageControlledPollHandler,
    SyncPanic::BlockPollClosure,
    SyncPanic::SupplierHandler,
    SyncPanic::SupplierClosure,
    SyncPanic::OffervSupplierHandler,
    SyncPanic::ForeachCounterClosure,
    SyncPanic::ForeachCounterHandler,
];

#[derive(Debug, Default)]
struct Stats {
    steps: usize,
    created: usize,
    cloned: usize,
    closed: usize,
    dropped: usize,
    closed_checks: usize,
    live_checks: usize,
    flows: usize,
    released_checks: usize,
    panics: Vec<(SyncPanic, usize)>,
}

impl Stats {
    fn count_panic(&mut self, kind: SyncPanic) {
        match self.panics.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.panics.push((kind, 1)),
        }
    }
}

/// Keeps the default panic hook quiet for the panics these tests raise on purpose.
fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let expected = ["fuzz panic", "conductor panic", "controlled panic"];
            if !expected.iter().any(|p| text.starts_with(p)) {
                default(info);
            }
        }));
    });
}

fn panic_text(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<&str>() {
        Ok(s) => s.to_string(),
        Err(payload) => payload.downcast::<String>().map(|s| *s).unwrap_or_default(),
    }
}

fn none() -> Option<&'static Handler<AeronReservedValueSupplierLogger>> {
    Handlers::no_reserved_value_supplier_handler()
}

/// Asserts that `result` is `Err(ResourceClosed)`.
macro_rules! expect_closed {
    ($what:expr, $result:expr) => {
        match $result {
            Err(e) if e.kind() == AeronErrorType::ResourceClosed => {}
            Err(e) => panic!("{} on a closed resource gave {e}", $what),
            Ok(_) => panic!("{} on a closed resource succeeded", $what),
        }
    };
}

struct World<'a> {
    driver: &'a EmbeddedDriver,
    rng: Rng,
    seed: u64,
    resources: Vec<Resource>,
    handles: Vec<(usize, Handle)>,
    log: Vec<String>,
    message: u64,
    panic_round: usize,
}

impl Drop for World<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "drop-order fuzz failed with seed {} (rerun with FUZZ_SEED={}) after these steps:\n{}",
                self.seed,
                self.seed,
                self.log.join("\n")
            );
        }
    }
}

impl<'a> World<'a> {
    fn new(driver: &'a EmbeddedDriver, seed: u64) -> Self {
        World {
            driver,
            rng: Rng(seed),
            seed,
            resources: Vec::new(),
            handles: Vec::new(),
            log: Vec::new(),
            message: 0,
            panic_round: (seed % SYNC_PANICS.len() as u64) as usize,
        }
    }

    fn note(&mut self, text: String) {
        self.log.push(text);
    }

    fn is_closed(&self, resource: usize) -> bool {
        let r = &self.resources[resource];
        r.closed || self.resources[r.client].closed
    }

    fn push(&mut self, kind: Kind, client: usize, stream: i32, handle: Handle) -> usize {
        let id = self.resources.len();
        let client = if kind == Kind::Client { id } else { client };
        self.resources.push(Resource {
            kind,
            client,
            stream,
            closed: false,
        });
        self.handles.push((id, handle));
        id
    }

    fn handles_of(&self, kind: Kind) -> Vec<usize> {
        (0..self.handles.len())
            .filter(|&i| self.resources[self.handles[i].0].kind == kind)
            .collect()
    }

    fn live_handles_of(&self, kind: Kind) -> Vec<usize> {
        self.handles_of(kind)
            .into_iter()
            .filter(|&i| !self.is_closed(self.handles[i].0))
            .collect()
    }

    fn pick(&mut self, from: &[usize]) -> Option<usize> {
        (!from.is_empty()).then(|| from[self.rng.below(from.len())])
    }

    fn live_clients(&self) -> usize {
        let mut clients: Vec<usize> = self
            .live_handles_of(Kind::Client)
            .iter()
            .map(|&i| self.handles[i].0)
            .collect();
        clients.dedup();
        clients.len()
    }

    fn new_client(&mut self, stats: &mut Stats) {
        if self.live_clients() >= MAX_CLIENTS {
            return;
        }
        let aeron = client(self.driver).expect("a new client");
        let id = self.push(Kind::Client, 0, 0, Handle::Client(aeron));
        self.note(format!("new client r{id}"));
        stats.created += 1;
    }

    /// Adds a resource of `kind` through a random client handle (closed or not).
    fn add(&mut self, kind: Kind, stats: &mut Stats) {
        let clients = self.handles_of(Kind::Client);
        let Some(h) = self.pick(&clients) else {
            return self.new_client(stats);
        };
        let (client_id, Handle::Client(aeron)) = self.handles[h].clone() else {
            unreachable!()
        };
        let stream = STREAMS[self.rng.below(STREAMS.len())];
        let closed = self.is_closed(client_id);
        let handle = match kind {
            Kind::Publication => aeron.add_publication(CHANNEL, stream, TIMEOUT).map(Handle::Publication),
            Kind::Exclusive => aeron
                .add_exclusive_publication(CHANNEL, stream, TIMEOUT)
                .map(Handle::Exclusive),
            Kind::Subscription => self.add_subscription(&aeron, stream).map(Handle::Subscription),
            Kind::Counter => aeron
                .add_counter(
                    stream,
                    b"fuzz",
                    &format!("fuzz counter {}", self.resources.len()),
                    TIMEOUT,
                )
                .map(Handle::Counter),
            Kind::Client => unreachable!(),
        };
        if closed {
            expect_closed!(format!("adding a {kind:?} to closed client r{client_id}"), handle);
            self.note(format!("add {kind:?} to closed r{client_id}: ResourceClosed"));
            return;
        }
        let handle = handle.unwrap_or_else(|e| panic!("adding a {kind:?}: {e}"));
        let id = self.push(kind, client_id, stream, handle);
        self.note(format!("add {kind:?} r{id} on client r{client_id} stream {stream}"));
        stats.created += 1;
    }

    /// A subscription, sometimes with image handlers that are released at once (C keeps
    /// them alive).
    fn add_subscription(&mut self, aeron: &Aeron, stream: i32) -> Result<AeronSubscription, AeronCError> {
        if self.rng.chance(50) {
            let mut available = Handlers::leak(|_: AeronSubscription, _: AeronImage| {});
            let mut unavailable = Handlers::leak(|_: AeronSubscription, _: AeronImage| {});
            let subscription = aeron.add_subscription(CHANNEL, stream, Some(&available), Some(&unavailable), TIMEOUT);
            available.release();
            unavailable.release();
            subscription
        } else {
            aeron.add_subscription(
                CHANNEL,
                stream,
                Handlers::no_available_image_handler(),
                Handlers::no_unavailable_image_handler(),
                TIMEOUT,
            )
        }
    }

    fn clone_one(&mut self, stats: &mut Stats) {
        let all: Vec<usize> = (0..self.handles.len()).collect();
        if let Some(h) = self.pick(&all) {
            let copy = self.handles[h].clone();
            self.note(format!("clone r{}", copy.0));
            self.handles.push(copy);
            stats.cloned += 1;
        }
    }

    fn close_one(&mut self, stats: &mut Stats) {
        let all: Vec<usize> = (0..self.handles.len()).collect();
        let Some(h) = self.pick(&all) else { return };
        let (id, handle) = &self.handles[h];
        let result = match handle {
            Handle::Client(x) => x.close(),
            Handle::Publication(x) => x.close(),
            Handle::Exclusive(x) => x.close(),
            Handle::Subscription(x) => x.close(),
            Handle::Counter(x) => x.close(),
        };
        let id = *id;
        match result {
            Ok(_) => {}
            Err(e) => panic!("close of r{id} failed: {e}"),
        }
        self.resources[id].closed = true;
        self.note(format!("close r{id} ({:?})", self.resources[id].kind));
        stats.closed += 1;
    }

    fn drop_one(&mut self, stats: &mut Stats) {
        if self.handles.is_empty() {
            return;
        }
        let h = self.rng.below(self.handles.len());
        let (id, handle) = self.handles.swap_remove(h);
        drop(handle);
        self.note(format!("drop a handle of r{id}"));
        stats.dropped += 1;
    }

    /// Every operation on the handle at `h` fails with ResourceClosed if its resource (or
    /// client) is closed; otherwise the operations work.
    fn exercise(&mut self, h: usize, stats: &mut Stats) {
        let (id, handle) = self.handles[h].clone();
        let closed = self.is_closed(id);
        if closed {
            stats.closed_checks += 1;
            match &handle {
                Handle::Client(aeron) => {
                    expect_closed!("add_publication", aeron.add_publication(CHANNEL, 1, TIMEOUT));
                    expect_closed!("async_add_publication", aeron.async_add_publication(CHANNEL, 1));
                    expect_closed!(
                        "add_exclusive_publication",
                        aeron.add_exclusive_publication(CHANNEL, 1, TIMEOUT)
                    );
                    expect_closed!(
                        "add_subscription",
                        aeron.add_subscription(
                            CHANNEL,
                            1,
                            Handlers::no_available_image_handler(),
                            Handlers::no_unavailable_image_handler(),
                            TIMEOUT
                        )
                    );
                    expect_closed!("add_counter", aeron.add_counter(1, b"", "x", TIMEOUT));
                    assert!(aeron.counters_reader().is_none(), "a closed client has no reader");
                    assert_eq!(aeron.close().expect("closing again"), 0);
                }
                Handle::Publication(p) => {
                    expect_closed!("offer", p.offer(b"x", none()));
                    expect_closed!("offer_once", p.offer_once(b"x", |_: &[u8]| 0));
                    expect_closed!("offerv", p.offerv(&[b"x", b"y"], none()));
                    expect_closed!("try_claim", p.try_claim(8));
                    expect_closed!("constants", p.constants());
                    assert!(p.is_closed());
                    assert_eq!(p.position(), bindings::AERON_PUBLICATION_CLOSED as i64);
                    assert_eq!(p.channel(), "");
                }
                Handle::Exclusive(p) => {
                    expect_closed!("offer", p.offer(b"x", none()));
                    expect_closed!("offer_once", p.offer_once(b"x", |_: &[u8]| 0));
                    expect_closed!("offerv", p.offerv(&[b"x", b"y"], none()));
                    expect_closed!("try_claim", p.try_claim(8));
                    expect_closed!("append_padding", p.append_padding(64));
                    expect_closed!("constants", p.constants());
                    assert!(p.is_closed());
                    assert_eq!(p.position_limit(), bindings::AERON_PUBLICATION_CLOSED as i64);
                }
                Handle::Subscription(s) => {
                    let handler = Handlers::leak(|_: &[u8], _: AeronHeader| {});
                    expect_closed!("poll_once", s.poll_once(|_: &[u8], _: AeronHeader| {}, 10));
                    expect_closed!("poll", s.poll(Some(&handler), 10));
                    expect_closed!(
                        "controlled_poll_once",
                        s.controlled_poll_once(
                            |_: &[u8], _: AeronHeader| ControlledPollAction::AERON_ACTION_CONTINUE,
                            10
                        )
                    );
                    expect_closed!("block_poll_once", s.block_poll_once(|_: &[u8], _, _| {}, 4096));
                    expect_closed!("image_count", s.image_count());
                    expect_closed!("constants", s.constants());
                    let mut assembler = AeronFragmentClosureAssembler::new().expect("assembler");
                    expect_closed!("assembler poll", assembler.poll(s, |_: &[u8], _: AeronHeader| {}, 10));
                    assert!(s.is_closed());
                    assert!(s.image_at_index(0).is_none());
                    assert!(s.images().is_err());
                }
                Handle::Counter(c) => {
                    expect_closed!("get", c.get());
                    expect_closed!("set", c.set(1));
                    expect_closed!("increment", c.increment());
                    expect_closed!("compare_and_set", c.compare_and_set(0, 1));
                    expect_closed!("counter_id", c.counter_id());
                    expect_closed!("registration_id", c.registration_id());
                    assert!(c.is_closed());
                }
            }
            return;
        }
        stats.live_checks += 1;
        let value = self.rng.next() as i64;
        let fail = |what: &str, e: AeronCError| -> ! { panic!("{what} on a live resource r{id}: {e}") };
        let offer_ok = |result: Result<i64, AeronCError>, what: &str| match result {
            Ok(_) => {}
            Err(e) if e.is_back_pressured() || e.kind() == AeronErrorType::NullOrNotConnected => {}
            Err(e) => fail(what, e),
        };
        match &handle {
            Handle::Client(aeron) => {
                let reader = aeron.counters_reader().expect("a live client has a reader");
                assert!(reader.max_counter_id() > 0);
                assert!(!aeron.is_resource_closed());
            }
            Handle::Publication(p) => {
                assert!(!p.is_closed(), "live publication r{id} reports closed");
                offer_ok(p.offer(b"live offer", none()), "offer");
                offer_ok(p.offerv(&[b"live ", b"offerv"], none()), "offerv");
                match p.try_claim(8) {
                    Ok(mut claim) => {
                        claim.data().copy_from_slice(b"claimed!");
                        claim.commit().unwrap_or_else(|e| fail("commit", e));
                    }
                    Err(e) if e.is_back_pressured() || e.kind() == AeronErrorType::NullOrNotConnected => {}
                    Err(e) => fail("try_claim", e),
                }
                assert_eq!(p.stream_id(), self.resources[id].stream);
            }
            Handle::Exclusive(p) => {
                assert!(!p.is_closed(), "live exclusive publication r{id} reports closed");
                offer_ok(p.offer(b"live exclusive offer", none()), "offer");
                offer_ok(p.offer_once(b"live offer_once", |_: &[u8]| 7), "offer_once");
                p.constants().unwrap_or_else(|e| fail("constants", e));
            }
            Handle::Subscription(s) => {
                assert!(!s.is_closed(), "live subscription r{id} reports closed");
                s.poll_once(|_: &[u8], _: AeronHeader| {}, 10)
                    .unwrap_or_else(|e| fail("poll_once", e));
                s.image_count().unwrap_or_else(|e| fail("image_count", e));
                for image in s.images().unwrap_or_else(|e| fail("images", e)) {
                    image
                        .poll_once(|_: &[u8], _: AeronHeader| {}, 10)
                        .unwrap_or_else(|e| fail("image poll", e));
                }
            }
            Handle::Counter(c) => {
                c.set(value).unwrap_or_else(|e| fail("set", e));
                assert_eq!(c.get().unwrap_or_else(|e| fail("get", e)), value);
                let reader = self
                    .live_handles_of(Kind::Client)
                    .first()
                    .and_then(|&i| match &self.handles[i].1 {
                        Handle::Client(a) => a.counters_reader(),
                        _ => None,
                    });
                if let Some(reader) = reader {
                    let id = c.counter_id().unwrap_or_else(|e| fail("counter_id", e));
                    assert_eq!(
                        reader.counter_value(id).unwrap_or_else(|e| fail("counter_value", e)),
                        value
                    );
                }
            }
        }
    }

    /// A live publication handle (either kind) and a live subscription on the same stream.
    fn pair(&mut self) -> Option<(Handle, AeronSubscription, i32)> {
        let mut pubs = self.live_handles_of(Kind::Publication);
        pubs.extend(self.live_handles_of(Kind::Exclusive));
        let subs = self.live_handles_of(Kind::Subscription);
        let mut pairs = Vec::new();
        for &p in &pubs {
            for &s in &subs {
                if self.resources[self.handles[p].0].stream == self.resources[self.handles[s].0].stream {
                    pairs.push((p, s));
                }
            }
        }
        let (p, s) = *pairs.get(self.rng.below(pairs.len().max(1)))?;
        let Handle::Subscription(sub) = self.handles[s].1.clone() else {
            unreachable!()
        };
        let session = match &self.handles[p].1 {
            Handle::Publication(x) => x.session_id(),
            Handle::Exclusive(x) => x.constants().expect("live").session_id(),
            _ => unreachable!(),
        };
        Some((self.handles[p].1.clone(), sub, session))
    }

    /// Offers a fresh message on a live pair and polls it back.
    fn flow(&mut self, stats: &mut Stats) {
        let Some((publication, subscription, session)) = self.pair() else {
            return;
        };
        self.message += 1;
        let message = format!("seed {} message {}", self.seed, self.message).into_bytes();
        deliver(&publication, &subscription, session, &message);
        self.note(format!("flow {:?}", String::from_utf8_lossy(&message)));
        stats.flows += 1;
    }

    /// A released handler cannot be registered again, whatever it is given to.
    fn released_handler(&mut self, stats: &mut Stats) {
        let subs = self.handles_of(Kind::Subscription);
        let Some(h) = self.pick(&subs) else { return };
        let (id, Handle::Subscription(s)) = self.handles[h].clone() else {
            unreachable!()
        };
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        let mut handler = Handlers::leak(move |_: &[u8], _: AeronHeader| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let closed = self.is_closed(id);
        if closed {
            expect_closed!("poll with a handler", s.poll(Some(&handler), 10));
        } else {
            s.poll(Some(&handler), 10).expect("poll with a live handler");
        }
        handler.release();
        let e = s.poll(Some(&handler), 10).expect_err("a released handler");
        let expected = if closed {
            AeronErrorType::ResourceClosed
        } else {
            AeronErrorType::InvalidArgument
        };
        assert_eq!(e.kind(), expected, "poll with a released handler: {e}");
        // Registering a released image handler with a new subscription.
        let clients = self.live_handles_of(Kind::Client);
        if let Some(c) = self.pick(&clients) {
            let Handle::Client(aeron) = self.handles[c].1.clone() else {
                unreachable!()
            };
            let mut image_handler = Handlers::leak(|_: AeronSubscription, _: AeronImage| {});
            image_handler.release();
            let e = aeron
                .add_subscription(
                    CHANNEL,
                    STREAMS[0],
                    Some(&image_handler),
                    Handlers::no_unavailable_image_handler(),
                    TIMEOUT,
                )
                .expect_err("a released image handler");
            assert_eq!(e.kind(), AeronErrorType::InvalidArgument, "released image handler: {e}");
        }
        self.note(format!("released handler on r{id}"));
        stats.released_checks += 1;
    }

    /// Makes the next synchronous callback kind panic on a live pair (or reader).
    fn sync_panic(&mut self, stats: &mut Stats) {
        let kind = SYNC_PANICS[self.panic_round % SYNC_PANICS.len()];
        let needs_pair = !matches!(
            kind,
            SyncPanic::ForeachCounterClosure | SyncPanic::ForeachCounterHandler
        );
        if needs_pair {
            let Some((publication, subscription, session)) = self.pair() else {
                return;
            };
            self.panic_round += 1;
            self.message += 1;
            let message = format!("seed {} panic {kind:?} {}", self.seed, self.message).into_bytes();
            panic_in(kind, &publication, &subscription, session, &message);
            // The pair keeps working.
            self.message += 1;
            let after = format!("seed {} after {kind:?} {}", self.seed, self.message).into_bytes();
            deliver(&publication, &subscription, session, &after);
        } else {
            let clients = self.live_handles_of(Kind::Client);
            let Some(c) = self.pick(&clients) else { return };
            let Handle::Client(aeron) = self.handles[c].1.clone() else {
                unreachable!()
            };
            self.panic_round += 1;
            let reader = aeron.counters_reader().expect("live client");
            panic_in_foreach(kind, &reader);
            assert!(!reader.counters().expect("reader works after the panic").is_empty());
        }
        self.note(format!("panic in {kind:?}"));
        stats.count_panic(kind);
    }

    fn step(&mut self, stats: &mut Stats) {
        stats.steps += 1;
        match self.rng.below(100) {
            0..=5 => self.new_client(stats),
            6..=15 => self.add(Kind::Publication, stats),
            16..=21 => self.add(Kind::Exclusive, stats),
            22..=31 => self.add(Kind::Subscription, stats),
            32..=37 => self.add(Kind::Counter, stats),
            38..=44 => self.clone_one(stats),
            45..=52 => self.close_one(stats),
            53..=61 => self.drop_one(stats),
            62..=73 => self.flow(stats),
            74..=84 => {
                let all: Vec<usize> = (0..self.handles.len()).collect();
                if let Some(h) = self.pick(&all) {
                    self.exercise(h, stats);
                }
            }
            85..=88 => self.released_handler(stats),
            _ => self.sync_panic(stats),
        }
    }

    /// Checks every handle once more, then drops them all in a random order.
    fn finish(mut self, stats: &mut Stats) {
        for h in 0..self.handles.len() {
            self.exercise(h, stats);
        }
        for _ in 0..4 {
            self.flow(stats);
        }
        while !self.handles.is_empty() {
            self.drop_one(stats);
        }
    }
}

/// Waits until `subscription` has the image of `session`, offers `message` and polls
/// until it arrives.
fn deliver(publication: &Handle, subscription: &AeronSubscription, session: i32, message: &[u8]) {
    wait_until("the publication's image", || {
        subscription.image_by_session_id(session).is_some()
    });
    offer(publication, message);
    let mut found = false;
    let start = Instant::now();
    while !found {
        subscription
            .poll_once(|b: &[u8], _: AeronHeader| found |= b == message, 10)
            .expect("poll on a live subscription");
        assert!(
            start.elapsed() < TIMEOUT,
            "message {:?} never arrived",
            String::from_utf8_lossy(message)
        );
    }
}

fn offer(publication: &Handle, message: &[u8]) {
    let result = match publication {
        Handle::Publication(p) => retry(|| p.offer(message, none())),
        Handle::Exclusive(p) => retry(|| p.offer(message, none())),
        _ => unreachable!(),
    };
    result.unwrap_or_else(|e| panic!("offer of {:?}: {e}", String::from_utf8_lossy(message)));
}

/// Retries `call` (which must panic once a fragment is there) until it panics; returns the
/// panic's text.
fn until_panic(what: SyncPanic, mut call: impl FnMut() -> Result<i32, AeronCError>) -> String {
    let start = Instant::now();
    loop {
        match catch_unwind(AssertUnwindSafe(&mut call)) {
            Err(payload) => return panic_text(payload),
            Ok(Ok(read)) => assert_eq!(read, 0, "{what:?}: a fragment was read without the panicking callback"),
            Ok(Err(e)) => panic!("{what:?}: poll failed: {e}"),
        }
        assert!(start.elapsed() < TIMEOUT, "{what:?}: the message never arrived");
        std::thread::yield_now();
    }
}

fn panic_in(kind: SyncPanic, publication: &Handle, subscription: &AeronSubscription, session: i32, message: &[u8]) {
    wait_until("the publication's image", || {
        subscription.image_by_session_id(session).is_some()
    });
    let expected = format!("fuzz panic {kind:?}");
    let text = match kind {
        SyncPanic::SupplierHandler | SyncPanic::SupplierClosure | SyncPanic::OffervSupplierHandler => {
            let supplier = Handlers::leak(|_: *mut u8, _: usize| -> i64 { panic!("fuzz panic {kind:?}") });
            let start = Instant::now();
            loop {
                let attempt = catch_unwind(AssertUnwindSafe(|| match (kind, publication) {
                    (SyncPanic::SupplierHandler, Handle::Publication(p)) => p.offer(message, Some(&supplier)),
                    (SyncPanic::SupplierHandler, Handle::Exclusive(p)) => p.offer(message, Some(&supplier)),
                    (SyncPanic::SupplierClosure, Handle::Publication(p)) => {
                        p.offer_once(message, |_: &[u8]| -> i64 { panic!("fuzz panic {kind:?}") })
                    }
                    (SyncPanic::SupplierClosure, Handle::Exclusive(p)) => {
                        p.offer_once(message, |_: &[u8]| -> i64 { panic!("fuzz panic {kind:?}") })
                    }
                    (_, Handle::Publication(p)) => p.offerv(&[message, b"!"], Some(&supplier)),
                    (_, Handle::Exclusive(p)) => p.offerv(&[message, b"!"], Some(&supplier)),
                    _ => unreachable!(),
                }));
                match attempt {
                    Err(payload) => break panic_text(payload),
                    Ok(Err(e)) if e.is_back_pressured() => {}
                    Ok(result) => panic!("{kind:?}: the supplier was not called: {result:?}"),
                }
                assert!(start.elapsed() < TIMEOUT, "{kind:?}: offer stayed back pressured");
            }
        }
        _ => {
            offer(publication, message);
            let image = subscription.image_by_session_id(session).expect("image");
            let panicking = |_: &[u8], _: AeronHeader| panic!("fuzz panic {kind:?}");
            let controlled = |_: &[u8], _: AeronHeader| -> ControlledPollAction { panic!("fuzz panic {kind:?}") };
            let mut handler = Handlers::leak(panicking);
            let mut controlled_handler = Handlers::leak(controlled);
            let mut assembler = AeronFragmentClosureAssembler::new().expect("assembler");
            let mut controlled_assembler = AeronControlledFragmentClosureAssembler::new().expect("assembler");
            let text = until_panic(kind, || match kind {
                SyncPanic::PollClosure => subscription.poll_once(panicking, 1),
                SyncPanic::PollHandler => subscription.poll(Some(&handler), 1),
                SyncPanic::ControlledPollClosure => subscription.controlled_poll_once(controlled, 1),
                SyncPanic::ControlledPollHandler => subscription.controlled_poll(Some(&controlled_handler), 1),
                SyncPanic::FragmentAssembler => assembler.poll(subscription, panicking, 1),
                SyncPanic::ControlledFragmentAssembler => controlled_assembler.poll(subscription, controlled, 1),
                SyncPanic::ImagePollClosure => image.poll_once(panicking, 1),
                SyncPanic::ImageControlledPollHandler => image.controlled_poll(Some(&controlled_handler), 1),
                SyncPanic::BlockPollClosure => {
                    image.block_poll_once(|_: &[u8], _: i32, _: i32| panic!("fuzz panic {kind:?}"), 1 << 16)
                }
                _ => unreachable!(),
            });
            if kind == SyncPanic::ControlledFragmentAssembler {
                // Documented: a panic counts as ABORT, so the message is delivered again.
                let mut again = false;
                let start = Instant::now();
                while !again {
                    controlled_assembler
                        .poll(
                            subscription,
                            |b: &[u8], _: AeronHeader| {
                                again |= b == message;
                                ControlledPollAction::AERON_ACTION_CONTINUE
                            },
                            10,
                        )
                        .expect("poll after the panic");
                    assert!(start.elapsed() < TIMEOUT, "the aborted message was not redelivered");
                }
            }
            handler.release();
            controlled_handler.release();
            text
        }
    };
    assert_eq!(text, expected);
}

fn panic_in_foreach(kind: SyncPanic, reader: &AeronCountersReader) {
    let expected = format!("fuzz panic {kind:?}");
    let payload = match kind {
        SyncPanic::ForeachCounterClosure => catch_unwind(AssertUnwindSafe(|| {
            reader.foreach_counter_once(|_, _, _, _, _, _| panic!("fuzz panic {kind:?}"))
        })),
        _ => {
            let mut handler = Handlers::leak(|_: i64, _: i32, _: i32, _: &[u8], _: &str| panic!("fuzz panic {kind:?}"));
            let result = catch_unwind(AssertUnwindSafe(|| reader.foreach_counter(Some(&handler))));
            handler.release();
            result
        }
    };
    let payload = payload.expect_err("the foreach callback's panic resumes after C returns");
    assert_eq!(panic_text(payload), expected);
}

fn seeds() -> Vec<u64> {
    match std::env::var("FUZZ_SEED") {
        Ok(seed) => vec![seed.parse().expect("FUZZ_SEED is a number")],
        Err(_) => SEEDS.to_vec(),
    }
}

#[test]
fn random_create_close_drop_orders_never_crash_and_closed_means_resource_closed() -> Result<(), AeronCError> {
    quiet_expected_panics();
    let driver = launch_for_tests()?;
    let mut stats = Stats::default();
    let started = Instant::now();
    for seed in seeds() {
        let mut world = World::new(&driver, seed);
        world.new_client(&mut stats);
        for _ in 0..STEPS {
            world.step(&mut stats);
        }
        world.finish(&mut stats);
        // Whatever happened, the driver serves a fresh client.
        let aeron = client(&driver)?;
        let stream = 7_150;
        let publication = Handle::Publication(aeron.add_publication(CHANNEL, stream, TIMEOUT)?);
        let subscription = rusteron_media_driver::testing::subscribe(&aeron, CHANNEL, stream)?;
        let Handle::Publication(p) = &publication else {
            unreachable!()
        };
        deliver(
            &publication,
            &subscription,
            p.session_id(),
            format!("after seed {seed}").as_bytes(),
        );
    }
    eprintln!("drop-order fuzz: {stats:#?} in {:?}", started.elapsed());
    if std::env::var("FUZZ_SEED").is_err() {
        let steps = seeds().len() * STEPS;
        assert_eq!(stats.steps, steps);
        assert!(stats.created >= steps / 4, "too few resources created: {stats:?}");
        assert!(stats.closed > 0 && stats.dropped > 0 && stats.cloned > 0, "{stats:?}");
        assert!(stats.closed_checks >= 10, "too few closed resources checked: {stats:?}");
        assert!(stats.flows >= 20, "too few messages checked: {stats:?}");
        assert!(stats.released_checks > 0, "{stats:?}");
    }
    Ok(())
}

#[test]
fn every_synchronous_callback_kind_resumes_its_panic_on_the_caller() -> Result<(), AeronCError> {
    quiet_expected_panics();
    let driver = launch_for_tests()?;
    let mut stats = Stats::default();
    let mut world = World::new(&driver, 99);
    let aeron = client(&driver)?;
    let stream = STREAMS[0];
    let client_id = world.push(Kind::Client, 0, 0, Handle::Client(aeron.clone()));
    let publication = aeron.add_publication(CHANNEL, stream, TIMEOUT)?;
    let exclusive = aeron.add_exclusive_publication(CHANNEL, stream, TIMEOUT)?;
    let subscription = rusteron_media_driver::testing::subscribe(&aeron, CHANNEL, stream)?;
    world.push(Kind::Publication, client_id, stream, Handle::Publication(publication));
    world.push(Kind::Exclusive, client_id, stream, Handle::Exclusive(exclusive));
    world.push(
        Kind::Subscription,
        client_id,
        stream,
        Handle::Subscription(subscription),
    );
    // Twice round: every kind panics twice, with a random publication of either kind.
    for _ in 0..2 * SYNC_PANICS.len() {
        world.sync_panic(&mut stats);
    }
    assert_eq!(stats.panics.len(), SYNC_PANICS.len(), "{stats:?}");
    assert!(stats.panics.iter().all(|(_, n)| *n == 2), "{stats:?}");
    world.flow(&mut stats);
    world.finish(&mut stats);
    Ok(())
}

/// Counts calls, then panics: for callbacks C runs on the client conductor thread.
fn counting_panic(calls: &Arc<AtomicUsize>, what: &'static str) -> impl Fn() + Send + 'static {
    let calls = calls.clone();
    move || {
        calls.fetch_add(1, Ordering::SeqCst);
        panic!("conductor panic in {what}");
    }
}

#[test]
fn panics_on_the_conductor_thread_are_contained() -> Result<(), AeronCError> {
    quiet_expected_panics();
    let driver = launch_for_tests()?;
    let healthy = client(&driver)?;
    let stream = 7_170;
    let subscription = rusteron_media_driver::testing::subscribe(&healthy, CHANNEL, stream)?;
    let publication = Handle::Publication(healthy.add_publication(CHANNEL, stream, TIMEOUT)?);
    let Handle::Publication(p) = &publication else {
        unreachable!()
    };
    let session = p.session_id();

    let calls: Vec<Arc<AtomicUsize>> = (0..8).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let ctx = AeronContext::new()?;
    ctx.set_dir(&driver.dir_c_string())?;
    let f = counting_panic(&calls[0], "on_new_publication");
    ctx.set_on_new_publication(Some(&Handlers::leak(move |_: &str, _: i32, _: i32, _: i64| f())))?;
    let f = counting_panic(&calls[1], "on_new_exclusive_publication");
    ctx.set_on_new_exclusive_publication(Some(&Handlers::leak(move |_: &str, _: i32, _: i32, _: i64| f())))?;
    let f = counting_panic(&calls[2], "on_new_subscription");
    ctx.set_on_new_subscription(Some(&Handlers::leak(move |_: &str, _: i32, _: i64| f())))?;
    let f = counting_panic(&calls[3], "on_available_counter");
    ctx.set_on_available_counter(Some(&Handlers::leak(move |_: AeronCountersReader, _: i64, _: i32| f())))?;
    let f = counting_panic(&calls[4], "on_unavailable_counter");
    ctx.set_on_unavailable_counter(Some(&Handlers::leak(move |_: AeronCountersReader, _: i64, _: i32| f())))?;
    let f = counting_panic(&calls[5], "on_close_client");
    ctx.set_on_close_client(Some(&Handlers::leak(f)))?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;

    let image_stream = 7_171;
    let f = counting_panic(&calls[6], "on_available_image");
    let on_available = Handlers::leak(move |_: AeronSubscription, _: AeronImage| f());
    let f = counting_panic(&calls[7], "on_unavailable_image");
    let on_unavailable = Handlers::leak(move |_: AeronSubscription, _: AeronImage| f());
    let watched = aeron.add_subscription(
        CHANNEL,
        image_stream,
        Some(&on_available),
        Some(&on_unavailable),
        TIMEOUT,
    )?;
    let image_publication = aeron.add_publication(CHANNEL, image_stream, TIMEOUT)?;
    let exclusive = aeron.add_exclusive_publication(CHANNEL, image_stream, TIMEOUT)?;
    let counter = aeron.add_counter(7_172, b"", "conductor panic counter", TIMEOUT)?;
    for (i, what) in [
        "on_new_publication",
        "on_new_exclusive_publication",
        "on_new_subscription",
        "on_available_counter",
        "on_available_image",
    ]
    .iter()
    .enumerate()
    {
        let index = if i == 4 { 6 } else { i };
        wait_until(what, || calls[index].load(Ordering::SeqCst) >= 1);
    }
    // The panicking client still publishes and subscribes.
    let watched_image = Handle::Publication(image_publication.clone());
    deliver(
        &watched_image,
        &watched,
        image_publication.session_id(),
        b"after conductor panics",
    );
    deliver(&publication, &subscription, session, b"other client unaffected");
    drop(counter);
    wait_until("on_unavailable_counter", || calls[4].load(Ordering::SeqCst) >= 1);
    drop((image_publication, watched_image, exclusive));
    wait_until("on_unavailable_image", || calls[7].load(Ordering::SeqCst) >= 1);
    drop(watched);
    drop(aeron);
    drop(ctx);
    wait_until("on_close_client", || calls[5].load(Ordering::SeqCst) >= 1);
    deliver(
        &publication,
        &subscription,
        session,
        b"after the panicking client closed",
    );

    // The error handler: stop the driver under a client with a short driver timeout.
    let doomed_driver = launch_for_tests()?;
    let code = Arc::new(AtomicI32::new(0));
    let seen = code.clone();
    let on_error = Handlers::leak(move |c: i32, _: &str| {
        // Keep the first error.
        let _ = seen.compare_exchange(0, c, Ordering::SeqCst, Ordering::SeqCst);
        panic!("conductor panic in the error handler");
    });
    let ctx = AeronContext::new()?;
    ctx.set_dir(&doomed_driver.dir_c_string())?;
    ctx.set_driver_timeout_ms(1_000)?;
    ctx.set_error_handler(Some(&on_error))?;
    let doomed = Aeron::new(&ctx)?;
    doomed.start()?;
    let orphan = doomed.add_publication(CHANNEL, stream, TIMEOUT)?;
    let stopped = Instant::now();
    doomed_driver.stop();
    wait_until("the error handler", || code.load(Ordering::SeqCst) != 0);
    assert!(stopped.elapsed() < Duration::from_secs(5), "{:?}", stopped.elapsed());
    assert_eq!(
        AeronErrorType::from_code(code.load(Ordering::SeqCst)),
        AeronErrorType::ClientErrorDriverTimeout
    );
    drop((orphan, doomed, ctx));
    deliver(&publication, &subscription, session, b"after the error handler panic");
    Ok(())
}

/// Offers three messages, makes a controlled handler polled `way` panic on the first, then
/// polls normally: returns what was received if it is not all three.
fn lost_after_a_controlled_panic(way: &str) -> Result<Option<String>, AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let stream = 7_180;
    let subscription = rusteron_media_driver::testing::subscribe(&aeron, CHANNEL, stream)?;
    let publication = Handle::Publication(aeron.add_publication(CHANNEL, stream, TIMEOUT)?);
    let Handle::Publication(p) = &publication else {
        unreachable!()
    };
    let session = p.session_id();
    wait_until("image", || subscription.image_by_session_id(session).is_some());
    let image = subscription.image_by_session_id(session).expect("image");
    let messages: Vec<Vec<u8>> = (0..3).map(|i| format!("{way} {i}").into_bytes()).collect();
    for m in &messages {
        offer(&publication, m);
    }
    let panicking = |_: &[u8], _: AeronHeader| -> ControlledPollAction { panic!("controlled panic") };
    let mut handler = Handlers::leak(panicking);
    let mut assembler = AeronControlledFragmentClosureAssembler::new()?;
    let text = until_panic(SyncPanic::ControlledPollClosure, || match way {
        "controlled_poll_once" => subscription.controlled_poll_once(panicking, 10),
        "controlled_poll" => subscription.controlled_poll(Some(&handler), 10),
        "image controlled_poll_once" => image.controlled_poll_once(panicking, 10),
        "image controlled_poll" => image.controlled_poll(Some(&handler), 10),
        _ => assembler.poll(&subscription, panicking, 10),
    });
    assert_eq!(text, "controlled panic");
    handler.release();
    let mut received = Vec::new();
    let start = Instant::now();
    while received.len() < messages.len() && start.elapsed() < Duration::from_millis(300) {
        subscription.poll_once(|b: &[u8], _: AeronHeader| received.push(b.to_vec()), 10)?;
    }
    Ok((received != messages).then(|| {
        let received: Vec<_> = received
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect();
        format!("{way}: after the panic the next polls received {received:?}")
    }))
}

/// `AeronControlledFragmentClosureAssembler` documents that a panic counts as ABORT: the
/// fragment (and those after it) are delivered again by the next poll.
#[test]
fn a_panicking_controlled_assembler_loses_no_fragment() -> Result<(), AeronCError> {
    quiet_expected_panics();
    assert_eq!(lost_after_a_controlled_panic("assembler")?, None);
    Ok(())
}

/// The generated controlled polls return `0` (no valid action; C goes on as CONTINUE) when
/// the handler panics, so the fragment that panicked and every later one up to the
/// fragment limit are consumed without being delivered. They should ABORT like the
/// assembler. Repro: offer 3 messages, `controlled_poll_once(|_, _| panic!(), 10)`, then
/// `poll_once`: nothing arrives.
#[test]
fn a_panicking_generated_controlled_poll_loses_no_fragment() -> Result<(), AeronCError> {
    quiet_expected_panics();
    let mut lost = Vec::new();
    for way in [
        "controlled_poll_once",
        "controlled_poll",
        "image controlled_poll_once",
        "image controlled_poll",
    ] {
        lost.extend(lost_after_a_controlled_panic(way)?);
    }
    assert!(lost.is_empty(), "fragments lost after a panic: {lost:#?}");
    Ok(())
}
