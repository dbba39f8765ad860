//! Finding the Aeron 1.54.0 source tree.
//!
//! Order: `AERON_SOURCE_DIR` (a checkout of Aeron) → the tree published inside the registry
//! package `libaeron-sys` 1.54.0, found by a nested `cargo metadata` over a throwaway
//! manifest (offline first, then online unless `CARGO_NET_OFFLINE`) → one error naming both.
//! `cargo metadata` downloads the package if needed but compiles nothing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::env;

/// The Aeron version this crate's bindings and generated code are written against.
pub const PINNED_VERSION: &str = "1.54.0";

pub struct AeronSource {
    pub root: PathBuf,
    pub version: String,
}

impl AeronSource {
    pub fn client_include(&self) -> PathBuf {
        self.root.join("aeron-client/src/main/c")
    }
    pub fn driver_include(&self) -> PathBuf {
        self.root.join("aeron-driver/src/main/c")
    }
    #[cfg_attr(not(any(feature = "archive", feature = "bindgen")), allow(dead_code))]
    pub fn archive_dir(&self) -> PathBuf {
        self.root.join("aeron-archive/src/main/c")
    }
    #[cfg_attr(not(feature = "archive"), allow(dead_code))]
    pub fn archive_schema(&self) -> PathBuf {
        self.root
            .join("aeron-archive/src/main/resources/archive/aeron-archive-codecs.xml")
    }
    /// `(major, minor, patch)` of the tree, for the `AERON_VERSION_*` defines.
    pub fn version_parts(&self) -> (String, String, String) {
        let mut parts = self.version.split('.').map(str::to_owned);
        let mut next = || parts.next().unwrap_or_else(|| "0".into());
        (next(), next(), next())
    }
}

pub fn locate(out_dir: &Path) -> Result<AeronSource, String> {
    if let Some(dir) = env("AERON_SOURCE_DIR").filter(|d| !d.is_empty()) {
        let root = PathBuf::from(&dir);
        return check_tree(&root)
            .map_err(|why| format!("AERON_SOURCE_DIR={dir} is not a usable Aeron {PINNED_VERSION} tree: {why}"));
    }
    let offline = env("CARGO_NET_OFFLINE").is_some_and(|v| v == "true" || v == "1");
    match from_registry_package(out_dir, offline) {
        Ok(root) => check_tree(&root).map_err(|why| {
            format!(
                "the libaeron-sys {PINNED_VERSION} package at {} is unusable: {why}",
                root.display()
            )
        }),
        Err(tried) => Err(format!(
            "could not find the Aeron {PINNED_VERSION} C sources.\n\
             Tried:\n  1. AERON_SOURCE_DIR (not set)\n  2. the registry package libaeron-sys \
             ={PINNED_VERSION} through `cargo metadata` ({tried})\n\
             Fix one of:\n  - set AERON_SOURCE_DIR to a checkout of Aeron {PINNED_VERSION} \
             (the directory holding version.txt and aeron-client/)\n  - allow cargo to download \
             the package once (unset CARGO_NET_OFFLINE / drop --offline), or run \
             `cargo fetch` for a project that depends on libaeron-sys ={PINNED_VERSION} while online"
        )),
    }
}

fn check_tree(root: &Path) -> Result<AeronSource, String> {
    let version_file = root.join("version.txt");
    let version = fs::read_to_string(&version_file)
        .map_err(|e| format!("cannot read {}: {e}", version_file.display()))?
        .trim()
        .to_owned();
    if version != PINNED_VERSION {
        return Err(format!(
            "it is Aeron {version} (from {}), but rusteron-sys is pinned to Aeron {PINNED_VERSION}: \
             its bindings and generated code match that version only",
            version_file.display()
        ));
    }
    let aeronc = root.join("aeron-client/src/main/c/aeronc.h");
    if !aeronc.is_file() {
        return Err(format!("{} is missing", aeronc.display()));
    }
    Ok(AeronSource {
        root: root.canonicalize().unwrap_or_else(|_| root.to_owned()),
        version,
    })
}

/// Runs `$CARGO metadata` over a throwaway manifest depending on `libaeron-sys` and returns
/// the `aeron/` directory inside that package.
fn from_registry_package(out_dir: &Path, offline: bool) -> Result<PathBuf, String> {
    let probe = out_dir.join("aeron-source-probe");
    fs::create_dir_all(probe.join("src")).map_err(|e| e.to_string())?;
    // The empty [workspace] keeps cargo from attaching the probe to an enclosing workspace.
    let manifest = format!(
        "[package]\nname = \"rusteron-sys-source-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         publish = false\n\n[dependencies]\nlibaeron-sys = {{ version = \"={PINNED_VERSION}\", \
         default-features = false }}\n\n[workspace]\n"
    );
    fs::write(probe.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    fs::write(probe.join("src/lib.rs"), "").map_err(|e| e.to_string())?;

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut attempts: Vec<&[&str]> = vec![&["--offline"]];
    if !offline {
        attempts.push(&[]);
    }
    let mut errors = Vec::new();
    for extra in attempts {
        let output = Command::new(&cargo)
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(probe.join("Cargo.toml"))
            .args(extra)
            // The outer build's target dir and flags mean nothing to the probe.
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .output();
        let mode = if extra.is_empty() { "online" } else { "offline" };
        match output {
            Ok(out) if out.status.success() => {
                let json = String::from_utf8_lossy(&out.stdout);
                if let Some(dir) = package_dir(&json, "libaeron-sys") {
                    return Ok(dir.join("aeron"));
                }
                errors.push(format!("{mode}: no libaeron-sys in the metadata"));
            }
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let last = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
                errors.push(format!("{mode}: {}", last.trim()));
            }
            Err(e) => errors.push(format!("{mode}: cannot run {cargo}: {e}")),
        }
    }
    if offline {
        errors.push("online attempt skipped because CARGO_NET_OFFLINE is set".into());
    }
    Err(errors.join("; "))
}

/// Finds the directory of package `name` in `cargo metadata` JSON without a JSON parser:
/// every package object has `"name":"…"` followed by its `"manifest_path":"…"`.
fn package_dir(json: &str, name: &str) -> Option<PathBuf> {
    let key = format!("\"name\":\"{name}\"");
    let mut rest = json;
    while let Some(at) = rest.find(&key) {
        rest = &rest[at + key.len()..];
        let mp = rest.find("\"manifest_path\":\"")? + "\"manifest_path\":\"".len();
        let end = rest[mp..].find('"')?;
        let manifest = rest[mp..mp + end].replace("\\\\", "\\");
        let dir = Path::new(&manifest).parent()?.to_owned();
        if dir.join("aeron/version.txt").is_file() {
            return Some(dir);
        }
    }
    None
}
