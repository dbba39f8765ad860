//! The archive C client (feature `archive`).
//!
//! Aeron generates the archive's SBE codecs with Java and gradle; here
//! `rusteron_code_gen::sbe` generates the same C headers from the schema in the Aeron tree,
//! into `OUT_DIR/sbe/c/aeron_archive_client/`, and the 17 archive C files compile against
//! them with nothing but a C compiler.

use std::path::Path;

use crate::compile::Objects;
use crate::config::Config;
use crate::source::AeronSource;

#[cfg(feature = "archive")]
pub fn compile(config: &Config, source: &AeronSource, out_dir: &Path) -> Objects {
    use crate::compile::{base_build, c_files};
    use crate::fail;

    let schema_path = source.archive_schema();
    println!("cargo:rerun-if-changed={}", schema_path.display());
    let schema = std::fs::read_to_string(&schema_path).unwrap_or_else(|e| {
        fail(&format!(
            "cannot read the archive schema {}: {e}",
            schema_path.display()
        ))
    });
    let codecs = rusteron_code_gen::sbe::generate_c_codecs(&schema).unwrap_or_else(|e| {
        fail(&format!(
            "cannot generate the archive codecs from {}: {e}",
            schema_path.display()
        ))
    });
    let sbe_dir = out_dir.join("sbe");
    for file in &codecs {
        let path = sbe_dir.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("codec path has a directory")).expect("create codec directory");
        // Rewrite only when changed so the C objects are not rebuilt needlessly.
        if std::fs::read_to_string(&path).ok().as_deref() != Some(file.contents.as_str()) {
            std::fs::write(&path, &file.contents).expect("write codec header");
        }
    }
    println!("cargo:sbe_include={}", sbe_dir.display());
    println!("cargo:rustc-env=AERON_SBE_INCLUDE={}", sbe_dir.display());

    let client_dir = source.archive_dir().join("client");
    let files = c_files(&client_dir, &[]);
    let mut build = base_build(config, source, out_dir);
    build
        .include(&client_dir)
        .include(&sbe_dir)
        .files(&files)
        .cargo_metadata(false);
    Objects {
        name: "aeron_archive_c_client",
        objects: build.compile_intermediates(),
    }
}

#[cfg(not(feature = "archive"))]
pub fn compile(_: &Config, _: &AeronSource, _: &Path) -> Objects {
    unreachable!("config.archive is only true with the `archive` feature")
}
