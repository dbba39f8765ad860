//! Finding the Aeron 1.54.0 source tree, without network access.
//!
//! The tree is published on the crate registry inside the package `libaeron-sys` 1.54.0
//! (folder `aeron/`). `Cargo.toml` depends on that package under `cfg(any())`, which is never
//! true: cargo locks it, `cargo fetch` downloads it and `cargo vendor` copies it (through any
//! source replacement, like every other package), but cargo never compiles it, which matters
//! because its own build script runs CMake and bindgen. The price: cargo downloads only what
//! it compiles, so a bare `cargo build` does not download it either (measured, cargo 1.95).
//!
//! A build script learns a dependency's directory only from a dependency that is built
//! (`DEP_*` metadata, its `CARGO_MANIFEST_DIR`), so this one looks where cargo keeps packages,
//! in this order, and stops at the first Aeron 1.54.0 tree:
//!
//! 1. `AERON_SOURCE_DIR` (a checkout of Aeron), when set.
//! 2. Next to this package. Cargo unpacks all packages of one source into one directory
//!    (`$CARGO_HOME/registry/src/<registry>/<name>-<version>`, or `cargo vendor`'s
//!    `<dir>/<name>`), so when rusteron-sys itself comes from the registry, a mirror or a vendor
//!    directory, the libaeron-sys locked with it is its sibling.
//! 3. `cargo metadata --offline --frozen` over this package's manifest, for a path or git
//!    dependency (this workspace): cargo's own answer for the locked graph under the active
//!    configuration, source replacement included. It never downloads nor writes the lock
//!    file, and it succeeds only when every locked package is on disk (after `cargo fetch`
//!    or with a vendor directory).
//! 4. `$CARGO_HOME/registry/src/*/libaeron-sys-1.54.0`: the package as cargo unpacked it from
//!    a registry, for a path dependency whose other packages are not all downloaded.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::env;

/// The Aeron version this crate's bindings and generated code are written against.
pub const PINNED_VERSION: &str = "1.54.0";

/// The registry package that carries the Aeron tree in its `aeron/` folder.
const PACKAGE: &str = "libaeron-sys";

pub struct AeronSource {
    pub root: PathBuf,
    pub version: String,
    /// Which search found the tree, for the build log.
    pub found_by: String,
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

pub fn locate() -> Result<AeronSource, String> {
    if let Some(dir) = env("AERON_SOURCE_DIR").filter(|d| !d.is_empty()) {
        let root = PathBuf::from(&dir);
        return check_tree(&root)
            .map(|source| AeronSource {
                found_by: "AERON_SOURCE_DIR".to_owned(),
                ..source
            })
            .map_err(|why| {
                format!(
                    "AERON_SOURCE_DIR={dir} is not a usable Aeron {PINNED_VERSION} tree: {why} \
                     (unset it to use the {PACKAGE} package)"
                )
            });
    }
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let parent = manifest_dir.parent().unwrap_or(&manifest_dir).to_owned();
    let registry_src = cargo_home().map(|home| home.join("registry/src"));
    let mut tried = vec!["AERON_SOURCE_DIR: not set".to_owned()];
    // Takes the first usable tree of one search, else notes why there was none.
    let mut first_usable = |what: String, found: Result<Vec<PathBuf>, String>| -> Option<AeronSource> {
        match found {
            Ok(packages) if packages.is_empty() => tried.push(format!("{what}: no {PACKAGE} {PINNED_VERSION}")),
            Ok(packages) => {
                for package in packages {
                    match check_tree(&package.join("aeron")) {
                        Ok(source) => {
                            return Some(AeronSource {
                                found_by: what,
                                ..source
                            })
                        }
                        Err(why) => tried.push(format!("{what}: {} is unusable: {why}", package.display())),
                    }
                }
            }
            Err(why) => tried.push(format!("{what}: {why}")),
        }
        None
    };
    let beside = format!("next to rusteron-sys, in {}", parent.display());
    if let Some(source) = first_usable(beside, Ok(siblings(&parent))) {
        return Ok(source);
    }
    let metadata = format!(
        "`cargo metadata --offline --frozen` for {}",
        manifest_dir.join("Cargo.toml").display()
    );
    if let Some(source) = first_usable(metadata, from_cargo_metadata(&manifest_dir)) {
        return Ok(source);
    }
    let cache = match &registry_src {
        Some(src) => format!("cargo's registry cache, {}/*/{PACKAGE}-{PINNED_VERSION}", src.display()),
        None => "cargo's registry cache (neither CARGO_HOME nor HOME is set)".to_owned(),
    };
    let cached = registry_src.as_deref().map(in_registry_cache).unwrap_or_default();
    if let Some(source) = first_usable(cache, Ok(cached)) {
        return Ok(source);
    }
    Err(format!(
        "the Aeron {PINNED_VERSION} C sources are not on this machine: run `cargo fetch` once \
         (it downloads the package {PACKAGE} {PINNED_VERSION} that Cargo.lock pins; `cargo build` \
         alone does not, because nothing compiles it; `cargo fetch --target ..` skips it), use \
         `cargo vendor` for an offline build, or set AERON_SOURCE_DIR to a checkout of Aeron \
         {PINNED_VERSION}.\nTried:\n  - {}",
        tried.join("\n  - ")
    ))
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
        found_by: String::new(),
    })
}

