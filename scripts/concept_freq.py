#!/usr/bin/env python3
"""Concept frequency in the public-domain corpus novels.

Counts occurrences of every concept's zh-Hans labels (pref + alt) in the three novels under
../shared/corpus/novels_zh/ (the Journey to the West file is GB18030). Matching is greedy
longest-match, left to right, without overlaps, so 孙悟空 is not also counted as 悟空.
A label shared by several concepts is credited to each of them.

Writes data/kb/frequency.tsv: concept<TAB>total<TAB>jigong<TAB>xiyouji<TAB>yushi<TAB>zh-Hans pref,
sorted by total (descending), then id.

Usage: python3 scripts/concept_freq.py [--corpus DIR] [--top N]
"""
import argparse
import collections
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOVELS = [
    ("jigong", "jigong_quanzhuan.txt", "utf-8"),
    ("xiyouji", "xiyouji_journey_to_the_west.gb18030.txt", "gb18030"),
    ("yushi", "yushi_mingyan_28_liang_zhu_episode.txt", "utf-8"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "novels_zh"))
    ap.add_argument("--top", type=int, default=30, help="print the N most frequent concepts")
    args = ap.parse_args()

    concepts = []
    for rel in ("data/kb/concepts.json", "data/kb/heritage.json"):
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            concepts += json.load(f)
    owners = collections.defaultdict(set)
    pref = {}
    for c in concepts:
        for lab in c["labels"]:
            if lab["lang"] == "zh-Hans":
                owners[lab["text"]].add(c["id"])
                if lab["kind"] == "pref":
                    pref[c["id"]] = lab["text"]
    by_len = sorted({len(t) for t in owners}, reverse=True)

    counts = {c["id"]: collections.Counter() for c in concepts}
    for key, name, enc in NOVELS:
        with open(os.path.join(args.corpus, name), encoding=enc, errors="replace") as f:
            text = f.read()
        i, n = 0, len(text)
        while i < n:
            for ln in by_len:
                w = text[i:i + ln]
                if len(w) == ln and w in owners:
                    for cid in owners[w]:
                        counts[cid][key] += 1
                    i += ln
                    break
            else:
                i += 1

    rows = sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    out = os.path.join(ROOT, "data", "kb", "frequency.tsv")
    with open(out, "w", encoding="utf-8") as f:
        f.write("# concept\ttotal\tjigong\txiyouji\tyushi\tzh-Hans\n")
        for cid, cnt in rows:
            f.write(f"{cid}\t{sum(cnt.values())}\t{cnt['jigong']}\t{cnt['xiyouji']}\t{cnt['yushi']}\t{pref.get(cid, '')}\n")
    nonzero = sum(1 for _, c in rows if sum(c.values()))
    print(f"{nonzero} of {len(rows)} concepts occur in the novels; wrote {os.path.relpath(out, ROOT)}")
    for cid, cnt in rows[: args.top]:
        print(f"{sum(cnt.values()):>7}  {cid}  {pref.get(cid, '')}")


if __name__ == "__main__":
    main()
