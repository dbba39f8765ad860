//! Hot-path cost of the wrappers against the raw C call on the same object, in one run:
//! each group measures `raw` (rusteron_sys directly) and `wrapper` side by side, doing the
//! same work (same message, same handler body, same success accounting).
//!
//! Groups: `offer_32B` and `try_claim_commit_32B` (concurrent and exclusive publication),
//! `poll_no_data`, `poll_one_fragment`, `assembler_poll_one_fragment` (subscription) and
//! `image_assembler_poll_one_fragment` (image, as the ping-pong benchmark polls).
//!
//! Publications never fill up: calls run in timed batches of [`BATCH`]; before a batch
//! (untimed) the subscription is drained until the publication has room for the whole
//! batch, and for the poll groups exactly one batch of messages is offered. After each batch
//! the bench asserts that the calls did their work (messages published or consumed).
//!
//! Run with `cargo bench -p rusteron-client --bench hot_path` (or `just bench`).

use std::ffi::c_void;
use std::hint::black_box;
use std::ptr::null_mut;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion};
use rusteron_client::bindings as sys;
use rusteron_client::*;
use rusteron_media_driver::{EmbeddedDriver, EmbeddedDriverOptions};

const TIMEOUT: Duration = Duration::from_secs(10);
/// Calls per timed batch; 4096 frames of 64 bytes fit many times in the publication window.
const BATCH: u64 = 4096;
/// Payload length of every message.
const LENGTH: usize = 32;
/// How far one 32-byte message advances a publication.
const FRAME: i64 = aligned_frame_length(LENGTH) as i64;

/// One driver and client for all groups.
struct Fixture {
    publication: AeronPublication,
    exclusive: AeronExclusivePublication,
    /// Subscribed to `publication`'s stream.
    subscription: AeronSubscription,
    /// Subscribed to `exclusive`'s stream.
    exclusive_subscription: AeronSubscription,
    _aeron: Aeron,
    driver: EmbeddedDriver,
}

impl Fixture {
    /// Consumes whatever a previous group left in both subscriptions.
    fn drain_all(&self) {
        drain(&self.subscription);
        drain(&self.exclusive_subscription);
    }
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_micros(50));
    }
}

fn fixture() -> Fixture {
    let options = EmbeddedDriverOptions {
        term_buffer_length: 16 << 20,
        // Keeps the driver off the measuring core between its duty cycles.
        idle_strategy: "sleeping".into(),
        ..Default::default()
    };
    let driver = options.launch().expect("driver");
    let ctx = AeronContext::new().unwrap();
    ctx.set_dir(&driver.dir_c_string()).unwrap();
    let aeron = Aeron::new(&ctx).unwrap();
    aeron.start().unwrap();
    let subscribe = |stream_id| {
        aeron
            .add_subscription(
                c"aeron:ipc",
                stream_id,
                Handlers::no_available_image_handler(),
                Handlers::no_unavailable_image_handler(),
                TIMEOUT,
            )
            .unwrap()
    };
    let subscription = subscribe(2001);
    let exclusive_subscription = subscribe(2002);
    let publication = aeron.add_publication(c"aeron:ipc", 2001, TIMEOUT).unwrap();
    let exclusive = aeron.add_exclusive_publication(c"aeron:ipc", 2002, TIMEOUT).unwrap();
    wait_until("connection", || publication.is_connected() && exclusive.is_connected());
    Fixture {
        publication,
        exclusive,
        subscription,
        exclusive_subscription,
        _aeron: aeron,
        driver,
    }
}

/// C fragment handler of the raw calls: adds the fragment length to the `usize` at clientd.
unsafe extern "C" fn count_fragment(clientd: *mut c_void, _b: *const u8, len: usize, _h: *mut sys::aeron_header_t) {
    // SAFETY: clientd is always the address of a live `usize` owned by the calling bench.
    unsafe { *(clientd as *mut usize) += len };
}

/// The wrapper-side handler object (generated `poll` with a [`Handler`]).
struct CountBytes(usize);

impl AeronFragmentHandlerCallback for CountBytes {
    fn handle_aeron_fragment_handler(&mut self, buffer: &[u8], _header: AeronHeader) {
        self.0 += buffer.len();
    }
}

