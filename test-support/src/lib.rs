//! Test support shared by every crate of the rusteron workspace (not published): one
//! timeout, bounded waits, a counting allocator, several hosts on one machine (network
//! namespaces joined by veth pairs to a bridge) with one `aeronmd` process per host, a
//! read-only view of a driver's CnC file and the message pattern tests verify byte for byte.
//!
//! The multi-host tests stay in the root namespace and talk to each driver through the
//! shared memory of its aeron directory; only the drivers send UDP, inside the namespaces,
//! to addresses that exist only there.
//!
//! Everything a test creates is owned by a guard whose `Drop` removes it (processes killed,
//! namespaces deleted, directories removed), also when the test fails or panics. Names carry
//! the process id and a counter, so test binaries can run side by side. Namespaces left by a
//! process that was killed before its guards ran are removed by the next run, and every
//! `aeronmd` is started with `PR_SET_PDEATHSIG`, so it dies with the test thread that
//! started it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub mod aeronmd;
pub mod alloc;
pub mod clients;
pub mod cnc;
pub mod netns;
pub mod verify;

pub use aeronmd::{aeronmd_binary, unique_dir, Aeronmd, Lab};
pub use alloc::{allocations, CountingAllocator};
pub use clients::*;
pub use cnc::{Cnc, Loss};
pub use netns::{Netns, Network};
pub use verify::*;

/// The one bound of every wait in the workspace's tests (adding a publication, a connect,
/// a message arriving...): `rusteron_media_driver::testing::TIMEOUT`.
pub use rusteron_media_driver::testing::TIMEOUT;
/// Former name of [`TIMEOUT`] in the multi-host tests.
pub const OP_TIMEOUT: Duration = TIMEOUT;
/// Prefix of every namespace and directory these helpers create (`<prefix>-<pid>-<n>-<role>`).
pub(crate) const NETNS_PREFIX: &str = "rsnt";

static NEXT_ID: AtomicU32 = AtomicU32::new(0);

fn next_id() -> u32 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A name no other test in this or another process uses: `<prefix>-<pid>-<n>-<role>`.
pub fn unique_name(role: &str) -> String {
    format!("{NETNS_PREFIX}-{}-{}-{role}", std::process::id(), next_id())
}

/// Polls `condition` every millisecond until it holds; panics naming `what` after `within`.
/// Returns how long it took.
pub fn wait_until(what: &str, within: Duration, mut condition: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < within,
            "timed out after {within:?} waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    start.elapsed()
}
