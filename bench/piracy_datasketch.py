#!/usr/bin/env python3
"""Peer for the piracy-finder benchmark: datasketch MinHash + MinHashLSH on the same data.

Two modes:

* `piracy_datasketch.py DIR` — whole-chapter resemblance (MinHashLSH), described below.
* `piracy_datasketch.py --ensemble DIR` — partial copies: datasketch's MinHashLSHEnsemble
  (Zhu, Nargesian, Pu, Miller, VLDB 2016) on the output of
  `containment_bench --dump DIR` (see `ensemble()` below).

Reads the *normalized* texts that `piracy_bench --dump DIR` wrote (docs.tsv: id<TAB>text,
queries.tsv: true_id<TAB>text), shingles them into character 5-grams as qiantang-fingerprint does,
and uses MinHash(num_perm=128) and MinHashLSH(threshold=0.3, num_perm=128, params=(64, 2)) — the
same banding — then verifies candidates with MinHash.jaccard >= 0.3 and sorts them, like
LshIndex::query. Prints one JSON line.
"""
import json
import sys
import time

from datasketch import MinHash, MinHashLSH

NGRAM, NUM_PERM, THRESHOLD, PARAMS = 5, 128, 0.3, (64, 2)


def shingles(text):
    return [text[i:i + NGRAM].encode("utf-8") for i in range(len(text) - NGRAM + 1)]


def minhash(text):
    m = MinHash(num_perm=NUM_PERM, seed=1)
    m.update_batch(shingles(text))
    return m


def read(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            i, text = line.rstrip("\n").split("\t", 1)
            yield int(i), text


def main(d):
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=PARAMS)
    sigs = {}
    t0 = time.perf_counter()
    sig_s = 0.0
    n = 0
    for i, text in read(f"{d}/docs.tsv"):
        t = time.perf_counter()
        m = minhash(text)
        sig_s += time.perf_counter() - t
        lsh.insert(i, m)
        sigs[i] = m
        n += 1
    build = time.perf_counter() - t0
    lat, top1, q = [], 0, 0
    for i, text in read(f"{d}/queries.tsv"):
        t = time.perf_counter()
        m = minhash(text)
        hits = [(m.jaccard(sigs[c]), c) for c in lsh.query(m)]
        hits = sorted((h for h in hits if h[0] >= THRESHOLD), key=lambda h: (-h[0], h[1]))
        lat.append(time.perf_counter() - t)
        q += 1
        if hits and hits[0][1] == i:
            top1 += 1
    lat.sort()
    pick = lambda p: lat[round((len(lat) - 1) * p)] * 1e3
    print(json.dumps({
        "impl": "datasketch", "indexed": n, "build_s": round(build, 2), "signature_s": round(sig_s, 2),
        "recall_top1": round(top1 / q, 4), "query_ms_p50": round(pick(0.5), 3),
        "query_ms_p99": round(pick(0.99), 3), "query_ms_max": round(pick(1.0), 3),
    }))


def ensemble(d, threshold=0.5, num_part=16):
    """Containment queries with MinHashLSHEnsemble on the same character 5-gram shingles.

    docs.tsv: id<TAB>normalized text; queries.tsv: true id<TAB>kind<TAB>normalized text, where
    kind is the excerpt length (300, 500, 1000, 2000, or 0 for half a chapter) or `unrelated`.
    Each doc is indexed with (key, MinHash(num_perm=128), |5-gram set|). A query returns the
    ensemble's candidates; they are then verified like our finder verifies spans, with the
    containment estimated from the MinHash Jaccard J: c = J(|Q| + |X|) / ((1 + J)|Q|), kept when
    >= threshold. Recall = the true chapter is kept. Prints one JSON line.
    """
    from datasketch import MinHashLSHEnsemble

    t0 = time.perf_counter()
    entries, sigs, sizes = [], {}, {}
    for i, text in read_raw(f"{d}/docs.tsv"):
        sh = set(shingles(text))
        if not sh:
            continue
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch(sh)
        entries.append((i, m, len(sh)))
        sigs[i], sizes[i] = m, len(sh)
    lsh = MinHashLSHEnsemble(threshold=threshold, num_perm=NUM_PERM, num_part=num_part)
    lsh.index(entries)
    build = time.perf_counter() - t0
    by_kind = {}
    for true_id, kind, text in read_queries(f"{d}/queries.tsv"):
        sh = set(shingles(text))
        if not sh:
            continue
        t = time.perf_counter()
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch(sh)
        cands = list(lsh.query(m, len(sh)))
        kept = []
        for c in cands:
            j = m.jaccard(sigs[c])
            cont = j * (len(sh) + sizes[c]) / ((1 + j) * len(sh))
            if cont >= threshold:
                kept.append(c)
        dt = time.perf_counter() - t
        k = by_kind.setdefault(kind, {"n": 0, "hit": 0, "any": 0, "lat": [], "cands": []})
        k["n"] += 1
        k["hit"] += int(true_id in kept)
        k["any"] += int(bool(kept))
        k["lat"].append(dt)
        k["cands"].append(len(cands))
    out = {"impl": "datasketch MinHashLSHEnsemble", "threshold": threshold, "num_part": num_part,
           "indexed": len(entries), "build_s": round(build, 2)}
    for kind, k in by_kind.items():
        lat = sorted(k["lat"])
        cands = sorted(k["cands"])
        pick = lambda v, p: v[round((len(v) - 1) * p)]
        out[kind] = {
            "queries": k["n"],
            # For `unrelated` queries "recall" is meaningless; fp_rate is the share with any kept match.
            "recall": round(k["hit"] / k["n"], 4),
            "fp_rate" if kind == "unrelated" else "any_match": round(k["any"] / k["n"], 4),
            "candidates_p50": pick(cands, 0.5),
            "ms_p50": round(pick(lat, 0.5) * 1e3, 3),
            "ms_p99": round(pick(lat, 0.99) * 1e3, 3),
        }
    print(json.dumps(out))


def read_raw(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            i, text = line.rstrip("\n").split("\t", 1)
            yield i, text


def read_queries(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            i, kind, text = line.rstrip("\n").split("\t", 2)
            yield i, kind, text


if __name__ == "__main__":
    if sys.argv[1] == "--ensemble":
        ensemble(sys.argv[2], *(float(a) for a in sys.argv[3:4]))
    else:
        main(sys.argv[1])
