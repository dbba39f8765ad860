//! Safe Rust API over the Aeron 1.54 C archive client.
//!
//! The archive wrappers are generated from `aeron_archive.h`; every client type they use is
//! [`rusteron_client`]'s own (re-exported here), so `rusteron_archive::Aeron` and
//! `rusteron_client::Aeron` are the same type.

mod generated {
    #![allow(clippy::all, missing_docs, rustdoc::all)]
    include!(concat!(env!("OUT_DIR"), "/aeron_archive.rs"));
}
pub use generated::*;
pub use rusteron_client::*;
