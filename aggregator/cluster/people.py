"""Cluster stage: more people behind ``person:`` evidence keys (pure data, no I/O).

Heads of state and government and foreign ministers of 2022–2026 frequently in English and
Chinese news and missing from ``aliases`` (session 10): Vietnam's leaders, the rest of ASEAN,
Central Asia and the Caucasus, Africa, Latin America, the Gulf and South Asia. Each id carries
its English name(s) (with the diacritics where news copy keeps them) and its standard Mainland
Chinese rendering (Xinhua usage) and, where it differs and is settled, Taiwan's (CNA: 贝东丹,
杜特蒂, 米雷伊…), in Simplified characters; :data:`PEOPLE_COUNTRY` gives the
country each one stands for (``aliases.PERSON_COUNTRY``). ``aliases`` merges both.

Matching rules are those of ``aliases``: a surname alone only where it is no common word or
other famous name; a two-character Chinese name only where it sits inside no ordinary word
after segmentation; :data:`SHADOWS` (zero-weight ``shadow`` keys) cover the few words that
hold a kept name. Every restriction is listed in :data:`LEFT_OUT` (documentation only).
"""

from __future__ import annotations

#: Names deliberately left out or restricted, and why (documentation; not read by code).
LEFT_OUT = """
To Lam (苏林): "To Lam" matched only as written (EXACT_CASE: "to lam"); 苏林 is inside 江苏林业
  -> SHADOW 江苏林. Luong Cuong (梁强): inside 桥梁强度 / 脊梁强 -> SHADOWS 桥梁强, 脊梁强.
Thaksin: 他信 is "he believes" (他信任, 他信心) -> only 他信·西那瓦 / 他信西那瓦. Paetongtarn:
  佩通坦 kept; 西那瓦 alone (the family) left out. Abiy Ahmed: 阿比 is inside 阿比让 (Abidjan) ->
  only 阿比·艾哈迈德 and 总理阿比. Samia Suluhu Hassan: 哈桑 / Hassan is a common name -> only Samia
  Suluhu, 萨米娅. Bassirou Diomaye Faye: "Faye" is a given name -> only Diomaye Faye, 法耶.
Lopez Obrador: 洛佩斯 is a common surname -> only 洛佩斯·奥夫拉多尔 / 奥夫拉多尔, AMLO. Gustavo
  Petro: only the full English name ("Petro" prefixes). Ahmed al-Sharaa: 沙拉 is "salad" -> only
  艾哈迈德·沙拉 and 朱拉尼 (al-Jolani). Vivian Balakrishnan: 维文 is Uyghur script (维吾尔文) and
  inside 思维文化 -> English only. KP Sharma Oli: 奥利 is inside 奥利奥 (Oreo) -> English only.
Faisal bin Farhan: 费萨尔 is a common Arab name -> only the full names. Mohammed bin Salman and
  King Salman are one id (both stand for Saudi Arabia); 萨勒曼 kept (no other Salman in
  Chinese news of the period). Hun Sen and Hun Manet: two ids (洪森 / 洪玛奈), one country.
Not added: Sisi's 塞西 is kept but "Sisi" matched as written (a nickname); Mahama's 马哈马 kept;
  Marcos: "Marcos" and 马科斯 kept (Ferdinand Marcos Jr. and Sr. stand for one country).
Session 11 (Europe, Russia): Petr Pavel and Edi Rama English only (帕维尔 is any Pavel, 拉马
  is inside 拉马福萨); Duda only as "Andrzej Duda" (a common surname) but 杜达; Pedro Sánchez
  only in full (桑切斯 is a common surname); Bayrou's 贝鲁 is inside 贝鲁特 (Beirut): only
  弗朗索瓦·贝鲁; Dmitry Medvedev English only in full (the tennis player: "Medvedev", 梅德韦杰夫).
  Katalin Novák and the EU's and NATO's heads (Costa, Kallas, Borrell: no country) not added.
Lammy: 拉米 is inside other names (拉米雷斯) -> only 戴维·拉米, 外交大臣拉米. SHADOWS also cover
  布莱希特 (Brecht: 莱希, Raisi), 塞西莉亚 (Cecilia: 塞西, Sisi), 萨勒曼·拉什迪 (Salman Rushdie)
  and 基米莱科宁 (Kimi Räikkönen, WMT21: 米莱, Milei).
"""

