#!/usr/bin/env bash
# Benchmarks of the rusteron client against Aeron's own C client, on this machine, in one
# invocation (`just bench` runs it). Writes target/bench-summary.md; logs go to $BENCH_OUT.
#
#  1. build: aeronmd, the bench_* examples, the criterion bench, and Aeron's C samples
#     (scripts/build-c-samples.sh: same Aeron tree, same flags, release static library);
#  2. criterion `hot_path`: each hot-path call, wrapper and raw C on the same object;
#  3. 0 allocations: the counting-allocator tests of rusteron-client;
#  4. one release aeronmd (shared threading, sleeping idle strategy: it never spins, so the
#     two spinning processes of each run have the machine's 2 cores), then
#  5. the same calls timed again, raw and wrapper batches interleaved (robust to drift on a
#     shared machine), and their instruction counts under valgrind's callgrind (if installed);
#  6. IPC ping-pong RTT, C cping/cpong against bench_ping_pong, BENCH_ROUNDS rounds, the
#     order of C and Rust swapping every round;
#  7. IPC throughput, C streaming_exclusive_publisher / streaming_publisher + rate_subscriber
#     against bench_throughput, the same way;
#  8. iceoryx2 ping-pong (bench/iceoryx2), when its crates can be fetched and built;
#  9. the summary: medians over the rounds and Rust/C ratios.
#
# Environment (default):
#   BENCH_ROUNDS (7)                 rounds of each C/Rust comparison
#   BENCH_PING_MESSAGES (1000000)    measured round trips per ping-pong run
#   BENCH_PING_WARMUP (100000)       warm-up round trips per ping-pong run
#   BENCH_THROUGHPUT_MESSAGES (50000000)  messages per throughput run
#   BENCH_LENGTH (32)                message length in bytes
#   BENCH_SKIP ()                    comma-separated steps to skip: criterion, alloc,
#                                    overhead, pingpong, throughput, iceoryx2
#   BENCH_OUT (target/bench)         logs and raw results
#   BENCH_SUMMARY (target/bench-summary.md)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${BENCH_ROUNDS:-7}
ping_messages=${BENCH_PING_MESSAGES:-1000000}
ping_warmup=${BENCH_PING_WARMUP:-100000}
tp_messages=${BENCH_THROUGHPUT_MESSAGES:-50000000}
length=${BENCH_LENGTH:-32}
skip=",${BENCH_SKIP:-},"
out=${BENCH_OUT:-target/bench}
summary=${BENCH_SUMMARY:-target/bench-summary.md}
csamples=target/bench/c-samples
rbin=target/release
ice_target=target/iceoryx2-bench
ice_bin=$ice_target/release/rusteron-bench-iceoryx2

started=$(date +%s)
step() { printf '\n==> [%s] %s (+%ss)\n' "$1" "$2" "$(($(date +%s) - started))"; }
note() { printf '    %s\n' "$*"; }
skipped() { [[ $skip == *",$1,"* ]]; }

rm -rf "$out"
mkdir -p "$out"
echo "rounds=$rounds ping_messages=$ping_messages ping_warmup=$ping_warmup tp_messages=$tp_messages length=$length" >"$out/config"

# Processes this script started, stopped on exit.
driver_pid=
aeron_dir=
cleanup() {
    if [ -n "$driver_pid" ] && kill -0 "$driver_pid" 2>/dev/null; then
        kill -INT "$driver_pid" 2>/dev/null || true
        wait "$driver_pid" 2>/dev/null || true
    fi
    [ -n "$aeron_dir" ] && rm -rf "$aeron_dir"
    return 0
}
trap cleanup EXIT

step 1/9 "build (release)"
cargo build --release -p rusteron-media-driver --bin aeronmd
cargo build --release -p rusteron-bench --bin bench_ping_pong --bin bench_throughput \
    --bin bench_overhead
skipped criterion || cargo bench -p rusteron-bench --bench hot_path --no-run
scripts/build-c-samples.sh "$csamples"

step 2/9 "criterion: hot-path calls, wrapper against raw C"
if skipped criterion; then
    note skipped
