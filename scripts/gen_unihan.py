#!/usr/bin/env python3
"""Derive data/kb/unihan_readings.tsv from Unicode's Unihan database.

Input: Debian's `unicode-data` package (`apt-get install -y unicode-data`), files
/usr/share/unicode/Unihan_Readings.txt.bz2 and Unihan_Variants.txt.bz2
(Unicode 15.0.0, Unihan dated 2022-08-01).
Override the folder with UNIHAN_DIR.

Output (UTF-8, tab-separated, one line per character, sorted by code point):
    char <TAB> vi <TAB> ko <TAB> ja
- vi: kVietnamese readings, as published, space-separated (Unihan order);
- ko: kHangul readings without their source suffix, space-separated; readings
  marked `E` (KS X 1001 educational set) first, then the rest in Unihan order
  (so 雷 "뇌:0 뢰:0E" becomes "뢰 뇌": the base form first; the initial-sound
  rule is applied in code);
- ja: kJapaneseOn readings converted from Unihan's upper-case romaji to
  hiragana (KOU -> こう), space-separated, Unihan order.
A field is empty when Unihan has no value.  A character without a value in a
field takes the value of its first kTraditionalVariant that has one (許 for 许),
else of its first kSimplifiedVariant, kZVariant or kSemanticVariant that has one
(歷 takes the Japanese reading of 历/暦), so every label character can be read.

Characters covered: every Han character of a zh-Hans/zh-Hant label in
data/kb/concepts.json and heritage.json, and their Traditional variants.  Rerun
after adding concepts (a test in crates/kb fails when a label character is missing).
This is a MODIFIED extract of the Unicode data files (see data/PROVENANCE.md).
"""
import bz2
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.environ.get("UNIHAN_DIR", "/usr/share/unicode")
OUT = os.path.join(ROOT, "data", "kb", "unihan_readings.tsv")


def rows(name):
    path = os.path.join(SRC, name)
    opener = bz2.open if path.endswith(".bz2") else open
    if not os.path.exists(path) and os.path.exists(path[:-4]):
        path, opener = path[:-4], open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cp, field, value = line.rstrip("\n").split("\t", 2)
            yield chr(int(cp[2:], 16)), field, value


KANA = {}
_base = {
    "": "あいうえお", "K": "かきくけこ", "G": "がぎぐげご", "S": "さしすせそ", "Z": "ざじずぜぞ",
    "T": "たちつてと", "D": "だぢづでど", "N": "なにぬねの", "H": "はひふへほ", "B": "ばびぶべぼ",
    "P": "ぱぴぷぺぽ", "M": "まみむめも", "R": "らりるれろ",
}
for c, row in _base.items():
    for v, k in zip("AIUEO", row):
        KANA[c + v] = k
KANA.update({
    "SHI": "し", "CHI": "ち", "TSU": "つ", "FU": "ふ", "JI": "じ",
    "YA": "や", "YU": "ゆ", "YO": "よ", "WA": "わ", "WO": "を", "WE": "ゑ", "WI": "ゐ",
})
for c, i in [("K", "き"), ("G", "ぎ"), ("N", "に"), ("H", "ひ"), ("B", "び"), ("P", "ぴ"),
             ("M", "み"), ("R", "り")]:
    for v, small in zip("AUO", "ゃゅょ"):
        KANA[c + "Y" + v] = i + small
for c, i in [("SH", "し"), ("CH", "ち"), ("J", "じ")]:
    for v, small in zip("AUO", "ゃゅょ"):
        KANA[c + v] = i + small
    KANA[c + "E"] = i + "ぇ"
KANA["JYA"], KANA["JYU"], KANA["JYO"] = "じゃ", "じゅ", "じょ"
KANA["CHYU"], KANA["SHYU"], KANA["SHYO"] = "ちゅ", "しゅ", "しょ"
KANA["KUWA"], KANA["GUWA"] = "くわ", "ぐわ"  # historical spellings, kept literally
KEYS = sorted(KANA, key=len, reverse=True)


