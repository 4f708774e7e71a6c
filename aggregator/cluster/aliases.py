"""Cluster stage: the hand alias table of names, places, banks and topics behind the entity
evidence (``evidence``), in English and Simplified Chinese (pure data, no I/O).

Kind → canonical id → aliases (English matched case-insensitively on word boundaries unless
written in capitals, Chinese as substrings; a Chinese alias inside a longer one of the same
kind yields to it). "Exclusive" kinds produce conflicts: an event about Japan's earthquake and
an item about Myanmar's are different stories. Moved out of ``evidence`` (500-line rule).
"""

from __future__ import annotations

from aggregator.cluster import companies, people
from aggregator.cluster.countries import COUNTRIES
from aggregator.cluster.regions import REGIONS

# fmt: off
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "country": {
        "us": ("US", "U.S.", "USA", "United States", "America", "American", "Washington",
               "美国", "美方", "美媒", "中美", "美中", "美欧", "美俄", "华盛顿", "白宫",
               "White House"),
        "china": ("China", "Chinese", "Beijing", "中国", "中方", "中美", "美中", "中欧",
                  "北京", "中俄", "中国—中亚", "中国-中亚"),
        "taiwan": ("Taiwan", "Taiwanese", "Hualien", "Taipei", "台湾", "花莲", "台北", "台海"),
        "tonga": ("Tonga", "Tongan", "汤加", "东加"),
        "japan": ("Japan", "Japanese", "Tokyo", "Noto", "Ishikawa", "Osaka", "Wajima", "日本",
                  "东京", "轮岛", "能登", "石川", "大阪", "日方"),
        "russia": ("Russia", "Russian", "Moscow", "Kremlin", "Kamchatka", "俄罗斯", "堪察加",
                   "俄方", "莫斯科", "克里姆林宫", "俄乌", "中俄", "美俄"),
        "ukraine": ("Ukraine", "Ukrainian", "Kyiv", "Kiev", "乌克兰", "基辅", "俄乌"),
        "myanmar": ("Myanmar", "Burma", "Mandalay", "Sagaing", "缅甸", "曼德勒", "实皆"),
        "thailand": ("Thailand", "Thai", "Bangkok", "泰国", "曼谷"),
        "turkey": ("Turkey", "Türkiye", "Turkish", "土耳其"),
        "syria": ("Syria", "Syrian", "叙利亚"),
        "morocco": ("Morocco", "Moroccan", "Marrakech", "摩洛哥", "马拉喀什"),
        "afghanistan": ("Afghanistan", "Afghan", "Herat", "Kunar", "阿富汗", "赫拉特", "库纳尔"),
        "nepal": ("Nepal", "尼泊尔"),
        "mexico": ("Mexico", "Mexican", "墨西哥"),
        "canada": ("Canada", "Canadian", "加拿大"),
        "uk": ("UK", "U.K.", "Britain", "British", "Scotland", "英国", "英方", "苏格兰"),
        "eu": ("EU", "European Union", "Brussels", "欧盟", "布鲁塞尔", "中欧", "美欧"),
        "germany": ("Germany", "German", "Berlin", "德国", "柏林"),
        "france": ("France", "French", "Paris", "法国", "巴黎"),
        "india": ("India", "Indian", "New Delhi", "印度", "新德里"),
        "brazil": ("Brazil", "Brazilian", "巴西"),
        "south_korea": ("South Korea", "South Korean", "Korean", "Seoul", "韩国", "南韩", "首尔"),
        # "North Korean" must be its own alias: otherwise its "Korean" reads as South Korea.
        "north_korea": ("North Korea", "North Korean", "North Koreans", "DPRK", "Pyongyang",
                        "朝鲜", "北韩", "平壤"),
        "israel": ("Israel", "Israeli", "以色列"),
        "iran": ("Iran", "Iranian", "Tehran", "伊朗", "德黑兰"),
        "gaza": ("Gaza", "Hamas", "加沙", "哈马斯"),
        "philippines": ("Philippines", "Philippine", "Manila", "菲律宾", "马尼拉"),
        "indonesia": ("Indonesia", "Indonesian", "印度尼西亚", "印尼"),
        "switzerland": ("Switzerland", "Swiss", "瑞士"),
        "sweden": ("Sweden", "Swedish", "瑞典"),
        "kazakhstan": ("Kazakhstan", "哈萨克斯坦", "哈萨克"),
        "central_asia": ("Central Asia", "Central Asian", "中亚"),
        "vietnam": ("Vietnam", "Vietnamese", "越南"),
        "australia": ("Australia", "Australian", "澳大利亚", "澳洲"),
        "hong_kong": ("Hong Kong", "香港"),
        # Places of disasters and central banks in the news beyond the fixture's (session 4):
        # without a key, two quakes of one week in Chile and Vanuatu had nothing to disagree on.
        "chile": ("Chile", "Chilean", "Santiago", "智利"),
        "peru": ("Peru", "Peruvian", "Lima", "秘鲁"),
        "ecuador": ("Ecuador", "Ecuadorian", "厄瓜多尔"),
        "argentina": ("Argentina", "Argentine", "Buenos Aires", "阿根廷"),
        "colombia": ("Colombia", "Colombian", "Bogota", "哥伦比亚"),
        "venezuela": ("Venezuela", "Venezuelan", "Caracas", "委内瑞拉"),
        "italy": ("Italy", "Italian", "Rome", "意大利", "罗马"),
        "greece": ("Greece", "Greek", "Athens", "希腊", "雅典"),
        "spain": ("Spain", "Spanish", "西班牙"),
        "portugal": ("Portugal", "Portuguese", "Lisbon", "葡萄牙", "里斯本"),
        "netherlands": ("Netherlands", "Dutch", "Amsterdam", "荷兰", "阿姆斯特丹"),
        "norway": ("Norway", "Norwegian", "Oslo", "挪威", "奥斯陆"),
        "iceland": ("Iceland", "Icelandic", "Reykjavik", "冰岛", "雷克雅未克"),
        "new_zealand": ("New Zealand", "Wellington", "新西兰", "纽西兰", "惠灵顿"),
        "vanuatu": ("Vanuatu", "Port Vila", "瓦努阿图"),
        "papua_new_guinea": ("Papua New Guinea", "巴布亚新几内亚"),
        "pakistan": ("Pakistan", "Pakistani", "Islamabad", "巴基斯坦", "伊斯兰堡"),
        "bangladesh": ("Bangladesh", "Bangladeshi", "Dhaka", "孟加拉国", "达卡"),
        "sri_lanka": ("Sri Lanka", "Sri Lankan", "Colombo", "斯里兰卡", "科伦坡"),
        "malaysia": ("Malaysia", "Malaysian", "Kuala Lumpur", "马来西亚", "吉隆坡"),
        "singapore": ("Singapore", "新加坡"),
        "egypt": ("Egypt", "Egyptian", "Cairo", "埃及", "开罗"),
        "saudi_arabia": ("Saudi Arabia", "Saudi", "Riyadh", "沙特", "利雅得"),
        "south_africa": ("South Africa", "South African", "Johannesburg", "南非", "约翰内斯堡"),
        "nigeria": ("Nigeria", "Nigerian", "Abuja", "Lagos", "尼日利亚", "阿布贾"),
        "kenya": ("Kenya", "Kenyan", "Nairobi", "肯尼亚", "内罗毕"),
        "ethiopia": ("Ethiopia", "Ethiopian", "Addis Ababa", "埃塞俄比亚"),
        "libya": ("Libya", "Libyan", "Tripoli", "利比亚", "的黎波里"),
        "iraq": ("Iraq", "Iraqi", "Baghdad", "伊拉克", "巴格达"),
        "lebanon": ("Lebanon", "Lebanese", "Beirut", "黎巴嫩", "贝鲁特"),
        "yemen": ("Yemen", "Yemeni", "也门"),
        "cuba": ("Cuba", "Cuban", "Havana", "古巴", "哈瓦那"),
    },
    "central_bank": {
        # Session 11: each bank also as "<its country's> central bank", as English copy often
        # names it ("Swiss central bank makes a surprise cut"; the Chinese 瑞士央行 already).
        "fed": ("Fed", "Federal Reserve", "FOMC", "Powell", "美联储", "联储", "联准会", "美联准",
                "美国央行", "美央行",
                "鲍威尔", "US central bank", "U.S. central bank"),
        "ecb": ("ECB", "European Central Bank", "Lagarde", "欧洲央行", "拉加德", "欧央行",
                "euro zone central bank", "eurozone central bank"),
        "boj": ("BOJ", "BoJ", "Bank of Japan", "Ueda", "日本央行", "日银", "植田和男", "日央行",
                "Japan's central bank", "Japanese central bank"),
        "boe": ("BoE", "BOE", "Bank of England", "Bailey", "英国央行", "英格兰银行", "英伦银行",
                "英央行", "Britain's central bank", "British central bank", "UK central bank"),
        "pboc": ("PBOC", "People's Bank of China", "People’s Bank of China", "中国人民银行",
                 "人民银行", "央行行长潘功胜", "China's central bank", "Chinese central bank"),
        # Other banks' Chinese names hold 联储 / 央行: without their own entries 澳洲联储 read
        # as the Fed (see _shadowed).
        "rba": ("RBA", "Reserve Bank of Australia", "澳洲联储", "澳大利亚央行", "澳洲央行",
                "澳洲储备银行", "澳大利亚储备银行", "Australia's central bank",
                "Australian central bank"),
        "rbnz": ("RBNZ", "Reserve Bank of New Zealand", "新西兰联储", "新西兰央行", "纽西兰央行",
                 "新西兰储备银行", "New Zealand's central bank"),
        "boc": ("Bank of Canada", "加拿大央行", "加拿大银行", "Canada's central bank",
                "Canadian central bank"),
        "snb": ("SNB", "Swiss National Bank", "瑞士央行", "瑞士国家银行", "Swiss central bank",
                "Switzerland's central bank"),
        "rbi": ("RBI", "Reserve Bank of India", "印度央行", "印度储备银行", "India's central bank",
                "Indian central bank"),
        "bok": ("Bank of Korea", "韩国央行", "韩国银行", "South Korea's central bank"),
        "cbrt": ("Central Bank of the Republic of Turkey", "Turkish central bank", "土耳其央行",
                 "Turkey's central bank"),
    },
    "city": {
        # Venues of talks and summits: the same two parties meet again elsewhere.
        "geneva": ("Geneva", "日内瓦"),
        "london": ("London", "伦敦"),
        "stockholm": ("Stockholm", "斯德哥尔摩"),
        "madrid": ("Madrid", "马德里"),
        "busan": ("Busan", "釜山"),
        "astana": ("Astana", "阿斯塔纳"),
        "turnberry": ("Turnberry", "特恩伯里"),
        "tianjin": ("Tianjin", "天津"),
    },
    "person": {
        "trump": ("Trump", "特朗普", "川普"),
        "xi": ("Xi Jinping", "Xi", "习近平"),
        "putin": ("Putin", "普京"),
        "zelensky": ("Zelensky", "Zelenskyy", "泽连斯基"),
        "biden": ("Biden", "拜登"),
        "bessent": ("Bessent", "贝森特"),
        "he_lifeng": ("He Lifeng", "何立峰"),
        "ishiba": ("Ishiba", "石破茂"),
        "takaichi": ("Takaichi", "高市早苗"),
        "koizumi": ("Koizumi", "小泉进次郎"),
        "von_der_leyen": ("von der Leyen", "冯德莱恩"),
        "lutnick": ("Lutnick", "卢特尼克"),
        "lai": ("Lai Ching-te", "赖清德"),
        "musk": ("Musk", "马斯克"),
        # Session 8: heads of state and government, foreign ministers and other officials in
        # the 2022–2026 news, with the Mainland and the Taiwan / Hong Kong transliterations
        # (Simplified: the text is folded before matching). Surnames alone only where they
        # are no common word; a two-character Chinese name only where no other word holds it.
        "blinken": ("Blinken", "布林肯"),
        "rubio": ("Rubio", "鲁比奥", "卢比欧"),
        "harris": ("Kamala Harris", "哈里斯", "贺锦丽"),
        "yellen": ("Yellen", "耶伦", "叶伦"),
        "wang_yi": ("Wang Yi", "王毅"),
        "li_qiang": ("Li Qiang", "李强"),
        "lavrov": ("Lavrov", "拉夫罗夫"),
        "macron": ("Macron", "马克龙", "马克宏"),
        "scholz": ("Scholz", "朔尔茨", "萧兹", "肖尔茨"),
        "merz": ("Merz", "默茨", "梅尔茨"),
        "starmer": ("Starmer", "斯塔默", "施凯尔", "施纪贤"),
        "sunak": ("Sunak", "苏纳克", "辛伟诚"),
        "meloni": ("Meloni", "梅洛尼"),
        "modi": ("Modi", "莫迪"),
        "kishida": ("Kishida", "岸田文雄", "岸田"),
        "yoon": ("Yoon Suk Yeol", "Yoon", "尹锡悦"),
        "lee_jae_myung": ("Lee Jae-myung", "Lee Jae Myung", "李在明"),
        "kim_jong_un": ("Kim Jong Un", "Kim Jong-un", "金正恩"),
        "netanyahu": ("Netanyahu", "内塔尼亚胡", "纳坦雅胡"),
        "erdogan": ("Erdogan", "Erdoğan", "埃尔多安", "艾尔段"),
        "haniyeh": ("Haniyeh", "哈尼亚", "哈尼雅"),
        "khamenei": ("Khamenei", "哈梅内伊", "哈米尼"),
        "maduro": ("Maduro", "马杜罗"),
        "lula": ("Lula", "卢拉", "鲁拉"),
        "trudeau": ("Trudeau", "特鲁多", "杜鲁道"),
        "guterres": ("Guterres", "古特雷斯", "古特瑞斯"),
        "rutte": ("Rutte", "吕特"),
        "stoltenberg": ("Stoltenberg", "斯托尔滕贝格", "史托腾柏格"),
        "tsai": ("Tsai Ing-wen", "蔡英文"),
        "albanese": ("Albanese", "阿尔巴尼斯", "艾班尼斯"),
        "prabowo": ("Prabowo", "普拉博沃"),
        "anwar": ("Anwar Ibrahim", "安瓦尔"),
        "luxon": ("Luxon", "拉克森", "卢克松"),
    },
    "org": {
        # Session 10: the companies (Nvidia, Apple, Tesla, BYD, Huawei, TSMC) moved to the
        # ``company`` kind (``companies``).
        "nobel": ("Nobel", "诺贝尔"),
        "un": ("United Nations", "UN", "联合国"),
        "wto": ("WTO", "世贸组织", "世界贸易组织"),
        "apec": ("APEC", "亚太经合组织"),
        "nato": ("NATO", "北约"),
        "opec": ("OPEC", "欧佩克"),
        "sco": ("SCO", "Shanghai Cooperation Organisation", "Shanghai Cooperation Organization",
                "上海合作组织", "上合组织", "上合峰会"),
        "brics": ("BRICS", "金砖国家", "金砖峰会"),
        # The UN climate conference (a summit body: it meets once a year).
        "cop": ("COP26", "COP27", "COP28", "COP29", "COP30", "COP31", "UN climate summit",
                "UN climate conference", "联合国气候变化大会", "气候变化大会", "联合国气候大会"),
        "g20": ("G20", "G-20", "Group of 20", "二十国集团"),
        "g7": ("G7", "G-7", "Group of Seven", "七国集团"),
        "asean": ("ASEAN", "东盟"),
    },
    "topic": {
        # Plurals too: "twin quakes", "Davao Oriental quakes death toll increases to 8".
        "earthquake": ("earthquake", "earthquakes", "quake", "quakes", "tremor", "tremors",
                       "地震", "强震"),
        "tsunami": ("tsunami", "tsunamis", "海啸"),
        "typhoon": ("typhoon", "typhoons", "hurricane", "hurricanes", "台风", "飓风"),
        "flood": ("flood", "floods", "flooding", "洪水", "洪灾", "暴雨"),
        "wildfire": ("wildfire", "wildfires", "山火", "野火"),
        # Session 8: landslides, eruptions and tornadoes are disasters of one place too.
        # Not 滑坡 alone ("销量滑坡": sales slump) nor "erupts" alone ("protests erupt").
        "landslide": ("landslide", "landslides", "mudslide", "mudslides", "山体滑坡", "泥石流",
                      "土石流", "山泥倾泻"),
        "volcano": ("volcano", "volcanoes", "volcanic", "火山"),
        "tornado": ("tornado", "tornadoes", "龙卷风"),
        # Session 9: fires and air crashes happen in one place too. Not "fire" alone ("under
        # fire", "opened fire") nor "crash" alone ("market crash").
        "fire": ("blaze", "blazes", "inferno", "building fire", "apartment fire", "factory fire",
                 "hotel fire", "house fire", "residential fire", "fire kills", "fire killed",
                 "火灾", "大火", "恶火", "起火", "火警"),
        "crash": ("plane crash", "plane crashes", "air crash", "helicopter crash", "jet crash",
                  "坠机", "空难", "飞机失事", "坠毁"),
        # Session 11: a structure's collapse happens in one place too (the Key Bridge in
        # Baltimore, the Meizhou–Dabu expressway): named with what collapsed, not "collapse"
        # alone ("talks collapse", "market collapse"); 坍塌 / 塌陷 / 塌方 / 垮塌 / 撞塌 are said of
        # structures and ground, not 崩塌 ("人设崩塌", "信任崩塌").
        "collapse": ("bridge collapse", "bridge collapses", "bridge collapsed",
                     "building collapse", "building collapses", "building collapsed",
                     "road collapse", "road collapses", "highway collapse", "highway collapses",
                     "expressway collapse", "expressway collapses", "roof collapse",
                     "mine collapse", "tunnel collapse", "dam collapse", "cave-in",
                     "坍塌", "塌陷", "塌方", "垮塌", "撞塌"),
        "rates": ("interest rate", "interest rates", "rate cut", "rate cuts", "rates", "利率",
                  "降息", "加息", "减息"),
        "tariff": ("tariff", "tariffs", "关税"),
        "trade_talks": ("trade talks", "trade deal", "trade agreement", "经贸会谈", "贸易协议",
                        "经贸磋商", "贸易谈判"),
        "rare_earth": ("rare earth", "rare earths", "稀土"),
        "election": ("election", "elections", "选举", "大选"),
        "ceasefire": ("ceasefire", "truce", "停火"),
        "summit": ("summit", "峰会"),
        # A disaster's follow-ups: rescue and relief (see evidence.same_disaster).
        "rescue": ("rescue", "rescues", "rescued", "rescuers", "survivors", "search and rescue",
                   "relief", "救援", "搜救", "获救", "幸存者", "灾区", "救灾", "驰援"),
        "covid": ("COVID-19", "COVID", "coronavirus", "新冠"),
        "chips": ("chip", "chips", "semiconductor", "semiconductors", "芯片", "半导体"),
    },
    # Session 9: news agencies and papers named after a place. A headline's byline ("…
    # | Kuwait News Agency", "- Bangkok Post") names the outlet, not the story's place: the
    # longer alias is matched first, so its place word yields no country key. Weight 0, never
    # a conflict (KIND_WEIGHT). English names only: Chinese aliases yield only within a kind.
    "outlet": {
        "kuna": ("Kuwait News Agency", "KUNA"),
        "spa": ("Saudi Press Agency",),
        "wam": ("Emirates News Agency",),
        "qna": ("Qatar News Agency",),
        "ona": ("Oman News Agency",),
        "bna": ("Bahrain News Agency",),
        "petra": ("Jordan News Agency",),
        "ina": ("Iraqi News Agency",),
        "sana": ("Syrian Arab News Agency",),
        "kcna": ("Korean Central News Agency", "KCNA"),
        "pti": ("Press Trust of India",),
        "app": ("Associated Press of Pakistan",),
        "pna": ("Philippine News Agency",),
        "vna": ("Vietnam News Agency",),
        "afp": ("Agence France-Presse", "Agence France Presse"),
        "voa": ("Voice of America",),
        "rfa": ("Radio Free Asia",),
        "rferl": ("Radio Free Europe",),
        "china_daily": ("China Daily",),
        "cns": ("China News Service",),
        "scmp": ("South China Morning Post",),
        "japan_times": ("Japan Times",),
        "korea_herald": ("Korea Herald",),
        "korea_times": ("Korea Times",),
        "times_of_india": ("Times of India",),
        "bangkok_post": ("Bangkok Post",),
        "jakarta_post": ("Jakarta Post",),
        "taipei_times": ("Taipei Times",),
        "kyiv_independent": ("Kyiv Independent",),
        "moscow_times": ("Moscow Times",),
        "tehran_times": ("Tehran Times",),
        "jerusalem_post": ("Jerusalem Post",),
        "washington_post": ("Washington Post",),
        "nz_herald": ("New Zealand Herald",),
        "manila_times": ("Manila Times",),
        "philippine_star": ("Philippine Star",),
    },
}
# fmt: on

