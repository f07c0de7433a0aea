#!/usr/bin/env python3
"""Brute-force fuzzy TM lookup with rapidfuzz, the peer of crates/l10n/examples/tm_bench.rs.

Reads OUT_DIR/units.tsv (source TAB target) and OUT_DIR/queries.txt written by tm_bench,
runs process.extract(query, sources, scorer=fuzz.ratio, limit=5, score_cutoff=75) for each
query (a scan of all sources) and prints key=value lines like tm_bench.
Usage: tm_rapidfuzz.py OUT_DIR [--queries N]
"""
import sys
import time

from rapidfuzz import fuzz, process
import rapidfuzz


def main():
    out = sys.argv[1]
    nq = int(sys.argv[sys.argv.index("--queries") + 1]) if "--queries" in sys.argv else None
    with open(f"{out}/units.tsv", encoding="utf-8") as f:
        sources = [line.rstrip("\n").split("\t", 1)[0] for line in f]
    with open(f"{out}/queries.txt", encoding="utf-8") as f:
        queries = [line.rstrip("\n") for line in f]
    if nq is not None:
        queries = queries[:nq]
    times = []
    hits = 0
    for q in queries:
        t = time.perf_counter()
        m = process.extract(q, sources, scorer=fuzz.ratio, limit=5, score_cutoff=75)
        times.append((time.perf_counter() - t) * 1000.0)
        hits += bool(m)
    s = sorted(times)
    pick = lambda p: s[max(1, min(len(s), -(-int(len(s) * p * 1000) // 1000))) - 1]
    print(f"rapidfuzz_version={rapidfuzz.__version__}")
    print(f"units={len(sources)}")
    print(f"queries={len(queries)}")
    print(f"queries_with_match={hits}")
    print(f"p50_ms={pick(0.5):.3f}")
    print(f"p99_ms={pick(0.99):.3f}")
    print(f"mean_ms={sum(times) / len(times):.3f}")


if __name__ == "__main__":
    main()
