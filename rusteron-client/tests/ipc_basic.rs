//! Generated wrappers against a real embedded media driver: publish over IPC, poll back.

use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;

use rusteron_media_driver::testing::TIMEOUT;

#[test]
fn ipc_publication_to_subscription() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let ctx = AeronContext::new()?;
    ctx.set_dir(&driver.dir_c_string())?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;

    let publication = aeron
        .async_add_publication(c"aeron:ipc", 1001)?
        .poll_blocking(TIMEOUT)?;
    let subscription = aeron
        .async_add_subscription(
            c"aeron:ipc",
            1001,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )?
        .poll_blocking(TIMEOUT)?;
    let start = Instant::now();
    while !publication.is_connected() {
        assert!(start.elapsed() < TIMEOUT, "publication never connected");
        std::thread::sleep(Duration::from_millis(1));
    }

    let messages: Vec<Vec<u8>> = (0..100u32).map(|i| format!("message {i}").into_bytes()).collect();
    for m in &messages {
        loop {
            let position = publication.offer(m, Handlers::no_reserved_value_supplier_handler())?;
            if position > 0 {
                break;
            }
        }
    }
    let mut received = Vec::new();
    let start = Instant::now();
    while received.len() < messages.len() {
        subscription.poll_once(|buffer: &[u8], _header: AeronHeader| received.push(buffer.to_vec()), 10)?;
        assert!(start.elapsed() < TIMEOUT, "only {} messages arrived", received.len());
    }
    assert_eq!(received, messages);
    Ok(())
}
