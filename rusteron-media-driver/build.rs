//! Generates the wrappers over the media driver bindings; client types are rusteron-client's.
//! With the `archive` feature, also generates the archive's SBE codecs in Rust.

use rusteron_code_gen::wrappers::build_script::{run, BuildSpec};
use rusteron_code_gen::wrappers::HandlersImpl;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    run(&BuildSpec {
        bindings_env: "DEP_AERON_BINDINGS_DRIVER",
        external: Some(("DEP_AERON_BINDINGS_CLIENT", "rusteron_client")),
        runtime: "rusteron_client",
        sys_modules: &["rusteron_sys", "rusteron_sys::driver"],
        hand_written: &[],
        handlers: HandlersImpl::Trait("DriverHandlers".into()),
        output: "aeron_driver.rs",
        stats_env: "RUSTERON_DRIVER_GEN_STATS",
    });
    if cfg!(feature = "archive") {
        archive_codecs();
    }
}

/// The archive schema of the Aeron tree rusteron-sys builds from → `OUT_DIR/aeron_archive_codecs.rs`.
fn archive_codecs() {
    const SCHEMA: &str = "aeron-archive/src/main/resources/archive/aeron-archive-codecs.xml";
    println!("cargo:rerun-if-env-changed=DEP_AERON_SOURCE");
    println!("cargo:rerun-if-env-changed=AERON_SOURCE_DIR");
    let root = std::env::var("DEP_AERON_SOURCE")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("AERON_SOURCE_DIR").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| {
            panic!(
                "feature `archive` needs the Aeron source tree for the archive schema ({SCHEMA}): \
                 rusteron-sys exports it unless built with `precompile`; set AERON_SOURCE_DIR to an Aeron 1.54 checkout"
            )
        });
    let schema_path = std::path::Path::new(&root).join(SCHEMA);
    println!("cargo:rerun-if-changed={}", schema_path.display());
    let xml = std::fs::read_to_string(&schema_path)
        .unwrap_or_else(|e| panic!("reading the archive schema {}: {e}", schema_path.display()));
    let codecs = rusteron_code_gen::sbe::generate_rust_codecs(&xml)
        .unwrap_or_else(|e| panic!("generating Rust codecs from {}: {e}", schema_path.display()));
    let out =
        std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("aeron_archive_codecs.rs");
    std::fs::write(&out, codecs).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
