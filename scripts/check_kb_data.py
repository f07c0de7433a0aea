#!/usr/bin/env python3
"""Validate the built-in knowledge-base seed under data/ (see data/PROVENANCE.md).

Checks: every file parses; concept ids unique and well-formed; four pref labels (zh-Hans, zh-Hant,
zh-Latn-pinyin, en), at most one pref per language; en + zh-Hans definitions; known categories;
every `broader` target exists; no cycles; renderings reference existing concepts and use valid
strategies; markets are well-formed; minimum counts. Exits non-zero on any error.

Usage: python3 scripts/check_kb_data.py
"""
import collections
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ID_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{0,99}$")
CATEGORIES = {"root", "place", "person", "legend", "religion", "wuxia", "mythology", "history", "address",
              "tea", "silk", "craft", "performing", "cuisine", "festival", "literature", "heritage"}
PREF_LANGS = ["zh-Hans", "zh-Hant", "zh-Latn-pinyin", "en"]
STRATEGIES = {"keep", "transliterate", "translate", "transliterate_gloss", "substitute"}
RENDER_LANGS = ["en", "es", "pt", "id", "vi", "th", "ja", "ko", "fr"]
MIN = {"curated": 320, "heritage": 257, "markets": 28, "rendered_all_langs": 110}

errors = []


def err(msg):
    errors.append(msg)


def load(rel):
    path = os.path.join(ROOT, rel)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except Exception as e:  # noqa: BLE001
        err(f"{rel}: does not parse: {e}")
        return []
    if not isinstance(data, list):
        err(f"{rel}: top level must be an array")
        return []
    return data


def check_concepts(concepts, rel):
    for c in concepts:
        cid = c.get("id", "")
        where = f"{rel}: {cid}"
        if not ID_RE.match(cid):
            err(f"{where}: bad id")
        if c.get("category") not in CATEGORIES:
            err(f"{where}: unknown category {c.get('category')!r}")
        prefs = collections.Counter()
        for lab in c.get("labels", []):
            if lab.get("kind") not in ("pref", "alt"):
                err(f"{where}: bad label kind {lab}")
            if not lab.get("text", "").strip():
                err(f"{where}: empty label {lab}")
            if lab.get("kind") == "pref":
                prefs[lab.get("lang")] += 1
            if lab.get("lang") in ("zh-Hans", "zh-Hant") and len(lab.get("text", "")) == 1:
                err(f"{where}: single-character zh label {lab['text']!r}")
        for lang in PREF_LANGS:
            if prefs[lang] != 1:
                err(f"{where}: needs exactly one pref label in {lang} (has {prefs[lang]})")
        for lang, n in prefs.items():
            if n > 1:
                err(f"{where}: {n} pref labels in {lang}")
        d = c.get("definition", {})
        for lang in ("en", "zh-Hans"):
            if not d.get(lang, "").strip():
                err(f"{where}: missing {lang} definition")
        prov = c.get("provenance", {})
        if not prov.get("source") or prov.get("status") not in ("draft", "reviewed"):
            err(f"{where}: bad provenance {prov}")
        for r in c.get("regions", []):
            if not isinstance(r, str) or not r:
                err(f"{where}: bad region {r!r}")


def check_graph(concepts):
    ids = collections.Counter(c["id"] for c in concepts)
    for i, n in ids.items():
        if n > 1:
            err(f"duplicate concept id {i} ({n}x)")
    by_id = {c["id"]: c for c in concepts}
    for c in concepts:
        for b in c.get("broader", []):
            if b not in by_id:
                err(f"{c['id']}: broader {b} does not exist")
            if b == c["id"]:
                err(f"{c['id']}: broader to itself")
    # cycle detection (iterative DFS, colours)
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {i: WHITE for i in by_id}
    for start in by_id:
        if colour[start] != WHITE:
            continue
        stack = [(start, iter(by_id[start].get("broader", [])))]
        colour[start] = GREY
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = BLACK
                stack.pop()
                continue
            if nxt not in by_id:
                continue
            if colour[nxt] == GREY:
                err(f"cycle through {node} -> {nxt}")
            elif colour[nxt] == WHITE:
                colour[nxt] = GREY
                stack.append((nxt, iter(by_id[nxt].get("broader", []))))
    # zh-Hans label collisions between concepts (warn only: the tagger must disambiguate)
    owners = collections.defaultdict(set)
    for c in concepts:
        for lab in c["labels"]:
            if lab["lang"] == "zh-Hans":
                owners[lab["text"]].add(c["id"])
    shared = {t: sorted(o) for t, o in owners.items() if len(o) > 1}
    return by_id, shared


