//! Raw FFI bindings to the [Aeron](https://aeron.io) 1.54.0 C client, media driver and
//! archive client.
//!
//! This crate is the only one in the rusteron workspace that compiles or links Aeron C. Its
//! build script finds the Aeron 1.54.0 sources, compiles them with the `cc` crate (no CMake,
//! Java or libclang) and links them statically (default), dynamically, or links your own
//! prebuilt libraries. See the crate README for the link modes and environment variables.
//!
//! The link-mode features are additive, so any two dependents can combine: when several are
//! on, `precompile` wins over both others (it compiles no C) and `dynamic` wins over `static`
//! (`static` is often on only because it is a default feature, `dynamic` is always asked for).
//! The build prints a warning when `static` and `dynamic` are both on.
//!
//! Everything here is `unsafe` C: use `rusteron-client`, `rusteron-archive` and
//! `rusteron-media-driver` for a safe API.
//!
//! | module | header | feature |
//! |---|---|---|
//! | crate root (re-exported from `client`) | `aeronc.h` | always |
//! | [`driver`] | `aeronmd.h` | `driver` |
//! | [`archive`] | `aeron_archive.h` | `archive` |
//!
//! ```
//! use std::ffi::CStr;
//! // SAFETY: aeron_version_text returns a pointer to a static NUL-terminated string.
//! let version = unsafe { CStr::from_ptr(rusteron_sys::aeron_version_text()) };
//! assert_eq!(version.to_str().unwrap(), rusteron_sys::AERON_VERSION);
//! ```

#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
#![allow(clippy::all, rustdoc::all)]

/// The Aeron version these bindings were generated from; the build checks the source tree
/// against it and a test checks the linked library.
pub const AERON_VERSION: &str = "1.54.0";

/// Bindings for `aeronc.h`, the Aeron C client. Everything is re-exported at the crate root.
pub mod client {
    #[cfg(not(feature = "bindgen"))]
    include!("../bindings/client.rs");
    #[cfg(feature = "bindgen")]
    include!(concat!(env!("OUT_DIR"), "/bindings/client.rs"));
}
pub use client::*;

/// Bindings for `aeronmd.h`, the C media driver (feature `driver`).
#[cfg(feature = "driver")]
pub mod driver {
    #[allow(unused_imports)]
    use super::client::*;
    #[cfg(not(feature = "bindgen"))]
    include!("../bindings/driver.rs");
    #[cfg(feature = "bindgen")]
    include!(concat!(env!("OUT_DIR"), "/bindings/driver.rs"));
}

/// Bindings for `aeron_archive.h`, the C archive client (feature `archive`). Client types
/// it uses are the ones of [`client`].
#[cfg(feature = "archive")]
pub mod archive {
    #[allow(unused_imports)]
    use super::client::*;
    #[cfg(not(feature = "bindgen"))]
    include!("../bindings/archive.rs");
    #[cfg(feature = "bindgen")]
    include!(concat!(env!("OUT_DIR"), "/bindings/archive.rs"));
}
