#!/usr/bin/env bash
# Supply-chain checks, run by CI (.ci/run) and by hand the same way:
#
#  1. vendored: in a copy of the workspace, the README's air-gapped commands: `cargo vendor`
#     (every locked package, the Aeron sources in libaeron-sys among them) and a
#     `.cargo/config.toml` pointing at it; then rusteron-client builds `--frozen` inside a
#     network namespace without network, with an empty CARGO_HOME (no registry cache to fall
#     back on). Any download, by cargo or by a build script, fails the build.
#  2. packaged: `cargo package --workspace` (cargo verifies each package alone); the .crate files are unpacked into the vendor
#     directory, which becomes a local directory source, and a small consumer crate
#     (.ci/package-consumer) is built from there (`--offline`, again without network) and run.
#     Nothing comes from the workspace paths or from the crate registry (which holds unrelated
#     crates with our names).
#
# Both builds share target/supply-chain, a cache across runs: third-party packages keep their
# registry identity under source replacement, so they compile once.
#
# Needs: the crate registry (through cargo) for `cargo vendor` and `cargo package`, a clean
# git tree (`cargo package`), `unshare` (util-linux) and root or user namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
target=$repo/target/supply-chain
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$(id -u)" = 0 ]; then no_network() { unshare --net -- "$@"; }; else no_network() { unshare --map-root-user --net -- "$@"; }; fi
no_network true || { echo "error: \`unshare --net\` does not work here: it needs root or user namespaces" >&2; exit 1; }
t0=$(date +%s)
t() { echo "--- [$(( $(date +%s) - t0 ))s] $*"; }
# Where and how rusteron-sys's build script found Aeron, from its outputs written since $1.
aeron_sources_used() {
    find "$target/debug/build" -path '*/rusteron-sys-*/output' -newer "$1" -exec grep -h '^cargo:source=\|^Aeron .* found by' {} +
}
# Fails unless the build outputs since $1 say: Aeron from directory $2, found by search $3.
expect_aeron_sources() {
    local used
    used=$(aeron_sources_used "$1")
    echo "$used"
    if ! grep -qx "cargo:source=$2" <<<"$used" || ! grep -q "found by $3" <<<"$used"; then
        echo "error: rusteron-sys did not compile the Aeron sources in $2 (found by $3)" >&2
        exit 1
    fi
}

t "cargo vendor, in a copy of the workspace (README: air-gapped / vendored builds)"
copy=$work/workspace
mkdir -p "$copy"
git ls-files -z --cached --others --exclude-standard | tar -c --null -T - | tar -x -C "$copy"
(
    cd "$copy"
    cargo vendor --locked vendor >vendor-config.toml 2>"$work/vendor.log" || { cat "$work/vendor.log"; exit 1; }
    mkdir -p .cargo && cat vendor-config.toml >>.cargo/config.toml
)
cat "$copy/.cargo/config.toml"
test -f "$copy/vendor/libaeron-sys/aeron/version.txt" || { echo "error: cargo vendor did not copy libaeron-sys" >&2; exit 1; }

t "vendored: cargo build -p rusteron-client --frozen, without network, empty CARGO_HOME"
mkdir -p "$work/empty-home"
touch "$work/before-vendored"
(cd "$copy" && CARGO_HOME="$work/empty-home" no_network cargo build -p rusteron-client --frozen --target-dir "$target")
# A path dependency: cargo's own answer (metadata) under the vendor source replacement.
expect_aeron_sources "$work/before-vendored" "$copy/vendor/libaeron-sys/aeron" '`cargo metadata'

t "cargo package --workspace (and cargo's verification: each package builds on its own)"
rm -f "$target"/package/*.crate
cargo package --workspace --exclude rusteron-test-support --exclude rusteron-bench --exclude rusteron-bench-hdr --locked --target-dir "$target" >"$work/package.log" 2>&1 || { cat "$work/package.log"; exit 1; }
grep -E '^ *(Packaged|Verifying) ' "$work/package.log"

t "packages unpacked into the vendor directory, a local directory source"
source_dir=$copy/vendor
for crate in "$target"/package/*.crate; do
    name=$(basename "$crate" .crate)
    tar -xzf "$crate" -C "$source_dir"
    # A directory source gives each package's checksum; an empty file list skips per-file checks.
    printf '{"files":{},"package":"%s"}' "$(sha256sum "$crate" | cut -d' ' -f1)" >"$source_dir/$name/.cargo-checksum.json"
    echo "$name"
done
mkdir -p "$work/home-packaged"
sed "s|^directory = .*|directory = \"$source_dir\"|" "$copy/vendor-config.toml" >"$work/home-packaged/config.toml"
cp -r .ci/package-consumer "$work/consumer"

t "packaged: the consumer builds from the packages, --offline, without network, and runs"
touch "$work/before-packaged"
CARGO_HOME="$work/home-packaged" no_network cargo build --offline --manifest-path "$work/consumer/Cargo.toml" --target-dir "$target"
# A package from a directory source: libaeron-sys is its sibling there.
expect_aeron_sources "$work/before-packaged" "$source_dir/libaeron-sys/aeron" "next to rusteron-sys"
# Our crates at 0.1.0 (the consumer's lock file; the source holds nothing else with their names).
grep -A1 '^name = "rusteron-' "$work/consumer/Cargo.lock" | grep -v '^--'
"$target/debug/rusteron-package-consumer"

t "done"
