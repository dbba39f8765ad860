//! Generates the archive wrappers. Client types (`Aeron`, `AeronSubscription`...) are
//! rusteron-client's, never generated again, so there is one `Aeron` type everywhere.

use rusteron_code_gen::wrappers::build_script::{run, BuildSpec};
use rusteron_code_gen::wrappers::HandlersImpl;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    run(&BuildSpec {
        bindings_env: "DEP_AERON_BINDINGS_ARCHIVE",
        external: Some(("DEP_AERON_BINDINGS_CLIENT", "rusteron_client")),
        runtime: "rusteron_client",
        sys_modules: &["rusteron_sys", "rusteron_sys::archive"],
        hand_written: &[],
        handlers: HandlersImpl::Trait("ArchiveHandlers".into()),
        output: "aeron_archive.rs",
        stats_env: "RUSTERON_ARCHIVE_GEN_STATS",
    });
}
