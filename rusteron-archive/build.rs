//! Generates the archive wrappers. Client types (`Aeron`, `AeronSubscription`...) are
//! rusteron-client's, never generated again, so there is one `Aeron` type everywhere.
//! With the `server` feature, also generates the archive's SBE codecs in Rust for the server.

use rusteron_code_gen::wrappers::build_script::{run, BuildSpec};
use rusteron_code_gen::wrappers::HandlersImpl;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    run(&BuildSpec {
        bindings_env: "DEP_AERON_BINDINGS_ARCHIVE",
        external: Some(("DEP_AERON_BINDINGS_CLIENT", "rusteron_client")),
        runtime: "rusteron_client",
        sys_modules: &["rusteron_sys", "rusteron_sys::archive"],
        hand_written: &[
            (
                "aeron_archive_get_and_own_archive_context",
                "hands C's context to no owner (it would leak); use the AeronArchiveContext you built",
            ),
            (
                "aeron_archive_get_and_own_control_response_subscription",
                "hands the archive's own subscription to no owner (it would leak or be closed twice)",
            ),
            (
                "aeron_archive_persistent_subscription_get_and_own_persistent_subscription_context",
                "hands C's context to no owner (it would leak)",
            ),
            (
                "aeron_archive_client_map_archive_to_client_error_code",
                "a pure code mapping, not a status: see ArchiveErrorCode",
            ),
            (
                "aeron_archive_context_init",
                "installs a Rust backoff idle strategy: C must never own one (see set_idle_strategy)",
            ),
            (
                "aeron_archive_context_set_idle_strategy",
                "after a connect C owns its own idle state and would aeron_free the Rust handler on close",
            ),
            (
                "aeron_archive_context_set_owns_aeron_client",
                "C closing a client an Aeron wrapper owns would close it twice; ownership stays in Rust",
            ),
            (
                "aeron_archive_context_set_credentials_supplier",
                "three callbacks share one clientd; typed CredentialsSupplier with Rust-owned buffers",
            ),
            (
                "aeron_archive_async_connect",
                "a context without a client makes C create one that the archive closes, leaving the context dangling",
            ),
            (
                "aeron_archive_async_connect_poll",
                "connect timeout is errcode -1 (InvalidChannel): mapped to TimedOut; poll_blocking cancels on timeout",
            ),
            (
                "aeron_archive_connect",
                "same client ownership as async connect; connect timeout mapped to TimedOut",
            ),
            (
                "aeron_archive_replay_merge_init",
                "the merge keeps the aeron_archive_t pointer and uses it in close: it must keep the archive alive",
            ),
            (
                "aeron_archive_persistent_subscription_create",
                "C takes ownership of the context on success, which the context wrapper would close again",
            ),
            (
                "aeron_archive_persistent_subscription_context_set_state_counter",
                "not exposed: the context closes the counter, then the AeronCounter wrapper closes it again",
            ),
            (
                "aeron_archive_persistent_subscription_context_set_join_difference_counter",
                "not exposed: the context closes the counter, then the AeronCounter wrapper closes it again",
            ),
            (
                "aeron_archive_persistent_subscription_context_set_live_left_counter",
                "not exposed: the context closes the counter, then the AeronCounter wrapper closes it again",
            ),
            (
                "aeron_archive_persistent_subscription_context_set_live_joined_counter",
                "not exposed: the context closes the counter, then the AeronCounter wrapper closes it again",
            ),
            (
                "aeron_archive_recording_pos_get_source_identity",
                "len_p is in/out (buffer capacity in): returns an owned String",
            ),
        ],
        handlers: HandlersImpl::Trait("ArchiveHandlers".into()),
        output: "aeron_archive.rs",
        stats_env: "RUSTERON_ARCHIVE_GEN_STATS",
    });
    if cfg!(feature = "server") {
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
                "feature `server` needs the Aeron source tree for the archive schema ({SCHEMA}): \
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