#: English aliases matched only as written (a lower-case phrase means something else).
EXACT_CASE = frozenset(("To Lam", "Sisi"))

# fmt: off
PEOPLE: dict[str, tuple[str, ...]] = {
    # --- Vietnam
    "to_lam": ("To Lam", "Tô Lâm", "苏林"),
    "pham_minh_chinh": ("Pham Minh Chinh", "Phạm Minh Chính", "范明政"),
    "vo_van_thuong": ("Vo Van Thuong", "Võ Văn Thưởng", "武文赏"),
    "vuong_dinh_hue": ("Vuong Dinh Hue", "Vương Đình Huệ", "王廷惠"),
    "luong_cuong": ("Luong Cuong", "Lương Cường", "梁强"),
    "nguyen_phu_trong": ("Nguyen Phu Trong", "Nguyễn Phú Trọng", "阮富仲"),
    "nguyen_xuan_phuc": ("Nguyen Xuan Phuc", "Nguyễn Xuân Phúc", "阮春福"),
    "tran_thanh_man": ("Tran Thanh Man", "Trần Thanh Mẫn", "陈清敏"),
    "bui_thanh_son": ("Bui Thanh Son", "Bùi Thanh Sơn", "裴青山"),
    # --- ASEAN
    "srettha": ("Srettha Thavisin", "Srettha", "赛塔"),
    "paetongtarn": ("Paetongtarn Shinawatra", "Paetongtarn", "佩通坦", "贝东丹"),
    "anutin": ("Anutin Charnvirakul", "Anutin", "阿努廷"),
    "thaksin": ("Thaksin Shinawatra", "Thaksin", "他信·西那瓦", "他信西那瓦"),
    "prayut": ("Prayut Chan-o-cha", "Prayut", "Prayuth", "巴育"),
    "lawrence_wong": ("Lawrence Wong", "黄循财"),
    "lee_hsien_loong": ("Lee Hsien Loong", "李显龙"),
    "vivian_balakrishnan": ("Vivian Balakrishnan",),
    "tharman": ("Tharman Shanmugaratnam", "Tharman", "尚达曼"),
    "jokowi": ("Joko Widodo", "Jokowi", "佐科"),
    "retno": ("Retno Marsudi", "蕾特诺"),
    "marcos": ("Ferdinand Marcos", "Bongbong Marcos", "Marcos", "小马科斯", "马科斯", "小马可仕"),
    "duterte": ("Duterte", "杜特尔特", "杜特蒂"),
    "hun_manet": ("Hun Manet", "洪玛奈", "洪马内"),
    "hun_sen": ("Hun Sen", "洪森"),
    "sonexay": ("Sonexay Siphandone", "Sonexay", "宋赛"),
    "thongloun": ("Thongloun Sisoulith", "Thongloun", "通伦"),
    "min_aung_hlaing": ("Min Aung Hlaing", "敏昂莱"),
    "suu_kyi": ("Aung San Suu Kyi", "Suu Kyi", "昂山素季"),
    "hassanal_bolkiah": ("Hassanal Bolkiah", "哈桑纳尔"),
    # --- Central Asia, Mongolia, the Caucasus, Belarus
    "tokayev": ("Tokayev", "托卡耶夫"),
    "mirziyoyev": ("Mirziyoyev", "米尔济约耶夫"),
    "japarov": ("Japarov", "Zhaparov", "扎帕罗夫"),
    "rahmon": ("Rahmon", "拉赫蒙"),
    "berdimuhamedov": ("Berdimuhamedov", "Berdymukhamedov", "别尔德穆哈梅多夫"),
    "khurelsukh": ("Khurelsukh", "呼日勒苏赫"),
    "aliyev": ("Ilham Aliyev", "Aliyev", "阿利耶夫"),
    "pashinyan": ("Pashinyan", "帕希尼扬"),
    "lukashenko": ("Lukashenko", "卢卡申科", "卢卡申柯"),
    # --- Africa
    "ramaphosa": ("Ramaphosa", "拉马福萨", "拉马佛沙"),
    "tinubu": ("Tinubu", "提努布"),
    "ruto": ("William Ruto", "Ruto", "鲁托"),
    "sisi": ("el-Sisi", "al-Sisi", "Sisi", "塞西"),
    "abiy": ("Abiy Ahmed", "Abiy", "阿比·艾哈迈德", "总理阿比"),
    "samia": ("Samia Suluhu", "萨米娅"),
    "lourenco": ("Joao Lourenco", "João Lourenço", "洛伦索"),
    "mahama": ("Mahama", "马哈马"),
    "akufo_addo": ("Akufo-Addo", "阿库福-阿多"),
    "faye": ("Diomaye Faye", "法耶"),
    "mnangagwa": ("Mnangagwa", "姆南加古瓦"),
    "hichilema": ("Hichilema", "希奇莱马"),
    "tshisekedi": ("Tshisekedi", "齐塞克迪"),
    "kagame": ("Kagame", "卡加梅"),
    "museveni": ("Museveni", "穆塞韦尼"),
    "tebboune": ("Tebboune", "特本"),
    "burhan": ("al-Burhan", "Burhan", "布尔汉"),
    # --- Latin America
    "lopez_obrador": ("Lopez Obrador", "López Obrador", "AMLO", "洛佩斯·奥夫拉多尔", "奥夫拉多尔"),
    "sheinbaum": ("Sheinbaum", "辛鲍姆", "雪恩鲍姆"),
    "milei": ("Milei", "米莱", "米雷伊"),
    "petro": ("Gustavo Petro", "佩特罗"),
    "boric": ("Boric", "博里奇"),
    "boluarte": ("Boluarte", "博鲁阿尔特"),
    "diaz_canel": ("Diaz-Canel", "Díaz-Canel", "迪亚斯-卡内尔", "迪亚斯—卡内尔", "迪亚斯－卡内尔"),
    "noboa": ("Noboa", "诺沃亚"),
    "arce": ("Luis Arce", "阿尔塞"),
    "ortega": ("Daniel Ortega", "奥尔特加"),
    "bukele": ("Bukele", "布克尔"),
    "mulino": ("Mulino", "穆利诺"),
    # --- The Gulf, the Middle East, South Asia
    "mbs": ("Mohammed bin Salman", "bin Salman", "King Salman", "穆罕默德·本·萨勒曼", "萨勒曼"),
    "faisal_bin_farhan": ("Faisal bin Farhan", "费萨尔·本·法尔汉"),
    "mbz": ("Mohamed bin Zayed", "Mohammed bin Zayed", "bin Zayed", "穆罕默德·本·扎耶德", "扎耶德"),
    "tamim": ("Tamim bin Hamad", "Sheikh Tamim", "塔米姆"),
    "al_thani": ("Al Thani", "Al-Thani", "阿勒萨尼"),
    "pezeshkian": ("Pezeshkian", "佩泽希齐扬", "裴瑟斯基安"),
    "raisi": ("Raisi", "Raeisi", "莱希"),
    "araghchi": ("Araghchi", "阿拉格齐"),
    "amir_abdollahian": ("Amir-Abdollahian", "Abdollahian", "阿卜杜拉希扬"),
    "abdullah_ii": ("King Abdullah", "阿卜杜拉二世"),
    "assad": ("Assad", "阿萨德", "阿塞德"),
    "sharaa": ("al-Sharaa", "Sharaa", "al-Jolani", "Jolani", "艾哈迈德·沙拉", "朱拉尼"),
    "fidan": ("Hakan Fidan", "Fidan", "费丹"),
    "shehbaz": ("Shehbaz Sharif", "Shehbaz", "夏巴兹"),
    "imran_khan": ("Imran Khan", "伊姆兰·汗"),
    "jaishankar": ("Jaishankar", "苏杰生"),
    "yunus": ("Muhammad Yunus", "Yunus", "尤努斯"),
    "hasina": ("Sheikh Hasina", "Hasina", "哈西娜"),
    "dissanayake": ("Dissanayake", "迪萨纳亚克"),
    "oli": ("KP Sharma Oli", "K.P. Sharma Oli"),
    # --- Europe and others often in the news with the above
    "orban": ("Orban", "Orbán", "欧尔班", "奥尔班", "奥班"),
    "tusk": ("Donald Tusk", "图斯克"),
    "carney": ("Mark Carney", "Carney", "卡尼"),
    "baerbock": ("Baerbock", "贝尔伯克"),
    "wadephul": ("Wadephul", "瓦德富尔"),
    "lammy": ("David Lammy", "Lammy", "戴维·拉米", "外交大臣拉米"),
    "kuleba": ("Kuleba", "库列巴"),
    "sybiha": ("Sybiha", "瑟比加"),
    "penny_wong": ("Penny Wong", "黄英贤"),
    "cho_tae_yul": ("Cho Tae-yul", "赵兑烈"),
    # --- Session 11: Europe's other heads of state and government and foreign ministers
    # (Xi's 2024 visits to Serbia and Hungary named Vučić and Sulyok, found in neither
    # table), and Russia's and Iran's officials besides their presidents.
    "vucic": ("Vucic", "Vučić", "武契奇"),
    "vucevic": ("Milos Vucevic", "Miloš Vučević", "武切维奇"),
    "brnabic": ("Brnabic", "Brnabić", "布尔纳比奇"),
    "sulyok": ("Tamas Sulyok", "Tamás Sulyok", "Sulyok", "舒尤克"),
    "szijjarto": ("Szijjarto", "Szijjártó", "西雅尔托", "西亚尔托"),
    "fico": ("Robert Fico", "Fico", "菲佐"),
    "duda": ("Andrzej Duda", "杜达"),
    "nawrocki": ("Nawrocki", "纳夫罗茨基"),
    "pedro_sanchez": ("Pedro Sanchez", "Pedro Sánchez", "佩德罗·桑切斯"),
    "mitsotakis": ("Mitsotakis", "米佐塔基斯", "米措塔基斯"),
    "steinmeier": ("Steinmeier", "施泰因迈尔"),
    "mattarella": ("Mattarella", "马塔雷拉"),
    "stubb": ("Alexander Stubb", "斯图布"),
    "niinisto": ("Niinisto", "Niinistö", "尼尼斯托"),
    "kristersson": ("Kristersson", "克里斯特松"),
    "frederiksen": ("Mette Frederiksen", "弗雷泽里克森"),
    "store": ("Jonas Gahr Store", "Jonas Gahr Støre", "斯特勒"),
    "fiala": ("Petr Fiala", "菲亚拉"),
    "petr_pavel": ("Petr Pavel",),
    "nehammer": ("Nehammer", "内哈默"),
    "van_der_bellen": ("Van der Bellen", "范德贝伦"),
    "de_croo": ("De Croo", "德克罗"),
    "attal": ("Gabriel Attal", "阿塔尔"),
    "barnier": ("Michel Barnier", "巴尼耶"),
    "bayrou": ("Bayrou", "弗朗索瓦·贝鲁"),
    "lecornu": ("Lecornu", "勒科尔尼"),
    "sandu": ("Maia Sandu", "桑杜"),
    "radev": ("Rumen Radev", "拉德夫"),
    "plenkovic": ("Plenkovic", "Plenković", "普连科维奇"),
    "milanovic": ("Zoran Milanovic", "Zoran Milanović", "米拉诺维奇"),
    "dodik": ("Dodik", "多迪克"),
    "edi_rama": ("Edi Rama",),
    "mishustin": ("Mishustin", "米舒斯京"),
    "peskov": ("Peskov", "佩斯科夫"),
    "shoigu": ("Shoigu", "绍伊古"),
    "medvedev": ("Dmitry Medvedev", "Dmitri Medvedev"),
    "belousov": ("Andrei Belousov", "Andrey Belousov", "别洛乌索夫"),
    "ushakov": ("Yuri Ushakov", "Yury Ushakov", "乌沙科夫"),
    "zakharova": ("Zakharova", "扎哈罗娃"),
    "matviyenko": ("Matviyenko", "马特维延科"),
    "volodin": ("Volodin", "沃洛金"),
    "sobyanin": ("Sobyanin", "索比亚宁"),
    "bortnikov": ("Bortnikov", "博尔特尼科夫"),
    "shmyhal": ("Shmyhal", "什米加尔"),
    "yermak": ("Andriy Yermak", "Yermak", "叶尔马克"),
    "mokhber": ("Mokhber", "穆赫贝尔"),
}

