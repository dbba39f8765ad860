//! Compiling the Aeron C sources with the `cc` crate (no CMake), with the definitions
//! Aeron's own CMake build uses on this platform.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::config::Config;
use crate::source::AeronSource;

/// Object files of one Aeron library, ready to be archived or linked into a shared object.
pub struct Objects {
    /// Library name as Aeron's CMake build names the shared variant (`aeron`, `aeron_driver`).
    pub name: &'static str,
    pub objects: Vec<PathBuf>,
}

/// Compiles the client, plus the driver and archive client when their features are on.
/// Returned in link order: dependents before their dependencies.
pub fn compile_all(config: &Config, source: &AeronSource, out_dir: &Path) -> Vec<Objects> {
    let mut libs = Vec::new();
    if config.archive {
        libs.push(crate::archive::compile(config, source, out_dir));
    }
    if config.driver {
        let dir = source.driver_include();
        let files = c_files(&dir, &["aeronmd.c"]);
        let mut build = base_build(config, source, out_dir);
        build.include(&dir).define("HAVE_EPOLL", None).define("HAVE_POLL", None);
        for (define, present) in driver_probes(out_dir) {
            if present {
                build.define(define, None);
            }
        }
        libs.push(objects(build, "aeron_driver", &files, out_dir));
    }
    let dir = source.client_include();
    let files = c_files(&dir, &[]);
    libs.push(objects(base_build(config, source, out_dir), "aeron", &files, out_dir));
    libs
}

/// A `cc::Build` with the flags shared by every Aeron library.
pub fn base_build(config: &Config, source: &AeronSource, out_dir: &Path) -> cc::Build {
    let (major, minor, patch) = source.version_parts();
    let mut build = cc::Build::new();
    build
        .include(source.client_include())
        .std("c11")
        .opt_level(3)
        .pic(true)
        // Aeron's sources are not warning-clean under every compiler; their warnings are
        // not actionable for users of this crate.
        .warnings(false)
        .cargo_warnings(false)
        .define("_DEFAULT_SOURCE", None)
        .define("_FILE_OFFSET_BITS", "64")
        .define("NDEBUG", None)
        .define("DISABLE_BOUNDS_CHECKS", None)
        .define("AERON_VERSION_TXT", format!("\"{}\"", source.version).as_str())
        .define("AERON_VERSION_MAJOR", major.as_str())
        .define("AERON_VERSION_MINOR", minor.as_str())
        .define("AERON_VERSION_PATCH", patch.as_str())
        // The registry package carries no git metadata; say where the tree came from.
        .define("AERON_VERSION_GITSHA", "\"rusteron-sys\"")
        .define("HAVE_DEV_URANDOM", None)
        .define("HAVE_POSIX_MEMALIGN", None);
    if config.target_os == "linux" {
        build.define("HAVE_FALLOCATE", None);
    }
    if config.target_os != "macos" {
        build.define("HAVE_POSIX_FALLOCATE", None);
    }
    if has_arc4random(out_dir) {
        build.define("HAVE_ARC4RANDOM", None);
    }
    build
}

fn objects(build: cc::Build, name: &'static str, files: &[PathBuf], _out_dir: &Path) -> Objects {
    let mut build = build;
    build.files(files).cargo_metadata(false);
    Objects {
        name,
        objects: build.compile_intermediates(),
    }
}

/// Every `.c` file under `dir`, sorted so builds are reproducible.
pub fn c_files(dir: &Path, exclude: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, exclude: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, exclude, out);
            } else if path.extension().is_some_and(|e| e == "c")
                && !exclude.iter().any(|x| path.file_name().is_some_and(|n| n == *x))
            {
                println!("cargo:rerun-if-changed={}", path.display());
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, exclude, &mut files);
    files.sort();
    files
}

/// System libraries the Aeron libraries need, in link order.
pub fn system_libs(config: &Config, out_dir: &Path) -> Vec<&'static str> {
    let mut libs = Vec::new();
    if config.driver && has_uuid(out_dir) {
        libs.push("uuid");
    }
    libs.extend(["pthread", "m"]);
    if config.target_os == "linux" {
        libs.push("dl");
    }
    libs
}

fn driver_probes(out_dir: &Path) -> Vec<(&'static str, bool)> {
    let uuid = has_uuid(out_dir);
    vec![
        ("HAVE_UUID_H", uuid),
        ("HAVE_UUID_GENERATE", uuid),
        (
            "HAVE_STRUCT_MMSGHDR",
            probe(
                out_dir,
                "mmsghdr",
                "#define _GNU_SOURCE\n#include <sys/socket.h>\nint main(void){struct mmsghdr m; (void)m; return 0;}",
                &[],
            ),
        ),
        (
            "HAVE_RECVMMSG",
            probe(
                out_dir,
                "recvmmsg",
                "#define _GNU_SOURCE\n#include <sys/socket.h>\nint main(void){return recvmmsg(0,0,0,0,0);}",
                &[],
            ),
        ),
        (
            "HAVE_SENDMMSG",
            probe(
                out_dir,
                "sendmmsg",
                "#define _GNU_SOURCE\n#include <sys/socket.h>\nint main(void){return sendmmsg(0,0,0,0);}",
                &[],
            ),
        ),
    ]
}

fn has_uuid(out_dir: &Path) -> bool {
    probe(
        out_dir,
        "uuid",
        "#include <uuid/uuid.h>\nint main(void){uuid_t u; uuid_generate(u); return 0;}",
        &["-luuid"],
    )
}

fn has_arc4random(out_dir: &Path) -> bool {
    probe(
        out_dir,
        "arc4random",
        "#include <stdlib.h>\nint main(void){return (int)arc4random();}",
        &[],
    )
}

/// Compiles and links a tiny program to learn whether the platform has a header, symbol
/// or library (what CMake's check_symbol_exists does). Results are cached per build.
fn probe(out_dir: &Path, name: &str, code: &str, libs: &[&str]) -> bool {
    let dir = out_dir.join("probes");
    let cached = dir.join(format!("{name}.result"));
    if let Ok(result) = std::fs::read_to_string(&cached) {
        return result == "1";
    }
    let _ = std::fs::create_dir_all(&dir);
    let src = dir.join(format!("{name}.c"));
    let exe = dir.join(name);
    let ok = std::fs::write(&src, code).is_ok() && {
        let compiler = cc::Build::new().cargo_metadata(false).get_compiler();
        let mut cmd: Command = compiler.to_command();
        cmd.arg(&src).arg("-o").arg(&exe).args(libs);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        cmd.status().is_ok_and(|s| s.success())
    };
    let _ = std::fs::write(&cached, if ok { "1" } else { "0" });
    ok
}
