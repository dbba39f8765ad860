//! Raw-FFI smoke test: the C media driver in-process on a temporary directory, a C client
//! connected to it, bytes offered on an `aeron:ipc` publication and polled back.
#![cfg(feature = "driver")]

use std::ffi::{c_void, CStr, CString};
use std::ptr;
use std::time::{Duration, Instant};

use rusteron_sys::driver::*;
use rusteron_sys::*;

fn check(rc: i32, what: &str) {
    if rc < 0 {
        // SAFETY: aeron_errmsg returns the calling thread's last error message.
        let msg = unsafe { CStr::from_ptr(aeron_errmsg()) };
        panic!("{what} failed ({rc}): {}", msg.to_string_lossy());
    }
}

fn deadline(what: &str, start: Instant) {
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "timed out waiting for {what}"
    );
    std::thread::sleep(Duration::from_millis(1));
}

unsafe extern "C" fn collect(clientd: *mut c_void, buffer: *const u8, length: usize, _header: *mut aeron_header_t) {
    // SAFETY: clientd is the &mut Vec<Vec<u8>> passed to aeron_subscription_poll below and
    // buffer/length describe the fragment for the duration of this call.
    let received = &mut *(clientd as *mut Vec<Vec<u8>>);
    received.push(std::slice::from_raw_parts(buffer, length).to_vec());
}

#[test]
fn ipc_round_trip_through_embedded_c_driver() {
    let dir = tempfile::tempdir().unwrap();
    let aeron_dir = CString::new(dir.path().join("aeron").to_str().unwrap()).unwrap();
    let channel = CString::new("aeron:ipc").unwrap();
    let stream_id = 1001;
    let payloads: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 32 + i as usize]).collect();

    // SAFETY: every pointer passed below is either created by the matching *_init call or
    // a live CString, and each object is closed once, children before parents.
    unsafe {
        let mut driver_ctx: *mut aeron_driver_context_t = ptr::null_mut();
        check(aeron_driver_context_init(&mut driver_ctx), "aeron_driver_context_init");
        check(aeron_driver_context_set_dir(driver_ctx, aeron_dir.as_ptr()), "set_dir");
        check(
            aeron_driver_context_set_threading_mode(driver_ctx, aeron_threading_mode_enum::AERON_THREADING_MODE_SHARED),
            "set_threading_mode",
        );
        check(
            aeron_driver_context_set_dir_delete_on_start(driver_ctx, true),
            "delete_on_start",
        );
        check(
            aeron_driver_context_set_dir_delete_on_shutdown(driver_ctx, true),
            "delete_on_shutdown",
        );
        let mut driver: *mut aeron_driver_t = ptr::null_mut();
        check(aeron_driver_init(&mut driver, driver_ctx), "aeron_driver_init");
        check(aeron_driver_start(driver, false), "aeron_driver_start");

        let mut ctx: *mut aeron_context_t = ptr::null_mut();
        check(aeron_context_init(&mut ctx), "aeron_context_init");
        check(aeron_context_set_dir(ctx, aeron_dir.as_ptr()), "aeron_context_set_dir");
        let mut client: *mut aeron_t = ptr::null_mut();
        check(aeron_init(&mut client, ctx), "aeron_init");
        check(aeron_start(client), "aeron_start");

        let mut async_pub: *mut aeron_async_add_publication_t = ptr::null_mut();
        check(
            aeron_async_add_publication(&mut async_pub, client, channel.as_ptr(), stream_id),
            "aeron_async_add_publication",
        );
        let mut publication: *mut aeron_publication_t = ptr::null_mut();
        let start = Instant::now();
        loop {
            let rc = aeron_async_add_publication_poll(&mut publication, async_pub);
            check(rc, "aeron_async_add_publication_poll");
            if rc > 0 {
                break;
            }
            deadline("publication", start);
        }

        let mut async_sub: *mut aeron_async_add_subscription_t = ptr::null_mut();
        check(
            aeron_async_add_subscription(
                &mut async_sub,
                client,
                channel.as_ptr(),
                stream_id,
                None,
                ptr::null_mut(),
                None,
                ptr::null_mut(),
            ),
            "aeron_async_add_subscription",
        );
        let mut subscription: *mut aeron_subscription_t = ptr::null_mut();
        let start = Instant::now();
        loop {
            let rc = aeron_async_add_subscription_poll(&mut subscription, async_sub);
            check(rc, "aeron_async_add_subscription_poll");
            if rc > 0 {
                break;
            }
            deadline("subscription", start);
        }

        let start = Instant::now();
        while !aeron_publication_is_connected(publication) {
            deadline("publication to connect", start);
        }

        let mut expected_position = 0i64;
        for payload in &payloads {
            let start = Instant::now();
            loop {
                let position =
                    aeron_publication_offer(publication, payload.as_ptr(), payload.len(), None, ptr::null_mut());
                if position > 0 {
                    // 32-byte frame header, frames aligned to 32 bytes.
                    expected_position += ((payload.len() as i64 + 32) + 31) & !31;
                    assert_eq!(position, expected_position, "publication position");
                    break;
                }
                assert!(
                    position == AERON_PUBLICATION_BACK_PRESSURED as i64
                        || position == AERON_PUBLICATION_ADMIN_ACTION as i64,
                    "offer failed with {position}"
                );
                deadline("offer", start);
            }
        }

        let mut received: Vec<Vec<u8>> = Vec::new();
        let start = Instant::now();
        while received.len() < payloads.len() {
            let rc = aeron_subscription_poll(
                subscription,
                Some(collect),
                &mut received as *mut Vec<Vec<u8>> as *mut c_void,
                16,
            );
            check(rc, "aeron_subscription_poll");
            if rc == 0 {
                deadline("fragments", start);
            }
        }
        assert_eq!(received, payloads);

        check(
            aeron_subscription_close(subscription, None, ptr::null_mut()),
            "subscription_close",
        );
        check(
            aeron_publication_close(publication, None, ptr::null_mut()),
            "publication_close",
        );
        check(aeron_close(client), "aeron_close");
        check(aeron_context_close(ctx), "aeron_context_close");
        check(aeron_driver_close(driver), "aeron_driver_close");
        check(aeron_driver_context_close(driver_ctx), "aeron_driver_context_close");
    }
    assert!(
        !dir.path().join("aeron").join("cnc.dat").exists(),
        "the driver deletes its directory on shutdown"
    );
}
