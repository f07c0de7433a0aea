#!/usr/bin/env python3
"""Generate data/kb/heritage.json: one Concept per Zhejiang row of China's national ICH list.

Input : ../shared/corpus/heritage/ich_national_list_zhejiang.csv (facts from the State Council lists,
        compiled by github.com/lgchuns-ctrl/ich-star-map-web @ c44e8e010d9509070aea2776b8cc150da9f26dd4)
        data/kb/heritage_en.tsv (project_name<TAB>English name, hand-written)
Output: data/kb/heritage.json

Requires: pip install opencc-python-reimplemented pypinyin jieba
Usage   : python3 scripts/gen_heritage.py [--csv PATH]
"""
import argparse
import csv
import json
import os
import re
import sys

import jieba
import jieba.posseg as pseg
from opencc import OpenCC
from pypinyin import Style, pinyin, load_phrases_dict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CSV = os.path.join(ROOT, "..", "shared", "corpus", "heritage", "ich_national_list_zhejiang.csv")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{0,99}$")

# ICH list category (as published) -> (node id in concepts.json, English name)
CATEGORY_NODES = {
    "民间文学": ("ich-cat.folk-literature", "folk literature"),
    "传统音乐": ("ich-cat.traditional-music", "traditional music"),
    "传统舞蹈": ("ich-cat.traditional-dance", "traditional dance"),
    "传统戏剧": ("ich-cat.traditional-theatre", "traditional theatre"),
    "曲艺": ("ich-cat.quyi", "quyi (storytelling and ballad singing)"),
    "传统体育、游艺与杂技": ("ich-cat.sports-games-acrobatics", "traditional sports, games and acrobatics"),
    "传统美术": ("ich-cat.traditional-fine-arts", "traditional fine arts"),
    "传统技艺": ("ich-cat.traditional-craftsmanship", "traditional craftsmanship"),
    "传统医药": ("ich-cat.traditional-medicine", "traditional medicine"),
    "民俗": ("ich-cat.folk-customs", "folk customs"),
}

# Prefecture-level cities of Zhejiang (English, as used in `regions`).
CITY_EN = {
    "杭州": "Hangzhou", "宁波": "Ningbo", "温州": "Wenzhou", "嘉兴": "Jiaxing", "湖州": "Huzhou",
    "绍兴": "Shaoxing", "金华": "Jinhua", "衢州": "Quzhou", "舟山": "Zhoushan", "台州": "Taizhou",
    "丽水": "Lishui",
}

