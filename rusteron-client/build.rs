//! Generates the wrappers over the client bindings that rusteron-sys exports.

use rusteron_code_gen::wrappers::build_script::{run, BuildSpec};
use rusteron_code_gen::wrappers::HandlersImpl;

#[path = "build/hand_written.rs"]
mod hand_written;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");
    // Where the Aeron tree and libraries are, for tests that build Aeron's C samples as
    // interop peers (absent in `precompile` mode, where no sources are needed).
    for (dep, name) in [
        ("DEP_AERON_SOURCE", "RUSTERON_AERON_SOURCE"),
        ("DEP_AERON_LIB_DIR", "RUSTERON_AERON_LIB_DIR"),
    ] {
        println!("cargo:rerun-if-env-changed={dep}");
        println!("cargo:rustc-env={name}={}", std::env::var(dep).unwrap_or_default());
    }
    let hand_written = hand_written::all();
    run(&BuildSpec {
        bindings_env: "DEP_AERON_BINDINGS_CLIENT",
        external: None,
        runtime: "crate",
        sys_modules: &["rusteron_sys"],
        hand_written: &hand_written,
        handlers: HandlersImpl::Inherent,
        output: "aeron.rs",
        stats_env: "RUSTERON_CLIENT_GEN_STATS",
    });
}
