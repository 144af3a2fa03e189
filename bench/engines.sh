#!/usr/bin/env bash
# Bình Định's Plan 77 composition rule through sohoa's component runtime, Extism, Rhai and
# native Rust, side by side in one run (issue 15). Prints the tables kept in
# docs/BENCHMARKS.md. Usage, from the repository root:
#
#   bash bench/engines.sh            # 15 rounds per measurement, the country 3 times
#   bash bench/engines.sh --quick    # 5 rounds, the country once
#
# bench/engines is a workspace of its own (Extism brings another wasmtime), built into the
# main target directory so the host's release artifacts are reused where they can be.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cd bench/engines
# The Extism module, compiled as `sohoa plugin build` compiles components (profile `plugin`).
cargo build --locked --profile plugin --target wasm32-unknown-unknown -p sohoa-bench-rule-extism
module="$CARGO_TARGET_DIR/wasm32-unknown-unknown/plugin/sohoa_bench_rule_extism.wasm"
cargo run --locked --release -p sohoa-bench-engines -- --extism "$module" "$@"
