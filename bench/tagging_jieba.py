#!/usr/bin/env python3
"""Peer for the tagging benchmark: Python jieba with the KB's labels as a user dictionary.

Usage: tagging_jieba.py TEXT [--iters N] [--hmm] [--repo DIR]

Loads every zh-Hans / zh-Hant label of data/kb/concepts.json and data/kb/heritage.json
(the same labels as the Rust seed) into jieba with `jieba.add_word`, initialises the
dictionary (not timed), then times: cut the whole text (`jieba.lcut`, HMM off unless
--hmm) and keep the tokens that are KB labels, with their char offsets.
Prints `jieba_mb_per_s=<best>` on stdout, details on stderr.
"""
import argparse
import json
import logging
import os
import sys
import time

import jieba

ap = argparse.ArgumentParser()
ap.add_argument("text")
ap.add_argument("--iters", type=int, default=3)
ap.add_argument("--hmm", action="store_true")
ap.add_argument("--repo", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
args = ap.parse_args()

jieba.setLogLevel(logging.WARNING)
labels = set()
for f in ("data/kb/concepts.json", "data/kb/heritage.json"):
    with open(os.path.join(args.repo, f), encoding="utf-8") as fh:
        for c in json.load(fh):
            for l in c.get("labels", []):
                if l.get("lang") in ("zh-Hans", "zh-Hant") and l.get("text", "").strip():
                    labels.add(l["text"].strip())
jieba.initialize()
for w in labels:
    jieba.add_word(w)

with open(args.text, encoding="utf-8") as fh:
    text = fh.read()
mb = len(text.encode("utf-8")) / 1e6

best = float("inf")
for i in range(args.iters):
    t = time.perf_counter()
    found = []
    pos = 0
    for tok in jieba.lcut(text, HMM=args.hmm):
        if tok in labels:
            found.append((pos, len(tok), tok))
        pos += len(tok)
    dt = time.perf_counter() - t
    best = min(best, dt)
    print(f"run {i}: {dt:.3f} s, {mb / dt:.2f} MB/s, occurrences={len(found)} labels={len(labels)} hmm={args.hmm}",
          file=sys.stderr)
print(f"jieba_mb_per_s={mb / best:.3f}")
