"""Cluster stage: the company table behind ``company:`` evidence keys (pure data, no I/O).

The companies that dominate English and Chinese business news (big tech, chips, autos and EVs,
banks, energy, airlines and aircraft makers, pharma, Chinese state firms and platforms, Japanese,
Korean and Taiwanese majors), each with its English names and its Mainland Chinese name, the
Taiwan / Hong Kong name where it differs (in Simplified characters: text is folded to Simplified
before matching, ``embed.fold_chinese``), a few products and chief executives that stand for it
in headlines (iPhone, ChatGPT, 黄仁勋). ``aliases`` merges it as the ``company`` kind (Micron's
results vs Oracle's results: see ``evidence.conflict_candidates``), :data:`BUSINESS` as the
zero-weight ``business`` kind (the words of a company story that arm that conflict) and
:data:`SHADOWS` as the zero-weight ``shadow`` kind (phrases that hold an alias and are something
else: the Amazon rainforest, 三星堆, 高通胀).

Matching rules are those of ``aliases`` / ``evidence``: English case-insensitive on word
boundaries unless written in capitals or listed in :data:`EXACT_CASE`, Chinese as substrings;
the longest English alias wins at a position (so "Amazon rainforest" is no Amazon), and a
Chinese alias yields to a longer one of its own kind or of the ``shadow`` kind. Every alias
that is also a common word, a person's or place's name was left out or restricted; each such
decision is listed in :data:`LEFT_OUT` (documentation only).
"""

from __future__ import annotations

#: Aliases deliberately left out or restricted, and why (documentation; not read by code).
LEFT_OUT = """
Apple / Shell / Meta / Oracle / Amazon / Alphabet / Intel / Micron / Eni: common words
  ("apple pie", "shell", "meta-analysis", "intel" = intelligence, "10-micron") -> matched only
  as written with a capital (EXACT_CASE). "Oracle of Omaha" is Buffett (Berkshire); "Amazon
  rainforest / River / basin / region", "Brazilian Amazon" and 亚马逊雨林 / 亚马逊河 are
  SHADOWS (the river's standard name 亚马孙 holds no alias), as is the affiliate line of shop
  pages ("a participant in the Amazon Services LLC Associates Program … linking to Amazon.com",
  SemEval). A headline in Title Case ("Apple Pie Recipes") still matches: accepted.
苹果 alone is the fruit (苹果价格, 烟台苹果) -> only 苹果公司 / 苹果手机 / 苹果股价 / 苹果市值 /
  苹果CEO / 苹果首席执行官 / 苹果发布 / 苹果财报 / 苹果公司's products (iPhone, iPad).
小米 alone is millet (小米粥, 小米椒) -> only 小米集团 / 小米公司 / 小米汽车 / 小米手机 / 小米SU7,
  Xiaomi and 雷军 (Lei Jun). 长城 is the Great Wall -> only 长城汽车 / Great Wall Motor.
  长安 is Xi'an and 长安街 -> only 长安汽车. 吉利 is "lucky" -> only 吉利汽车 / 吉利控股 / 吉利集团.
  理想 is "ideal" -> only 理想汽车 / Li Auto. 大众 is "the public" -> only 大众汽车 / 大众集团.
  现代 is "modern" -> only 现代汽车 / 现代集团. 联想 is "to associate" -> only 联想集团.
  中兴 is "revival" -> only 中兴通讯. 美的 is "beautiful" -> only 美的集团. 平安 is "safe" ->
  only 中国平安. 通用 is "general" -> only 通用汽车. 东风 is also the missile -> only 东风汽车 /
  东风集团.
  一汽 only as 中国一汽 / 一汽集团. 日产 is "daily output" (日产量) -> only 日产汽车 / 日产公司.
  日立 is inside "12日立案" -> only 日立制作所 / 日立公司. 野村 is a surname -> only 野村证券 /
  野村控股. 戴尔 is a given name (Dale) -> only 戴尔公司 / 戴尔科技. 雷诺 is inside 雷诺兹
  (Reynolds) -> only 雷诺汽车 / 雷诺集团. 礼来 is inside 送礼来 -> only 礼来公司 / 礼来制药.
  百事 is inside 百事通 -> only 百事公司 / 百事可乐.
中国银行: inside 中国银行业 (China's banking industry), 中国银行间市场, 中国银行保险监督管理委员会
  -> those are SHADOWS (中国的银行, "China's banks", never matches: 的 in between); "Bank of
  China" yields to "People's Bank of China" (longer alias).
  美国银行 yields to the shadow 美国银行业 the same way.
高通 (Qualcomm) is inside 高通胀 (high inflation) and 高通量 -> SHADOWS. 三星 (Samsung) is inside
  三星堆 and 三星级 -> SHADOWS. 甲骨文 (Oracle) is also the oracle-bone script -> SHADOWS
  甲骨文字 / 甲骨文化 / 殷墟甲骨文. 亚马逊 kept (the river is mostly 亚马孙) with SHADOWS.
Air carriers' short forms inside other words: 国航 (中国航天), 东航 (山东航空), 南航 (a university),
  新航 (新航线), 日航 (当日航班), 美航 (美航母), 美国航空 (美国航空航天局) -> only the full names
  (中国国航, 东方航空 / 中国东航, 南方航空 / 中国南航, 新加坡航空, 日本航空, 美国航空公司).
Short forms left out: 工行 (施工行业), 建行 (组建行动), 农行 (农行业), 中行 (集中行动), 大摩
  (大摩托), 超微 (AMD in Taiwan, but also Super Micro), 阿里 (Ali, 阿里·哈梅内伊) -> only
  阿里巴巴 / 阿里云 / 阿里集团.
English names left out: "Target", "Visa", "Block", "Square", "Snap", "Arm", "Delta", "United",
  "American", "Ford", "Total", "Vale", "Suzuki", "Emirates", "HP", "JD" (JD Vance), "BOE" (the
  Bank of England) alone: common words, names, places or another body's abbreviation -> only
  their full names (Delta Air Lines, United Airlines, Ford Motor, TotalEnergies, JD.com, BOE
  Technology…). "Honor", "Vivo", "Oppo", "X" / "Twitter" not kept (words; a renamed brand).
More short Chinese names inside other words -> SHADOWS: 京东 in 北京东部 / 南京东路, 美团 in
  中美团队, 万科 in 百万科技, 上汽 in 坐上汽车, 广汽 in 推广汽车, 起亚 in 崛起亚洲, 美光 in 美光伏 /
  柔美光线, 高通 in 高通过率, 美国钢铁 in 美国钢铁业 / 美国钢铁关税 (the industry, not the firm;
  "US Steel" matched only as written for the same reason). Left out: 力拓 (努力拓展: only
  力拓集团), 默克 (inside 默克尔, Merkel: only 默沙东), 小摩 (小摩托), 英航 (英航母), 网飞
  (护网飞至, WMT21), 小鹏 (王小鹏, a person in WMT21: only 小鹏汽车); 高通膨 (Taiwan's "high
  inflation") is a SHADOW too. Kept though
  also a word (CC-CEDICT senses, reviewed): 奔驰 (to gallop; Mercedes in nearly every headline),
  宝马 (precious horse), 波音 (mordent), 花旗 (the US flag), 特斯拉 (the unit), 茅台 (the liquor,
  its product), 百度, 快手, 滴滴, 恒大.
Platforms named in bylines and share buttons ("Follow us on Facebook", 微信公众号, 抖音号):
  Instagram, WhatsApp, YouTube, Facebook, WeChat, 微信, 抖音, 淘宝, 天猫 left out (in SemEval
  leads: "Follow BBC Yorkshire on Facebook", "Pic: Facebook/…"); Meta, Zuckerberg, 脸书 kept.
"GM" (general manager in "Vice GM of CNEEC", WMT21) -> only General Motors; "Dell" (a surname,
  "Becky Dell", SemEval) -> only Dell Technologies. "BP" kept though it is also blood pressure
  ("BP drugs", SemEval): the oil company's name in nearly every headline. "Berkshire" alone is the
  English county -> only Berkshire Hathaway, Buffett. "Kia" is matched as written (kia ora).
English aliases that hold a country's name ("Air China", "Bank of America", "Korean Air") keep
  that country's key too (aliases.py adds them to the country): the Chinese 中国国航 always
  held 中国, and the old table read "Singapore Airlines" as Singapore.
"""

