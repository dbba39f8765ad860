//! The idiomatic layer's costs: topic matching (10 patterns, an exact topic, the cached
//! per-message path) and an IPC ping-pong through the raw wrappers vs `Publisher` /
//! `Subscriber` in the same run (`cargo bench -p rusteron-client --bench idiomatic`).

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rusteron_client::topic::{MatchCache, TopicMatcher, TopicPattern};
use rusteron_client::*;

const PATTERNS: [&str; 10] = [
    "/sensors/*/temperature",
    "/sensors/#",
    "/market/*/trades",
    "/market/eu/#",
    "/orders/*",
    "/a/b/c",
    "/x/*/y/*",
    "/logs/#",
    "/sensors/room1/*",
    "/status",
];

fn matching(c: &mut Criterion) {
    let mut ten = TopicMatcher::default();
    for p in PATTERNS {
        ten.add(TopicPattern::new(p).unwrap(), 64).unwrap();
    }
    let exact = TopicPattern::new("/sensors/room1/temperature").unwrap();
    let mut group = c.benchmark_group("topic_matching");
    group.bench_function("10_patterns_hit", |b| {
        b.iter(|| ten.matches(black_box("/sensors/room1/temperature")))
    });
    group.bench_function("10_patterns_miss", |b| {
        b.iter(|| ten.matches(black_box("/unrelated/topic/name")))
    });
    let mut cache = MatchCache::new(4096);
    for session in 0..8 {
        for id in 0..16 {
            cache.insert(MatchCache::key(session, id), ten.matches("/sensors/room1/temperature"));
        }
    }
    group.bench_function("cached_per_message", |b| {
        b.iter(|| cache.get(black_box(MatchCache::key(5, 7))))
    });
    group.bench_function("exact_hit", |b| {
        b.iter(|| exact.matches(black_box("/sensors/room1/temperature")))
    });
    group.finish();
}

/// Echoes every message of stream 2 onto stream 3 (raw API), until stopped.
fn pong(aeron: &Aeron, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let sub = aeron
        .add_subscription(
            c"aeron:ipc",
            2,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
            Duration::from_secs(5),
        )
        .unwrap()
        .into_owned()
        .unwrap();
    let publication = aeron
        .add_exclusive_publication(c"aeron:ipc", 3, Duration::from_secs(5))
        .unwrap()
        .into_owned()
        .unwrap();
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            sub.poll_once(
                |msg: &[u8], _h: AeronHeader| while publication.offer(msg).is_err() {},
                10,
            )
            .unwrap();
        }
    })
}

fn ping_pong(c: &mut Criterion) {
    let driver = rusteron_media_driver::launch_for_tests().unwrap();
    let aeron = Aeron::builder().dir(driver.dir()).connect().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let echo = pong(&aeron, stop.clone());
    let raw_pub = aeron
        .add_exclusive_publication(c"aeron:ipc", 2, Duration::from_secs(5))
        .unwrap();
    let raw_sub = aeron
        .add_subscription(
            c"aeron:ipc",
            3,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
            Duration::from_secs(5),
        )
        .unwrap();
    while !raw_pub.is_connected() || !raw_sub.is_connected() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let message = [0u8; 32];
    let mut group = c.benchmark_group("ipc_ping_pong_32B");
    group.bench_function("raw_wrappers", |b| {
        b.iter(|| {
            while raw_pub
                .offer(&message, Handlers::no_reserved_value_supplier_handler())
                .is_err()
            {}
            let mut got = 0;
            while got == 0 {
                got = raw_sub
                    .poll_once(
                        |m: &[u8], _h: AeronHeader| {
                            black_box(m);
                        },
                        1,
                    )
                    .unwrap();
            }
        })
    });
    drop((raw_pub, raw_sub));
    let publisher = aeron.publisher(&StreamConfig::ipc(2)).unwrap();
    let mut subscriber = aeron.subscriber(&StreamConfig::ipc(3)).unwrap();
    publisher.wait_connected(Duration::from_secs(5)).unwrap();
    subscriber.wait_connected(Duration::from_secs(5)).unwrap();
    group.bench_function("publisher_subscriber", |b| {
        b.iter(|| {
            while !matches!(publisher.offer(&message), Ok(OfferStatus::Published(_))) {}
            let mut got = 0;
            while got == 0 {
                got = subscriber
                    .poll_limit(
                        |f| {
                            black_box(f.data());
                        },
                        1,
                    )
                    .unwrap();
            }
        })
    });
    group.finish();
    stop.store(true, Ordering::Relaxed);
    echo.join().unwrap();
}

criterion_group!(benches, matching, ping_pong);
criterion_main!(benches);
