//! Regression test: a client that created publications, subscriptions and counters is
//! really closed in C once every handle is dropped, in any order. A reference cycle between
//! a client and its children once kept clients alive forever; their conductors then killed
//! the process when the driver went away. Observed from the driver's side: a client's
//! heartbeat counter disappears when the client closes.

use std::time::Duration;

use rusteron_client::*;
use rusteron_media_driver::testing::{driver_and_client, offer, subscribe, wait_until, TIMEOUT};

/// `AERON_COUNTER_CLIENT_HEARTBEAT_TIMESTAMP_TYPE_ID`: one per connected client.
const CLIENT_HEARTBEAT_TYPE_ID: i32 = 11;

fn connected_clients(cnc: &AeronCnc) -> usize {
    cnc.counters()
        .expect("driver counters")
        .iter()
        .filter(|c| c.type_id == CLIENT_HEARTBEAT_TYPE_ID)
        .count()
}

#[test]
fn dropping_every_handle_closes_the_client_in_c() -> Result<(), AeronCError> {
    let (driver, aeron) = driver_and_client()?;
    let cnc = AeronCnc::open(driver.dir(), TIMEOUT)?;
    let publication = aeron.add_publication(c"aeron:ipc", 77, TIMEOUT)?;
    // The driver allocates the heartbeat counter with the client's first command.
    wait_until("the client heartbeat counter", || connected_clients(&cnc) == 1);
    let exclusive = aeron.add_exclusive_publication(c"aeron:ipc", 78, TIMEOUT)?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 77)?;
    let counter = aeron.add_counter(9_100, b"", "release", TIMEOUT)?;
    wait_until("connected", || publication.is_connected());
    offer(&publication, b"x")?;

    // Drop in an awkward order: the client first, its children afterwards.
    drop(aeron);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(connected_clients(&cnc), 1, "children keep the client alive");
    drop((publication, exclusive, subscription, counter));
    wait_until("the driver to see the client close", || connected_clients(&cnc) == 0);
    Ok(())
}