# County-level units found in region_raw -> (prefecture city, English name of the place).
# Written by hand: several names have readings a pinyin library gets wrong (乐清 Yueqing, 嵊州 Shengzhou, 丽水 Lishui).
PLACES = {
    "临安市": ("杭州", "Lin'an"), "富阳市": ("杭州", "Fuyang"), "建德市": ("杭州", "Jiande"),
    "桐庐县": ("杭州", "Tonglu"), "淳安县": ("杭州", "Chun'an"), "萧山区": ("杭州", "Xiaoshan"),
    "余杭区": ("杭州", "Yuhang"), "上城区": ("杭州", "Shangcheng District"), "下城区": ("杭州", "Xiacheng District"),
    "拱墅区": ("杭州", "Gongshu District"), "西湖区": ("杭州", "Xihu District"),
    "西泠印社": ("杭州", "Xiling Seal Art Society"), "福兴丝绸厂": ("杭州", "Fuxing Silk Factory"),
    "余姚市": ("宁波", "Yuyao"), "慈溪市": ("宁波", "Cixi"), "奉化市": ("宁波", "Fenghua"), "奉化区": ("宁波", "Fenghua"),
    "宁海县": ("宁波", "Ninghai"), "象山县": ("宁波", "Xiangshan"), "海曙区": ("宁波", "Haishu District"),
    "鄞州区": ("宁波", "Yinzhou District"),
    "乐清市": ("温州", "Yueqing"), "瑞安市": ("温州", "Rui'an"), "永嘉县": ("温州", "Yongjia"),
    "平阳县": ("温州", "Pingyang"), "苍南县": ("温州", "Cangnan"), "文成县": ("温州", "Wencheng"),
    "泰顺县": ("温州", "Taishun"), "洞头县": ("温州", "Dongtou"), "瓯海区": ("温州", "Ouhai District"),
    "鹿城区": ("温州", "Lucheng District"), "龙湾区": ("温州", "Longwan District"),
    "嘉善县": ("嘉兴", "Jiashan"), "平湖市": ("嘉兴", "Pinghu"), "海宁市": ("嘉兴", "Haining"),
    "海盐县": ("嘉兴", "Haiyan"), "桐乡市": ("嘉兴", "Tongxiang"), "南湖区": ("嘉兴", "Nanhu District"),
    "秀洲区": ("嘉兴", "Xiuzhou District"),
    "安吉县": ("湖州", "Anji"), "德清县": ("湖州", "Deqing"), "长兴县": ("湖州", "Changxing"),
    "南浔区": ("湖州", "Nanxun District"),
    "上虞市": ("绍兴", "Shangyu"), "嵊州市": ("绍兴", "Shengzhou"), "新昌县": ("绍兴", "Xinchang"),
    "诸暨市": ("绍兴", "Zhuji"), "绍兴县": ("绍兴", "Shaoxing County"),
    "东阳市": ("金华", "Dongyang"), "义乌市": ("金华", "Yiwu"), "兰溪市": ("金华", "Lanxi"),
    "武义县": ("金华", "Wuyi"), "永康市": ("金华", "Yongkang"), "浦江县": ("金华", "Pujiang"),
    "磐安县": ("金华", "Pan'an"), "婺城区": ("金华", "Wucheng District"),
    "常山县": ("衢州", "Changshan"), "开化县": ("衢州", "Kaihua"), "江山市": ("衢州", "Jiangshan"),
    "龙游县": ("衢州", "Longyou"), "柯城区": ("衢州", "Kecheng District"),
    "岱山县": ("舟山", "Daishan"), "嵊泗县": ("舟山", "Shengsi"), "普陀区": ("舟山", "Putuo District"),
    "三门县": ("台州", "Sanmen"), "临海市": ("台州", "Linhai"), "仙居县": ("台州", "Xianju"),
    "天台县": ("台州", "Tiantai"), "温岭市": ("台州", "Wenling"), "玉环县": ("台州", "Yuhuan"),
    "椒江区": ("台州", "Jiaojiang District"), "黄岩区": ("台州", "Huangyan District"),
    "云和县": ("丽水", "Yunhe"), "景宁畲族自治县": ("丽水", "Jingning She Autonomous County"),
    "缙云县": ("丽水", "Jinyun"), "莲都区": ("丽水", "Liandu District"), "庆元县": ("丽水", "Qingyuan"),
    "松阳县": ("丽水", "Songyang"), "遂昌县": ("丽水", "Suichang"), "青田县": ("丽水", "Qingtian"),
    "龙泉市": ("丽水", "Longquan"),
}

# Source errors in `project_num`: its last six digits should be the GB/T 2260 code of the applying
# county/district (Zhejiang = 33xxxx), but two rows carry codes of other places. The concept id keeps the
# published project_num (ids are stable); `regions` is always derived from `region_raw`, never from the code.
# project_num -> (correct code, note). See data/PROVENANCE.md.
PROJECT_NUM_ERRORS = {
    "X-003_03_360103": ("330106", "360103 is Xihu District of Nanchang, Jiangxi; region_raw is Xihu District, Hangzhou"),
    "VIII-214_04_300702": ("330702", "300702 is not a valid code; region_raw is Wucheng District, Jinhua (330702)"),
}