/// `<name>-<version>` (registry, mirror, `cargo vendor --versioned-dirs`) and `<name>`
/// (`cargo vendor`) in `dir`, the directory that holds this package.
fn siblings(dir: &Path) -> Vec<PathBuf> {
    [format!("{PACKAGE}-{PINNED_VERSION}"), PACKAGE.to_owned()]
        .iter()
        .map(|name| dir.join(name))
        .filter(|package| package.join("Cargo.toml").is_file())
        .collect()
}

/// Asks cargo where the locked libaeron-sys is, reading the lock file and the configuration
/// of the workspace that holds this package (the command runs from its directory).
fn from_cargo_metadata(manifest_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(&cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--frozen",
            "--manifest-path",
        ])
        .arg(manifest_dir.join("Cargo.toml"))
        .current_dir(manifest_dir)
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !output.status.success() {
        // Cargo's first error line says what failed, its last line why.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut lines = stderr.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.find(|l| l.starts_with("error")).unwrap_or("failed");
        return Err(match lines.next_back() {
            Some(last) => format!("{first} ({last})"),
            None => first.to_owned(),
        });
    }
    Ok(package_dirs(&String::from_utf8_lossy(&output.stdout), PACKAGE))
}

/// Cargo's home as cargo finds it: `CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> Option<PathBuf> {
    env("CARGO_HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
}

/// `<registry_src>/*/libaeron-sys-1.54.0`, in a stable order.
fn in_registry_cache(registry_src: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(registry_src)
        .into_iter()
        .flatten()
        .flatten()
        .map(|registry| registry.path().join(format!("{PACKAGE}-{PINNED_VERSION}")))
        .filter(|package| package.join("Cargo.toml").is_file())
        .collect();
    found.sort();
    found
}

/// The directories of the packages called `name` that hold an `aeron/` tree, in `cargo
/// metadata` JSON read without a JSON parser: in each package object `"name":"…"` comes
/// before its `"manifest_path":"…"`, and the dependency entries in between carry no manifest
/// path. A dependency entry named `name` thus points at the depending package, which holds no
/// `aeron/version.txt` and is skipped.
fn package_dirs(json: &str, name: &str) -> Vec<PathBuf> {
    let key = format!("\"name\":\"{name}\"");
    let field = "\"manifest_path\":\"";
    let mut dirs = Vec::new();
    let mut rest = json;
    while let Some(at) = rest.find(&key) {
        rest = &rest[at + key.len()..];
        let Some(start) = rest.find(field).map(|i| i + field.len()) else {
            break;
        };
        let Some(len) = rest[start..].find('"') else {
            break;
        };
        let manifest = rest[start..start + len].replace("\\\\", "\\");
        if let Some(dir) = Path::new(&manifest).parent() {
            if dir.join("aeron/version.txt").is_file() && !dirs.iter().any(|d| d == dir) {
                dirs.push(dir.to_owned());
            }
        }
    }
    dirs
}