#: English aliases matched only as written (a common word in lower case).
#: Companies that Chinese copy names in Latin letters (no settled Chinese name, or the Latin
#: name is the one used: TCL, SAP, 3M; 乐天 for Lotte is also Rakuten and "optimistic").
# fmt: off
LATIN_ONLY = frozenset((
    "3m", "adm", "adobe", "anthropic", "att", "bae", "coinbase", "ftx", "hdfc", "hm", "icici",
    "kakao", "kkr", "kroger", "lotte", "naver", "northvolt", "palantir", "rivian", "sap",
    "shopify", "spotify", "sqm", "tcl", "tether", "ups", "vedanta", "wipro", "yandex", "ypf",
))
EXACT_CASE = frozenset((
    "Apple", "Shell", "Meta", "Oracle", "Amazon", "Alphabet", "Intel", "Micron", "Eni", "Gree",
    "Kia", "Ping An", "US Steel", "U.S. Steel", "Caterpillar", "Fidelity", "Vanguard", "Adobe",
    "Hermes", "Tether", "Sany", "Lotte", "Fitch", "Thales", "Saab", "Teva",
))
# fmt: on

# fmt: off
COMPANIES: dict[str, tuple[str, ...]] = {
    # --- US big tech, software, internet
    "apple": ("Apple", "Apple Inc", "iPhone", "iPhones", "iPad", "Tim Cook", "苹果公司", "苹果手机",
              "苹果股价", "苹果市值", "苹果CEO", "苹果首席执行官", "苹果发布", "苹果财报"),
    "microsoft": ("Microsoft", "微软"),
    "google": ("Google", "Alphabet", "谷歌"),
    "amazon": ("Amazon", "Amazon.com", "AWS", "Amazon Web Services", "亚马逊"),
    "meta": ("Meta", "Meta Platforms", "Zuckerberg", "脸书", "扎克伯格"),
    "nvidia": ("Nvidia", "Jensen Huang", "英伟达", "辉达", "黄仁勋"),
    "tesla": ("Tesla", "特斯拉"),
    "oracle": ("Oracle", "Oracle Corp", "甲骨文"),
    "ibm": ("IBM", "国际商业机器"),
    "salesforce": ("Salesforce", "赛富时"),
    "cisco": ("Cisco", "思科"),
    "dell": ("Dell Technologies", "戴尔公司", "戴尔科技"),
    "hp": ("HP Inc", "Hewlett-Packard", "Hewlett Packard", "惠普"),
    "netflix": ("Netflix", "奈飞"),
    "uber": ("Uber", "优步"),
    "airbnb": ("Airbnb", "爱彼迎"),
    "paypal": ("PayPal", "贝宝"),
    "palantir": ("Palantir",),
    "openai": ("OpenAI", "ChatGPT", "Sam Altman", "开放人工智能研究中心", "奥尔特曼"),
    "anthropic": ("Anthropic",),
    "spacex": ("SpaceX", "Starlink", "太空探索技术公司", "星链"),
    "coinbase": ("Coinbase",),
    "binance": ("Binance", "币安"),
    "ftx": ("FTX",),
    # --- Chips
    "micron": ("Micron", "Micron Technology", "美光"),
    "intel": ("Intel", "英特尔"),
    "amd": ("AMD", "Advanced Micro Devices", "超威半导体"),
    "qualcomm": ("Qualcomm", "高通", "骁龙"),
    "broadcom": ("Broadcom", "博通"),
    "arm": ("Arm Holdings", "安谋"),
    "asml": ("ASML", "阿斯麦"),
    "tsmc": ("TSMC", "Taiwan Semiconductor", "台积电"),
    "samsung": ("Samsung", "三星"),
    "sk_hynix": ("SK Hynix", "Hynix", "SK海力士", "海力士"),
    "mediatek": ("MediaTek", "联发科"),
    "smic": ("SMIC", "Semiconductor Manufacturing International", "中芯国际"),
    "supermicro": ("Super Micro", "Supermicro", "美超微"),
    # --- Chinese platforms and tech
    "huawei": ("Huawei", "华为", "任正非"),
    "alibaba": ("Alibaba", "阿里巴巴", "阿里云", "阿里集团"),
    "tencent": ("Tencent", "腾讯", "马化腾"),
    "baidu": ("Baidu", "百度"),
    "jd": ("JD.com", "京东"),
    "pdd": ("PDD Holdings", "Pinduoduo", "Temu", "拼多多"),
    "bytedance": ("ByteDance", "TikTok", "字节跳动"),
    "xiaomi": ("Xiaomi", "Lei Jun", "小米集团", "小米公司", "小米汽车", "小米手机", "小米SU7",
               "雷军"),
    "lenovo": ("Lenovo", "联想集团"),
    "zte": ("ZTE", "中兴通讯"),
    "boe": ("BOE Technology", "京东方"),
    "meituan": ("Meituan", "美团"),
    "netease": ("NetEase", "网易"),
    "kuaishou": ("Kuaishou", "快手"),
    "didi": ("Didi Chuxing", "DiDi Global", "滴滴"),
    "ant_group": ("Ant Group", "蚂蚁集团"),
    "dji": ("DJI", "大疆"),
    "hikvision": ("Hikvision", "海康威视"),
    "iflytek": ("iFlytek", "科大讯飞"),
    "deepseek": ("DeepSeek", "深度求索"),
    "shein": ("Shein", "希音"),
    "luckin": ("Luckin Coffee", "Luckin", "瑞幸"),
    "moutai": ("Kweichow Moutai", "Moutai", "贵州茅台", "茅台"),
    "haier": ("Haier", "海尔"),
    "midea": ("Midea", "美的集团"),
    "gree": ("Gree", "Gree Electric", "格力"),
    "evergrande": ("Evergrande", "恒大"),
    "country_garden": ("Country Garden", "碧桂园"),
    "vanke": ("Vanke", "万科"),
    # --- Autos and EVs
    "byd": ("BYD", "比亚迪", "王传福"),
    "nio": ("NIO", "蔚来"),
    "li_auto": ("Li Auto", "理想汽车"),
    "xpeng": ("XPeng", "Xpeng Motors", "小鹏汽车"),
    "leapmotor": ("Leapmotor", "零跑"),
    "zeekr": ("Zeekr", "极氪"),
    "seres": ("Seres", "赛力斯"),
    "geely": ("Geely", "吉利汽车", "吉利控股", "吉利集团"),
    "great_wall": ("Great Wall Motor", "Great Wall Motors", "长城汽车"),
    "saic": ("SAIC Motor", "SAIC", "上汽"),
    "gac": ("GAC Group", "GAC", "广汽"),
    "changan": ("Changan Automobile", "Changan", "长安汽车"),
    "chery": ("Chery", "奇瑞"),
    "dongfeng": ("Dongfeng Motor", "东风汽车", "东风集团"),
    "faw": ("FAW Group", "FAW", "中国一汽", "一汽集团"),
    "catl": ("CATL", "Contemporary Amperex", "宁德时代"),
    "toyota": ("Toyota", "丰田"),
    "honda": ("Honda", "本田"),
    "nissan": ("Nissan", "日产汽车", "日产公司"),
    "mazda": ("Mazda", "马自达"),
    "subaru": ("Subaru", "斯巴鲁"),
    "suzuki": ("Suzuki Motor", "铃木汽车"),
    "mitsubishi": ("Mitsubishi", "三菱"),
    "hyundai": ("Hyundai", "现代汽车", "现代集团"),
    "kia": ("Kia", "起亚"),
    "gm": ("General Motors", "通用汽车"),
    "ford": ("Ford Motor", "福特汽车"),
    "stellantis": ("Stellantis", "斯泰兰蒂斯"),
    "volkswagen": ("Volkswagen", "VW", "大众汽车", "大众集团"),
    "bmw": ("BMW", "宝马"),
    "mercedes": ("Mercedes-Benz", "Mercedes", "Daimler", "奔驰", "梅赛德斯"),
    "porsche": ("Porsche", "保时捷"),
    "renault": ("Renault", "雷诺汽车", "雷诺集团"),
    "volvo": ("Volvo", "沃尔沃"),
    "rivian": ("Rivian",),
    # --- Aircraft makers and airlines
    "boeing": ("Boeing", "波音"),
    "airbus": ("Airbus", "空客", "空中客车"),
    "comac": ("COMAC", "中国商飞", "商飞"),
    "embraer": ("Embraer", "巴西航空工业"),
    "delta_air": ("Delta Air Lines", "Delta Airlines", "达美航空"),
    "united_air": ("United Airlines", "美国联合航空", "美联航"),
    "american_air": ("American Airlines", "美国航空公司"),
    "southwest": ("Southwest Airlines", "西南航空"),
    "lufthansa": ("Lufthansa", "汉莎航空"),
    "air_france": ("Air France-KLM", "Air France", "法国航空", "法航"),
    "british_airways": ("British Airways", "英国航空"),
    "emirates_air": ("Emirates airline", "Emirates Airlines", "阿联酋航空"),
    "qatar_airways": ("Qatar Airways", "卡塔尔航空"),
    "singapore_airlines": ("Singapore Airlines", "新加坡航空"),
    "cathay": ("Cathay Pacific", "国泰航空"),
    "jal": ("Japan Airlines", "日本航空"),
    "ana": ("All Nippon Airways", "全日空"),
    "korean_air": ("Korean Air", "大韩航空"),
    "jeju_air": ("Jeju Air", "济州航空"),
    "air_china": ("Air China", "中国国航"),
    "china_eastern": ("China Eastern", "东方航空", "中国东航"),
    "china_southern": ("China Southern", "南方航空", "中国南航"),
    "ryanair": ("Ryanair", "瑞安航空"),
    # --- Banks, insurers, investors, payments
    "jpmorgan": ("JPMorgan", "JPMorgan Chase", "JP Morgan", "J.P. Morgan", "摩根大通"),
    "goldman": ("Goldman Sachs", "Goldman", "高盛"),
    "morgan_stanley": ("Morgan Stanley", "摩根士丹利"),
    "citi": ("Citigroup", "Citibank", "Citi", "花旗"),
    "bofa": ("Bank of America", "BofA", "美国银行", "美银"),
    "wells_fargo": ("Wells Fargo", "富国银行"),
    "blackrock": ("BlackRock", "贝莱德"),
    "berkshire": ("Berkshire Hathaway", "Warren Buffett", "Buffett", "Oracle of Omaha",
                  "伯克希尔", "巴菲特"),
    "hsbc": ("HSBC", "汇丰"),
    "barclays": ("Barclays", "巴克莱"),
    "ubs": ("UBS", "瑞银"),
    "credit_suisse": ("Credit Suisse", "瑞信"),
    "deutsche_bank": ("Deutsche Bank", "德意志银行"),
    "bnp": ("BNP Paribas", "法国巴黎银行"),
    "santander": ("Santander", "桑坦德"),
    "standard_chartered": ("Standard Chartered", "渣打"),
    "mufg": ("MUFG", "Mitsubishi UFJ", "三菱日联"),
    "nomura": ("Nomura", "野村证券", "野村控股"),
    "mastercard": ("Mastercard", "万事达"),
    "icbc": ("ICBC", "Industrial and Commercial Bank of China", "工商银行"),
    "ccb": ("China Construction Bank", "建设银行"),
    "abc": ("Agricultural Bank of China", "农业银行"),
    "boc": ("Bank of China", "中国银行"),
    "bocom": ("Bank of Communications", "交通银行"),
    "cmb": ("China Merchants Bank", "招商银行"),
    "ping_an": ("Ping An", "中国平安"),
    "citic": ("CITIC", "中信集团"),
    # --- Energy, mining, steel, industry
    "exxon": ("ExxonMobil", "Exxon Mobil", "Exxon", "埃克森美孚"),
    "chevron": ("Chevron", "雪佛龙"),
    "shell": ("Shell", "Shell plc", "Royal Dutch Shell", "壳牌"),
    "bp": ("BP", "英国石油公司"),
    "totalenergies": ("TotalEnergies", "道达尔"),
    "aramco": ("Saudi Aramco", "Aramco", "沙特阿美"),
    "gazprom": ("Gazprom", "俄气", "俄罗斯天然气工业"),
    "rosneft": ("Rosneft", "俄油", "俄罗斯石油公司"),
    "equinor": ("Equinor", "挪威国家石油", "艾奎诺"),
    "eni": ("Eni", "埃尼集团"),
    "petrobras": ("Petrobras", "巴西国家石油"),
    "sinopec": ("Sinopec", "中国石化", "中石化"),
    "petrochina": ("PetroChina", "CNPC", "中国石油天然气", "中石油"),
    "cnooc": ("CNOOC", "中海油", "中国海油"),
    "state_grid": ("State Grid", "国家电网"),
    "china_mobile": ("China Mobile", "中国移动"),
    "china_telecom": ("China Telecom", "中国电信"),
    "china_unicom": ("China Unicom", "中国联通"),
    "cosco": ("COSCO", "中远海运"),
    "bhp": ("BHP", "必和必拓"),
    "rio_tinto": ("Rio Tinto", "力拓集团"),
    "vale": ("Vale S.A.", "淡水河谷"),
    "glencore": ("Glencore", "嘉能可"),
    "nippon_steel": ("Nippon Steel", "日本制铁", "新日铁"),
    "us_steel": ("US Steel", "U.S. Steel", "United States Steel", "美国钢铁"),
    "posco": ("POSCO", "浦项制铁"),
    "siemens": ("Siemens", "西门子"),
    "nokia": ("Nokia", "诺基亚"),
    "ericsson": ("Ericsson", "爱立信"),
    "foxconn": ("Foxconn", "Hon Hai", "富士康", "鸿海"),
    "quanta": ("Quanta Computer", "广达电脑"),
    "reliance": ("Reliance Industries", "信实工业"),
    "tata": ("Tata", "塔塔"),
    "adani": ("Adani", "阿达尼"),
    # --- Japanese and Korean majors
    "sony": ("Sony", "索尼"),
    "panasonic": ("Panasonic", "松下"),
    "softbank": ("SoftBank", "Masayoshi Son", "软银", "孙正义"),
    "nintendo": ("Nintendo", "任天堂"),
    "hitachi": ("Hitachi", "日立制作所", "日立公司"),
    "toshiba": ("Toshiba", "东芝"),
    "fujitsu": ("Fujitsu", "富士通"),
    "canon": ("Canon Inc", "佳能"),
    "fast_retailing": ("Fast Retailing", "Uniqlo", "迅销", "优衣库"),
    "seven_i": ("Seven & i", "7-Eleven", "柒和伊"),
    "lg": ("LG Electronics", "LG Energy Solution", "LG", "LG电子", "LG新能源"),
    # --- Pharma
    "pfizer": ("Pfizer", "辉瑞"),
    "moderna": ("Moderna", "莫德纳"),
    "astrazeneca": ("AstraZeneca", "阿斯利康"),
    "jnj": ("Johnson & Johnson", "强生"),
    "novo": ("Novo Nordisk", "诺和诺德"),
    "lilly": ("Eli Lilly", "礼来公司", "礼来制药"),
    "merck": ("Merck", "默沙东"),
    "roche": ("Roche", "罗氏"),
    "novartis": ("Novartis", "诺华"),
    "sanofi": ("Sanofi", "赛诺菲"),
    "gsk": ("GSK", "GlaxoSmithKline", "葛兰素史克"),
    "bayer": ("Bayer", "拜耳"),
    "biontech": ("BioNTech", "拜恩泰科"),
    "sinovac": ("Sinovac", "科兴"),
    "sinopharm": ("Sinopharm", "国药集团"),
    # --- Consumer, retail, media
    "walmart": ("Walmart", "沃尔玛"),
    "costco": ("Costco", "好市多", "开市客"),
    "nike": ("Nike", "耐克"),
    "adidas": ("Adidas", "阿迪达斯"),
    "starbucks": ("Starbucks", "星巴克"),
    "mcdonalds": ("McDonald's", "麦当劳"),
    "coca_cola": ("Coca-Cola", "可口可乐"),
    "pepsico": ("PepsiCo", "Pepsi", "百事公司", "百事可乐"),
    "disney": ("Disney", "迪士尼"),
    "nestle": ("Nestle", "Nestlé", "雀巢"),
    "lvmh": ("LVMH", "路威酩轩"),
    # --- More: Chinese state firms, makers and platforms
    "cscec": ("China State Construction", "CSCEC", "中国建筑集团", "中建集团"),
    "crrc": ("CRRC", "中国中车"), "three_gorges": ("China Three Gorges", "三峡集团"),
    "sinochem": ("Sinochem", "中化集团"), "cnnc": ("CNNC", "中核集团"),
    "cgn": ("China General Nuclear", "中广核"), "avic": ("AVIC", "中航工业"),
    "china_life": ("China Life", "中国人寿"), "picc": ("PICC", "中国人保"),
    "ymtc": ("YMTC", "Yangtze Memory", "长江存储"), "cxmt": ("CXMT", "长鑫存储"),
    "cambricon": ("Cambricon", "寒武纪科技"), "hua_hong": ("Hua Hong", "华虹"),
    "zhipu": ("Zhipu", "智谱"), "moonshot": ("Moonshot AI", "月之暗面"),
    "unitree": ("Unitree", "宇树科技", "宇树"), "ubtech": ("UBTech", "优必选"),
    "pop_mart": ("Pop Mart", "泡泡玛特"), "mixue": ("Mixue", "蜜雪冰城"),
    "anta": ("Anta Sports", "安踏"), "trip_com": ("Trip.com", "Ctrip", "携程"),
    "bilibili": ("Bilibili", "哔哩哔哩"), "sf_express": ("SF Express", "顺丰"),
    "fosun": ("Fosun", "复星"), "wanda": ("Dalian Wanda", "Wanda Group", "万达集团"),
    "sunac": ("Sunac", "融创"), "zijin": ("Zijin Mining", "紫金矿业"),
    "cmoc": ("CMOC", "洛阳钼业"), "baowu": ("China Baowu", "Baowu", "中国宝武", "宝武钢铁"),
    "ansteel": ("Ansteel", "鞍钢"), "longi": ("LONGi", "隆基"), "tongwei": ("Tongwei", "通威"),
    "jinko": ("JinkoSolar", "晶科能源"), "trina": ("Trina Solar", "天合光能"),
    "sungrow": ("Sungrow", "阳光电源"), "gotion": ("Gotion", "国轩高科"),
    "eve_energy": ("EVE Energy", "亿纬锂能"), "sany": ("Sany Heavy", "Sany", "三一重工"),
    "xcmg": ("XCMG", "徐工"), "zoomlion": ("Zoomlion", "中联重科"), "tcl": ("TCL",),
    "hisense": ("Hisense", "海信"), "transsion": ("Transsion", "传音控股"),
    "luxshare": ("Luxshare", "立讯精密"),
    # --- More: Japan, Korea, Taiwan
    "mitsui": ("Mitsui", "三井物产", "三井"), "sumitomo": ("Sumitomo", "住友"),
    "smbc": ("SMBC", "Sumitomo Mitsui", "三井住友"), "mizuho": ("Mizuho", "瑞穗金融", "瑞穗银行"),
    "itochu": ("Itochu", "伊藤忠"), "marubeni": ("Marubeni", "丸红"),
    "tokyo_electron": ("Tokyo Electron", "东京电子"), "renesas": ("Renesas", "瑞萨"),
    "kioxia": ("Kioxia", "铠侠"), "shin_etsu": ("Shin-Etsu", "信越化学"),
    "murata": ("Murata Manufacturing", "村田制作所"),
    "tepco": ("TEPCO", "Tokyo Electric Power", "东京电力"), "shiseido": ("Shiseido", "资生堂"),
    "bridgestone": ("Bridgestone", "普利司通"), "yamaha": ("Yamaha", "雅马哈"),
    "keyence": ("Keyence", "基恩士"), "daikin": ("Daikin", "大金工业"),
    "kawasaki_heavy": ("Kawasaki Heavy", "川崎重工"),
    "mitsubishi_heavy": ("Mitsubishi Heavy", "三菱重工"), "hanwha": ("Hanwha", "韩华"),
    "naver": ("Naver",), "kakao": ("Kakao",), "hyundai_heavy": ("Hyundai Heavy", "现代重工"),
    "doosan": ("Doosan", "斗山"), "coupang": ("Coupang", "酷澎"), "lotte": ("Lotte",),
    "ase": ("ASE Technology", "ASE Group", "日月光投控", "日月光半导体"),
    "pegatron": ("Pegatron", "和硕"), "wistron": ("Wistron", "纬创"),
    "delta_electronics": ("Delta Electronics", "台达电"), "largan": ("Largan", "大立光"),
    "formosa": ("Formosa Plastics", "台塑"),
    "evergreen": ("Evergreen Marine", "EVA Air", "长荣海运", "长荣航空"),
    # --- More: US industry, defence, finance, health, consumer
    "lockheed": ("Lockheed Martin", "Lockheed", "洛克希德·马丁", "洛克希德马丁"),
    "rtx": ("Raytheon", "RTX", "雷神公司"), "northrop": ("Northrop Grumman", "诺斯罗普·格鲁曼"),
    "general_dynamics": ("General Dynamics", "通用动力"),
    "ge": ("General Electric", "GE Aerospace", "GE Vernova", "通用电气"),
    "caterpillar": ("Caterpillar", "卡特彼勒"), "3m": ("3M",),
    "honeywell": ("Honeywell", "霍尼韦尔"),
    "pg": ("Procter & Gamble", "P&G", "宝洁"), "unitedhealth": ("UnitedHealth", "联合健康集团"),
    "fedex": ("FedEx", "联邦快递"), "ups": ("UPS",), "verizon": ("Verizon", "威瑞森"),
    "att": ("AT&T",), "comcast": ("Comcast", "康卡斯特"),
    "warner": ("Warner Bros", "华纳兄弟"),
    "paramount": ("Paramount Global", "Paramount Pictures", "Paramount Skydance", "派拉蒙"),
    "ti": ("Texas Instruments", "德州仪器"),
    "applied_materials": ("Applied Materials", "应用材料公司"),
    "lam": ("Lam Research", "泛林"), "western_digital": ("Western Digital", "西部数据公司"),
    "adobe": ("Adobe",), "shopify": ("Shopify",), "spotify": ("Spotify",),
    "blackstone": ("Blackstone", "黑石集团"), "kkr": ("KKR",), "vanguard": ("Vanguard", "先锋领航"),
    "fidelity": ("Fidelity", "富达投资", "富达国际"), "schwab": ("Charles Schwab", "嘉信理财"),
    "svb": ("Silicon Valley Bank", "SVB", "硅谷银行"),
    "first_republic": ("First Republic", "第一共和银行"),
    "moodys": ("Moody's", "穆迪"), "fitch": ("Fitch Ratings", "Fitch", "惠誉"),
    "amex": ("American Express", "AmEx", "美国运通"),
    "abbvie": ("AbbVie", "艾伯维"),
    "bms": ("Bristol Myers Squibb", "Bristol-Myers", "百时美施贵宝"),
    "amgen": ("Amgen", "安进公司"), "gilead": ("Gilead", "吉利德"),
    "conoco": ("ConocoPhillips", "康菲石油"), "oxy": ("Occidental Petroleum", "西方石油公司"),
    "halliburton": ("Halliburton", "哈里伯顿"), "slb": ("SLB", "Schlumberger", "斯伦贝谢"),
    "home_depot": ("Home Depot", "家得宝"), "kroger": ("Kroger",),
    "cargill": ("Cargill", "嘉吉"), "adm": ("Archer-Daniels-Midland", "ADM"),
    "bunge": ("Bunge", "邦吉"), "louis_dreyfus": ("Louis Dreyfus", "路易达孚"),
    "yum_china": ("Yum China", "百胜中国"), "kfc": ("KFC", "肯德基"),
    "kraft_heinz": ("Kraft Heinz", "卡夫亨氏"), "mondelez": ("Mondelez", "亿滋"),
    "tether": ("Tether",),
    # --- More: Europe
    "unilever": ("Unilever", "联合利华"), "danone": ("Danone", "达能集团"),
    "heineken": ("Heineken", "喜力"), "ab_inbev": ("AB InBev", "Anheuser-Busch", "百威英博"),
    "diageo": ("Diageo", "帝亚吉欧"), "hermes": ("Hermes", "Hermès", "爱马仕"),
    "kering": ("Kering", "开云集团"), "loreal": ("L'Oreal", "L'Oréal", "欧莱雅"),
    "estee_lauder": ("Estee Lauder", "Estée Lauder", "雅诗兰黛"), "ikea": ("IKEA", "宜家"),
    "hm": ("H&M",), "inditex": ("Inditex", "印地纺"), "sap": ("SAP",),
    "infineon": ("Infineon", "英飞凌"), "stmicro": ("STMicroelectronics", "意法半导体"),
    "nxp": ("NXP", "恩智浦"), "basf": ("BASF", "巴斯夫"),
    "rolls_royce": ("Rolls-Royce", "罗尔斯·罗伊斯", "劳斯莱斯"), "bae": ("BAE Systems",),
    "rheinmetall": ("Rheinmetall", "莱茵金属"), "thales": ("Thales", "泰雷兹"),
    "dassault": ("Dassault", "达索航空", "达索系统"), "saab": ("Saab", "萨博"),
    "safran": ("Safran", "赛峰"), "bombardier": ("Bombardier", "庞巴迪"),
    "maersk": ("Maersk", "马士基"), "cma_cgm": ("CMA CGM", "达飞海运"),
    "hapag_lloyd": ("Hapag-Lloyd", "赫伯罗特"), "vodafone": ("Vodafone", "沃达丰"),
    "allianz": ("Allianz", "安联保险", "安联集团"), "axa": ("AXA", "安盛集团"),
    "commerzbank": ("Commerzbank", "德国商业银行"), "unicredit": ("UniCredit", "裕信银行"),
    "socgen": ("Societe Generale", "Société Générale", "法国兴业银行"),
    "repsol": ("Repsol", "雷普索尔"), "arcelormittal": ("ArcelorMittal", "安赛乐米塔尔"),
    "thyssenkrupp": ("Thyssenkrupp", "ThyssenKrupp", "蒂森克虏伯"), "northvolt": ("Northvolt",),
    # --- More: the Gulf, India, Russia, Latin America, Australia
    "adnoc": ("ADNOC", "阿布扎比国家石油"), "qatarenergy": ("QatarEnergy", "卡塔尔能源公司"),
    "etihad": ("Etihad", "阿提哈德"), "mubadala": ("Mubadala", "穆巴达拉"),
    "sabic": ("SABIC", "沙特基础工业"), "teva": ("Teva", "梯瓦"),
    "infosys": ("Infosys", "印孚瑟斯"), "wipro": ("Wipro",), "hdfc": ("HDFC",), "icici": ("ICICI",),
    "sbi": ("State Bank of India", "印度国家银行"), "mahindra": ("Mahindra", "马恒达"),
    "air_india": ("Air India", "印度航空公司"), "vedanta": ("Vedanta Resources",),
    "lukoil": ("Lukoil", "卢克石油"), "sberbank": ("Sberbank", "俄罗斯联邦储蓄银行"),
    "rosatom": ("Rosatom", "俄罗斯国家原子能公司"), "novatek": ("Novatek", "诺瓦泰克"),
    "aeroflot": ("Aeroflot", "俄罗斯航空公司", "俄航"), "rusal": ("Rusal", "俄铝"),
    "norilsk": ("Norilsk Nickel", "Nornickel", "诺里尔斯克镍业"), "yandex": ("Yandex",),
    "pemex": ("Pemex", "墨西哥国家石油"), "ypf": ("YPF",), "codelco": ("Codelco", "智利国家铜业"),
    "sqm": ("SQM",), "fortescue": ("Fortescue", "福蒂斯丘"),
    "qantas": ("Qantas", "澳洲航空公司", "澳航"), "woodside": ("Woodside Energy", "伍德赛德能源"),
}

