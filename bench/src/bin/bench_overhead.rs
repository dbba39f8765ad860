//! Wrapper overhead of the hot-path calls, raw C against the wrapper on the same object,
//! against an external media driver (`aeronmd`). Two modes:
//!
//! - `--mode time`: batches of raw and wrapper calls alternate (the order rotating every
//!   round), so drift on a shared machine hits both alike; prints the median ns per call of
//!   each side and the median of the paired differences, after a warm-up that wraps every log.
//!   The polls also time their `Handler` form (`poll(Some(&handler))`, `poll_assembled`)
//!   against the same raw batches, printed as `<name>_handler`.
//! - `--mode count`: meant to run under `valgrind --tool=callgrind`, which counts
//!   instructions exactly however noisy the machine; `scripts/bench.sh` reads the inclusive
//!   cost of each `cg_*` function (one per variant, never inlined, looping over the calls)
//!   and divides it by the call count printed here.
//!
//! ```text
//! bench_overhead --dir <aeron dir> --mode time [--rounds 1000] [--warmup 100]
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/bench_overhead --dir <aeron dir> --mode count [--calls 20000]
//! ```
//!
//! Every variant does what the matching `hot_path` criterion bench does, on the same kind of
//! object, with the same handler body; batches are set up outside the measured functions.

use std::cell::Cell;
use std::ffi::c_void;
use std::hint::black_box;
use std::ptr::null_mut;
use std::time::{Duration, Instant};

use rusteron_bench::*;
use rusteron_client::bindings as sys;
use rusteron_client::*;

const LENGTH: usize = 32;
const FRAME: i64 = aligned_frame_length(LENGTH) as i64;
const BATCH: u64 = 2000;

unsafe extern "C" fn count_fragment(clientd: *mut c_void, _b: *const u8, len: usize, _h: *mut sys::aeron_header_t) {
    // SAFETY: clientd is always the address of a live `usize` owned by the caller.
    unsafe { *(clientd as *mut usize) += len };
}

type RawPub = *mut sys::aeron_publication_t;
type RawExcl = *mut sys::aeron_exclusive_publication_t;

fn claim() -> sys::aeron_buffer_claim_t {
    sys::aeron_buffer_claim_t {
        frame_header: null_mut(),
        data: null_mut(),
        length: 0,
    }
}

#[inline(never)]
fn cg_offer_raw(p: RawPub, message: &[u8], n: u64) -> u64 {
    let mut ok = 0;
    for _ in 0..n {
        // SAFETY: open publication, live buffer.
        ok +=
            (unsafe { sys::aeron_publication_offer(p, message.as_ptr(), message.len(), None, null_mut()) } > 0) as u64;
    }
    ok
}

#[inline(never)]
fn cg_offer_wrapper(p: &AeronPublication, message: &[u8], n: u64) -> u64 {
    let mut ok = 0;
    for _ in 0..n {
        ok += p.offer(message, Handlers::no_reserved_value_supplier_handler()).is_ok() as u64;
    }
    ok
}

#[inline(never)]
fn cg_offer_exclusive_raw(p: RawExcl, message: &[u8], n: u64) -> u64 {
    let mut ok = 0;
    for _ in 0..n {
        // SAFETY: open publication, live buffer, one thread.
        ok += (unsafe { sys::aeron_exclusive_publication_offer(p, message.as_ptr(), message.len(), None, null_mut()) }
            > 0) as u64;
    }
    ok
}

#[inline(never)]
fn cg_offer_exclusive_wrapper(p: &AeronExclusivePublication, message: &[u8], n: u64) -> u64 {
    let mut ok = 0;
    for _ in 0..n {
        ok += p.offer(message, Handlers::no_reserved_value_supplier_handler()).is_ok() as u64;
    }
    ok
}

#[inline(never)]
fn cg_try_claim_raw(p: RawPub, message: &[u8], n: u64) -> u64 {
    let mut ok = 0;
    for _ in 0..n {
        let mut c = claim();
        // SAFETY: open publication; a successful claim holds LENGTH bytes at c.data.
        unsafe {
            if sys::aeron_publication_try_claim(p, LENGTH, &mut c) > 0 {
                std::ptr::copy_nonoverlapping(message.as_ptr(), c.data, LENGTH);
                ok += (sys::aeron_buffer_claim_commit(&mut c) == 0) as u64;
            }
        }
    }
    ok
}

#[inline(never)]
fn cg_try_claim_wrapper(p: &AeronPublication, message: &[u8], n: u64) -> u64 {
    let mut ok = 0;
    for _ in 0..n {
        if let Ok(mut c) = p.try_claim(LENGTH) {
            c.data().copy_from_slice(message);
            ok += c.commit().is_ok() as u64;
        }
    }
    ok
}

