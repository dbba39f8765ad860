//! Generates the wrappers over the client bindings that rusteron-sys exports.

use rusteron_code_gen::wrappers::build_script::{run, BuildSpec};
use rusteron_code_gen::wrappers::HandlersImpl;

/// C functions wrapped by hand in src/, with the reason the generated form would be wrong.
const HAND_WRITTEN: &[(&str, &str)] = &[];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    run(&BuildSpec {
        bindings_env: "DEP_AERON_BINDINGS_CLIENT",
        external: None,
        runtime: "crate",
        sys_modules: &["rusteron_sys"],
        hand_written: HAND_WRITTEN,
        handlers: HandlersImpl::Inherent,
        output: "aeron.rs",
        stats_env: "RUSTERON_CLIENT_GEN_STATS",
    });
}
