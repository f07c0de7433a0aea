#!/usr/bin/env bash
# Piracy-finder benchmark (qiantang-fingerprint) and its datasketch peer.
#
#   bench/piracy.sh            # full run: 10^6 synthetic + real chapters, then the peer comparison
#   CHAPTERS=100000 bench/piracy.sh   # smaller full run
#   PEER_CHAPTERS=10000        # size of the subset both implementations index side by side
#   SKIP_FULL=1 / SKIP_PEER=1  # run only one part
#
# Everything runs pinned to one core (taskset -c ${CORE:-0}). Needs the corpus in
# shared/corpus/novels_zh (or QIANTANG_CORPUS) and `pip install datasketch` for the peer.
set -euo pipefail
cd "$(dirname "$0")/.."
CORE=${CORE:-0}
CHAPTERS=${CHAPTERS:-1000000}
PEER_CHAPTERS=${PEER_CHAPTERS:-10000}
OUT=${OUT:-$(mktemp -d /tmp/piracy-bench.XXXXXX)}

cargo build --release -q -p qiantang-fingerprint --example piracy_bench
BIN=target/release/examples/piracy_bench

if [ -z "${SKIP_FULL:-}" ]; then
  echo "== qiantang-fingerprint, $CHAPTERS synthetic chapters + real corpus chapters"
  taskset -c "$CORE" "$BIN" --chapters "$CHAPTERS" | tee "$OUT/full.json"
fi

if [ -z "${SKIP_PEER:-}" ]; then
  echo "== side by side on the same $PEER_CHAPTERS synthetic + real chapters"
  taskset -c "$CORE" "$BIN" --chapters "$PEER_CHAPTERS" --dump "$OUT/peer" | tee "$OUT/ours.json"
  python3 -c 'import datasketch' 2>/dev/null || pip install -q datasketch
  taskset -c "$CORE" python3 bench/piracy_datasketch.py "$OUT/peer" | tee "$OUT/datasketch.json"
  python3 - "$OUT/ours.json" "$OUT/datasketch.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print("metric                 qiantang   datasketch   datasketch/qiantang")
for k, ka in [("build_s", "build_s"), ("signature_s", "signature_s"),
              ("query_ms_p50", "edited_query_ms_p50"), ("query_ms_p99", "edited_query_ms_p99")]:
    print(f"{k:22} {a[ka]:9.3f} {b[k]:12.3f} {b[k] / max(a[ka], 1e-9):12.1f}x")
print(f"recall_top1            {a['recall_top1']:9.4f} {b['recall_top1']:12.4f}")
PY
fi
echo "results in $OUT"