/// Consumes everything the subscription holds (untimed helper).
fn drain(subscription: &AeronSubscription) {
    let mut sink = 0usize;
    while subscription
        .poll_once(|b: &[u8], _h: AeronHeader| sink += b.len(), 4096)
        .unwrap()
        > 0
    {}
    black_box(sink);
}

/// Drains `subscription` until the publication (seen through `position`/`limit`) has room
/// for `n` more frames.
fn make_room(subscription: &AeronSubscription, position: impl Fn() -> i64, limit: impl Fn() -> i64, n: u64) {
    let needed = n as i64 * FRAME + FRAME;
    if limit() - position() >= needed {
        return;
    }
    let start = Instant::now();
    while limit() - position() < needed {
        drain(subscription);
        assert!(start.elapsed() < TIMEOUT, "publication limit never moved");
        std::thread::sleep(Duration::from_micros(20));
    }
}

/// Offers `n` messages (untimed), retrying while back pressured.
fn publish(publication: &AeronPublication, n: u64) {
    let message = [1u8; LENGTH];
    let start = Instant::now();
    for _ in 0..n {
        while publication
            .offer(&message, Handlers::no_reserved_value_supplier_handler())
            .is_err()
        {
            assert!(start.elapsed() < TIMEOUT, "could not publish");
            std::hint::spin_loop();
        }
    }
}

/// Runs `iters` timed calls of `op` in batches of at most [`BATCH`]; `before(n)` and
/// `after(n, state)` run untimed around each batch of `n` calls, `state` being what
/// `before` returned.
fn batched<S>(
    iters: u64,
    mut before: impl FnMut(u64) -> S,
    mut op: impl FnMut(),
    mut after: impl FnMut(u64, S),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH);
        let state = before(n);
        let start = Instant::now();
        for _ in 0..n {
            op();
        }
        total += start.elapsed();
        after(n, state);
        left -= n;
    }
    total
}

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// One offer/try_claim bench: `op` returns 1 when the call published a message. Every call
/// of a batch must publish, except one per batch that may meet a term's end (C rotates the
/// term and reports an admin action).
fn publish_bench(
    group: &mut Group<'_>,
    name: &str,
    subscription: &AeronSubscription,
    position: impl Fn() -> i64 + Copy,
    limit: impl Fn() -> i64 + Copy,
    mut op: impl FnMut() -> u64,
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let published = std::cell::Cell::new(0u64);
            batched(
                iters,
                |n| {
                    make_room(subscription, position, limit, n);
                    published.set(0);
                    position()
                },
                || published.set(published.get() + op()),
                |n, start_position| {
                    let published = published.get();
                    assert!(published + 1 >= n, "{name}: {published} of {n} calls published");
                    assert_eq!(position() - start_position, published as i64 * FRAME, "{name}");
                },
            )
        })
    });
}

fn offer(c: &mut Criterion, f: &Fixture) {
    f.drain_all();
    let mut group = c.benchmark_group("offer_32B");
    let message = [7u8; LENGTH];
    let (publication, exclusive) = (&f.publication, &f.exclusive);
    let raw_pub = publication.get_inner();
    let raw_excl = exclusive.get_inner();
    let pub_pos = || publication.position();
    let pub_lim = || publication.position_limit();
    let excl_pos = || exclusive.position();
    let excl_lim = || exclusive.position_limit();

    publish_bench(&mut group, "raw_publication", &f.subscription, pub_pos, pub_lim, || {
        // SAFETY: the publication is open for the whole bench; message is a live buffer.
        let r = unsafe { sys::aeron_publication_offer(raw_pub, message.as_ptr(), message.len(), None, null_mut()) };
        (black_box(r) > 0) as u64
    });
    publish_bench(
        &mut group,
        "wrapper_publication",
        &f.subscription,
        pub_pos,
        pub_lim,
        || black_box(publication.offer(&message, Handlers::no_reserved_value_supplier_handler())).is_ok() as u64,
    );
    publish_bench(
        &mut group,
        "raw_exclusive",
        &f.exclusive_subscription,
        excl_pos,
        excl_lim,
        || {
            // SAFETY: as above; one thread offers on the exclusive publication.
            let r = unsafe {
                sys::aeron_exclusive_publication_offer(raw_excl, message.as_ptr(), message.len(), None, null_mut())
            };
            (black_box(r) > 0) as u64
        },
    );
    publish_bench(
        &mut group,
        "wrapper_exclusive",
        &f.exclusive_subscription,
        excl_pos,
        excl_lim,
        || black_box(exclusive.offer(&message, Handlers::no_reserved_value_supplier_handler())).is_ok() as u64,
    );
    group.finish();
}

