#!/usr/bin/env python3
"""Peer for the piracy-finder benchmark: datasketch MinHash + MinHashLSH on the same data.

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


if __name__ == "__main__":
    main(sys.argv[1])