def check_renderings(renderings, by_id):
    seen = set()
    per_concept = collections.defaultdict(set)
    for r in renderings:
        where = f"rendering {r.get('concept')}/{r.get('lang')}/{r.get('market')}"
        if r.get("concept") not in by_id:
            err(f"{where}: unknown concept")
        if r.get("strategy") not in STRATEGIES:
            err(f"{where}: bad strategy {r.get('strategy')!r}")
        if not r.get("text", "").strip():
            err(f"{where}: empty text")
        if r.get("strategy") == "transliterate_gloss" and not (r.get("gloss") or "").strip():
            err(f"{where}: transliterate_gloss without gloss")
        if r.get("status", "draft") not in ("draft", "reviewed"):
            err(f"{where}: bad status")
        m = r.get("market")
        if m is not None and not re.match(r"^[A-Z]{2}$", m):
            err(f"{where}: bad market {m!r}")
        key = (r.get("concept"), r.get("lang"), m)
        if key in seen:
            err(f"{where}: duplicate rule")
        seen.add(key)
        if m is None:
            per_concept[r.get("concept")].add(r.get("lang"))
    return sum(1 for langs in per_concept.values() if all(l in langs for l in RENDER_LANGS))


def check_markets(markets):
    regions = collections.Counter(m.get("region") for m in markets)
    for m in markets:
        where = f"market {m.get('region')}"
        if not re.match(r"^[A-Z]{2}$", m.get("region", "")):
            err(f"{where}: bad region")
        if regions[m.get("region")] > 1:
            err(f"{where}: duplicate")
        if not m.get("name") or not m.get("languages"):
            err(f"{where}: missing name/languages")
        for l in m.get("languages", []):
            if not re.match(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$", l):
                err(f"{where}: odd BCP 47 tag {l}")
        if m.get("context") not in ("high", "low"):
            err(f"{where}: bad context")
        if m.get("proximity") not in ("close", "medium", "distant"):
            err(f"{where}: bad proximity")
        if not m.get("note"):
            err(f"{where}: missing note")


def main():
    curated = load("data/kb/concepts.json")
    heritage = load("data/kb/heritage.json")
    renderings = load("data/kb/renderings.json")
    markets = load("data/markets.json")
    check_concepts(curated, "concepts.json")
    check_concepts(heritage, "heritage.json")
    for h in heritage:
        if not h.get("heritage"):
            err(f"heritage.json: {h.get('id')}: missing heritage facts")
    by_id, shared = check_graph(curated + heritage)
    full = check_renderings(renderings, by_id)
    check_markets(markets)
    counts = {
        "curated": len(curated),
        "heritage": len(heritage),
        "renderings": len(renderings),
        "markets": len(markets),
        "rendered_all_langs": full,
    }
    for k, v in counts.items():
        print(f"{k:>20}: {v}")
    if shared:
        print(f"{'shared zh labels':>20}: {len(shared)} (warning) " +
              "; ".join(f"{t}={','.join(o)}" for t, o in list(shared.items())[:20]))
    for k, floor in MIN.items():
        if k == "heritage":
            if counts[k] != floor:
                err(f"heritage count {counts[k]} != {floor}")
        elif counts[k] < floor:
            err(f"{k} count {counts[k]} < {floor}")
    if errors:
        print(f"\n{len(errors)} error(s):", file=sys.stderr)
        for e in errors[:200]:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