fn try_claim(c: &mut Criterion, f: &Fixture) {
    f.drain_all();
    let mut group = c.benchmark_group("try_claim_commit_32B");
    let message = [9u8; LENGTH];
    let (publication, exclusive) = (&f.publication, &f.exclusive);
    let raw_pub = publication.get_inner();
    let raw_excl = exclusive.get_inner();
    let pub_pos = || publication.position();
    let pub_lim = || publication.position_limit();
    let excl_pos = || exclusive.position();
    let excl_lim = || exclusive.position_limit();
    let empty_claim = || sys::aeron_buffer_claim_t {
        frame_header: null_mut(),
        data: null_mut(),
        length: 0,
    };

    publish_bench(&mut group, "raw_publication", &f.subscription, pub_pos, pub_lim, || {
        let mut claim = empty_claim();
        // SAFETY: the publication is open; a successful claim holds LENGTH writable bytes
        // at claim.data until it is committed once.
        unsafe {
            if sys::aeron_publication_try_claim(raw_pub, LENGTH, &mut claim) > 0 {
                std::ptr::copy_nonoverlapping(message.as_ptr(), claim.data, LENGTH);
                (sys::aeron_buffer_claim_commit(&mut claim) == 0) as u64
            } else {
                0
            }
        }
    });
    publish_bench(
        &mut group,
        "wrapper_publication",
        &f.subscription,
        pub_pos,
        pub_lim,
        || match publication.try_claim(LENGTH) {
            Ok(mut claim) => {
                claim.data().copy_from_slice(&message);
                claim.commit().is_ok() as u64
            }
            Err(_) => 0,
        },
    );
    publish_bench(
        &mut group,
        "raw_exclusive",
        &f.exclusive_subscription,
        excl_pos,
        excl_lim,
        || {
            let mut claim = empty_claim();
            // SAFETY: as above, on the exclusive publication (one thread).
            unsafe {
                if sys::aeron_exclusive_publication_try_claim(raw_excl, LENGTH, &mut claim) > 0 {
                    std::ptr::copy_nonoverlapping(message.as_ptr(), claim.data, LENGTH);
                    (sys::aeron_buffer_claim_commit(&mut claim) == 0) as u64
                } else {
                    0
                }
            }
        },
    );
    publish_bench(
        &mut group,
        "wrapper_exclusive",
        &f.exclusive_subscription,
        excl_pos,
        excl_lim,
        || match exclusive.try_claim(LENGTH) {
            Ok(mut claim) => {
                claim.data().copy_from_slice(&message);
                claim.commit().is_ok() as u64
            }
            Err(_) => 0,
        },
    );
    publish_bench(
        &mut group,
        "wrapper_exclusive_try_claim_with",
        &f.exclusive_subscription,
        excl_pos,
        excl_lim,
        || {
            exclusive
                .try_claim_with(LENGTH, |buf| buf.copy_from_slice(&message))
                .is_ok() as u64
        },
    );
    group.finish();
}