# The complete country table (``countries``): extra aliases for the ids above, and new ids.
for _cid, _extra in COUNTRIES.items():
    _old = ALIASES["country"].get(_cid, ())
    ALIASES["country"][_cid] = _old + tuple(a for a in _extra if a not in _old)

# The sub-national gazetteer (``regions``, session 10) as kind "region": matched by the same
# rules; ``places`` adds the ancestors and the country of each region it finds.
ALIASES["region"] = {_rid: _names for _rid, (_, _names) in REGIONS.items()}

# Session 10: companies (``company``: see evidence.conflict_candidates), the words of a company
# story (``business``, weight 0), more heads of state, government and foreign ministers
# (``person``), and phrases that hold an alias and are something else (``shadow``, weight 0).
ALIASES["company"] = dict(companies.COMPANIES)
ALIASES["business"] = dict(companies.BUSINESS)
ALIASES["shadow"] = {**companies.SHADOWS, **people.SHADOWS}
ALIASES["person"].update(people.PEOPLE)
#: English aliases matched only as written (else any case unless all capitals).
EXACT_CASE = frozenset(("Fed", "Xi", "BoE")) | companies.EXACT_CASE | people.EXACT_CASE


def _country_words() -> dict[str, str]:
    """English country alias (case-folded unless all capitals) → country id."""
    return {
        (a if a.isupper() else a.casefold()): cid
        for cid, aliases in ALIASES["country"].items()
        for a in aliases
        if a.isascii()
    }


