"""Cluster stage: the country table behind ``country:`` evidence keys (pure data, no I/O).

Every UN member state and the commonly reported non-members and territories, each with its
English name(s) and short forms, demonym(s), capital (and at most two other cities that stand
for it in headlines), its Mainland Chinese name and the Taiwan / Hong Kong name where it differs
(written in Simplified characters: text is folded to Simplified before matching). ``aliases``
merges this table into its ``country`` kind: ids that exist there (``us``, ``japan``,
``gaza``…) keep their ids and aliases and get the extra aliases given here; the other ids are
new. Matching rules are those of ``aliases`` / ``evidence``: English case-insensitive on word
boundaries unless written in capitals, Chinese as substrings, and a Chinese alias inside a
longer alias of another country yields to it (马里 in 索马里, 苏丹 in 南苏丹, 几内亚 in
赤道几内亚). Countries are an exclusive kind (a wrong key makes a false conflict), so an alias
that is also a common word, a person's name or a substring of unrelated words is left out or
restricted; every such decision is listed in :data:`LEFT_OUT` (documentation only).
"""

from __future__ import annotations

#: Aliases deliberately left out or restricted, and why (documentation; not read by code).
LEFT_OUT = """
Jordan: a person's name (Michael / Jim Jordan) -> only Jordanian, Amman, 约旦 (约旦 yields to
  约旦河西岸, West Bank). Chad: a first name and a word -> only Chadian, N'Djamena, 乍得; not the
  Taiwan name 查德 (also the name Chad). Georgia: the US state -> only Georgian, Tbilisi, 格鲁吉亚;
  not 乔治亚 (Taiwan's name, also Taiwan's and Hong Kong's name for the US state), not 佐治亚.
Guinea: kept, although "guinea pig" also matches (case-insensitive); Papua New Guinea,
  Equatorial Guinea, Guinea-Bissau are longer aliases and win; "New Guinea" (the island) is
  given to papua_new_guinea so it does not read as Guinea.
Niger / Nigeria: word boundaries keep them apart; "Niger Delta" is Nigeria's; 尼日 (Taiwan's
  Niger) yields to 尼日利亚 / 尼日尔.
Congo: bare "Congo", "Congolese" and 刚果 are the DR Congo (the one in the news); the Republic
  of the Congo only by its full names, Congo-Brazzaville, Brazzaville, 刚果（布）, 刚果共和国.
Dominica / Dominican Republic: word boundaries; 多米尼克 (Dominica) is also the name Dominic
  (多米尼克·拉布) -> only 多米尼克国.
马里 (Mali): kept; it yields to 索马里, 索马里兰, 马里乌波尔 (Mariupol, Ukraine), 马里亚纳 (the
  Marianas) and 马里兰 (Maryland, added to "us" for that); still a trap in names (马里奥 Mario).
  Taiwan's 马利 left out (马利克 Malik, 马利筋).
苏丹 (Sudan): kept, yields to 南苏丹 and 文莱苏丹 (Sultan of Brunei, added to brunei); still a
  trap for other sultans and 苏丹红 (Sudan red dye).
阿曼 (Oman): kept; still a trap inside names (阿曼达 Amanda).
Montenegro: 黑山 is also common Chinese place names (黑山县) -> only 黑山共和国, 蒙特内哥罗.
Mongolia: 蒙古 is inside 内蒙古, 蒙古族, 蒙古包 -> only 蒙古国, 乌兰巴托; "Inner Mongolia" is
  China's; not "Mongolian" (China's Mongolians: "Haixi Mongolian and Tibetan Autonomous
  Prefecture" in WMT21). Central African Republic: 中非 is also China-Africa (中非合作) and
  Central Africa -> only 中非共和国; not "CAR", not "Central African".
North Macedonia: bare Macedonia / 马其顿 is also Greece's region -> only North Macedonia,
  North Macedonian, Skopje, 北马其顿.
Sierra Leone: Taiwan's 狮子山 is also Lion Rock (Hong Kong) and many hills -> left out.
Togo: 多哥 is inside 许多哥伦比亚人 and 多哥哥 -> only 多哥共和国, 洛美; "Togo", "Togolese" kept.
Tajikistan / Uzbekistan: 塔吉克 alone is also a Chinese ethnic group (塔吉克族) -> only
  塔吉克斯坦. Bangladesh: 孟加拉 alone is Bengal (西孟加拉, 孟加拉湾) -> only 孟加拉国 (as before).
El Salvador: not bare "Salvador" (Brazil's city, a name); 萨尔瓦多 kept (also Salvador Dalí).
Ireland: "Northern Ireland", "Northern Irish", Belfast, 北爱尔兰 added to "uk" so they do not
  read as Ireland. Samoa: "American Samoa" / 美属萨摩亚 are a territory of their own.
Capitals left out as common words or names or shared with other places: Victoria (Seychelles),
  Kingston (Jamaica), Georgetown (Guyana), Nassau (Bahamas), San Jose (Costa Rica), La Paz,
  Sucre, Praia, Moroni, Roseau, Male, Sofia / 索非亚, Bern, Lao, Vientiane / 万象 (a word),
  Phnom Penh's 金边 (gilt, gold rim), Hanoi's 河内 (运河内), Riga's 里加 (公里加), Lima's 利马,
  Quito's 基多, Santiago's 圣地亚哥 (also San Diego), Sydney (a name), San Juan.
  "Benin City" is given to Nigeria (it is there). "Panama City" (also Florida) still reads as
  Panama; "Dakar" also names the rally; "Strait of Gibraltar" reads as Gibraltar.
Haiti: 海地 is inside 沿海地区 and 上海地产 (WMT21: 12 hits, none Haiti) -> only 太子港,
  海地共和国 and 海地 before 总统 / 总理 / 政府 / 首都 / 帮派 / 发生 / 地震 / 局势.
Decoys that are true: 纽芬兰 (Newfoundland) is Canada's so 芬兰 (Finland) yields; 巴林右旗 /
  巴林左旗 (Inner Mongolia) China's, not Bahrain's; 帕拉马里博 (Paramaribo) Suriname's and
  马里博尔 (Maribor) Slovenia's, not Mali's; 多米尼加联邦 is Dominica, not the Dominican Rep.
Kept though seen once as something else in WMT21: "Greenland" (Greenland Holdings, a Shanghai
  developer), 马拉维 (Mallawi, an Egyptian town), 马里 (马里尼切夫, a Russian name).
Also not: "Republic of China" (inside "People's Republic of China"), 巴新 (PNG), 西岸 (any
  river's west bank), 中华民国, "Jersey" (New Jersey), "PNG" (the image format), "Polish" is
  kept although "polish" the verb matches (case-insensitive).
"""