#[inline(never)]
fn cg_try_claim_exclusive_raw(p: RawExcl, message: &[u8], n: u64) -> u64 {
    let mut ok = 0;
    for _ in 0..n {
        let mut c = claim();
        // SAFETY: as above, on the exclusive publication (one thread).
        unsafe {
            if sys::aeron_exclusive_publication_try_claim(p, LENGTH, &mut c) > 0 {
                std::ptr::copy_nonoverlapping(message.as_ptr(), c.data, LENGTH);
                ok += (sys::aeron_buffer_claim_commit(&mut c) == 0) as u64;
            }
        }
    }
    ok
}

#[inline(never)]
fn cg_try_claim_exclusive_wrapper(p: &AeronExclusivePublication, message: &[u8], n: u64) -> u64 {
    let mut ok = 0;
    for _ in 0..n {
        if let Ok(mut c) = p.try_claim(LENGTH) {
            c.data().copy_from_slice(message);
            ok += c.commit().is_ok() as u64;
        }
    }
    ok
}

#[inline(never)]
fn cg_poll_raw(s: *mut sys::aeron_subscription_t, total: *mut usize, n: u64) {
    for _ in 0..n {
        // SAFETY: open subscription; clientd is the live counter.
        black_box(unsafe { sys::aeron_subscription_poll(s, Some(count_fragment), total.cast(), 1) });
    }
}

#[inline(never)]
fn cg_poll_wrapper(s: &AeronSubscription, total: &Cell<usize>, n: u64) {
    for _ in 0..n {
        black_box(
            s.poll_once(|b: &[u8], _h: AeronHeader| total.set(total.get() + b.len()), 1)
                .unwrap(),
        );
    }
}

#[inline(never)]
fn cg_poll_no_data_raw(s: *mut sys::aeron_subscription_t, total: *mut usize, n: u64) {
    for _ in 0..n {
        // SAFETY: open subscription; clientd is the live counter.
        black_box(unsafe { sys::aeron_subscription_poll(s, Some(count_fragment), total.cast(), 10) });
    }
}

#[inline(never)]
fn cg_poll_no_data_wrapper(s: &AeronSubscription, total: &Cell<usize>, n: u64) {
    for _ in 0..n {
        black_box(
            s.poll_once(|b: &[u8], _h: AeronHeader| total.set(total.get() + b.len()), 10)
                .unwrap(),
        );
    }
}

/// The `Handler` object of the `*_handler` variants: counts bytes like the closures.
struct CountBytes(usize);

impl AeronFragmentHandlerCallback for CountBytes {
    fn handle_aeron_fragment_handler(&mut self, buffer: &[u8], _header: AeronHeader) {
        self.0 += buffer.len();
    }
}

#[inline(never)]
fn cg_poll_handler(s: &AeronSubscription, handler: &Handler<CountBytes>, n: u64) {
    for _ in 0..n {
        black_box(s.poll(Some(handler), 1).unwrap());
    }
}

#[inline(never)]
fn cg_poll_no_data_handler(s: &AeronSubscription, handler: &Handler<CountBytes>, n: u64) {
    for _ in 0..n {
        black_box(s.poll(Some(handler), 10).unwrap());
    }
}

#[inline(never)]
fn cg_assembler_poll_handler(s: &AeronSubscription, asm: &AeronFragmentAssembler, n: u64) {
    for _ in 0..n {
        black_box(s.poll_assembled(asm, 1).unwrap());
    }
}

#[inline(never)]
fn cg_assembler_poll_raw(s: *mut sys::aeron_subscription_t, asm: *mut sys::aeron_fragment_assembler_t, n: u64) {
    for _ in 0..n {
        // SAFETY: open subscription; clientd is the C assembler its handler expects.
        black_box(unsafe {
            sys::aeron_subscription_poll(s, Some(sys::aeron_fragment_assembler_handler), asm.cast(), 1)
        });
    }
}

#[inline(never)]
fn cg_assembler_poll_wrapper(
    s: &AeronSubscription,
    asm: &mut AeronFragmentClosureAssembler,
    total: &Cell<usize>,
    n: u64,
) {
    for _ in 0..n {
        black_box(
            asm.poll(s, |b: &[u8], _h: AeronHeader| total.set(total.get() + b.len()), 1)
                .unwrap(),
        );
    }
}

