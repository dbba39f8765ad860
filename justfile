# rusteron task runner. `just` is optional: every recipe is a plain cargo/bash command.
# Install it with `cargo install just`.

# List the recipes.
default:
    @just --list

# Build the whole workspace (static link mode, Aeron compiled from source).
build:
    cargo build --workspace --all-targets

# Run the test suite (the same command CI runs).
test:
    cargo test --workspace

# Benchmark against Aeron's C client and write target/bench-summary.md (see BENCHMARKS.md).
bench:
    bash scripts/bench.sh

# Run everything CI runs (installs libclang-dev for the bindings drift check).
ci:
    bash .ci/run

# Regenerate the checked-in bindings under aeron/bindings/ (needs libclang).
bindings:
    scripts/update-bindings.sh

# Remove build outputs.
clean:
    cargo clean
