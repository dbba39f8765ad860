//! The archive's SBE codecs, generated at build time from the Aeron tree's
//! `aeron-archive-codecs.xml` by `rusteron_code_gen::sbe::generate_rust_codecs`.

#![allow(dead_code, missing_docs, clippy::all)]

include!(concat!(env!("OUT_DIR"), "/aeron_archive_codecs.rs"));
