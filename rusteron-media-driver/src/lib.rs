//! The Aeron 1.54 C media driver, embedded in Rust.
//!
//! - [`AeronDriverContext`] / [`AeronDriver`]: the generated wrappers over `aeronmd.h`.
//! - [`AeronDriver::launch_embedded`]: run the driver in this process; the returned
//!   [`EmbeddedDriver`] stops it and removes its directory on drop.
//! - [`EmbeddedDriverOptions`] / [`launch_for_tests`]: a driver per test, in its own
//!   directory, light enough for two cores; [`testing`] has the matching client helpers.
//!
//! ```no_run
//! use rusteron_media_driver::*;
//!
//! let driver = launch_for_tests()?;
//! let ctx = AeronContext::new()?;
//! ctx.set_dir(&driver.dir_c_string())?;
//! let aeron = Aeron::new(&ctx)?;
//! aeron.start()?;
//! # Ok::<(), AeronCError>(())
//! ```

mod embedded;
pub mod testing;

pub use embedded::{launch_for_tests, unique_aeron_dir, EmbeddedDriver, EmbeddedDriverOptions};

mod generated {
    #![allow(clippy::all, missing_docs, rustdoc::all)]
    include!(concat!(env!("OUT_DIR"), "/aeron_driver.rs"));
}
pub use generated::*;
pub use rusteron_client::*;
