//! Turning object files into libraries (or finding prebuilt ones) and telling rustc how to
//! link them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::compile::Objects;
use crate::config::{Config, LinkMode};
use crate::fail;

/// One Aeron library to link, in link order.
pub struct Lib {
    pub name: String,
    pub dir: PathBuf,
    pub is_static: bool,
}

/// Archives (static) or links (dynamic) freshly compiled objects into `OUT_DIR/lib`.
pub fn from_objects(config: &Config, compiled: Vec<Objects>, out_dir: &Path) -> Vec<Lib> {
    let lib_dir = out_dir.join("lib");
    std::fs::create_dir_all(&lib_dir).expect("create OUT_DIR/lib");
    println!("cargo:lib_dir={}", lib_dir.display());
    let dynamic = config.link == LinkMode::Dynamic;
    let system = crate::compile::system_libs(config, out_dir);
    // Shared libraries are linked dependencies-first so each can name the one it needs.
    let mut libs: Vec<Lib> = Vec::new();
    for objs in compiled.iter().rev() {
        let lib = if dynamic {
            let deps: Vec<&str> = libs.iter().map(|l| l.name.as_str()).collect();
            shared_library(config, objs, &deps, &system, &lib_dir)
        } else {
            static_archive(objs, &lib_dir)
        };
        libs.push(lib);
    }
    libs.reverse();
    libs
}

fn static_archive(objs: &Objects, lib_dir: &Path) -> Lib {
    let name = format!("{}_static", objs.name);
    let path = lib_dir.join(format!("lib{name}.a"));
    let _ = std::fs::remove_file(&path);
    let mut ar = cc::Build::new().cargo_metadata(false).get_archiver();
    ar.arg("crs").arg(&path).args(&objs.objects);
    run(&mut ar, &format!("archive {}", path.display()));
    Lib {
        name,
        dir: lib_dir.to_owned(),
        is_static: true,
    }
}

/// Links a shared library whose install name is its absolute path, so every binary that
/// links it records that path and finds it at run time without LD_LIBRARY_PATH or an rpath
/// (rustc-link-arg from a dependency cannot add an rpath to the final binary).
fn shared_library(config: &Config, objs: &Objects, deps: &[&str], system: &[&str], lib_dir: &Path) -> Lib {
    let macos = config.target_os == "macos";
    let file = if macos {
        format!("lib{}.dylib", objs.name)
    } else {
        format!("lib{}.so", objs.name)
    };
    let path = lib_dir.join(&file);
    let compiler = cc::Build::new().cargo_metadata(false).get_compiler();
    let mut cmd = compiler.to_command();
    cmd.arg("-shared").arg("-o").arg(&path).args(&objs.objects);
    if macos {
        cmd.arg(format!("-Wl,-install_name,{}", path.display()));
    } else {
        cmd.arg(format!("-Wl,-soname,{}", path.display()));
    }
    cmd.arg(format!("-L{}", lib_dir.display()));
    for dep in deps {
        cmd.arg(format!("-l{dep}"));
    }
    for lib in system {
        cmd.arg(format!("-l{lib}"));
    }
    run(&mut cmd, &format!("link {}", path.display()));
    Lib {
        name: objs.name.to_owned(),
        dir: lib_dir.to_owned(),
        is_static: false,
    }
}

/// Checks that `AERON_LIB_DIR` holds every library the enabled features need.
pub fn prebuilt(config: &Config, lib_dir: &Path, is_static: bool) -> Result<Vec<Lib>, String> {
    let mut names = Vec::new();
    if config.archive {
        names.push("aeron_archive_c_client");
    }
    if config.driver {
        names.push("aeron_driver");
    }
    names.push("aeron");
    let dylib_ext = if config.target_os == "macos" { "dylib" } else { "so" };
    let mut libs = Vec::new();
    let mut missing = Vec::new();
    for base in names {
        let (name, file) = if is_static {
            (format!("{base}_static"), format!("lib{base}_static.a"))
        } else {
            (base.to_owned(), format!("lib{base}.{dylib_ext}"))
        };
        let path = lib_dir.join(&file);
        println!("cargo:rerun-if-changed={}", path.display());
        if !path.is_file() {
            missing.push(path.display().to_string());
        }
        libs.push(Lib {
            name,
            dir: lib_dir.to_owned(),
            is_static,
        });
    }
    if !missing.is_empty() {
        return Err(format!(
            "feature `precompile` with AERON_LIB_DIR={} and AERON_STATIC={}: missing {}.\n\
             Build Aeron {} first (its CMake build or `cargo build -p rusteron-sys` produce these \
             names), or switch AERON_STATIC to the kind of libraries you have.",
            lib_dir.display(),
            if is_static { 1 } else { 0 },
            missing.join(", "),
            crate::source::PINNED_VERSION,
        ));
    }
    println!("cargo:lib_dir={}", lib_dir.display());
    Ok(libs)
}

/// Emits the link directives: Aeron libraries in dependency order, then system libraries.
pub fn emit(libs: &[Lib], system: &[&str]) {
    let mut dirs: Vec<&PathBuf> = libs.iter().map(|l| &l.dir).collect();
    dirs.dedup();
    for dir in dirs {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    for lib in libs {
        let kind = if lib.is_static { "static" } else { "dylib" };
        println!("cargo:rustc-link-lib={kind}={}", lib.name);
    }
    for lib in system {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
}

fn run(cmd: &mut Command, what: &str) {
    match cmd.status() {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!("failed to {what}: {cmd:?} exited with {status}")),
        Err(e) => fail(&format!("failed to {what}: cannot run {cmd:?}: {e}")),
    }
}
