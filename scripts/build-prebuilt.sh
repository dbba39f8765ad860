#!/usr/bin/env bash
# Produces prebuilt Aeron libraries (static and shared, client + driver) in the given
# directory, the way a user would bring their own for the `precompile` feature.
# Usage: scripts/build-prebuilt.sh <dir>
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:?usage: scripts/build-prebuilt.sh <dir>}
mkdir -p "$dest"
out_dir_of() {
    cargo build -p rusteron-sys "$@" --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "build-script-executed" and "#rusteron-sys@" in msg["package_id"]:
        print(msg["out_dir"])
'
}
static_out=$(out_dir_of --features driver)
dynamic_out=$(out_dir_of --no-default-features --features dynamic,driver)
cp "$static_out"/lib/*.a "$dynamic_out"/lib/*.so "$dest"/
ls -l "$dest"