# Pinyin corrections for words the library reads wrongly in these names.
PHRASES = {
    "乐清": [["yuè"], ["qīng"]], "嵊州": [["shèng"], ["zhōu"]], "嵊泗": [["shèng"], ["sì"]],
    "畲族": [["shē"], ["zú"]], "调腔": [["diào"], ["qiāng"]], "平调": [["píng"], ["diào"]],
    "词调": [["cí"], ["diào"]], "武林调": [["wǔ"], ["lín"], ["diào"]], "调吊": [["tiáo"], ["diào"]],
    "乱弹": [["luàn"], ["tán"]], "弹词": [["tán"], ["cí"]], "评弹": [["píng"], ["tán"]],
    "摊簧": [["tān"], ["huáng"]], "莲花落": [["lián"], ["huā"], ["lào"]], "钹子书": [["bó"], ["zi"], ["shū"]],
    "走书": [["zǒu"], ["shū"]], "吹打": [["chuī"], ["dǎ"]], "夹缬": [["jiā"], ["xié"]],
    "夹苎": [["jiā"], ["zhù"]], "干漆": [["gān"], ["qī"]], "炮制": [["páo"], ["zhì"]],
    "曲艺": [["qǔ"], ["yì"]], "昆曲": [["kūn"], ["qǔ"]], "昆曲十番": [["kūn"], ["qǔ"], ["shí"], ["fān"]],
    "十番": [["shí"], ["fān"]], "细十番": [["xì"], ["shí"], ["fān"]], "掼牛": [["guàn"], ["niú"]],
    "高杆": [["gāo"], ["gān"]], "廿八都": [["niàn"], ["bā"], ["dū"]], "硖石": [["xiá"], ["shí"]],
    "瓯绣": [["ōu"], ["xiù"]], "瓯塑": [["ōu"], ["sù"]], "瓯剧": [["ōu"], ["jù"]], "甬剧": [["yǒng"], ["jù"]],
    "婺剧": [["wù"], ["jù"]], "婺州": [["wù"], ["zhōu"]], "台州": [["tāi"], ["zhōu"]], "天台": [["tiān"], ["tāi"]],
    "天台山": [["tiān"], ["tāi"], ["shān"]], "丽水": [["lí"], ["shuǐ"]], "缙云": [["jìn"], ["yún"]],
    "芯子": [["xìn"], ["zi"]], "飘色": [["piāo"], ["sè"]], "抬阁": [["tái"], ["gé"]],
    "轧蚕花": [["yà"], ["cán"], ["huā"]], "长兴": [["cháng"], ["xīng"]], "烂柯山": [["làn"], ["kē"], ["shān"]],
    "蓝印花布": [["lán"], ["yìn"], ["huā"], ["bù"]], "几": [["jǐ"]], "号子": [["hào"], ["zi"]],
    "开洋": [["kāi"], ["yáng"]], "谢洋节": [["xiè"], ["yáng"], ["jié"]], "大奏鼓": [["dà"], ["zòu"], ["gǔ"]],
    "藤牌舞": [["téng"], ["pái"], ["wǔ"]], "朱金漆": [["zhū"], ["jīn"], ["qī"]], "黄杨": [["huáng"], ["yáng"]],
    "单档": [["dān"], ["dàng"]], "布袋戏": [["bù"], ["dài"], ["xì"]], "提线": [["tí"], ["xiàn"]],
    "三角戏": [["sān"], ["jiǎo"], ["xì"]], "五加皮": [["wǔ"], ["jiā"], ["pí"]], "胡庆余堂": [["hú"], ["qìng"], ["yú"], ["táng"]],
    "痧症": [["shā"], ["zhèng"]], "三月三": [["sān"], ["yuè"], ["sān"]], "赶茶场": [["gǎn"], ["chá"], ["chǎng"]],
    "刘阮": [["liú"], ["ruǎn"]], "宣卷": [["xuān"], ["juàn"]], "道情": [["dào"], ["qíng"]], "鼓词": [["gǔ"], ["cí"]],
    "南词": [["nán"], ["cí"]], "评词": [["píng"], ["cí"]], "评话": [["píng"], ["huà"]], "三跳": [["sān"], ["tiào"]],
    "灯彩": [["dēng"], ["cǎi"]], "龙档": [["lóng"], ["dàng"]], "湖笔": [["hú"], ["bǐ"]], "杭罗": [["háng"], ["luó"]],
    "绫绢": [["líng"], ["juàn"]], "辑里": [["jí"], ["lǐ"]], "丝绵": [["sī"], ["mián"]], "红帮": [["hóng"], ["bāng"]],
    "裁缝": [["cái"], ["féng"]], "正骨": [["zhèng"], ["gǔ"]], "骨伤": [["gǔ"], ["shāng"]], "膏方": [["gāo"], ["fāng"]],
    "膏药": [["gāo"], ["yao"]], "立夏": [["lì"], ["xià"]], "大暑": [["dà"], ["shǔ"]], "芒种": [["máng"], ["zhòng"]],
    "开犁节": [["kāi"], ["lí"], ["jié"]], "班春": [["bān"], ["chūn"]], "劝农": [["quàn"], ["nóng"]],
    "太公祭": [["tài"], ["gōng"], ["jì"]], "十里红妆": [["shí"], ["lǐ"], ["hóng"], ["zhuāng"]],
    "社戏": [["shè"], ["xì"]], "网船会": [["wǎng"], ["chuán"], ["huì"]], "茶宴": [["chá"], ["yàn"]],
    "径山": [["jìng"], ["shān"]], "腊八节": [["là"], ["bā"], ["jié"]], "炼火": [["liàn"], ["huǒ"]],
    "喝彩": [["hè"], ["cǎi"]], "小热昏": [["xiǎo"], ["rè"], ["hūn"]], "独脚戏": [["dú"], ["jiǎo"], ["xì"]],
    "唱新闻": [["chàng"], ["xīn"], ["wén"]], "调": [["diào"]], "西泠印社": [["xī"], ["líng"], ["yìn"], ["shè"]],
    "王星记": [["wáng"], ["xīng"], ["jì"]], "张小泉": [["zhāng"], ["xiǎo"], ["quán"]],
}

