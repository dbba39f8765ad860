//! Hot-path cost of the wrappers against the raw C call on the same object, in one run:
//! each group measures `raw` (rusteron_sys directly) and `wrapper` side by side.
//!
//! Run with `cargo bench -p rusteron-client --bench hot_path` (or `just bench`).

use std::ffi::c_void;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use rusteron_client::bindings as sys;
use rusteron_client::*;
use rusteron_media_driver::{EmbeddedDriver, EmbeddedDriverOptions};

const TIMEOUT: Duration = Duration::from_secs(10);

struct Fixture {
    _driver: EmbeddedDriver,
    _aeron: Aeron,
    publication: AeronPublication,
    subscription: AeronSubscription,
}

fn fixture(stream_id: i32) -> Fixture {
    let options = EmbeddedDriverOptions {
        term_buffer_length: 16 << 20,
        ..Default::default()
    };
    let driver = options.launch().expect("driver");
    let ctx = AeronContext::new().unwrap();
    ctx.set_dir(&driver.dir_c_string()).unwrap();
    let aeron = Aeron::new(&ctx).unwrap();
    aeron.start().unwrap();
    let publication = aeron
        .async_add_publication(c"aeron:ipc", stream_id)
        .unwrap()
        .poll_blocking(TIMEOUT)
        .unwrap();
    let subscription = aeron
        .async_add_subscription(
            c"aeron:ipc",
            stream_id,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )
        .unwrap()
        .poll_blocking(TIMEOUT)
        .unwrap();
    let start = Instant::now();
    while !publication.is_connected() {
        assert!(start.elapsed() < TIMEOUT);
        std::thread::sleep(Duration::from_millis(1));
    }
    Fixture {
        _driver: driver,
        _aeron: aeron,
        publication,
        subscription,
    }
}

unsafe extern "C" fn count_fragment(clientd: *mut c_void, _b: *const u8, len: usize, _h: *mut sys::aeron_header_t) {
    // SAFETY: clientd is the &mut usize passed below.
    *(clientd as *mut usize) += len;
}

fn poll_empty(c: &mut Criterion) {
    let f = fixture(2001);
    let mut group = c.benchmark_group("poll_no_data");
    let raw_sub = f.subscription.get_inner();
    let mut total = 0usize;
    group.bench_function("raw", |b| {
        b.iter(|| {
            // SAFETY: the subscription is open for the whole benchmark.
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
    group.finish();
    black_box(total);
    drop(f.publication);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = poll_empty
}
criterion_main!(benches);
