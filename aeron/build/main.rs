//! Build script of `rusteron-sys`: the only place in the workspace that compiles or links
//! Aeron C.
//!
//! Steps: read the configuration (features + env vars) → find the Aeron 1.54.0 source tree
//! → compile it with the `cc` crate (or locate prebuilt libraries) → emit link directives
//! → pick the bindings → export `DEP_AERON_*` metadata for dependent build scripts.

mod archive;
mod bindings;
mod compile;
mod config;
mod link;
mod source;

use std::path::PathBuf;

use config::{Config, LinkMode};

fn main() {
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rerun-if-changed=bindings");

    let config = Config::from_env();
    let out_dir = PathBuf::from(env("OUT_DIR").expect("cargo sets OUT_DIR"));

    if config.docs_rs {
        // docs.rs builds have no network and need no native code: bindings only.
        bindings::export(&config, None, &out_dir);
        return;
    }

    // Prebuilt libraries need no sources unless the bindings are regenerated.
    let needs_source = !matches!(config.link, LinkMode::Prebuilt { .. }) || config.bindgen;
    let source = needs_source.then(|| match source::locate() {
        Ok(source) => source,
        Err(message) => fail(&message),
    });
    if let Some(source) = &source {
        // Not a cargo directive: a line for the build log (`-vv`, the build's `output` file).
        println!("Aeron {} sources found by {}", source.version, source.found_by);
        println!("cargo:source={}", source.root.display());
        println!("cargo:include={}", source.client_include().display());
        println!("cargo:version={}", source.version);
        // For this crate's own tests (they compile small C programs against the headers).
        println!(
            "cargo:rustc-env=AERON_CLIENT_INCLUDE={}",
            source.client_include().display()
        );
    }

    let libs = match (&config.link, &source) {
        (LinkMode::Prebuilt { lib_dir, is_static }, _) => match link::prebuilt(&config, lib_dir, *is_static) {
            Ok(libs) => libs,
            Err(message) => fail(&message),
        },
        (_, Some(source)) => {
            let objects = compile::compile_all(&config, source, &out_dir);
            link::from_objects(&config, objects, &out_dir)
        }
        (_, None) => unreachable!("sources are located for every compiling link mode"),
    };
    link::emit(&libs, &compile::system_libs(&config, &out_dir));
    bindings::export(&config, source.as_ref(), &out_dir);
}

/// Reads an environment variable and tells cargo to rerun the build when it changes.
pub fn env(name: &str) -> Option<String> {
    println!("cargo:rerun-if-env-changed={name}");
    std::env::var(name).ok()
}

/// Stops the build with one readable message (cargo shows panics of build scripts in full).
pub fn fail(message: &str) -> ! {
    eprintln!("\nerror: {message}\n");
    std::process::exit(1);
}
