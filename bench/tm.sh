#!/usr/bin/env bash
# Translation-memory lookup: qiantang-l10n TmIndex vs brute-force Python rapidfuzz process.extract.
# Usage: bench/tm.sh [UNITS] [QUERIES]   (needs cargo, python3, `pip install rapidfuzz`, taskset)
# Both pinned to one core (CORE, default 0), same units.tsv and queries.txt (written by tm_bench).
# PY_QUERIES limits the Python run to the first N queries (default: all).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UNITS="${1:-1000000}"
QUERIES="${2:-1000}"
CORE="${CORE:-0}"
OUT="${OUT:-/tmp/qiantang-tm-bench}"
cd "$ROOT"
cargo build --release -q -p qiantang-l10n --example tm_bench
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/tm_bench"
echo "--- qiantang-l10n TmIndex ($UNITS units, $QUERIES queries, min score 75, limit 5), core $CORE"
taskset -c "$CORE" "$BIN" --units "$UNITS" --queries "$QUERIES" --out "$OUT" | tee "$OUT.rust.txt"
echo "--- Python rapidfuzz process.extract(scorer=fuzz.ratio, limit=5, score_cutoff=75), brute force"
taskset -c "$CORE" python3 "$ROOT/bench/tm_rapidfuzz.py" "$OUT" ${PY_QUERIES:+--queries "$PY_QUERIES"} | tee "$OUT.py.txt"
python3 - "$OUT.rust.txt" "$OUT.py.txt" <<'PY'
import sys
r = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if "=" in l)
p = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if "=" in l)
for k in ("p50_ms", "p99_ms", "mean_ms"):
    print(f"{k:8}: TmIndex {float(r[k]):9.3f}   rapidfuzz {float(p[k]):9.3f}   ratio {float(p[k]) / float(r[k]):8.1f}x")
print(f"build   : {r['build_s']} s")
PY