#[inline(never)]
fn cg_image_assembler_poll_raw(i: *mut sys::aeron_image_t, asm: *mut sys::aeron_image_fragment_assembler_t, n: u64) {
    for _ in 0..n {
        // SAFETY: retained image; clientd is the C image assembler its handler expects.
        black_box(unsafe {
            sys::aeron_image_poll(i, Some(sys::aeron_image_fragment_assembler_handler), asm.cast(), 1)
        });
    }
}

#[inline(never)]
fn cg_image_assembler_poll_wrapper(
    i: &AeronImage,
    asm: &mut AeronFragmentClosureAssembler,
    total: &Cell<usize>,
    n: u64,
) {
    for _ in 0..n {
        black_box(
            asm.poll_image(i, |b: &[u8], _h: AeronHeader| total.set(total.get() + b.len()), 1)
                .unwrap(),
        );
    }
}

struct Setup {
    publication: AeronPublication,
    exclusive: AeronExclusivePublication,
    subscription: AeronSubscription,
    exclusive_subscription: AeronSubscription,
}

impl Setup {
    fn drain(subscription: &AeronSubscription) {
        while subscription.poll_once(|_: &[u8], _: AeronHeader| {}, 4096).unwrap() > 0 {}
    }

    /// Drains until `position`/`limit` leave room for `n` frames.
    fn make_room(subscription: &AeronSubscription, position: impl Fn() -> i64, limit: impl Fn() -> i64, n: u64) {
        wait_for("publication room", || {
            Self::drain(subscription);
            limit() - position() >= (n as i64 + 1) * FRAME
        });
    }

    fn publish(&self, n: u64) {
        let message = [1u8; LENGTH];
        for _ in 0..n {
            wait_for("publishing", || {
                self.publication
                    .offer(&message, Handlers::no_reserved_value_supplier_handler())
                    .is_ok()
            });
        }
    }
}

type Side<'a> = Box<dyn FnMut(u64) -> u64 + 'a>;

/// One raw/wrapper pair: `prepare(n)` readies a batch of `n` calls (untimed), `raw(n)` and
/// `wrapper(n)` (the closure API) make them and return how many did their work; `handler`,
/// where there is one, is the same call through the `Handler` API.
struct Pair<'a> {
    name: &'static str,
    prepare: Box<dyn Fn(u64) + 'a>,
    raw: Side<'a>,
    wrapper: Side<'a>,
    handler: Option<Side<'a>>,
}