# Words capitalised as proper names in the pinyin label (places, people, schools, works).
PROPER = [
    "白蛇传", "梁祝", "西施", "济公", "西湖", "刘伯温", "黄初平", "黄大仙", "观音", "徐福", "徐文长", "绍兴", "防风",
    "布袋", "钱王", "苏东坡", "王羲之", "烂柯山", "刘阮", "常山", "畲族", "浙派", "江南", "嵊州", "舟山", "楼塔",
    "遂昌", "浦江", "长兴", "奉化", "兰溪", "开化", "坎门", "鳌江", "黄沙", "西安", "松阳", "新昌", "宁海", "苏州",
    "温州", "平湖", "杭州", "九狮图", "草塔", "乐清", "桐庐", "龙泉", "张小泉", "董氏", "绍派", "武义", "寿仙谷",
    "朱养心", "方回春堂", "杨继洲", "五常", "嘉兴", "蒋村", "石塘", "黄帝", "缙云", "轩辕", "南孔", "妈祖", "洞头",
    "大禹", "嘉善", "象山", "东岳观", "苍南", "正一派", "嵊泗", "余杭", "海盐", "淳安", "青田", "上舍", "诸暨",
    "越剧", "目连", "海宁", "泰顺", "平阳", "廿八都", "临海", "四明", "宁波", "金华", "武林", "永康", "丽水", "湖州",
    "罗汉", "天台山", "西泠印社", "东阳", "黄岩", "仙居", "硖石", "瓯", "婺州", "泽雅", "龙游", "王星记", "杭罗",
    "双林", "辑里", "余姚", "天一阁", "婺州举岩", "紫笋", "安吉", "邵永丰", "诸葛村", "俞源村", "卢宅", "郑义门",
    "越窑", "振兴祥", "红帮", "五芳斋", "衢州", "义乌", "萧山", "严东关", "张氏", "章氏", "胡庆余堂", "桐君",
    "朱丹溪", "九华", "三门", "半山", "梅源", "河上", "前童", "赶茶场", "张山寨", "方岩", "舜王", "石浦", "富岗",
    "如意", "汤和", "含山", "十里红妆", "径山", "易筋经", "西湖龙井", "金华火腿", "龙井",
]

