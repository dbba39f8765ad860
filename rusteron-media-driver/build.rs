//! Generates the wrappers over the media driver bindings; client types are rusteron-client's.

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
}