/// One prepared batch of `f`, checked; returns its duration.
fn batch(pair_name: &str, side: &str, prepare: &dyn Fn(u64), f: &mut dyn FnMut(u64) -> u64) -> Duration {
    prepare(BATCH);
    let start = Instant::now();
    let done = f(BATCH);
    let elapsed = start.elapsed();
    // One call per batch may meet a term's end (C reports an admin action then).
    if done + 1 < BATCH {
        fail(&format!(
            "{pair_name} {side}: only {done} of {BATCH} calls did their work"
        ));
    }
    elapsed
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let usage =
        "usage: bench_overhead --dir <aeron dir> [--mode count|time] [--calls 20000] [--rounds 1000] [--warmup 100]";
    let flags = Flags::parse(std::env::args().skip(1), usage);
    let mode = flags.get("mode", "count".to_string());
    let batches = flags.get::<u64>("calls", 20_000).div_ceil(BATCH);
    let rounds: usize = flags.get("rounds", 1000);
    let warmup: usize = flags.get("warmup", 100);
    let aeron = connect(&flags.required("dir")).unwrap_or_else(|e| fail(&format!("connect: {e}")));
    let stream_base: i32 = flags.get("stream", 7001);
    let setup = || -> Result<Setup, AeronCError> {
        // Small terms: the timed mode's warm-up wraps every log, so no call meets a page of
        // the log that this process has not touched yet (a page fault each 64 messages).
        let ipc = c"aeron:ipc?term-length=4m";
        let subscription = subscribe(&aeron, &ipc.to_owned(), stream_base)?;
        let exclusive_subscription = subscribe(&aeron, &ipc.to_owned(), stream_base + 1)?;
        let publication = aeron.add_publication(ipc, stream_base, TIMEOUT)?;
        let exclusive = aeron.add_exclusive_publication(ipc, stream_base + 1, TIMEOUT)?;
        wait_for("connection", || publication.is_connected() && exclusive.is_connected());
        Ok(Setup {
            publication,
            exclusive,
            subscription,
            exclusive_subscription,
        })
    };
    let s = setup().unwrap_or_else(|e| fail(&format!("setup: {e}")));
    let message = [7u8; LENGTH];
    let (p, x) = (&s.publication, &s.exclusive);
    let (raw_p, raw_x) = (p.get_inner(), x.get_inner());
    let raw_sub = s.subscription.get_inner();
    let (sub, excl_sub) = (&s.subscription, &s.exclusive_subscription);
    let room_p = move |n| Setup::make_room(sub, || p.position(), || p.position_limit(), n);
    let room_x = move |n| Setup::make_room(excl_sub, || x.position(), || x.position_limit(), n);

    // Handler counters: C writes the raw ones through a pointer, the closures through Cells.
    let raw_total = Cell::new(0usize);
    let total = Cell::new(0usize);
    // Each poll consumes exactly one 32-byte fragment: `n` calls did their work when the
    // counter grew by n * LENGTH.
    let consumed = |counter: &Cell<usize>, poll: &mut dyn FnMut()| {
        let before = counter.get();
        poll();
        ((counter.get() - before) / LENGTH) as u64
    };
    let mut raw_assembler = null_mut();
    let mut raw_image_assembler = null_mut();
    // SAFETY: out-parameters; the delegate clientd (raw_total) outlives both assemblers.
    unsafe {
        if sys::aeron_fragment_assembler_create(&mut raw_assembler, Some(count_fragment), raw_total.as_ptr().cast()) < 0
            || sys::aeron_image_fragment_assembler_create(
                &mut raw_image_assembler,
                Some(count_fragment),
                raw_total.as_ptr().cast(),
            ) < 0
        {
            fail("creating the C assemblers failed");
        }
    }
    let assembler =
        std::cell::RefCell::new(AeronFragmentClosureAssembler::new().unwrap_or_else(|e| fail(&e.to_string())));
    let image = s.subscription.image_at_index(0).unwrap_or_else(|| fail("no image"));
    // Handler objects, read through their raw pointers between batches only.
    let handler = Handlers::leak(CountBytes(0));
    let assembler_handler = Handlers::leak(CountBytes(0));
    let generated_assembler =
        AeronFragmentAssembler::new(Some(&assembler_handler)).unwrap_or_else(|e| fail(&e.to_string()));
    let handler_bytes = |h: &Handler<CountBytes>| {
        // SAFETY: the handler is alive (not released) and no poll runs while this reads it.
        unsafe { (*h.as_raw().cast::<CountBytes>()).0 }
    };
    let handler_consumed = |h: &Handler<CountBytes>, poll: &mut dyn FnMut()| {
        let before = handler_bytes(h);
        poll();
        ((handler_bytes(h) - before) / LENGTH) as u64
    };
    let publish = |n| s.publish(n);
    let drain_first = |n: u64| {
        Setup::drain(&s.subscription);
        let _ = n;
    };

    let mut pairs: Vec<Pair<'_>> = vec![
        Pair {
            name: "offer",
            prepare: Box::new(room_p),
            raw: Box::new(|n| cg_offer_raw(raw_p, &message, n)),
            wrapper: Box::new(|n| cg_offer_wrapper(p, &message, n)),
            handler: None,
        },
        Pair {
            name: "offer_exclusive",
            prepare: Box::new(room_x),
            raw: Box::new(|n| cg_offer_exclusive_raw(raw_x, &message, n)),
            wrapper: Box::new(|n| cg_offer_exclusive_wrapper(x, &message, n)),
            handler: None,
        },
        Pair {
            name: "try_claim",
            prepare: Box::new(room_p),
            raw: Box::new(|n| cg_try_claim_raw(raw_p, &message, n)),
            wrapper: Box::new(|n| cg_try_claim_wrapper(p, &message, n)),
            handler: None,
        },
        Pair {
            name: "try_claim_exclusive",
            prepare: Box::new(room_x),
            raw: Box::new(|n| cg_try_claim_exclusive_raw(raw_x, &message, n)),
            wrapper: Box::new(|n| cg_try_claim_exclusive_wrapper(x, &message, n)),
            handler: None,
        },
        Pair {
            name: "poll_no_data",
            prepare: Box::new(drain_first),
            raw: Box::new(|n| {
                let before = raw_total.get();
                cg_poll_no_data_raw(raw_sub, raw_total.as_ptr(), n);
                if raw_total.get() == before {
                    n
                } else {
                    0
                }
            }),
            wrapper: Box::new(|n| {
                let before = total.get();
                cg_poll_no_data_wrapper(&s.subscription, &total, n);
                if total.get() == before {
                    n
                } else {
                    0
                }
            }),
            handler: Some(Box::new(|n| {
                let before = handler_bytes(&handler);
                cg_poll_no_data_handler(&s.subscription, &handler, n);
                if handler_bytes(&handler) == before {
                    n
                } else {
                    0
                }
            })),
        },
        Pair {
            name: "poll",
            prepare: Box::new(publish),
            raw: Box::new(|n| consumed(&raw_total, &mut || cg_poll_raw(raw_sub, raw_total.as_ptr(), n))),
            wrapper: Box::new(|n| consumed(&total, &mut || cg_poll_wrapper(&s.subscription, &total, n))),
            handler: Some(Box::new(|n| {
                handler_consumed(&handler, &mut || cg_poll_handler(&s.subscription, &handler, n))
            })),
        },
        Pair {
            name: "assembler_poll",
            prepare: Box::new(publish),
            raw: Box::new(|n| consumed(&raw_total, &mut || cg_assembler_poll_raw(raw_sub, raw_assembler, n))),
            wrapper: Box::new(|n| {
                let mut asm = assembler.borrow_mut();
                consumed(&total, &mut || {
                    cg_assembler_poll_wrapper(&s.subscription, &mut asm, &total, n)
                })
            }),
            handler: Some(Box::new(|n| {
                handler_consumed(&assembler_handler, &mut || {
                    cg_assembler_poll_handler(&s.subscription, &generated_assembler, n)
                })
            })),
        },
        Pair {
            name: "image_assembler_poll",
            prepare: Box::new(publish),
            raw: Box::new(|n| {
                consumed(&raw_total, &mut || {
                    cg_image_assembler_poll_raw(image.get_inner(), raw_image_assembler, n)
                })
            }),
            wrapper: Box::new(|n| {
                let mut asm = assembler.borrow_mut();
                consumed(&total, &mut || {
                    cg_image_assembler_poll_wrapper(&image, &mut asm, &total, n)
                })
            }),
            handler: None,
        },
    ];

    match mode.as_str() {
        // Under callgrind: the inclusive cost of each cg_* function over its calls.
        "count" => {
            for pair in &mut pairs {
                let mut sides = vec![("raw", &mut pair.raw), ("wrapper", &mut pair.wrapper)];
                if let Some(handler) = &mut pair.handler {
                    sides.push(("handler", handler));
                }
                for (side, f) in sides {
                    for _ in 0..batches {
                        batch(pair.name, side, &*pair.prepare, &mut **f);
                    }
                    println!("calls cg_{}_{side} {}", pair.name, batches * BATCH);
                }
            }
        }
        // Interleaved timing: raw and wrapper (and handler) batches alternate (the order
        // rotating every round), so drift on a shared machine hits all alike; the overhead is
        // the median of the per-round differences to raw. The handler variant prints as
        // `<name>_handler`.
        "time" => {
            for pair in &mut pairs {
                let n_sides = 2 + pair.handler.is_some() as usize;
                let mut ns: Vec<Vec<f64>> = vec![Vec::new(); n_sides];
                let mut diff: Vec<Vec<f64>> = vec![Vec::new(); n_sides];
                for round in 0..warmup + rounds {
                    let per_call = |d: Duration| d.as_secs_f64() * 1e9 / BATCH as f64;
                    let mut took = vec![0.0; n_sides];
                    for k in 0..n_sides {
                        let side = (round + k) % n_sides;
                        let (label, f) = match side {
                            0 => ("raw", &mut pair.raw),
                            1 => ("wrapper", &mut pair.wrapper),
                            _ => ("handler", pair.handler.as_mut().expect("a handler side")),
                        };
                        took[side] = per_call(batch(pair.name, label, &*pair.prepare, &mut **f));
                    }
                    if round < warmup {
                        continue;
                    }
                    for side in 0..n_sides {
                        ns[side].push(took[side]);
                        diff[side].push(took[side] - took[0]);
                    }
                }
                let raw = median(&mut ns[0]);
                for side in 1..n_sides {
                    let suffix = if side == 1 { "" } else { "_handler" };
                    println!(
                        "time {}{suffix} raw_ns {:.3} wrapper_ns {:.3} overhead_ns {:.3}",
                        pair.name,
                        raw,
                        median(&mut ns[side]),
                        median(&mut diff[side])
                    );
                }
            }
        }
        other => fail(&format!("unknown --mode {other:?}\n{usage}")),
    }
    drop(pairs);
    // SAFETY: created above, deleted once, after the last poll through them.
    unsafe {
        sys::aeron_fragment_assembler_delete(raw_assembler);
        sys::aeron_image_fragment_assembler_delete(raw_image_assembler);
    }
}