# Whole-token pinyin overrides (personal names are surname + given name; a few words the library misreads).
TOKENS = {
    "刘伯温": "Liú Bówēn", "黄初平": "Huáng Chūpíng", "黄大仙": "Huáng Dàxiān", "徐福": "Xú Fú",
    "徐文长": "Xú Wéncháng", "苏东坡": "Sū Dōngpō", "王羲之": "Wáng Xīzhī", "张小泉": "Zhāng Xiǎoquán",
    "朱养心": "Zhū Yǎngxīn", "杨继洲": "Yáng Jìzhōu", "朱丹溪": "Zhū Dānxī", "汤和": "Tāng Hé",
    "邵永丰": "Shào Yǒngfēng", "胡庆余堂": "Hú Qìngyú Táng", "方回春堂": "Fāng Huíchūn Táng",
    "梁祝": "Liáng-Zhù", "西施": "Xī Shī", "钱王": "Qián Wáng", "刘阮": "Liú-Ruǎn", "白蛇传": "Báishézhuàn",
    "东渡": "dōngdù", "十八般": "shíbā bān", "武艺": "wǔyì", "祭孔大典": "Jì Kǒng dàdiǎn",
    "木活字": "mùhuózì", "印刷技术": "yìnshuā jìshù", "中式服装": "zhōngshì fúzhuāng",
    "西湖龙井": "Xīhú Lóngjǐng", "婺州举岩": "Wùzhōu Jǔyán", "金华火腿": "Jīnhuá huǒtuǐ",
    "鸡血石": "jīxuèshí", "昆曲十番": "Kūnqǔ shífān", "碇步龙": "dìngbù lóng", "狮舞": "shīwǔ",
    "翻九楼": "fānjiǔlóu", "发绣": "fàxiù", "二十四节气": "èrshísì jiéqì", "立春祭": "Lìchūn jì",
    "翻簧": "fānhuáng", "田歌": "tiángē", "滚灯": "gǔndēng", "灯舞": "dēngwǔ", "姚剧": "Yáojù",
    "醒感戏": "Xǐnggǎnxì", "划大龙": "huá dàlóng", "行会": "xínghuì", "药发": "yàofā", "膏药": "gāoyào",
    "信俗": "xìnsú", "孝子祭": "xiàozǐ jì", "锻制": "duànzhì", "晒制": "shàizhì", "钹子书": "bózishū",
    "湖丝": "húsī", "迎会": "yínghuì", "化龙灯": "huà lóngdēng", "铜雕": "tóngdiāo", "锡雕": "xīdiāo",
}

# Traditional forms: OpenCC's s2t picks forms that differ from common Taiwan/Hong Kong usage here.
HANT_FIX = [("鍛制", "鍛製"), ("曬制", "曬製"), ("制扇", "製扇"), ("制糖", "製糖"), ("制劑", "製劑"),
            ("鍼", "針"), ("綵帶", "彩帶"), ("輯裏", "輯里"), ("麪", "麵"), ("糉", "粽"), ("羣", "群"),
            ("竈", "灶"), ("巖", "岩"), ("發繡", "髮繡")]


def to_hant(cc, s):
    t = cc.convert(s)
    for a, b in HANT_FIX:
        t = t.replace(a, b)
    return t


def setup():
    jieba.setLogLevel(60)
    load_phrases_dict(PHRASES)
    for w in list(PHRASES) + PROPER + list(TOKENS):
        jieba.add_word(w, freq=2_000_000)


def word_pinyin(word):
    syl = [s[0] for s in pinyin(word, style=Style.TONE, heteronym=False, errors="ignore")]
    if not syl:
        return ""
    out = syl[0]
    for s in syl[1:]:
        if s and s[0] in "aāáǎàoōóǒòeēéěè":
            out += "'"
        out += s
    return out


def to_pinyin(name):
    """Hanyu Pinyin with tone marks: words joined, proper names and the first word capitalised."""
    parts = re.split(r"([()（）、\-])", name)
    out = []
    first = True
    for part in parts:
        if part in ("(", "（"):
            out.append(" (")
            first = True
            continue
        if part in (")", "）"):
            out.append(")")
            continue
        if part == "、":
            out.append(", ")
            continue
        if part == "-":
            out.append("–")
            first = True
            continue
        if out and out[-1] == ")" and part:
            out.append(" ")
        words = []
        for w in jieba.lcut(part, HMM=False):
            py = TOKENS.get(w) or word_pinyin(w)
            if not py:
                continue
            if first or w in PROPER or any(w.startswith(p) for p in PROPER if len(p) > 1):
                py = py[0].upper() + py[1:]
            first = False
            words.append(py)
        out.append(" ".join(words))
    s = "".join(out)
    s = re.sub(r"\s+", " ", s).replace("( ", "(").replace(" )", ")").strip()
    s = s.replace(") (", ") (")
    return s


