#!/usr/bin/env bash
# Tagging throughput: qiantang-kb Tagger vs Python jieba with the KB labels as user dictionary.
# Usage: bench/tagging.sh [TEXT] [ITERS]   (run from anywhere; needs cargo, python3, `pip install jieba`, taskset)
# Both run pinned to one core (taskset -c 0) on the same UTF-8 input; best of ITERS runs each.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEXT="${1:-$ROOT/../shared/corpus/novels_zh/jigong_quanzhuan.txt}"
ITERS="${2:-10}"
CORE="${CORE:-0}"
cd "$ROOT"
cargo build --release -q -p qiantang-kb --example tag_bench
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/tag_bench"

echo "input: $TEXT ($(wc -c <"$TEXT") bytes), core $CORE, best of $ITERS (tagger) / 3 (jieba)"
echo "--- qiantang-kb Tagger (seed labels, whole text in one call)"
Q=$(taskset -c "$CORE" "$BIN" "$TEXT" --iters "$ITERS" 2> >(tail -n 1 >&2) | sed -n 's/^tagging_mb_per_s=//p')
echo "--- qiantang-kb Tagger (one call per paragraph)"
QC=$(taskset -c "$CORE" "$BIN" "$TEXT" --iters "$ITERS" --chunked 2> >(tail -n 1 >&2) | sed -n 's/^tagging_mb_per_s=//p')
echo "--- Python jieba $(python3 -c 'import jieba;print(jieba.__version__)'), labels via add_word, HMM off"
J=$(taskset -c "$CORE" python3 "$ROOT/bench/tagging_jieba.py" "$TEXT" --iters 3 2> >(tail -n 1 >&2) | sed -n 's/^jieba_mb_per_s=//p')
echo "--- Python jieba, HMM on (jieba's default)"
JH=$(taskset -c "$CORE" python3 "$ROOT/bench/tagging_jieba.py" "$TEXT" --iters 3 --hmm 2> >(tail -n 1 >&2) | sed -n 's/^jieba_mb_per_s=//p')
sleep 0.2
python3 - "$Q" "$QC" "$J" "$JH" <<'PY'
import sys
q, qc, j, jh = map(float, sys.argv[1:])
print(f"tagger (whole text) : {q:8.1f} MB/s")
print(f"tagger (paragraphs) : {qc:8.1f} MB/s")
print(f"jieba  (HMM off)    : {j:8.2f} MB/s")
print(f"jieba  (HMM on)     : {jh:8.2f} MB/s")
print(f"ratio tagger/jieba  : {q / j:8.1f}x (HMM off), {q / jh:.1f}x (HMM on)")
PY