#: The country each person stands for (see ``aliases.PERSON_COUNTRY``).
PEOPLE_COUNTRY: dict[str, str] = {
    **dict.fromkeys(("to_lam", "pham_minh_chinh", "vo_van_thuong", "vuong_dinh_hue", "luong_cuong",
                     "nguyen_phu_trong", "nguyen_xuan_phuc", "tran_thanh_man", "bui_thanh_son"),
                    "vietnam"),
    **dict.fromkeys(("srettha", "paetongtarn", "anutin", "thaksin", "prayut"), "thailand"),
    **dict.fromkeys(("lawrence_wong", "lee_hsien_loong", "vivian_balakrishnan", "tharman"),
                    "singapore"),
    **dict.fromkeys(("jokowi", "retno"), "indonesia"),
    **dict.fromkeys(("marcos", "duterte"), "philippines"),
    **dict.fromkeys(("hun_manet", "hun_sen"), "cambodia"),
    **dict.fromkeys(("sonexay", "thongloun"), "laos"),
    **dict.fromkeys(("min_aung_hlaing", "suu_kyi"), "myanmar"),
    "hassanal_bolkiah": "brunei",
    "tokayev": "kazakhstan", "mirziyoyev": "uzbekistan", "japarov": "kyrgyzstan",
    "rahmon": "tajikistan", "berdimuhamedov": "turkmenistan", "khurelsukh": "mongolia",
    "aliyev": "azerbaijan", "pashinyan": "armenia", "lukashenko": "belarus",
    "ramaphosa": "south_africa", "tinubu": "nigeria", "ruto": "kenya", "sisi": "egypt",
    "abiy": "ethiopia", "samia": "tanzania", "lourenco": "angola",
    **dict.fromkeys(("mahama", "akufo_addo"), "ghana"),
    "faye": "senegal", "mnangagwa": "zimbabwe", "hichilema": "zambia", "tshisekedi": "dr_congo",
    "kagame": "rwanda", "museveni": "uganda", "tebboune": "algeria", "burhan": "sudan",
    **dict.fromkeys(("lopez_obrador", "sheinbaum"), "mexico"),
    "milei": "argentina", "petro": "colombia", "boric": "chile", "boluarte": "peru",
    "diaz_canel": "cuba", "noboa": "ecuador", "arce": "bolivia", "ortega": "nicaragua",
    "bukele": "el_salvador", "mulino": "panama",
    **dict.fromkeys(("mbs", "faisal_bin_farhan"), "saudi_arabia"),
    "mbz": "uae",
    **dict.fromkeys(("tamim", "al_thani"), "qatar"),
    **dict.fromkeys(("pezeshkian", "raisi", "araghchi", "amir_abdollahian"), "iran"),
    "abdullah_ii": "jordan", "assad": "syria", "sharaa": "syria", "fidan": "turkey",
    **dict.fromkeys(("shehbaz", "imran_khan"), "pakistan"),
    "jaishankar": "india",
    **dict.fromkeys(("yunus", "hasina"), "bangladesh"),
    "dissanayake": "sri_lanka", "oli": "nepal",
    "orban": "hungary", "tusk": "poland", "carney": "canada",
    **dict.fromkeys(("baerbock", "wadephul"), "germany"),
    "lammy": "uk", "kuleba": "ukraine", "sybiha": "ukraine", "penny_wong": "australia",
    "cho_tae_yul": "south_korea",
    **dict.fromkeys(("vucic", "vucevic", "brnabic"), "serbia"),
    **dict.fromkeys(("sulyok", "szijjarto"), "hungary"),
    "fico": "slovakia", "duda": "poland", "nawrocki": "poland", "pedro_sanchez": "spain",
    "mitsotakis": "greece", "steinmeier": "germany", "mattarella": "italy",
    **dict.fromkeys(("stubb", "niinisto"), "finland"),
    "kristersson": "sweden", "frederiksen": "denmark", "store": "norway",
    **dict.fromkeys(("fiala", "petr_pavel"), "czechia"),
    **dict.fromkeys(("nehammer", "van_der_bellen"), "austria"), "de_croo": "belgium",
    **dict.fromkeys(("attal", "barnier", "bayrou", "lecornu"), "france"),
    "sandu": "moldova", "radev": "bulgaria", "plenkovic": "croatia", "milanovic": "croatia",
    "dodik": "bosnia", "edi_rama": "albania",
    **dict.fromkeys(("mishustin", "peskov", "shoigu", "medvedev", "belousov", "ushakov",
                     "zakharova", "matviyenko", "volodin", "sobyanin", "bortnikov"), "russia"),
    **dict.fromkeys(("shmyhal", "yermak"), "ukraine"), "mokhber": "iran",
}

#: Words that hold a kept Chinese name (see LEFT_OUT), keyed ``shadow:…`` (weight 0).
SHADOWS: dict[str, tuple[str, ...]] = {
    "name_words": ("江苏林", "桥梁强", "脊梁强", "布莱希", "塞西莉", "萨勒曼·拉什迪", "米莱科宁"),
}
# fmt: on
