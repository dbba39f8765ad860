#!/usr/bin/env bash
# Regenerates the checked-in bindings under aeron/bindings/ with bindgen (needs libclang:
# `apt-get install libclang-dev`). Used by `just bindings` and by CI's drift check.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=$(cargo build -p rusteron-sys --features bindgen --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "build-script-executed" and "#rusteron-sys@" in msg["package_id"]:
        print(msg["out_dir"])
')
if [ -z "$out_dir" ] || [ ! -f "$out_dir/bindings/client.rs" ]; then
    echo "error: could not find the regenerated bindings (is libclang installed?)" >&2
    cargo build -p rusteron-sys --features bindgen >&2
    exit 1
fi
cp "$out_dir"/bindings/{client,driver,archive}.rs aeron/bindings/
echo "bindings written to aeron/bindings/ from $out_dir/bindings"
