//! Uses each packaged crate once: an embedded archiving media driver (rusteron-archive's
//! server on rusteron-media-driver), a client (rusteron-client) that sends one message over
//! IPC, and the C archive client (rusteron-archive) connected to that archive.

use std::time::{Duration, Instant};

use rusteron_archive::server::ArchivingMediaDriver;
use rusteron_archive::{AeronArchive, AeronArchiveContext};
use rusteron_client::{Aeron, AeronCError, AeronContext, AeronHeader, Handlers};

const TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> Result<(), AeronCError> {
    let archiving = ArchivingMediaDriver::launch_for_tests()?;
    let ctx = AeronContext::new()?;
    ctx.set_dir(&archiving.driver().dir_c_string())?;
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
    let deadline = Instant::now() + TIMEOUT;
    let mut received = Vec::new();
    while received.is_empty() {
        assert!(Instant::now() < deadline, "no message within {TIMEOUT:?}");
        if publication.is_connected() {
            let _ = publication.offer(
                b"hello from the packages",
                Handlers::no_reserved_value_supplier_handler(),
            );
        }
        subscription.poll_once(|msg: &[u8], _header: AeronHeader| received.extend_from_slice(msg), 10)?;
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(received, b"hello from the packages");

    let archive_ctx = AeronArchiveContext::new_with_aeron(&aeron)?;
    archive_ctx.set_control_request_channel(c"aeron:ipc")?;
    archive_ctx.set_control_request_stream_id(10)?;
    archive_ctx.set_control_response_channel(c"aeron:ipc")?;
    let archive = AeronArchive::connect(&archive_ctx)?;
    assert_eq!(archive.get_archive_id(), archiving.archive().archive_id());

    println!(
        "received {:?}; connected to archive {}",
        String::from_utf8_lossy(&received),
        archive.get_archive_id()
    );
    Ok(())
}
