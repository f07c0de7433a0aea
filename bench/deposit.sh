#!/usr/bin/env bash
# Deposit-log benchmark (qiantang-ledger::log, examples/log_bench.rs).
#
#   bench/deposit.sh                     # 10^6 deposits of 300 bytes, 1,000 per integrate
#   ENTRIES=100000 BATCH=100 bench/deposit.sh
#   NAIVE=2000                           # deposits for the one-sync-per-deposit baselines
#   DIR=/path/on/the/disk/to/test        # default: a fresh directory under /var/tmp
#
# Runs pinned to two cores (taskset -c ${CORES:-0,1}). The log directory is removed
# afterwards unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
CORES=${CORES:-0,1}
ENTRIES=${ENTRIES:-1000000}
BATCH=${BATCH:-1000}
ENTRY_BYTES=${ENTRY_BYTES:-300}
NAIVE=${NAIVE:-2000}
DIR=${DIR:-$(mktemp -d /var/tmp/deposit-bench.XXXXXX)}

cargo build --release -q -p qiantang-ledger --example log_bench
echo "== deposit log in $DIR ($(df --output=source,fstype "$DIR" | tail -1))"
taskset -c "$CORES" target/release/examples/log_bench "$DIR" "$ENTRIES" "$BATCH" "$ENTRY_BYTES" "$NAIVE"
[ -n "${KEEP:-}" ] || rm -rf "$DIR"