def place_of(region_raw):
    """Returns (prefecture city English or None, local English name)."""
    r = region_raw.removeprefix("浙江省")
    if region_raw == "浙江曲艺杂技总团":
        return "Hangzhou", "Zhejiang Quyi and Acrobatics Troupe, Hangzhou"
    if r == "":
        return None, "Zhejiang"
    for zh, en in CITY_EN.items():
        if r.startswith(zh + "市"):
            rest = r[len(zh) + 1:]
            if not rest:
                return en, en
            if rest in PLACES:
                return en, PLACES[rest][1] + ", " + en
            raise SystemExit(f"unknown place {region_raw}")
    if r in PLACES:
        city, en = PLACES[r]
        return CITY_EN[city], en
    raise SystemExit(f"unknown place {region_raw}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default=DEFAULT_CSV)
    ap.add_argument("--out", default=os.path.join(ROOT, "data", "kb", "heritage.json"))
    args = ap.parse_args()
    setup()
    cc = OpenCC("s2t")
    en_names = {}
    with open(os.path.join(ROOT, "data", "kb", "heritage_en.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            zh, en = line.rstrip("\n").split("\t")
            en_names[zh] = en
    with open(args.csv, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    seen = set()
    for r in rows:
        cid = "ich." + r["project_num"].lower().replace("_", "-")
        if not ID_RE.match(cid) or cid in seen:
            raise SystemExit(f"bad or duplicate id {cid}")
        seen.add(cid)
        suffix = r["project_num"].rsplit("_", 1)[-1]
        if not suffix.startswith("33") and r["project_num"] not in PROJECT_NUM_ERRORS:
            raise SystemExit(f"{r['project_num']}: region code {suffix} is not in Zhejiang (33xxxx); "
                             "check region_raw and add it to PROJECT_NUM_ERRORS")
        name = r["project_name"]
        if name not in en_names:
            raise SystemExit(f"no English name for {name}")
        node, cat_en = CATEGORY_NODES[r["category"]]
        city, place_en = place_of(r["region_raw"])
        batch, year = int(r["batch_no"]), int(r["publish_year"])
        ext_en = "" if r["entry_type"] == "new" else " (extension entry)"
        ext_zh = "" if r["entry_type"] == "new" else "（扩展项目）"
        place_zh = r["region_raw"]
        if not place_zh.startswith("浙江"):
            place_zh = "浙江省" + place_zh
        labels = [
            {"lang": "zh-Hans", "text": name, "kind": "pref"},
            {"lang": "zh-Hant", "text": to_hant(cc, name), "kind": "pref"},
            {"lang": "zh-Latn-pinyin", "text": to_pinyin(name), "kind": "pref"},
            {"lang": "en", "text": en_names[name], "kind": "pref"},
        ]
        place_phrase = place_en if place_en == "Zhejiang" else f"{place_en}, Zhejiang"
        concept = {
            "id": cid,
            "category": "heritage",
            "labels": labels,
            "definition": {
                "en": (f"Zhejiang entry of China's national intangible cultural heritage list{ext_en}: "
                       f"{cat_en}, code {r['project_code']}, batch {batch} ({year}), {place_phrase}."),
                "zh-Hans": (f"国家级非物质文化遗产代表性项目名录浙江项目{ext_zh}：{r['category']}类，"
                            f"编号{r['project_code']}，第{batch}批（{year}年），申报地区{place_zh}。"),
            },
            "broader": [node],
            "regions": ["CN-ZJ"] + ([city] if city else []),
            "heritage": {
                "code": r["project_code"],
                "category": r["category"],
                "batch": batch,
                "year": year,
                "entry_type": r["entry_type"],
                "region": r["region_raw"],
                "protection_unit": r["protection_unit_normalized"],
            },
            "provenance": {
                "source": "National ICH list (State Council, batches 2006–2021), via ich-star-map-web compilation",
                "status": "reviewed",
            },
        }
        out.append(concept)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(out)} concepts to {os.path.relpath(args.out, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