# fmt: off
COUNTRIES: dict[str, tuple[str, ...]] = {
    # --- Extra aliases for ids of aliases.ALIASES["country"] (their own aliases stay there).
    "us": ("马里兰",),  # Maryland: so that 马里 (Mali) yields inside 马里兰州
    "china": ("Inner Mongolia", "Inner Mongolian", "巴林右旗", "巴林左旗"),  # not Bahrain (巴林)
    "france": ("French Guiana", "法属圭亚那"),
    "taiwan": ("Kaohsiung", "高雄"),
    "russia": ("Russians", "俄国"),
    "ukraine": ("Ukrainians", "Mariupol", "马里乌波尔"),
    "myanmar": ("Burmese", "Naypyidaw", "Yangon", "Rangoon", "内比都", "仰光"),
    "turkey": ("Ankara", "Istanbul", "安卡拉", "伊斯坦布尔"),
    "syria": ("Syrians", "Damascus", "大马士革"),
    "morocco": ("Rabat", "拉巴特"),
    "afghanistan": ("Afghans", "Kabul", "喀布尔"),
    "nepal": ("Nepali", "Nepalese", "Kathmandu", "加德满都"),
    "mexico": ("Mexicans", "Mexico City"),
    "canada": ("Canadians", "Ottawa", "渥太华", "纽芬兰"),  # 纽芬兰: not Finland (芬兰)
    "uk": ("Northern Ireland", "Northern Irish", "Belfast", "北爱尔兰", "贝尔法斯特"),
    "brazil": ("Brasilia", "Brasília", "Sao Paulo", "São Paulo", "巴西利亚"),
    "israel": ("Israelis", "Tel Aviv", "特拉维夫"),
    # One key for the Palestinian territories: Gaza reports name "Palestinians" in one language
    # and 加沙 in the other; a separate id would make them conflict. 加萨: Taiwan's 加沙.
    "gaza": ("加萨", "Palestine", "Palestinian", "Palestinians", "West Bank", "Ramallah",
             "巴勒斯坦", "约旦河西岸", "拉姆安拉"),
    "philippines": ("Filipino", "Filipinos", "菲国"),
    "indonesia": ("Indonesians", "Jakarta", "雅加达"),
    "vietnam": ("Ho Chi Minh City", "Hanoi", "胡志明市"),
    "australia": ("Australians", "Canberra", "堪培拉"),
    "hong_kong": ("Hongkonger", "Hongkongers", "港府"),
    "colombia": ("Bogotá", "波哥大"),
    "venezuela": ("加拉加斯",),
    "argentina": ("布宜诺斯艾利斯",),
    "ecuador": ("Quito", "厄瓜多"),
    "italy": ("义大利",),
    "papua_new_guinea": ("Papua New Guinean", "New Guinea", "Port Moresby", "巴布亚纽几内亚",
                         "新几内亚", "莫尔兹比港"),
    "vanuatu": ("万那杜",),
    "singapore": ("Singaporean",),
    "saudi_arabia": ("Saudis", "Jeddah", "沙乌地", "吉达"),
    "south_africa": ("Pretoria", "Cape Town", "比勒陀利亚", "开普敦"),
    "nigeria": ("Niger Delta", "Benin City", "拉各斯", "奈及利亚"),
    "kenya": ("肯亚",),
    "ethiopia": ("亚的斯亚贝巴", "衣索比亚"),
    "yemen": ("Sanaa", "萨那", "叶门"),
    "kazakhstan": ("Kazakh", "Kazakhstani"),
    # --- Asia and the Middle East.
    "jordan": ("Jordanian", "Jordanians", "Amman", "约旦", "安曼"),
    "kuwait": ("Kuwait", "Kuwaiti", "Kuwaitis", "科威特"),
    "qatar": ("Qatar", "Qatari", "Doha", "卡塔尔", "多哈", "卡达"),
    "bahrain": ("Bahrain", "Bahraini", "Manama", "巴林", "麦纳麦"),
    "oman": ("Oman", "Omani", "Muscat", "阿曼", "马斯喀特"),
    "uae": ("United Arab Emirates", "UAE", "Emirati", "Emiratis", "Abu Dhabi", "Dubai",
            "阿联酋", "阿拉伯联合酋长国", "阿拉伯联合大公国", "阿布扎比", "迪拜", "杜拜"),
    "cyprus": ("Cyprus", "Cypriot", "Nicosia", "塞浦路斯", "尼科西亚", "赛普勒斯"),
    "armenia": ("Armenia", "Armenian", "Yerevan", "亚美尼亚", "埃里温"),
    "azerbaijan": ("Azerbaijan", "Azerbaijani", "Azeri", "Baku", "阿塞拜疆", "巴库", "亚塞拜然"),
    "georgia": ("Georgian", "Tbilisi", "格鲁吉亚", "第比利斯"),
    "kyrgyzstan": ("Kyrgyzstan", "Kyrgyz", "Bishkek", "吉尔吉斯斯坦", "吉尔吉斯", "比什凯克"),
    "tajikistan": ("Tajikistan", "Tajik", "Dushanbe", "塔吉克斯坦", "杜尚别"),
    "turkmenistan": ("Turkmenistan", "Turkmen", "Ashgabat", "土库曼斯坦", "土库曼", "阿什哈巴德"),
    "uzbekistan": ("Uzbekistan", "Uzbek", "Tashkent", "乌兹别克斯坦", "乌兹别克", "塔什干"),
    "mongolia": ("Mongolia", "Ulaanbaatar", "Ulan Bator", "蒙古国", "乌兰巴托"),
    "bhutan": ("Bhutan", "Bhutanese", "Thimphu", "不丹", "廷布"),
    "maldives": ("Maldives", "Maldivian", "马尔代夫", "马尔地夫"),
    "cambodia": ("Cambodia", "Cambodian", "Phnom Penh", "柬埔寨"),
    "laos": ("Laos", "Laotian", "老挝", "寮国"),
    "brunei": ("Brunei", "Bruneian", "Bandar Seri Begawan", "文莱", "汶莱", "文莱苏丹",
               "汶莱苏丹"),
    "timor_leste": ("Timor-Leste", "East Timor", "East Timorese", "Dili", "东帝汶", "帝力"),
    "macau": ("Macau", "Macao", "Macanese", "澳门"),
    # --- Europe.
    "ireland": ("Ireland", "Irish", "Dublin", "爱尔兰", "都柏林"),
    "belgium": ("Belgium", "Belgian", "比利时"),
    "luxembourg": ("Luxembourg", "卢森堡"),
    "austria": ("Austria", "Austrian", "Vienna", "奥地利", "维也纳"),
    "denmark": ("Denmark", "Danish", "Copenhagen", "丹麦", "哥本哈根"),
    "finland": ("Finland", "Finnish", "Helsinki", "芬兰", "赫尔辛基"),
    "estonia": ("Estonia", "Estonian", "Tallinn", "爱沙尼亚", "塔林"),
    "latvia": ("Latvia", "Latvian", "Riga", "拉脱维亚"),
    "lithuania": ("Lithuania", "Lithuanian", "Vilnius", "立陶宛", "维尔纽斯"),
    "poland": ("Poland", "Polish", "Warsaw", "波兰", "华沙"),
    "czechia": ("Czech Republic", "Czechia", "Czech", "Prague", "捷克", "布拉格"),
    "slovakia": ("Slovakia", "Slovak", "Bratislava", "斯洛伐克", "布拉迪斯拉发"),
    "hungary": ("Hungary", "Hungarian", "Budapest", "匈牙利", "布达佩斯"),
    "slovenia": ("Slovenia", "Slovenian", "Slovene", "Ljubljana", "斯洛文尼亚", "卢布尔雅那",
                 "斯洛维尼亚", "马里博尔"),
    "croatia": ("Croatia", "Croatian", "Zagreb", "克罗地亚", "萨格勒布", "克罗埃西亚"),
    "bosnia": ("Bosnia and Herzegovina", "Bosnia", "Bosnian", "Sarajevo", "波黑",
               "波斯尼亚和黑塞哥维那", "波斯尼亚", "萨拉热窝", "波士尼亚"),
    "serbia": ("Serbia", "Serbian", "Belgrade", "塞尔维亚", "贝尔格莱德"),
    "montenegro": ("Montenegro", "Montenegrin", "Podgorica", "黑山共和国", "波德戈里察",
                   "蒙特内哥罗"),
    "kosovo": ("Kosovo", "Kosovar", "Pristina", "科索沃", "普里什蒂纳"),
    "north_macedonia": ("North Macedonia", "North Macedonian", "Skopje", "北马其顿", "斯科普里"),
    "albania": ("Albania", "Albanian", "Tirana", "阿尔巴尼亚", "地拉那"),
    "bulgaria": ("Bulgaria", "Bulgarian", "保加利亚"),
    "romania": ("Romania", "Romanian", "Bucharest", "罗马尼亚", "布加勒斯特"),
    "moldova": ("Moldova", "Moldovan", "Chisinau", "Chișinău", "摩尔多瓦", "基希讷乌"),
    "belarus": ("Belarus", "Belarusian", "Minsk", "白俄罗斯", "明斯克"),
    "malta": ("Malta", "Maltese", "Valletta", "马耳他", "马尔他"),
    "andorra": ("Andorra", "安道尔"),
    "monaco": ("Monaco", "摩纳哥"),
    "san_marino": ("San Marino", "圣马力诺", "圣马利诺"),
    "liechtenstein": ("Liechtenstein", "列支敦士登", "列支敦斯登"),
    "vatican": ("Vatican", "Holy See", "梵蒂冈", "教廷"),
    "greenland": ("Greenland", "Greenlandic", "Nuuk", "格陵兰"),
    # --- Africa.
    "algeria": ("Algeria", "Algerian", "Algiers", "阿尔及利亚", "阿尔及尔"),
    "tunisia": ("Tunisia", "Tunisian", "Tunis", "突尼斯", "突尼西亚"),
    "sudan": ("Sudan", "Sudanese", "Khartoum", "Darfur", "苏丹", "喀土穆", "达尔富尔"),
    "south_sudan": ("South Sudan", "South Sudanese", "Juba", "南苏丹", "朱巴"),
    "chad": ("Chadian", "N'Djamena", "乍得", "恩贾梅纳"),
    "niger": ("Niger", "Nigerien", "Niamey", "尼日尔", "尼亚美", "尼日"),
    "mali": ("Mali", "Malian", "Bamako", "马里", "巴马科"),
    "burkina_faso": ("Burkina Faso", "Burkinabe", "Ouagadougou", "布基纳法索", "瓦加杜古",
                     "布吉纳法索"),
    "mauritania": ("Mauritania", "Mauritanian", "Nouakchott", "毛里塔尼亚", "努瓦克肖特",
                   "茅利塔尼亚"),
    "senegal": ("Senegal", "Senegalese", "Dakar", "塞内加尔", "达喀尔"),
    "gambia": ("Gambia", "Gambian", "Banjul", "冈比亚", "甘比亚"),
    "guinea_bissau": ("Guinea-Bissau", "Bissau", "几内亚比绍", "几内亚比索"),
    "guinea": ("Guinea", "Guinean", "Conakry", "几内亚", "科纳克里"),
    "sierra_leone": ("Sierra Leone", "Sierra Leonean", "Freetown", "塞拉利昂", "弗里敦"),
    "liberia": ("Liberia", "Liberian", "Monrovia", "利比里亚", "蒙罗维亚", "赖比瑞亚"),
    "ivory_coast": ("Ivory Coast", "Côte d'Ivoire", "Côte d’Ivoire", "Cote d'Ivoire",
                    "Cote d’Ivoire", "Ivorian", "Abidjan", "科特迪瓦", "象牙海岸", "阿比让"),
    "ghana": ("Ghana", "Ghanaian", "Accra", "加纳", "阿克拉", "迦纳"),
    "togo": ("Togo", "Togolese", "Lome", "Lomé", "多哥共和国", "洛美"),
    "benin": ("Benin", "Beninese", "Cotonou", "Porto-Novo", "贝宁", "科托努", "贝南"),
    "cameroon": ("Cameroon", "Cameroonian", "Yaounde", "Yaoundé", "喀麦隆", "雅温得"),
    "central_african_republic": ("Central African Republic", "Bangui", "中非共和国", "班吉"),
    "equatorial_guinea": ("Equatorial Guinea", "Equatoguinean", "Malabo", "赤道几内亚",
                          "马拉博"),
    "gabon": ("Gabon", "Gabonese", "Libreville", "加蓬", "利伯维尔", "加彭"),
    "congo_republic": ("Republic of the Congo", "Republic of Congo", "Congo-Brazzaville",
                       "Brazzaville", "刚果（布）", "刚果(布)", "刚果布", "刚果共和国",
                       "布拉柴维尔"),
    "dr_congo": ("Democratic Republic of the Congo", "Democratic Republic of Congo", "DR Congo",
                 "DRC", "Congo-Kinshasa", "Congo", "Congolese", "Kinshasa", "Goma",
                 "刚果民主共和国", "刚果（金）", "刚果(金)", "刚果金", "民主刚果", "刚果", "金沙萨",
                 "戈马"),
    "angola": ("Angola", "Angolan", "Luanda", "安哥拉", "罗安达"),
    "zambia": ("Zambia", "Zambian", "Lusaka", "赞比亚", "卢萨卡", "尚比亚"),
    "zimbabwe": ("Zimbabwe", "Zimbabwean", "Harare", "津巴布韦", "哈拉雷", "辛巴威"),
    "malawi": ("Malawi", "Malawian", "Lilongwe", "马拉维", "利隆圭", "马拉威"),
    "mozambique": ("Mozambique", "Mozambican", "Maputo", "莫桑比克", "马普托", "莫三比克"),
    "tanzania": ("Tanzania", "Tanzanian", "Dodoma", "Dar es Salaam", "坦桑尼亚", "多多马",
                 "达累斯萨拉姆", "坦尚尼亚"),
    "uganda": ("Uganda", "Ugandan", "Kampala", "乌干达", "坎帕拉"),
    "rwanda": ("Rwanda", "Rwandan", "Kigali", "卢旺达", "基加利", "卢安达"),
    "burundi": ("Burundi", "Burundian", "Gitega", "Bujumbura", "布隆迪", "布琼布拉", "蒲隆地"),
    "somalia": ("Somalia", "Somali", "Somalis", "Mogadishu", "索马里", "摩加迪沙", "索马利亚"),
    "somaliland": ("Somaliland", "Hargeisa", "索马里兰", "哈尔格萨"),
    "djibouti": ("Djibouti", "Djiboutian", "吉布提", "吉布地"),
    "eritrea": ("Eritrea", "Eritrean", "Asmara", "厄立特里亚", "阿斯马拉", "厄利垂亚"),
    "namibia": ("Namibia", "Namibian", "Windhoek", "纳米比亚", "温得和克"),
    "botswana": ("Botswana", "Gaborone", "博茨瓦纳", "哈博罗内", "波札那"),
    "lesotho": ("Lesotho", "Maseru", "莱索托", "马塞卢", "赖索托"),
    "eswatini": ("Eswatini", "Swaziland", "Swazi", "Mbabane", "埃斯瓦蒂尼", "斯威士兰",
                 "史瓦帝尼", "史瓦济兰"),
    "madagascar": ("Madagascar", "Malagasy", "Antananarivo", "马达加斯加", "塔那那利佛"),
    "mauritius": ("Mauritius", "Mauritian", "Port Louis", "毛里求斯", "路易港", "模里西斯"),
    "seychelles": ("Seychelles", "Seychellois", "塞舌尔", "塞席尔"),
    "comoros": ("Comoros", "Comorian", "科摩罗", "葛摩"),
    "cabo_verde": ("Cabo Verde", "Cape Verde", "Cape Verdean", "佛得角", "维德角"),
    "sao_tome": ("São Tomé and Príncipe", "Sao Tome and Principe", "São Tomé", "Sao Tome",
                 "圣多美和普林西比", "圣多美普林西比"),
    "western_sahara": ("Western Sahara", "Sahrawi", "西撒哈拉"),
    # --- The Americas.
    "guatemala": ("Guatemala", "Guatemalan", "危地马拉", "瓜地马拉"),
    "belize": ("Belize", "Belizean", "Belmopan", "伯利兹", "贝里斯"),
    "honduras": ("Honduras", "Honduran", "Tegucigalpa", "洪都拉斯", "特古西加尔巴", "宏都拉斯"),
    "el_salvador": ("El Salvador", "Salvadoran", "San Salvador", "萨尔瓦多"),
    "nicaragua": ("Nicaragua", "Nicaraguan", "Managua", "尼加拉瓜", "马那瓜"),
    "costa_rica": ("Costa Rica", "Costa Rican", "哥斯达黎加", "哥斯大黎加"),
    "panama": ("Panama", "Panamanian", "巴拿马"),
    "haiti": ("Haiti", "Haitian", "Haitians", "Port-au-Prince", "太子港", "海地共和国", "海地总统",
              "海地总理", "海地政府", "海地首都", "海地帮派", "海地发生", "海地地震", "海地局势"),
    "dominican_republic": ("Dominican Republic", "Dominican", "Santo Domingo", "多米尼加",
                           "圣多明各", "多明尼加"),
    "dominica": ("Dominica", "多米尼克国", "多米尼加联邦"),
    "jamaica": ("Jamaica", "Jamaican", "牙买加"),
    "bahamas": ("Bahamas", "Bahamian", "巴哈马"),
    "barbados": ("Barbados", "Barbadian", "Bridgetown", "巴巴多斯", "巴贝多"),
    "trinidad_and_tobago": ("Trinidad and Tobago", "Trinidad", "Trinidadian", "Port of Spain",
                            "特立尼达和多巴哥", "千里达"),
    "grenada": ("Grenada", "Grenadian", "格林纳达", "格瑞那达"),
    "saint_lucia": ("Saint Lucia", "St Lucia", "St. Lucia", "圣卢西亚", "圣露西亚"),
    "saint_vincent": ("Saint Vincent and the Grenadines", "St Vincent", "St. Vincent",
                      "圣文森特和格林纳丁斯", "圣文森"),
    "saint_kitts": ("Saint Kitts and Nevis", "St Kitts", "St. Kitts", "圣基茨和尼维斯",
                    "圣克里斯多福"),
    "antigua": ("Antigua and Barbuda", "Antigua", "安提瓜和巴布达", "安地卡"),
    "guyana": ("Guyana", "Guyanese", "圭亚那", "盖亚那"),
    "suriname": ("Suriname", "Surinamese", "Paramaribo", "苏里南", "苏利南", "帕拉马里博"),
    "bolivia": ("Bolivia", "Bolivian", "玻利维亚"),
    "paraguay": ("Paraguay", "Paraguayan", "Asuncion", "Asunción", "巴拉圭", "亚松森"),
    "uruguay": ("Uruguay", "Uruguayan", "Montevideo", "乌拉圭", "蒙得维的亚"),
    "puerto_rico": ("Puerto Rico", "Puerto Rican", "波多黎各"),
    # --- Oceania.
    "fiji": ("Fiji", "Fijian", "Suva", "斐济"),
    "samoa": ("Samoa", "Samoan", "Apia", "萨摩亚"),
    "american_samoa": ("American Samoa", "美属萨摩亚"),
    "solomon_islands": ("Solomon Islands", "Honiara", "所罗门群岛", "霍尼亚拉", "索罗门群岛"),
    "kiribati": ("Kiribati", "基里巴斯", "吉里巴斯"),
    "tuvalu": ("Tuvalu", "Tuvaluan", "图瓦卢", "吐瓦鲁"),
    "nauru": ("Nauru", "Nauruan", "瑙鲁", "诺鲁"),
    "palau": ("Palau", "Palauan", "帕劳", "帛琉"),
    "marshall_islands": ("Marshall Islands", "Marshallese", "马绍尔群岛"),
    "micronesia": ("Federated States of Micronesia", "Micronesia", "密克罗尼西亚"),
    "guam": ("Guam", "关岛"),
    "northern_mariana_islands": ("Northern Mariana Islands", "Saipan", "北马里亚纳",
                                 "马里亚纳", "塞班"),
    "new_caledonia": ("New Caledonia", "Noumea", "Nouméa", "新喀里多尼亚", "努美阿"),
    "french_polynesia": ("French Polynesia", "Tahiti", "法属波利尼西亚", "塔希提", "大溪地"),
    # --- Other territories in the news.
    "bermuda": ("Bermuda", "百慕大"),
    "cayman_islands": ("Cayman Islands", "开曼群岛"),
    "gibraltar": ("Gibraltar", "直布罗陀"),
    "falklands": ("Falkland Islands", "Falklands", "Malvinas", "福克兰群岛", "马尔维纳斯群岛"),
}
# fmt: on