fn poll_empty(c: &mut Criterion, f: &Fixture) {
    f.drain_all();
    let mut group = c.benchmark_group("poll_no_data");
    let raw_sub = f.subscription.get_inner();
    let mut total = 0usize;
    group.bench_function("raw", |b| {
        b.iter(|| {
            // SAFETY: the subscription is open for the whole benchmark; clientd is `total`.
            black_box(unsafe {
                sys::aeron_subscription_poll(
                    raw_sub,
                    Some(count_fragment),
                    &mut total as *mut usize as *mut c_void,
                    10,
                )
            })
        })
    });
    group.bench_function("wrapper", |b| {
        b.iter(|| {
            black_box(
                f.subscription
                    .poll_once(|buf: &[u8], _h: AeronHeader| total += buf.len(), 10)
                    .unwrap(),
            )
        })
    });
    let handler = Handlers::leak(CountBytes(0));
    group.bench_function("wrapper_handler", |b| {
        b.iter(|| black_box(f.subscription.poll(Some(&handler), 10).unwrap()))
    });
    group.finish();
    assert_eq!(total, 0, "no message was published");
}

/// One bench consuming exactly one 32-byte fragment per call: before each batch, `n`
/// messages are published; after it, `consumed()` (bytes seen by the handler) must have
/// grown by `n * LENGTH`.
fn consume_bench(group: &mut Group<'_>, name: &str, f: &Fixture, consumed: impl Fn() -> usize, mut op: impl FnMut()) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                |n| {
                    publish(&f.publication, n);
                    consumed()
                },
                &mut op,
                |n, before| {
                    assert_eq!(
                        consumed() - before,
                        n as usize * LENGTH,
                        "{name}: not one fragment per call"
                    )
                },
            )
        })
    });
}

fn poll_one_fragment(c: &mut Criterion, f: &Fixture) {
    f.drain_all();
    let mut group = c.benchmark_group("poll_one_fragment");
    let subscription = &f.subscription;
    let raw_sub = subscription.get_inner();
    // Each bench owns its counter and reads it only between batches.
    let raw_total: *mut usize = Box::into_raw(Box::new(0usize));
    consume_bench(
        &mut group,
        "raw",
        f,
        // SAFETY: raw_total lives until the end of this function; no poll runs now.
        || unsafe { *raw_total },
        || {
            // SAFETY: the subscription is open; clientd is the live counter.
            black_box(unsafe { sys::aeron_subscription_poll(raw_sub, Some(count_fragment), raw_total.cast(), 1) });
        },
    );
    let closure_total = std::cell::Cell::new(0usize);
    consume_bench(
        &mut group,
        "wrapper",
        f,
        || closure_total.get(),
        || {
            let total = &closure_total;
            black_box(
                subscription
                    .poll_once(|buf: &[u8], _h: AeronHeader| total.set(total.get() + buf.len()), 1)
                    .unwrap(),
            );
        },
    );
    let mut handler = Handlers::leak(CountBytes(0));
    let raw_handler: *mut CountBytes = handler.as_raw().cast();
    consume_bench(
        &mut group,
        "wrapper_handler",
        f,
        // SAFETY: the handler is alive (not released) and no poll runs between batches.
        || unsafe { (*raw_handler).0 },
        || {
            black_box(subscription.poll(Some(&handler), 1).unwrap());
        },
    );
    group.finish();
    handler.release();
    // SAFETY: created by Box::into_raw above and no longer used.
    drop(unsafe { Box::from_raw(raw_total) });
}