else
    cargo bench -p rusteron-bench --bench hot_path 2>&1 | tee "$out/criterion.log" |
        { grep -E '^[a-z_0-9B]+/[a-z_]+ +time:|^[a-z_0-9B]+/[a-z_]+$|^ +time:' || true; }
    mkdir -p "$out/criterion"
    for f in target/criterion/*/*/new/estimates.json; do
        rel=${f#target/criterion/}
        mkdir -p "$out/criterion/$(dirname "$rel")"
        cp "$f" "$out/criterion/$rel"
    done
fi

step 3/9 "0 allocations per message (counting-allocator tests)"
if skipped alloc; then
    note skipped
else
    cargo test --release -p rusteron-client --test publication --test subscription -- \
        hot_paths_do_not_allocate polling_allocates_nothing 2>&1 | tee "$out/alloc.log" |
        { grep -E '^test |test result' || true; }
    [ "$(grep -c '^test .* ok$' "$out/alloc.log")" = 2 ] ||
        { echo "bench: the allocation tests did not both pass (see $out/alloc.log)" >&2; exit 1; }
fi

step 4/9 "media driver (aeronmd, shared threading, sleeping idle strategy)"
aeron_dir=$(mktemp -d "${TMPDIR_AERON:-/dev/shm}/rusteron-bench.XXXXXX")
# The sleeping strategy's 1 ms period comes from the environment (its init args).
AERON_SHARED_IDLE_STRATEGY=sleeping AERON_SHARED_IDLE_STRATEGY_INIT_ARGS=1ms \
    target/release/aeronmd --dir "$aeron_dir" --threading-mode shared --idle-strategy sleeping \
    >"$out/aeronmd.log" 2>&1 &
driver_pid=$!
for _ in $(seq 200); do [ -f "$aeron_dir/cnc.dat" ] && break; sleep 0.05; done
[ -f "$aeron_dir/cnc.dat" ] || { echo "bench: aeronmd did not start (see $out/aeronmd.log)" >&2; exit 1; }
note "aeronmd pid $driver_pid in $aeron_dir"

# The two spinning processes of a run (ping / pong, publisher / subscriber) are pinned to
# CPUs 0 and 1, the same for C, Rust and iceoryx2: without it the scheduler moves them
# around (and onto one core at times), which on this 2-core machine swings throughput by 2x.
pin_a=() pin_b=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_a=(taskset -c 0) pin_b=(taskset -c 1)
    note "ping / publisher pinned to CPU 0, pong / subscriber to CPU 1"
fi

# Unique stream ids: a run never meets the images of an earlier one.
next_stream=20000
new_streams() { next_stream=$((next_stream + 2)); }

# Waits up to $2 seconds for process $1 to exit, then kills it.
reap() {
    local pid=$1 limit=$2
    for _ in $(seq $((limit * 20))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "bench: process $pid did not stop in ${limit}s, killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# Waits up to 20 s for $2 to appear in file $1.
wait_for_line() {
    for _ in $(seq 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    echo "bench: no '$2' in $1" >&2
    return 1
}

# p50/p99/max of a cping-format log, for progress lines.
percentiles() {
    python3 - "$1" <<'EOF'
import re, sys
rows, mx = [], None
for line in open(sys.argv[1]):
    m = re.match(r'^\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+|inf)\s*$', line)
    if m:
        rows.append((float(m.group(1)), float(m.group(2))))
    m = re.match(r'#\[Max\s*=\s*([\d.]+)', line)
    if m:
        mx = float(m.group(1))
def at(p):
    return next(v for v, q in rows if q >= p - 1e-12) * 1000
print(f"p50 {at(0.5):.0f} ns, p99 {at(0.99):.0f} ns, max {mx * 1000:.0f} ns" if rows else "no histogram")
EOF
}

run_pingpong() { # impl round
    local impl=$1 round=$2 log="$out/pingpong-$1-$2.log" pong
    new_streams
    local s1=$next_stream s2=$((next_stream + 1)) deadline=$((60 + ping_messages / 20000))
    if [ "$impl" = c ]; then
        "${pin_b[@]}" "$csamples/cpong" -p "$aeron_dir" -c aeron:ipc -C aeron:ipc -s "$s1" -S "$s2" >"$log.pong" 2>&1 &
        pong=$!
        timeout "$deadline" "${pin_a[@]}" "$csamples/cping" -p "$aeron_dir" -c aeron:ipc -C aeron:ipc -s "$s1" -S "$s2" \
            -m "$ping_messages" -w "$ping_warmup" -L "$length" >"$log" 2>&1 ||
            { echo "bench: cping failed (see $log)" >&2; exit 1; }
        kill -INT "$pong" 2>/dev/null || true
        reap "$pong" 10
    else
        "${pin_b[@]}" "$rbin/bench_ping_pong" pong --dir "$aeron_dir" --ping-stream "$s1" --pong-stream "$s2" \
            --messages $((ping_messages + ping_warmup)) >"$log.pong" 2>&1 &
        pong=$!
        timeout "$deadline" "${pin_a[@]}" "$rbin/bench_ping_pong" ping --dir "$aeron_dir" --ping-stream "$s1" \
            --pong-stream "$s2" --messages "$ping_messages" --warmup "$ping_warmup" --length "$length" \
            >"$log" 2>&1 || { echo "bench: bench_ping_pong failed (see $log)" >&2; exit 1; }
        reap "$pong" 10
    fi
    note "round $round $(printf '%-4s' "$impl") $(percentiles "$log")"
}

run_throughput() { # kind(exclusive|concurrent) impl round
    local kind=$1 impl=$2 round=$3 log="$out/throughput-$1-$2-$3.log" sub
    new_streams
    local s=$next_stream deadline=$((60 + tp_messages / 500000))
    if [ "$impl" = c ]; then
        # Line-buffered, so its "channel status" line shows when it is printed.
        "${pin_b[@]}" stdbuf -oL "$csamples/rate_subscriber" -p "$aeron_dir" -c aeron:ipc -s "$s" >"$log.sub" 2>&1 &
        sub=$!
        wait_for_line "$log.sub" "Subscription channel status"
        local publisher=streaming_publisher
        [ "$kind" = exclusive ] && publisher=streaming_exclusive_publisher
        timeout "$deadline" "${pin_a[@]}" "$csamples/$publisher" -p "$aeron_dir" -c aeron:ipc -s "$s" -m "$tp_messages" \
            -L "$length" >"$log" 2>&1 || { echo "bench: $publisher failed (see $log)" >&2; exit 1; }
        kill -INT "$sub" 2>/dev/null || true
        reap "$sub" 10
    else
        "${pin_b[@]}" "$rbin/bench_throughput" subscriber --dir "$aeron_dir" --stream "$s" --messages "$tp_messages" \
            >"$log.sub" 2>&1 &
        sub=$!
        wait_for_line "$log.sub" "Subscription channel status"
        local exclusive=false
        [ "$kind" = exclusive ] && exclusive=true
        timeout "$deadline" "${pin_a[@]}" "$rbin/bench_throughput" publisher --dir "$aeron_dir" --stream "$s" \
            --messages "$tp_messages" --length "$length" --exclusive "$exclusive" >"$log" 2>&1 ||
            { echo "bench: bench_throughput failed (see $log)" >&2; exit 1; }
        reap "$sub" 30
    fi
    note "round $round $(printf '%-4s %-10s' "$impl" "$kind") $(grep -o 'Total: .*msgs/sec' "$log")"
}

step 5/9 "wrapper overhead: interleaved timing, and instruction counts (valgrind callgrind)"
if skipped overhead; then
    note skipped
else
    # Raw and wrapper batches alternate, so drift on a shared machine hits both alike.
    "$rbin/bench_overhead" --dir "$aeron_dir" --mode time --stream 7001 >"$out/overhead-time.log" 2>&1 ||
        { echo "bench: bench_overhead failed (see $out/overhead-time.log)" >&2; exit 1; }
    sed 's/^time /    /' "$out/overhead-time.log"
    if ! command -v valgrind >/dev/null; then
        note "instruction counts skipped: valgrind is not installed (apt-get install valgrind)"
    else
        valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
            "$rbin/bench_overhead" --dir "$aeron_dir" --mode count --stream 7101 \
            >"$out/instructions.log" 2>"$out/callgrind.log" ||
            { echo "bench: bench_overhead failed under callgrind (see $out/callgrind.log)" >&2; exit 1; }
        note "instructions counted for $(grep -c '^calls ' "$out/instructions.log") variants"
    fi
fi

step 6/9 "IPC ping-pong RTT, ${length} B, $rounds rounds of C cping/cpong and Rust bench_ping_pong"
if skipped pingpong; then
    note skipped
else
    for round in $(seq 1 "$rounds"); do
        if [ $((round % 2)) = 1 ]; then order="c rust"; else order="rust c"; fi
        for impl in $order; do run_pingpong "$impl" "$round"; done
    done
fi

step 7/9 "IPC throughput, ${length} B, $rounds rounds of C samples and Rust bench_throughput"
if skipped throughput; then
    note skipped
else
    for round in $(seq 1 "$rounds"); do
        if [ $((round % 2)) = 1 ]; then order="c rust"; else order="rust c"; fi
        for kind in exclusive concurrent; do
            for impl in $order; do run_throughput "$kind" "$impl" "$round"; done
        done
    done
fi

step 8/9 "iceoryx2 ping-pong (bench/iceoryx2)"
if skipped iceoryx2; then
    note skipped
elif ! CARGO_TARGET_DIR=$ice_target cargo build --release --manifest-path bench/iceoryx2/Cargo.toml \
    >"$out/iceoryx2-build.log" 2>&1; then
    note "skipped: bench/iceoryx2 did not build (see $out/iceoryx2-build.log)"
    echo "iceoryx2 did not build: $(grep -m1 -E '^error' "$out/iceoryx2-build.log")" >"$out/iceoryx2-skipped"
else
    for round in $(seq 1 "$rounds"); do
        log="$out/pingpong-iceoryx2-$round.log"
        service="rusteron-bench/$$-$round"
        "${pin_b[@]}" "$ice_bin" pong --service "$service" --messages $((ping_messages + ping_warmup)) >"$log.pong" 2>&1 &
        pong=$!
        timeout $((60 + ping_messages / 20000)) "${pin_a[@]}" "$ice_bin" ping --service "$service" \
            --messages "$ping_messages" --warmup "$ping_warmup" >"$log" 2>&1 ||
            { echo "bench: iceoryx2 ping failed (see $log)" >&2; exit 1; }
        reap "$pong" 10
        note "round $round iceoryx2 $(percentiles "$log")"
    done
fi
cleanup
driver_pid=

step 9/9 "summary"
elapsed=$(($(date +%s) - started))
python3 - "$out" "$summary" "$elapsed" <<'EOF'
import glob, json, os, platform, re, statistics, subprocess, sys

out, summary_path, elapsed = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = dict(kv.split("=") for kv in open(f"{out}/config").read().split())
lines = []
w = lines.append

def cmd(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except Exception:
        return "?"

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
w("# rusteron benchmark summary\n")
w(f"- machine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}")
w(f"- toolchain: {cmd('rustc', '--version')}; {cmd('gcc', '--version')}")
w(f"- config: {config['rounds']} rounds, ping-pong {config['ping_messages']} messages after "
  f"{config['ping_warmup']} warm-up, throughput {config['tp_messages']} messages, {config['length']} B messages")
w(f"- runtime of scripts/bench.sh: {elapsed // 60} min {elapsed % 60} s\n")

def med(xs):
    return statistics.median(xs) if xs else float("nan")

# --- criterion + callgrind -------------------------------------------------------------
def criterion(group, name):
    f = f"{out}/criterion/{group}/{name}/new/estimates.json"
    if not os.path.exists(f):
        return None
    return json.load(open(f))["median"]["point_estimate"]

def callgrind_inclusive():
    """Inclusive instruction count of every cg_* function: all cost lines of its blocks."""
    path = f"{out}/callgrind.out"
    if not os.path.exists(path):
        return {}
    names, current, totals = {}, None, {}
    for line in open(path):
        if line.startswith("fn="):
            m = re.match(r"fn=\((\d+)\)(?: (.*))?", line.strip())
            if m:
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                current = names.get(m.group(1))
            else:
                current = line[3:].strip()
        elif line.startswith("cfn="):
            m = re.match(r"cfn=\((\d+)\) (.*)", line.strip())
            if m:
                names[m.group(1)] = m.group(2)
        elif current and "::cg_" in current and line[:1] and (line[0].isdigit() or line[0] in "+-*"):
            parts = line.split()
            if len(parts) >= 2:
                key = current.split("::cg_")[-1]
                totals[key] = totals.get(key, 0) + int(parts[1])
    calls = {}
    if os.path.exists(f"{out}/instructions.log"):
        for line in open(f"{out}/instructions.log"):
            m = re.match(r"calls cg_(\S+) (\d+)", line)
            if m:
                calls[m.group(1)] = int(m.group(2))
    return {k: totals[k] / calls[k] for k in totals if calls.get(k)}

instr = callgrind_inclusive()
timed = {}
if os.path.exists(f"{out}/overhead-time.log"):
    for line in open(f"{out}/overhead-time.log"):
        m = re.match(r"time (\S+) raw_ns ([\d.]+) wrapper_ns ([\d.]+) overhead_ns (-?[\d.]+)", line)
        if m:
            timed[m.group(1)] = tuple(float(m.group(i)) for i in (2, 3, 4))
hot = [
    ("offer_32B", "concurrent publication", "raw_publication", ["wrapper_publication"], "offer"),
    ("offer_32B", "exclusive publication", "raw_exclusive", ["wrapper_exclusive"], "offer_exclusive"),
    ("try_claim_commit_32B", "concurrent publication", "raw_publication", ["wrapper_publication"], "try_claim"),
    ("try_claim_commit_32B", "exclusive publication", "raw_exclusive", ["wrapper_exclusive"], "try_claim_exclusive"),
    ("poll_no_data", "subscription", "raw", ["wrapper", "wrapper_handler"], "poll_no_data"),
    ("poll_one_fragment", "subscription", "raw", ["wrapper", "wrapper_handler"], "poll"),
    ("assembler_poll_one_fragment", "subscription", "raw", ["wrapper", "wrapper_handler"], "assembler_poll"),
    ("image_assembler_poll_one_fragment", "image", "raw", ["wrapper"], "image_assembler_poll"),
]
worst_ns, over_target = None, []
fmt = lambda x, spec="{:.2f}": spec.format(x) if x is not None else "–"
if glob.glob(f"{out}/criterion/*") or timed:
    w("## Hot path: wrapper against raw C on the same object\n")
    w("ns per call: criterion medians (raw, then wrapper), and the interleaved timing of "
      "`bench_overhead` (raw and wrapper batches alternating; overhead = median of the paired "
      "differences). Instructions per call are exact (callgrind). `wrapper` is the closure API "
      "(`poll_once`, closure assemblers), `wrapper_handler` the `Handler` API (`poll(Some(&handler))`, "
      "`poll_assembled` with a generated `AeronFragmentAssembler`).\n")
    w("| call | object | variant | criterion raw | criterion wrapper | criterion overhead | "
      "interleaved raw | interleaved wrapper | **interleaved overhead** | instr raw | instr wrapper | instr overhead |")
    w("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for group, obj, raw, wrappers, cg in hot:
        r = criterion(group, raw)
        for wname in wrappers:
            v = criterion(group, wname)
            handler = wname == "wrapper_handler"
            ir = instr.get(f"{cg}_raw")
            iw = instr.get(f"{cg}_handler" if handler else f"{cg}_wrapper")
            t = timed.get(f"{cg}_handler" if handler else cg)
            c_over = v - r if r is not None and v is not None else None
            if c_over is None and t is None:
                continue
            over = t[2] if t else c_over
            if over is not None:
                worst_ns = over if worst_ns is None else max(worst_ns, over)
                if over > 1.0:
                    over_target.append(f"{group}/{wname}" + ("" if obj == "subscription" else f" ({obj})")
                                       + f" {over:+.2f} ns")
            w(f"| {group} | {obj} | {wname} | {fmt(r)} | {fmt(v)} | {fmt(c_over, '{:+.2f}')} | "
              f"{fmt(t[0] if t else None)} | {fmt(t[1] if t else None)} | **{fmt(t[2] if t else None, '{:+.2f}')}** | "
              f"{fmt(ir, '{:.0f}')} | {fmt(iw, '{:.0f}')} | "
              f"{fmt(iw - ir if ir is not None and iw is not None else None, '{:+.0f}')} |")
    w("")

# --- allocations ------------------------------------------------------------------------
if os.path.exists(f"{out}/alloc.log"):
    log = open(f"{out}/alloc.log").read()
    ok = [l for l in log.splitlines() if l.startswith("test ") and l.endswith("ok")]
    w("## Allocations\n")
    for l in ok:
        w(f"- `{l}`")
allocs = []
for f in sorted(glob.glob(f"{out}/pingpong-rust-*.log")) + sorted(glob.glob(f"{out}/throughput-*-rust-*.log*")):
    for m in re.finditer(r"[Aa]llocations in the [a-z ]+: (\d+)", open(f).read()):
        allocs.append(int(m.group(1)))
if allocs:
    w(f"- heap allocations counted in the measured loops of the Rust ping and throughput runs "
      f"({len(allocs)} loops): {sum(allocs)}")
w("")

# --- ping-pong ------------------------------------------------------------------------------
PCTS = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999), ("p99.99", 0.9999)]

def hdr(path):
    rows, mx = [], None
    for line in open(path):
        m = re.match(r"^\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+|inf)\s*$", line)
        if m:
            rows.append((float(m.group(1)) * 1000, float(m.group(2))))
        m = re.match(r"#\[Max\s*=\s*([\d.]+)", line)
        if m:
            mx = float(m.group(1)) * 1000
    if not rows:
        return None
    res = {name: next(v for v, q in rows if q >= p - 1e-12) for name, p in PCTS}
    res["max"] = mx
    return res

def runs(impl):
    files = sorted(glob.glob(f"{out}/pingpong-{impl}-*.log"), key=lambda f: int(re.findall(r"-(\d+)\.log$", f)[0]))
    return [r for r in (hdr(f) for f in files if not f.endswith(".pong")) if r]

pp = {impl: runs(impl) for impl in ("c", "rust", "iceoryx2")}
ratios = {}
if pp["c"] and pp["rust"]:
    keys = [k for k, _ in PCTS] + ["max"]
    w(f"## IPC ping-pong RTT, {config['length']} B (ns; median of {len(pp['c'])} rounds)\n")
    w("| | " + " | ".join(keys) + " |")
    w("|---|" + "---:|" * len(keys))
    cm = {k: med([r[k] for r in pp["c"]]) for k in keys}
    rm = {k: med([r[k] for r in pp["rust"]]) for k in keys}
    w("| C cping/cpong | " + " | ".join(f"{cm[k]:.0f}" for k in keys) + " |")
    w("| Rust bench_ping_pong | " + " | ".join(f"{rm[k]:.0f}" for k in keys) + " |")
    ratios = {k: rm[k] / cm[k] for k in keys}
    w("| **ratio Rust/C** | " + " | ".join(f"**{ratios[k]:.3f}**" for k in keys) + " |")
    if pp["iceoryx2"]:
        im = {k: med([r[k] for r in pp["iceoryx2"]]) for k in keys}
        w("| iceoryx2 0.10 (publish-subscribe) | " + " | ".join(f"{im[k]:.0f}" for k in keys) + " |")
        w("| ratio iceoryx2/Aeron C | " + " | ".join(f"{im[k] / cm[k]:.3f}" for k in keys) + " |")
    w("\nPer round (p50 / p99 / max, ns):\n")
    w("| round | C | Rust | Rust/C p50 | Rust/C p99 |")
    w("|---:|---|---|---:|---:|")
    for i, (c, r) in enumerate(zip(pp["c"], pp["rust"]), 1):
        w(f"| {i} | {c['p50']:.0f} / {c['p99']:.0f} / {c['max']:.0f} | {r['p50']:.0f} / {r['p99']:.0f} / "
          f"{r['max']:.0f} | {r['p50'] / c['p50']:.3f} | {r['p99'] / c['p99']:.3f} |")
    paired = {k: med([r[k] / c[k] for c, r in zip(pp["c"], pp["rust"])]) for k in ("p50", "p99")}
    w(f"| median of the rounds' ratios | | | {paired['p50']:.3f} | {paired['p99']:.3f} |")
    w("")
if os.path.exists(f"{out}/iceoryx2-skipped"):
    w(f"iceoryx2: {open(f'{out}/iceoryx2-skipped').read().strip()}\n")

# --- throughput -----------------------------------------------------------------------------
def rate(path):
    m = re.search(r"Total: (\d+)ms, ([\d.e+]+) msgs/sec", open(path).read())
    return float(m.group(2)) if m else None

tp_ratio = {}
if glob.glob(f"{out}/throughput-*.log"):
    w(f"## IPC throughput, {config['length']} B, {config['tp_messages']} messages per run "
      f"(msgs/s; median of the rounds)\n")
    w("Each round runs C and Rust back to back, so the median of the rounds' own ratios is given too "
      "(both halves of a round see about the same load from the rest of the machine).\n")
    w("| publication | C | Rust | ratio of medians Rust/C | median of the rounds' ratios | rounds (C; Rust, M msgs/s) |")
    w("|---|---:|---:|---:|---:|---|")
    for kind, label in (("exclusive", "exclusive: C try_claim + commit, Rust try_claim_with"), ("concurrent", "concurrent, offer")):
        def rates(impl):
            files = sorted(glob.glob(f"{out}/throughput-{kind}-{impl}-*.log"),
                           key=lambda f: int(re.findall(r"-(\d+)\.log$", f)[0]))
            return [x for x in (rate(f) for f in files) if x]
        c, r = rates("c"), rates("rust")
        if c and r:
            tp_ratio[kind] = (med(r) / med(c), med([y / x for x, y in zip(c, r)]))
            w(f"| {label} | {med(c) / 1e6:.2f} M | {med(r) / 1e6:.2f} M | **{tp_ratio[kind][0]:.3f}** | "
              f"{tp_ratio[kind][1]:.3f} | "
              f"{', '.join(f'{x / 1e6:.1f}' for x in c)}; {', '.join(f'{x / 1e6:.1f}' for x in r)} |")
    w("")

# --- targets ---------------------------------------------------------------------------------
w("## Targets\n")
def verdict(ok):
    return "met" if ok else "MISSED"
if ratios:
    w(f"- ping-pong Rust/C p50 {ratios['p50']:.3f}, p99 {ratios['p99']:.3f} (target ≤ 1.03): "
      f"{verdict(ratios['p50'] <= 1.03 and ratios['p99'] <= 1.03)}")
for kind, (of_medians, paired) in tp_ratio.items():
    w(f"- throughput Rust/C, {kind}: {of_medians:.3f} (ratio of the medians; median of the rounds' ratios "
      f"{paired:.3f}) (target ≥ 0.97): {verdict(of_medians >= 0.97)}")
if worst_ns is not None:
    w(f"- wrapper overhead per call (interleaved timing; criterion where there is none), worst: "
      f"{worst_ns:+.2f} ns (target ≤ 1 ns): {verdict(worst_ns <= 1.0)}"
      + (f"; over 1 ns: {'; '.join(over_target)}" if over_target else ""))
if allocs or os.path.exists(f"{out}/alloc.log"):
    w(f"- 0 allocations per message: {verdict(sum(allocs) == 0)}")
text = "\n".join(lines) + "\n"
open(summary_path, "w").write(text)
print(text)
EOF
echo "summary written to $summary"
