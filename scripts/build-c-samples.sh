#!/usr/bin/env bash
# Builds Aeron's own C samples (cping, cpong, streaming_publisher,
# streaming_exclusive_publisher, rate_subscriber, basic_publisher, basic_subscriber) against
# the static client library of a release build of rusteron-sys, with the flags rusteron-sys
# compiles Aeron with. They are the C baseline for benchmarks and interop checks.
# Usage: scripts/build-c-samples.sh <out-dir>
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:?usage: scripts/build-c-samples.sh <out-dir>}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
cc=${CC:-gcc}
command -v "$cc" >/dev/null || { echo "build-c-samples: no C compiler ($cc)" >&2; exit 1; }

# The build script's OUT_DIR (holds lib/libaeron_static.a) and the Aeron tree it compiled,
# from cargo's JSON messages (AERON_CLIENT_INCLUDE is the client source directory).
info=$(cargo build --release -p rusteron-sys --message-format=json | python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "build-script-executed" and "#rusteron-sys@" in msg["package_id"]:
        include = dict(msg.get("env", [])).get("AERON_CLIENT_INCLUDE", "")
        print(msg["out_dir"])
        print(include)
')
out_dir=$(sed -n 1p <<<"$info")
client_include=$(sed -n 2p <<<"$info")
lib="$out_dir/lib/libaeron_static.a"
[ -n "$out_dir" ] && [ -f "$lib" ] || { echo "build-c-samples: no $lib (is rusteron-sys built in static mode?)" >&2; exit 1; }
[ -n "$client_include" ] && [ -d "$client_include" ] || { echo "build-c-samples: rusteron-sys reported no Aeron source tree" >&2; exit 1; }
tree=${client_include%/aeron-client/src/main/c}
samples="$tree/aeron-samples/src/main/c"
version=$(tr -d '[:space:]' <"$tree/version.txt")
IFS=. read -r major minor patch <<<"${version%%-*}"

# The flags of aeron/build/compile.rs (base_build), plus the samples' own directory.
cflags=(-std=c11 -O3 -fPIC -w
    -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -DNDEBUG -DDISABLE_BOUNDS_CHECKS
    "-DAERON_VERSION_TXT=\"$version\"" "-DAERON_VERSION_MAJOR=$major"
    "-DAERON_VERSION_MINOR=$minor" "-DAERON_VERSION_PATCH=$patch"
    "-DAERON_VERSION_GITSHA=\"rusteron-sys\""
    -I"$client_include" -I"$samples")
libs=("$lib" -lpthread -lm -ldl)

work="$dest/.build"
rm -rf "$work"
mkdir -p "$work"

# cping records latencies with HdrHistogram, which the Aeron tree ships as a zip.
python3 - "$tree/cppbuild/HdrHistogram_c-0.11.10.zip" "$work" <<'EOF'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
EOF
hdr="$work/HdrHistogram_c-0.11.10"
"$cc" "${cflags[@]}" -I"$hdr/include" -c "$hdr/src/hdr_histogram.c" -o "$work/hdr_histogram.o"
"$cc" "${cflags[@]}" -c "$samples/sample_util.c" -o "$work/sample_util.o"

for sample in cping cpong streaming_publisher streaming_exclusive_publisher rate_subscriber \
    basic_publisher basic_subscriber; do
    extra=()
    [ "$sample" = cping ] && extra=(-I"$hdr/include" "$work/hdr_histogram.o")
    "$cc" "${cflags[@]}" "${extra[@]:0:1}" "$samples/$sample.c" "$work/sample_util.o" \
        "${extra[@]:1}" "${libs[@]}" -o "$dest/$sample"
    echo "built $dest/$sample"
done
rm -rf "$work"