#: Words of a company story (results, a share move, a deal, a recall or fine): a headline
#: that holds one arms the company conflict (``evidence.conflict_candidates``). Keyed
#: ``business:…`` with weight 0: they support no merge.
BUSINESS: dict[str, tuple[str, ...]] = {
    "results": ("earnings", "results", "quarterly", "quarter", "profit", "profits", "revenue",
                "revenues", "sales", "forecast", "forecasts", "outlook", "guidance", "财报",
                "业绩", "营收", "净利", "利润", "盈利", "亏损", "季度", "销量", "交付量"),
    "shares": ("shares", "stock", "stocks", "market value", "valuation", "股价", "市值", "股票",
               "大涨", "大跌", "暴涨", "暴跌"),
    "deal": ("acquire", "acquires", "acquisition", "takeover", "merger", "buyout", "to buy",
             "bid for", "IPO", "收购", "并购", "合并", "上市"),
    "incident": ("recall", "recalls", "layoffs", "job cuts", "fined", "lawsuit", "sues",
                 "antitrust", "召回", "裁员", "罚款", "起诉", "反垄断"),
}

#: Phrases that hold a company's alias and name something else: matched like aliases (the
#: longest English alias wins; a Chinese alias yields to a longer shadow), keyed
#: ``shadow:…`` with weight 0, never a conflict.
SHADOWS: dict[str, tuple[str, ...]] = {
    "amazon_region": ("Amazon rainforest", "Amazon rain forest", "Amazon River", "Amazon basin",
                      "Amazon region", "Brazilian Amazon", "Amazon jungle", "Pan-Amazon",
                      "Amazon synod", "synod on the Amazon", "Amazon Services LLC",
                      "Amazon Associates", "linking to Amazon.com", "亚马逊雨林",
                      "亚马逊河", "亚马逊地区", "亚马逊流域", "亚马逊森林", "亚马逊热带雨林"),
    "venues": ("Allianz Arena", "Mercedes-Benz Arena", "Mercedes-Benz Stadium",
               "Mercedes-Benz Superdome"),
    "banking_sector": ("中国银行业", "中国银行间", "中国银行保险", "美国银行业"),
    "inflation_words": ("高通胀", "高通膨", "高通量", "高通货"),
    "sanxingdui": ("三星堆", "三星级"),
    "oracle_bones": ("甲骨文字", "甲骨文化", "殷墟甲骨文", "甲骨文研究"),
    # Other words and places that hold a short Chinese company name.
    "other_words": ("北京东", "南京东", "美团队", "万科技", "万科学", "万科研", "上汽车", "广汽车",
                    "起亚洲", "起亚太", "中国移动支付", "中国移动互联网", "美光伏", "美光线",
                    "高通过",
                    "美国钢铁业", "美国钢铁行业", "美国钢铁关税", "美国钢铁进口", "美国钢铁产"),
}
# fmt: on
