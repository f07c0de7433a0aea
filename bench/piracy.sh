#!/usr/bin/env bash
# Piracy-finder benchmark (qiantang-fingerprint) and its datasketch peer.
#
#   bench/piracy.sh            # full run: 10^6 synthetic + real chapters, then the peer comparison
#   CHAPTERS=100000 bench/piracy.sh   # smaller full run
#   PEER_CHAPTERS=10000        # size of the subset both implementations index side by side
#   SKIP_FULL=1 / SKIP_PEER=1  # run only one part
#
# Containment finder (issue 16: excerpts, pages, books), crates/fingerprint/examples/containment_bench.rs:
#   CONT_CHAPTERS=1000000      # synthetic chapters for the in-memory run (CC-CEDICT word salad)
#   CONT_DISK_CHAPTERS=100000  # synthetic chapters for the on-disk (redb) run; 0 = skip
#   CONT_PEER_CHAPTERS=2000    # chapters for the side-by-side run with datasketch MinHashLSHEnsemble
#   DISK_DIR=/var/tmp          # where the redb file goes
#   SKIP_MINHASH=1             # skip the whole-chapter MinHash/LSH runs above
#   SKIP_CONTAINMENT=1         # skip the containment runs
#
# Everything runs pinned to one core (taskset -c ${CORE:-0}). Needs the corpus in
# shared/corpus/novels_zh (or QIANTANG_CORPUS) and `pip install datasketch` for the peer.
set -euo pipefail
cd "$(dirname "$0")/.."
CORE=${CORE:-0}
CHAPTERS=${CHAPTERS:-1000000}
PEER_CHAPTERS=${PEER_CHAPTERS:-10000}
OUT=${OUT:-$(mktemp -d /tmp/piracy-bench.XXXXXX)}

cargo build --release -q -p qiantang-fingerprint --example piracy_bench --example containment_bench
BIN=${CARGO_TARGET_DIR:-target}/release/examples/piracy_bench
CBIN=${CARGO_TARGET_DIR:-target}/release/examples/containment_bench
CORPUS=${QIANTANG_CORPUS:-$(pwd)/../shared/corpus/novels_zh}
[ -d "$CORPUS" ] || CORPUS=/work/shared/corpus/novels_zh
CEDICT="$OUT/cedict.txt"
zcat "$CORPUS/../dictionary/cedict_1_0_ts_utf-8_mdbg.txt.gz" > "$CEDICT"

if [ -z "${SKIP_MINHASH:-}" ] && [ -z "${SKIP_FULL:-}" ]; then
  echo "== qiantang-fingerprint, $CHAPTERS synthetic chapters + real corpus chapters"
  taskset -c "$CORE" "$BIN" --chapters "$CHAPTERS" | tee "$OUT/full.json"
fi

if [ -z "${SKIP_MINHASH:-}" ] && [ -z "${SKIP_PEER:-}" ]; then
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
if [ -z "${SKIP_CONTAINMENT:-}" ]; then
  CONT_CHAPTERS=${CONT_CHAPTERS:-1000000}
  CONT_DISK_CHAPTERS=${CONT_DISK_CHAPTERS:-100000}
  CONT_PEER_CHAPTERS=${CONT_PEER_CHAPTERS:-2000}
  DISK_DIR=${DISK_DIR:-/var/tmp}
  echo "== containment, in memory, $CONT_CHAPTERS CC-CEDICT synthetic + real corpus chapters"
  taskset -c "$CORE" "$CBIN" --chapters "$CONT_CHAPTERS" --cedict "$CEDICT" | tee "$OUT/containment-memory.json"
  if [ "$CONT_DISK_CHAPTERS" != 0 ]; then
    echo "== containment, redb on disk, $CONT_DISK_CHAPTERS chapters"
    taskset -c "$CORE" "$CBIN" --chapters "$CONT_DISK_CHAPTERS" --cedict "$CEDICT" \
      --disk "$DISK_DIR/qiantang-containment-bench.redb" --cache-mib 256 | tee "$OUT/containment-disk.json"
    rm -f "$DISK_DIR/qiantang-containment-bench.redb"
  fi
  echo "== containment vs datasketch MinHashLSHEnsemble, $CONT_PEER_CHAPTERS corpus-fragment chapters"
  taskset -c "$CORE" "$CBIN" --chapters "$CONT_PEER_CHAPTERS" --queries 100 --fp-queries 200 \
    --dump "$OUT/ensemble" | tee "$OUT/containment-ours.json"
  python3 -c 'import datasketch' 2>/dev/null || pip install -q datasketch
  taskset -c "$CORE" python3 bench/piracy_datasketch.py --ensemble "$OUT/ensemble" | tee "$OUT/containment-datasketch.json"
fi
echo "results in $OUT"