def _add_company_countries() -> None:
    """An English company name that holds a country's name ("Air China", "Bank of America",
    "Korean Air") keys that country too, as its Chinese name (中国国航) does by substring and as
    the table before ``company`` did: the alias is added to the country as well."""
    words = _country_words()
    for aliases in companies.COMPANIES.values():
        for a in (a for a in aliases if a.isascii()):
            toks = a.split()
            grams = {
                " ".join(toks[i:j]) for i in range(len(toks)) for j in range(i + 1, len(toks) + 1)
            }
            for g in grams - {a}:
                cid = words.get(g if g.isupper() else g.casefold())
                if cid and a not in ALIASES["country"][cid]:
                    ALIASES["country"][cid] += (a,)


_add_company_countries()

#: The country a central bank's name stands for, as a leader's does (session 11: "Swiss
#: central bank cuts" and "Bank of England holds", the same noon, named no country in common
#: and no bank of both headlines; now Switzerland vs the UK conflict). Read by ``evidence``.
BANK_COUNTRY: dict[str, str] = {
    "fed": "us", "ecb": "eu", "boj": "japan", "boe": "uk", "pboc": "china", "rba": "australia",
    "rbnz": "new_zealand", "boc": "canada", "snb": "switzerland", "rbi": "india",
    "bok": "south_korea", "cbrt": "turkey",
}