fn assembler_poll(c: &mut Criterion, f: &Fixture) {
    f.drain_all();
    let mut group = c.benchmark_group("assembler_poll_one_fragment");
    let subscription = &f.subscription;
    let raw_sub = subscription.get_inner();

    let raw_total: *mut usize = Box::into_raw(Box::new(0usize));
    let mut raw_assembler: *mut sys::aeron_fragment_assembler_t = null_mut();
    // SAFETY: out-parameter and a delegate clientd that outlives the assembler.
    let rc =
        unsafe { sys::aeron_fragment_assembler_create(&mut raw_assembler, Some(count_fragment), raw_total.cast()) };
    assert!(
        rc == 0 && !raw_assembler.is_null(),
        "aeron_fragment_assembler_create failed"
    );
    consume_bench(
        &mut group,
        "raw",
        f,
        // SAFETY: live counter, read between batches.
        || unsafe { *raw_total },
        || {
            // SAFETY: open subscription; clientd is the C assembler, as its handler expects.
            black_box(unsafe {
                sys::aeron_subscription_poll(
                    raw_sub,
                    Some(sys::aeron_fragment_assembler_handler),
                    raw_assembler.cast(),
                    1,
                )
            });
        },
    );

    let mut assembler = AeronFragmentClosureAssembler::new().unwrap();
    let closure_total = std::cell::Cell::new(0usize);
    consume_bench(
        &mut group,
        "wrapper",
        f,
        || closure_total.get(),
        || {
            let total = &closure_total;
            black_box(
                assembler
                    .poll(
                        subscription,
                        |buf: &[u8], _h: AeronHeader| total.set(total.get() + buf.len()),
                        1,
                    )
                    .unwrap(),
            );
        },
    );

    let mut handler = Handlers::leak(CountBytes(0));
    let raw_handler: *mut CountBytes = handler.as_raw().cast();
    let generated = AeronFragmentAssembler::new(Some(&handler)).unwrap();
    consume_bench(
        &mut group,
        "wrapper_handler",
        f,
        // SAFETY: the handler is kept alive by the assembler; read between polls only.
        || unsafe { (*raw_handler).0 },
        || {
            black_box(subscription.poll_assembled(&generated, 1).unwrap());
        },
    );
    group.finish();
    handler.release();
    // SAFETY: created above, deleted once, then its delegate counter is freed.
    unsafe {
        sys::aeron_fragment_assembler_delete(raw_assembler);
        drop(Box::from_raw(raw_total));
    }
}

fn image_assembler_poll(c: &mut Criterion, f: &Fixture) {
    f.drain_all();
    let mut group = c.benchmark_group("image_assembler_poll_one_fragment");
    let image = f.subscription.image_at_index(0).expect("one image");
    let raw_image = image.get_inner();

    // What Aeron's cping/cpong do: an image fragment assembler polled on the image.
    let raw_total: *mut usize = Box::into_raw(Box::new(0usize));
    let mut raw_assembler: *mut sys::aeron_image_fragment_assembler_t = null_mut();
    // SAFETY: out-parameter and a delegate clientd that outlives the assembler.
    let rc = unsafe {
        sys::aeron_image_fragment_assembler_create(&mut raw_assembler, Some(count_fragment), raw_total.cast())
    };
    assert!(
        rc == 0 && !raw_assembler.is_null(),
        "aeron_image_fragment_assembler_create failed"
    );
    consume_bench(
        &mut group,
        "raw",
        f,
        // SAFETY: live counter, read between batches.
        || unsafe { *raw_total },
        || {
            // SAFETY: the image is retained by `image`; clientd is the C image assembler.
            black_box(unsafe {
                sys::aeron_image_poll(
                    raw_image,
                    Some(sys::aeron_image_fragment_assembler_handler),
                    raw_assembler.cast(),
                    1,
                )
            });
        },
    );

    let mut assembler = AeronFragmentClosureAssembler::new().unwrap();
    let closure_total = std::cell::Cell::new(0usize);
    consume_bench(
        &mut group,
        "wrapper",
        f,
        || closure_total.get(),
        || {
            let total = &closure_total;
            black_box(
                assembler
                    .poll_image(
                        &image,
                        |buf: &[u8], _h: AeronHeader| total.set(total.get() + buf.len()),
                        1,
                    )
                    .unwrap(),
            );
        },
    );
    group.finish();
    // SAFETY: created above, deleted once, then its delegate counter is freed.
    unsafe {
        sys::aeron_image_fragment_assembler_delete(raw_assembler);
        drop(Box::from_raw(raw_total));
    }
}

fn main() {
    let f = fixture();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(1000))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    offer(&mut c, &f);
    try_claim(&mut c, &f);
    poll_empty(&mut c, &f);
    poll_one_fragment(&mut c, &f);
    assembler_poll(&mut c, &f);
    image_assembler_poll(&mut c, &f);
    c.final_summary();
    // The driver's files go now (its mappings stay valid until the process exits).
    let _ = std::fs::remove_dir_all(f.driver.dir());
    // Left to process exit. Dropping it would close the driver while the client is
    // possibly still open (each add keeps the client alive, see BENCHMARKS.md), and the C
    // client's default error handler exits the process once its driver is gone.
    std::mem::forget(f);
}
