//! Shared setup: an embedded media driver, a client on it, and archive contexts pointing
//! at channels where no archive listens.

#![allow(dead_code)]

use std::ffi::CString;
use std::time::Duration;

use rusteron_archive::*;
use rusteron_media_driver::{launch_for_tests, EmbeddedDriver};

#[allow(unused_imports)]
pub use rusteron_media_driver::testing::TIMEOUT;

/// A started client on `driver`.
pub fn client(driver: &EmbeddedDriver) -> Result<Aeron, AeronCError> {
    let ctx = AeronContext::new()?;
    ctx.set_dir(&driver.dir_c_string())?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// A driver and a client on it.
pub fn driver_and_client() -> Result<(EmbeddedDriver, Aeron), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    Ok((driver, aeron))
}

/// A UDP port nothing listens on (bound then released).
pub fn free_udp_port() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind an ephemeral UDP port");
    socket.local_addr().expect("local address").port()
}

/// Control channels of an archive that does not exist: requests go to a UDP port nobody
/// reads, responses to an ephemeral port.
pub fn point_at_no_archive(ctx: &AeronArchiveContext, message_timeout: Duration) -> Result<(), AeronCError> {
    let request = CString::new(format!("aeron:udp?endpoint=localhost:{}", free_udp_port())).expect("no NUL");
    ctx.set_control_request_channel(&request)?;
    ctx.set_control_response_channel(c"aeron:udp?endpoint=localhost:0")?;
    ctx.set_message_timeout_ns(message_timeout.as_nanos() as u64)?;
    Ok(())
}