#: The country a person's name stands for in a headline, as a capital's does ("Washington",
#: "Kremlin"): "Li Qiang meets Luxon" names New Zealand as "… in Wellington" would, so a report
#: of his meeting with Australia's prime minister the same week conflicts with it (session 9).
#: Heads of state and government, ministers and envoys of one country; not the heads of
#: international bodies (Guterres, Rutte, Stoltenberg) nor business people.
PERSON_COUNTRY: dict[str, str] = {
    **dict.fromkeys(
        ("trump", "biden", "bessent", "lutnick", "blinken", "rubio", "harris", "yellen"), "us"
    ),
    **dict.fromkeys(("xi", "he_lifeng", "wang_yi", "li_qiang"), "china"),
    **dict.fromkeys(("putin", "lavrov"), "russia"),
    **dict.fromkeys(("ishiba", "takaichi", "koizumi", "kishida"), "japan"),
    **dict.fromkeys(("lai", "tsai"), "taiwan"),
    **dict.fromkeys(("scholz", "merz"), "germany"),
    **dict.fromkeys(("starmer", "sunak"), "uk"),
    **dict.fromkeys(("yoon", "lee_jae_myung"), "south_korea"),
    "zelensky": "ukraine",
    "von_der_leyen": "eu",
    "macron": "france",
    "meloni": "italy",
    "modi": "india",
    "kim_jong_un": "north_korea",
    "netanyahu": "israel",
    "erdogan": "turkey",
    "haniyeh": "gaza",
    "khamenei": "iran",
    "maduro": "venezuela",
    "lula": "brazil",
    "trudeau": "canada",
    "albanese": "australia",
    "prabowo": "indonesia",
    "anwar": "malaysia",
    "luxon": "new_zealand",
    **people.PEOPLE_COUNTRY,
}
