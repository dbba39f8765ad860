#!/usr/bin/env bash
# Supply-chain checks, run by CI (.ci/run) and by hand the same way:
#
#  1. vendored: `cargo vendor` copies every locked package, the Aeron sources (libaeron-sys)
#     among them; then rusteron-client builds `--frozen` inside a network namespace with no
#     network, from an empty CARGO_HOME whose only config points at the vendor directory.
#     Any download (by cargo or by a build script) fails the build.
#  2. packaged: `cargo package --workspace`, then the .crate files are unpacked into a local
#     directory source next to the vendored dependencies, and a small consumer crate
#     (.ci/package-consumer) is built from there, `--offline` and again without network, and
#     run. Nothing comes from the workspace paths or the crate registry (which holds unrelated
#     crates with our names).
#
# Both builds share target/supply-chain (a cache across runs: third-party packages keep their
# registry identity under source replacement, so they compile once).
#
# Needs network for `cargo vendor` and `cargo package` (the crate registry, through cargo),
# `unshare` (util-linux), and root or unprivileged user namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
target=$repo/target/supply-chain
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$(id -u)" = 0 ]; then no_network() { unshare --net -- "$@"; }; else no_network() { unshare --map-root-user --net -- "$@"; }; fi
no_network true || { echo "error: \`unshare --net\` does not work here: it needs root or user namespaces" >&2; exit 1; }
t() { echo "--- [$(( $(date +%s) - t0 ))s] $*"; }
t0=$(date +%s)

t "cargo vendor"
# stdout: the source-replacement config for the vendor directory (--quiet would drop it).
cargo vendor --locked "$work/vendor" >"$work/vendor-config.toml" 2>"$work/vendor.log" || { cat "$work/vendor.log"; exit 1; }
grep -q "directory = \"$work/vendor\"" "$work/vendor-config.toml"
test -f "$work/vendor/libaeron-sys/aeron/version.txt" || { echo "error: cargo vendor did not copy libaeron-sys" >&2; exit 1; }

t "vendored --frozen build of rusteron-client without network"
mkdir -p "$work/home-vendored"
cp "$work/vendor-config.toml" "$work/home-vendored/config.toml"
CARGO_HOME="$work/home-vendored" no_network cargo build -p rusteron-client --frozen --target-dir "$target"
# The build script recorded where it found Aeron: it must be the vendored copy.
used=$(grep -h '^cargo:source=' "$target"/debug/build/rusteron-sys-*/output | sort -u)
echo "$used"
if ! grep -qx "cargo:source=$work/vendor/libaeron-sys/aeron" <<<"$used"; then
    echo "error: rusteron-sys did not compile the vendored Aeron sources" >&2
    exit 1
fi

t "cargo package --workspace"
# --no-verify: step 3 below is the verification (the packages built together, offline, the
# way a user gets them), cheaper than cargo's one build per package.
cargo package --workspace --no-verify --locked --quiet --target-dir "$work/package"

t "packaged crates into a local directory source"
source_dir=$work/vendor # beside the vendored third-party packages, libaeron-sys among them
for crate in "$work"/package/package/*.crate; do
    dir=$source_dir/$(basename "$crate" .crate)
    tar -xzf "$crate" -C "$source_dir"
    # A directory source lists each package's checksum; an empty file list skips per-file checks.
    printf '{"files":{},"package":"%s"}' "$(sha256sum "$crate" | cut -d' ' -f1)" >"$dir/.cargo-checksum.json"
    echo "$(basename "$crate")"
done
mkdir -p "$work/home-packaged"
cp "$work/vendor-config.toml" "$work/home-packaged/config.toml"
cp -r .ci/package-consumer "$work/consumer"

t "consumer built from the packages, offline and without network"
CARGO_HOME="$work/home-packaged" no_network cargo build --offline --manifest-path "$work/consumer/Cargo.toml" --target-dir "$target"
# Cargo.lock of the consumer: our crates at 0.1.0, resolved from the directory source only.
grep -A1 '^name = "rusteron-' "$work/consumer/Cargo.lock" | grep -v '^--'
no_network "$target/debug/rusteron-package-consumer"

t "done"