def to_hiragana(romaji):
    out, i = [], 0
    while i < len(romaji):
        if romaji[i] == "N" and (i + 1 == len(romaji) or romaji[i + 1] not in "AIUEOY"):
            out.append("ん")
            i += 1
            continue
        for k in KEYS:
            if romaji.startswith(k, i):
                out.append(KANA[k])
                i += len(k)
                break
        else:
            raise ValueError(f"cannot convert {romaji!r} at {i}")
    return "".join(out)


# Vietnamese tone placement: Unihan writes the older style on open oa/oe/uy
# syllables (hoà, thuỷ); the extract uses the style of current publishing and
# of the project's renderings (hòa, thủy).
TONED = {"à": "a\u0300", "á": "a\u0301", "ả": "a\u0309", "ã": "a\u0303", "ạ": "a\u0323",
         "è": "e\u0300", "é": "e\u0301", "ẻ": "e\u0309", "ẽ": "e\u0303", "ẹ": "e\u0323",
         "ỳ": "y\u0300", "ý": "y\u0301", "ỷ": "y\u0309", "ỹ": "y\u0303", "ỵ": "y\u0323"}


def modern_tone(syllable):
    import unicodedata
    for pair in ("oa", "oe", "uy"):
        last = syllable[-1:]
        if syllable[-3:-2] == "q":
            continue  # qu-: the u belongs to the consonant (quý)
        if len(syllable) >= 2 and syllable[-2] == pair[0] and last in TONED and \
                unicodedata.normalize("NFD", last)[0] == pair[1]:
            mark = TONED[last][1]
            return unicodedata.normalize("NFC", syllable[:-2] + pair[0] + mark + pair[1])
    return syllable


def main():
    readings = {}
    for ch, field, value in rows("Unihan_Readings.txt.bz2"):
        if field in ("kVietnamese", "kHangul", "kJapaneseOn"):
            readings.setdefault(ch, {})[field] = value
    trad, others = {}, {}
    for ch, field, value in rows("Unihan_Variants.txt.bz2"):
        targets = [chr(int(v[2:].split("<")[0], 16)) for v in value.split()]
        if field == "kTraditionalVariant":
            trad[ch] = targets
        elif field in ("kSimplifiedVariant", "kZVariant", "kSemanticVariant"):
            others.setdefault(ch, []).extend(targets)
    chars = set()
    for name in ("concepts.json", "heritage.json"):
        with open(os.path.join(ROOT, "data", "kb", name), encoding="utf-8") as f:
            for c in json.load(f):
                for l in c["labels"]:
                    if l["lang"] in ("zh-Hans", "zh-Hant"):
                        chars.update(ch for ch in l["text"] if re.match(r"[\u3400-\u9fff\uf900-\ufaff]", ch))
    for ch in list(chars):
        chars.update(t for t in trad.get(ch, []) if t != ch)

    def field(ch, name):
        v = readings.get(ch, {}).get(name)
        if v:
            return v
        for t in trad.get(ch, []) + others.get(ch, []):
            v = readings.get(t, {}).get(name)
            if v:
                return v
        return ""

    lines = [
        "# MODIFIED extract of Unicode's Unihan database (Unicode 15.0.0, Unihan_Readings.txt\n",
        "# 2022-08-01) made by scripts/gen_unihan.py: char<TAB>vi<TAB>ko<TAB>ja (see the script).\n",
        "# Copyright (c) 1991-2022 Unicode, Inc. Unicode License, text in data/PROVENANCE.md.\n",
    ]
    n = 0
    for ch in sorted(chars):
        vi = " ".join(modern_tone(r) for r in field(ch, "kVietnamese").split())
        ko_raw = field(ch, "kHangul").split()
        ko_e = [r.split(":")[0] for r in ko_raw if "E" in r.partition(":")[2]]
        ko = ko_e + [r.split(":")[0] for r in ko_raw if r.split(":")[0] not in ko_e]
        ja = [to_hiragana(r) for r in field(ch, "kJapaneseOn").split()]
        if not (vi or ko or ja):
            continue
        lines.append(f"{ch}\t{vi}\t{' '.join(ko)}\t{' '.join(ja)}\n")
        n += 1
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("".join(lines))
    print(f"{OUT}: {n} characters, {os.path.getsize(OUT)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
