"""The demo's casebook: what a year of cases in the district is made of.

How many cases of each category a year brings and in which season, from which channels,
which a grid worker settles on the spot, which go to an outside agency, and the words residents
and staff write. ``wangge.cases.history`` plays a year of cases from it.
"""

from wangge.cases.choices import Channel, Rating

# --- What arrives: categories by weight and season ------------------------------------------

# Share of a year's cases per category (leaf code), before the season.
CATEGORY_WEIGHTS = {
    "MS01": 4.0,
    "MS02": 5.0,
    "MS03": 3.0,
    "MS04": 1.0,
    "MS05": 9.0,
    "MD01": 7.0,
    "MD02": 4.0,
    "MD03": 5.0,
    "MD04": 4.0,
    "MD05": 4.5,
    "AQ01": 2.5,
    "AQ02": 3.0,
    "AQ03": 1.0,
    "AQ04": 1.2,
    "AQ05": 1.5,
    "JZ01": 0.5,
    "JZ02": 1.0,
    "SW01": 1.2,
    "SW02": 0.8,
    "BM01": 3.0,
    "BM02": 0.7,
    "BM03": 2.5,
    "BJ01": 3.0,
    "BJ02": 2.0,
    "BJ03": 4.0,
    "BJ04": 2.0,
    "BJ05": 0.8,
    "BJ06": 1.0,
    "SJ01": 6.0,
    "SJ02": 3.0,
    "SJ03": 3.0,
    "SJ04": 1.5,
    "SJ05": 0.25,
    "SJ06": 2.5,
    # Added with the category tree 2026.2: lifts, public order, the environment, objects
    # falling from height, wasp nests, missing people — and praise, which is no problem.
    "DT01": 2.0,
    "DT02": 0.6,
    "DT03": 0.3,
    "ZA01": 1.0,
    "ZA02": 0.2,
    "ZA03": 0.15,
    "HJ01": 1.0,
    "HJ02": 0.4,
    "HJ03": 0.4,
    "HJ04": 0.8,
    "AQ06": 0.5,
    "AQ07": 0.5,
    "AQ08": 0.4,
    "XR01": 0.25,
    "XR02": 0.1,
    "XR03": 0.05,
    "BY01": 1.0,
    "BY02": 0.4,
}
# Month → factor, for the categories that follow the seasons (others: 1).
SEASONS = {
    # Heating runs 15 Nov – 15 Mar in Zhengzhou; October brings the pre-season checks.
    "MS01": {10: 0.3, 11: 3.0, 12: 5.0, 1: 4.5, 2: 3.0, 3: 1.2, "other": 0.03},
    "AQ04": {12: 3.0, 1: 3.5, 2: 2.0, 7: 1.0, 8: 1.0, "other": 0.2},  # snow; summer storms
    "MS03": {6: 1.6, 7: 2.0, 8: 2.0},
    "MS02": {1: 1.3, 7: 1.4, 8: 1.4},
    "MD01": {5: 1.3, 6: 1.5, 7: 1.6, 8: 1.6, 9: 1.3, 1: 0.8, 2: 0.7},
    "JZ01": {12: 2.0, 1: 2.5, 2: 1.5, "other": 0.6},
    "BM02": {12: 1.5, 1: 2.0, 2: 1.5, "other": 0.6},
    "AQ03": {7: 2.0, 8: 2.0},
    "BJ04": {4: 1.5, 5: 1.5, 6: 1.4, 7: 1.3, 12: 0.5, 1: 0.4, 2: 0.5},
    "SJ01": {6: 1.3, 7: 1.3, 8: 1.3, 2: 1.2},  # summer heat, and the Spring Festival
    "AQ02": {12: 1.2, 1: 1.2, 6: 1.2, 7: 1.3},
    "AQ08": {6: 2.0, 7: 3.0, 8: 3.5, 9: 2.5, 10: 1.0, "other": 0.1},  # wasps: summer, autumn
    "HJ01": {5: 1.3, 6: 1.6, 7: 1.8, 8: 1.8, 9: 1.3},  # night markets and barbecues
    "HJ02": {6: 1.5, 7: 1.8, 8: 1.8},  # summer rain washes rubbish into the river
    "HJ03": {10: 1.5, 11: 2.0, 12: 1.5, 1: 1.3, 3: 1.5, 4: 1.3, "other": 0.6},  # leaves, Qingming
    "HJ04": {3: 1.8, 4: 1.8, 5: 1.3, 12: 0.6, 1: 0.6},  # spring winds
    "DT01": {7: 1.3, 8: 1.3},
    "ZA01": {6: 1.3, 7: 1.4, 8: 1.4},
    "XR01": {1: 1.2, 2: 1.5},  # the Spring Festival's crowds
    # Praise comes with the year's end, the Spring Festival and 学雷锋 month (March).
    "BY01": {12: 1.5, 1: 2.5, 2: 2.0, "other": 0.7},
    "BY02": {1: 1.5, 2: 1.5, 3: 2.0, "other": 0.7},
}
# Cases a day, relative: the cold months and the summer are busier; workdays more than rest.
MONTH_VOLUME = {1: 1.1, 2: 0.85, 3: 0.95, 4: 0.95, 5: 1.0, 6: 1.05, 7: 1.15, 8: 1.1, 9: 0.95}
MONTH_VOLUME.update({10: 0.9, 11: 1.0, 12: 1.15})
REST_DAY_VOLUME = 0.6

RESIDENT_MIX = {
    Channel.GROUP_CHAT: 28,
    Channel.PHONE: 20,
    Channel.WALK_IN: 8,
    Channel.HOTLINE: 16,
    Channel.WEB: 8,
    Channel.PATROL: 12,
    Channel.HOME_VISIT: 8,
}
STREET_MIX = {
    Channel.PATROL: 55,
    Channel.GROUP_CHAT: 12,
    Channel.PHONE: 8,
    Channel.HOTLINE: 12,
    Channel.WEB: 10,
    Channel.WALK_IN: 1,
    Channel.HOME_VISIT: 2,
}
HAZARD_MIX = {
    Channel.PATROL: 45,
    Channel.HOME_VISIT: 15,
    Channel.GROUP_CHAT: 12,
    Channel.PHONE: 10,
    Channel.HOTLINE: 10,
    Channel.WEB: 8,
}
CHANNELS = {
    "MS01": {Channel.PHONE: 30, Channel.HOTLINE: 30, Channel.GROUP_CHAT: 30, Channel.WALK_IN: 10},
    "JZ01": {Channel.PATROL: 70, Channel.PHONE: 15, Channel.HOTLINE: 10, Channel.GROUP_CHAT: 5},
    "JZ02": {
        Channel.HOME_VISIT: 50,
        Channel.WALK_IN: 25,
        Channel.PHONE: 15,
        Channel.GROUP_CHAT: 10,
    },
    "SW01": {Channel.WALK_IN: 40, Channel.PATROL: 40, Channel.GROUP_CHAT: 20},
    "SW02": {Channel.WALK_IN: 30, Channel.GROUP_CHAT: 50, Channel.PHONE: 20},
    "BM01": {
        Channel.HOME_VISIT: 45,
        Channel.PHONE: 25,
        Channel.WALK_IN: 20,
        Channel.GROUP_CHAT: 10,
    },
    "BM02": {Channel.PATROL: 70, Channel.PHONE: 30},
    "BM03": {Channel.WALK_IN: 35, Channel.PHONE: 30, Channel.GROUP_CHAT: 20, Channel.WEB: 15},
    "DT01": {Channel.PHONE: 35, Channel.GROUP_CHAT: 35, Channel.HOTLINE: 20, Channel.WEB: 10},
    "ZA01": {Channel.WALK_IN: 30, Channel.PHONE: 30, Channel.GROUP_CHAT: 20, Channel.HOTLINE: 20},
    "ZA02": {Channel.PHONE: 40, Channel.HOTLINE: 30, Channel.WEB: 30},
    "ZA03": {Channel.WALK_IN: 40, Channel.HOME_VISIT: 35, Channel.PHONE: 25},
    "HJ01": {Channel.GROUP_CHAT: 30, Channel.PHONE: 25, Channel.HOTLINE: 25, Channel.PATROL: 20},
    "XR01": {Channel.PHONE: 50, Channel.WALK_IN: 25, Channel.GROUP_CHAT: 25},
    "XR02": {Channel.PHONE: 60, Channel.GROUP_CHAT: 40},
    "XR03": {Channel.PHONE: 60, Channel.WALK_IN: 40},
    "BY01": {
        Channel.GROUP_CHAT: 35,
        Channel.WALK_IN: 25,
        Channel.PHONE: 15,
        Channel.HOTLINE: 15,
        Channel.WEB: 10,
    },
    "BY02": {Channel.GROUP_CHAT: 50, Channel.WALK_IN: 30, Channel.WEB: 20},
}
# Field findings a grid worker may settle on the spot (即办), with the chance that they do.
ON_THE_SPOT = {
    "SJ01": 0.5,
    "SJ02": 0.6,
    "SJ03": 0.7,
    "SJ06": 0.6,
    "BJ03": 0.3,
    "BJ04": 0.1,
    "AQ01": 0.5,
    "AQ02": 0.5,
    "AQ04": 0.3,
    "MD04": 0.3,
    "BM02": 1.0,
    "SW01": 1.0,
    "JZ01": 1.0,
    "HJ03": 0.4,
}
# Outside agencies (names as the category fixture seeds them) and how often each category
# is handed to one.
AGENCY_FOR = {
    "MS01": ("郑州热力公司中原分公司", 0.15),
    "MS02": ("郑州水务集团中原营业所", 0.12),
    "MS03": ("国网郑州供电公司中原区", 0.15),
    "MS04": ("郑州水务集团中原营业所", 0.0),
    "JZ01": ("郑州市救助管理站", 0.4),
    "SJ04": ("中原区城市管理局", 0.2),
    "SJ06": ("中原区城市管理局", 0.1),
    "BJ02": ("中原区城市管理局", 0.08),
    "AQ01": ("中原区消防救援大队", 0.05),
    "DT01": ("中原区市场监督管理局（特种设备）", 0.08),
    "DT02": ("中原区市场监督管理局（特种设备）", 0.3),
    "DT03": ("中原区住房和城乡建设局", 0.4),
    "ZA01": ("郑州市公安局中原分局（辖区派出所）", 0.9),
    "ZA02": ("郑州市公安局中原分局（辖区派出所）", 0.9),
    "ZA03": ("郑州市公安局中原分局（辖区派出所）", 0.7),
    "HJ02": ("中原区河长制办公室", 0.4),
    "AQ06": ("郑州市公安局中原分局（辖区派出所）", 0.3),
    "AQ08": ("中原区消防救援大队", 0.8),
    "XR01": ("郑州市公安局中原分局（辖区派出所）", 0.15),
}
PARKABLE = {"AQ03", "BJ05", "MD04", "MS05", "BJ04", "MD03", "BJ06", "DT03", "HJ01"}
ESCALATING = {"MD03", "MD05", "MS05", "AQ03", "BJ05", "MD04", "MS01", "DT02", "DT03", "HJ01"}

# --- How each community's year goes --------------------------------------------------------

# Per community: how often its work finishes late, and how often its residents are
# dissatisfied at the first callback, relative to the district's usual (1.0). Some communities
# are steady (a settled staff, property companies that answer), others struggle (old
# compounds without property management, staff changes), so the dashboard's ranking of
# places means something. Communities not named are usual.
COMMUNITY_FORM = {
    "410102004011": (0.6, 0.5),  # 秦江社区
    "410102001006": (1.3, 1.2),  # 农业银行社区: old compounds, heating trouble
    "410102001012": (1.7, 1.6),  # 中原中路一社区: compounds without property management
    "410102002008": (0.8, 0.7),  # 一中社区
    "410102007005": (1.1, 1.3),  # 开元社区
    "410102010003": (0.9, 0.8),  # 绿都社区
    "410102010007": (1.0, 1.8),  # 万达社区: shops and a plaza, demanding callers
    "410102009004": (0.7, 0.6),  # 观澜社区: mediators who follow up
    "410102005009": (1.9, 1.5),  # 城开社区
    "410102005014": (1.2, 0.9),  # 电厂南路社区
    "410102006002": (1.4, 2.2),  # 河南纺机社区
    "410102006010": (1.5, 1.1),  # 平安街社区
}
# The first callback: satisfied, fairly satisfied, dissatisfied (the case is reopened and
# worked again), not reached (未接通: closed without a rating). The dissatisfied weight is
# the community's factor times this.
FIRST_CALLBACK = {Rating.SATISFIED: 80, Rating.FAIRLY: 8, Rating.DISSATISFIED: 7, "": 6}
# The callback after a reopened case was worked again: satisfied, fairly satisfied, still
# dissatisfied ("still": closed keeping the resident's 不满意), not reached (closed, the
# 不满意 stands).
SECOND_CALLBACK = {Rating.SATISFIED: 45, Rating.FAIRLY: 25, "still": 20, "": 10}

# --- What the cases say ---------------------------------------------------------------------

# Per category: (title, description) pairs and what the handler writes on finishing.
TEXTS: dict[str, tuple[list[tuple[str, str]], list[str]]] = {
    "MS01": (
        [
            (
                "{place}{room}室暖气不热",
                "{place}{unit}单元{room}室暖气片不热，室温只有{temp}度，家里有老人。",
            ),
            ("{place}暖气管道漏水", "{place}{unit}单元楼道暖气管道接口漏水，地面结冰，容易滑倒。"),
            ("{place}多户暖气温度低", "{place}多户反映暖气温度偏低，室温不到16度。"),
        ],
        [
            "联系热力公司上门排气、清洗过滤网，室温恢复到20度左右。",
            "协调热力公司维修漏点，管道恢复正常。",
            "入户测温室温达标，向住户解释了供热调节情况。",
        ],
    ),
    "MS02": (
        [
            ("{place}停水未通知", "{place}从早上开始停水，没有看到停水通知，生活不便。"),
            ("{place}水压低", "{place}高层住户水压低，{floor}楼以上经常没水。"),
            ("{road}路边水管破裂", "{road}人行道下水管破裂，水流到路面上。"),
        ],
        [
            "联系水务公司查明系管网检修停水，已在网格群发布通知，当晚恢复供水。",
            "协调物业检修二次供水加压泵，水压恢复正常。",
            "水务公司抢修完毕，路面已清理。",
        ],
    ),
    "MS03": (
        [
            ("{place}楼道灯不亮", "{place}{unit}单元楼道灯坏了好几天，老人晚上上下楼不方便。"),
            ("{place}频繁跳闸停电", "{place}最近经常停电跳闸，天热空调没法用。"),
        ],
        ["协调物业更换楼道声控灯。", "联系供电公司检修线路，更换老化开关，供电恢复稳定。"],
    ),
    "MS04": (
        [
            ("{place}楼道有燃气味", "{place}{unit}单元楼道内有燃气味，担心泄漏。"),
            ("{place}燃气表故障", "{place}{room}室燃气表不走字，无法充值。"),
        ],
        ["燃气公司抢修人员到场检测，更换老化胶管，已无泄漏。", "联系燃气公司更换燃气表。"],
    ),
    "MS05": (
        [
            ("{compound}垃圾清运不及时", "{compound}垃圾桶满了好几天没人清运，气味很大。"),
            ("{place}单元门禁损坏", "{place}{unit}单元门禁坏了，陌生人随便进出。"),
            ("{compound}物业费收支不公开", "居民反映{compound}物业费收支不公开，要求公示。"),
        ],
        [
            "督促物业增加清运频次，垃圾已清理。",
            "物业已更换门禁设备。",
            "组织物业召开居民说明会，公示物业费收支情况。",
        ],
    ),
    "MD01": (
        [
            ("{place}楼上装修噪音", "{place}{room}室楼上装修，中午和晚上也施工，影响休息。"),
            (
                "{compound}广场舞音响声音太大",
                "{compound}广场晚上跳广场舞，音响声音太大，一直到九点多。",
            ),
            ("{place}夜间噪音扰民", "{place}楼上住户夜里拖动家具、走路声音很大。"),
        ],
        [
            "与装修户沟通，约定施工时间，避开午休和晚间。",
            "与广场舞队负责人协商，降低音量，九点前结束。",
            "上门调解，双方达成谅解，楼上住户铺了地垫。",
        ],
    ),
    "MD02": (
        [
            ("{place}邻居家狗叫扰民", "{place}邻居家养的狗白天晚上都叫，影响休息。"),
            ("{compound}遛狗不拴绳", "{compound}有居民遛狗不拴绳，小孩被吓到。"),
            ("{place}楼道宠物粪便", "{place}{unit}单元楼道经常有宠物粪便。"),
        ],
        ["上门宣传文明养犬规定，犬主表示会加强管理。", "在小区张贴文明养犬提示，约谈相关犬主。"],
    ),
    "MD03": (
        [
            ("{place}楼上漏水", "{place}{room}室卫生间屋顶渗水，楼上住户不在家，联系不上。"),
            ("{place}外墙渗水", "{place}下雨后外墙渗水，墙皮脱落。"),
        ],
        ["联系楼上住户检查防水层并维修，渗水已停止。", "协调物业动用维修资金修补外墙。"],
    ),
    "MD04": (
        [
            ("{compound}车辆堵住单元门", "{compound}有车辆长期停在{unit}单元门口，影响出行。"),
            ("{compound}固定车位被占", "{place}住户的固定车位经常被外来车辆占用。"),
        ],
        ["联系车主挪车，在单元门口设置禁停标识。", "协调物业加强门岗管理，外来车辆登记进出。"],
    ),
    "MD05": (
        [
            ("{place}楼道堆放杂物引发纠纷", "{place}楼道被邻居堆放杂物，双方多次争吵。"),
            ("{place}邻里因装修产生矛盾", "{place}两户邻居因装修损坏墙面产生矛盾，要求调解。"),
        ],
        [
            "调解员和网格员上门调解，双方达成一致，杂物已清理。",
            "组织双方协商，达成赔偿协议，矛盾化解。",
        ],
    ),
    "AQ01": (
        [
            ("{compound}消防通道被占用", "{compound}消防通道停满车辆，消防车无法通行。"),
            ("{place}楼道堆放杂物", "{place}{unit}单元楼道堆放纸箱、旧家具，存在消防隐患。"),
        ],
        ["通知车主挪车，协调物业施划禁停标线。", "督促住户清理楼道杂物，已清理完毕。"],
    ),
    "AQ02": (
        [
            ("{place}飞线充电", "{place}{floor}楼有住户从窗户拉电线给电动车充电。"),
            ("{place}电动车楼道充电", "{place}{unit}单元有电动车在楼道内充电。"),
        ],
        [
            "上门劝导车主收回电线，告知小区集中充电桩位置。",
            "电动车已移出楼道，住户承诺到充电桩充电。",
        ],
    ),
    "AQ03": (
        [
            ("{place}墙体裂缝", "{place}外墙出现裂缝，居民担心房屋安全。"),
            ("{place}楼顶防水层破损", "{place}楼顶防水层老化，下雨漏水。"),
        ],
        ["请专业机构检测，属非结构性裂缝，已修补并持续观察。", "纳入维修计划，楼顶防水已维修。"],
    ),
    "AQ04": (
        [
            ("{compound}树枝被积雪压弯", "{compound}内树枝被积雪压弯，下面是人行道和停车位。"),
            ("{place}单元门口积雪结冰", "{place}单元门口积雪结冰，老人容易滑倒。"),
            ("{compound}车棚顶积雪", "{compound}自行车棚顶积雪较厚，担心压塌。"),
        ],
        [
            "组织网格员和志愿者清除积雪，撒了融雪剂。",
            "联系园林部门修剪被压弯的树枝。",
            "已清理车棚顶和屋檐积雪。",
        ],
    ),
    "AQ05": (
        [
            ("{place}电表箱线路老化", "{place}{unit}单元电表箱线路老化，有焦糊味。"),
            ("{place}私拉电线", "{place}一楼商户私拉电线，存在安全隐患。"),
        ],
        ["联系供电公司更换老化线路。", "督促商户拆除私拉电线。"],
    ),
    "JZ01": (
        [
            ("{road}发现流浪人员", "{road}公交站附近有一名流浪人员露宿，天气寒冷。"),
            ("{road}有人乞讨", "{road}地铁口附近有人乞讨。"),
        ],
        ["劝导其接受救助，本人表示有亲属可投靠，已联系亲属接回。", "已送至救助管理站安置。"],
    ),
    "JZ02": (
        [
            ("{place}居民生活困难", "{place}{room}室家中老人生病，经济困难，希望申请救助。"),
            ("{place}独居老人需要帮助", "{place}独居老人行动不便，生活有困难。"),
        ],
        ["协助办理临时救助申请，救助金已发放。", "落实定期探访，联系志愿者结对帮扶。"],
    ),
    "SW01": (
        [
            ("{compound}门口拾到钱包", "居民在{compound}门口拾到一个钱包，交到社区。"),
            ("{road}公交站拾到手机", "在{road}公交站拾到一部手机。"),
            ("{compound}拾到电动车钥匙", "在{compound}车棚拾到一把电动车钥匙。"),
        ],
        ["失主已认领，核实身份后归还。"],
    ),
    "SW02": (
        [
            ("寻找在{compound}附近丢失的老年卡", "居民在{compound}附近丢失老年卡，请帮忙寻找。"),
            ("{place}居民寻找走失的宠物狗", "{place}居民家的宠物狗走失。"),
        ],
        ["在网格群发布寻物启事，已找到并归还。", "发布寻物信息，暂未找到，已告知居民补办。"],
    ),
    "BM01": (
        [
            ("{place}独居老人代办医保卡", "{place}{room}室独居老人行动不便，需要代办医保卡补办。"),
            ("{place}帮老人代购生活用品", "{place}高龄老人腿脚不便，请网格员帮忙代购米面油。"),
            ("{place}代办高龄津贴申请", "{place}老人年满80周岁，需要代办高龄津贴申请。"),
        ],
        [
            "网格员代办完成，已将证件送到老人家中。",
            "志愿者已代购并送货上门。",
            "高龄津贴申请已提交并审核通过。",
        ],
    ),
    "BM02": (
        [
            ("{compound}院内车辆电瓶亏电", "{compound}院内居民车辆电瓶亏电打不着火。"),
            ("{road}车辆抛锚", "{road}路边车辆抛锚，请求帮助。"),
        ],
        ["组织路人帮忙推车，车辆已启动。"],
    ),
    "BM03": (
        [
            ("咨询灵活就业人员养老保险缴费", "居民咨询灵活就业人员养老保险怎么缴费。"),
            ("建议{compound}增设休闲座椅", "居民建议在{compound}增设休闲座椅。"),
            ("咨询居住证办理", "新搬来的租户咨询居住证怎么办理。"),
        ],
        ["已电话答复居民。", "建议已转物业研究，计划增设。", "已告知办理流程和所需材料。"],
    ),
    "BJ01": (
        [
            ("{road}井盖破损", "{road}人行道井盖破损，行人容易踩空。"),
            ("{compound}健身器材损坏", "{compound}健身器材损坏，存在安全隐患。"),
            ("{road}路灯不亮", "{road}一段路灯晚上不亮。"),
        ],
        ["联系市政部门更换井盖。", "联系厂家维修健身器材。", "路灯已修复。"],
    ),
    "BJ02": (
        [
            ("{road}路面坑洼", "{road}路面出现坑洼，雨天积水。"),
            ("{road}交通标志牌倾斜", "{road}路口交通标志牌倾斜。"),
        ],
        ["市政养护单位已修补路面。", "交通标志牌已扶正加固。"],
    ),
    "BJ03": (
        [
            ("{road}垃圾桶破损", "{road}垃圾桶破损，垃圾散落。"),
            ("{compound}门口广告牌破损", "{compound}门口广告牌破损，有掉落危险。"),
        ],
        ["环卫部门已更换垃圾桶。", "已督促商户拆除破损广告牌。"],
    ),
    "BJ04": (
        [
            ("{compound}绿地被毁种菜", "{compound}绿地被居民开垦种菜。"),
            ("{road}绿化带杂草丛生", "{road}绿化带杂草丛生，长期无人修剪。"),
        ],
        ["劝导居民恢复绿地，已补种草皮。", "园林养护单位已修剪清理。"],
    ),
    "BJ05": (
        [("{compound}一楼住户违规搭建", "{place}一楼住户在院内违规搭建彩钢房。")],
        ["经劝导，住户已自行拆除违建。"],
    ),
    "BJ06": (
        [("{compound}电动车充电桩故障", "{compound}电动车充电桩无法使用。")],
        ["已联系运营商维修，充电桩恢复使用。"],
    ),
    "SJ01": (
        [
            ("{road}暴露垃圾", "{road}路边堆放生活垃圾未清运。"),
            ("{compound}建筑垃圾乱堆", "{compound}内装修建筑垃圾乱堆乱放。"),
        ],
        ["环卫工人已清运。", "督促装修户清运建筑垃圾。"],
    ),
    "SJ02": (
        [
            ("{road}路面油污", "{road}路面有大片油污。"),
            ("{road}路面散落渣土", "{road}路面散落渣土，车辆经过扬尘。"),
        ],
        ["环卫部门已冲洗路面。", "已清扫并通知城管查处渣土车。"],
    ),
    "SJ03": (
        [
            ("{place}楼道小广告", "{place}楼道墙面贴满小广告。"),
            ("{road}违规悬挂横幅", "{road}沿街商铺违规悬挂横幅。"),
        ],
        ["组织志愿者清理小广告。", "已督促商铺拆除横幅。"],
    ),
    "SJ04": (
        [
            ("{road}工地施工扬尘", "{road}工地施工扬尘大，未覆盖防尘网。"),
            ("{road}夜间施工扰民", "{road}工地夜里还在施工，噪音很大。"),
        ],
        ["督促施工单位覆盖防尘网、洒水降尘。", "施工单位已停止夜间施工。"],
    ),
    "SJ05": (
        [
            ("{road}水管爆裂路面积水", "{road}地下水管爆裂，路面大量积水。"),
            ("{place}阳台冒烟", "{place}{floor}楼阳台冒烟，疑似起火。"),
        ],
        ["联合水务、交警现场处置，已抢修完毕。", "消防到场处置，系杂物阴燃，无人员伤亡。"],
    ),
    "SJ06": (
        [
            ("{road}占道经营", "{road}流动摊贩占道经营，影响通行。"),
            ("{road}共享单车乱停", "{road}共享单车乱停乱放，堵塞人行道。"),
        ],
        ["劝导摊贩到便民市场经营。", "联系运营企业清理单车。"],
    ),
}
# The kinds the category tree 2026.2 added.
TEXTS.update(
    {
        "DT01": (
            [
                ("{place}电梯故障", "{place}电梯停运两天，物业一直没修，{floor}楼老人下不了楼。"),
                ("{place}电梯关人", "{place}{unit}单元电梯停在{floor}楼和上一层之间，里面有人。"),
                ("{place}电梯门关不上", "{place}{unit}单元电梯门反复开关，关不上，没法使用。"),
            ],
            [
                "约谈物业公司，维保单位已维修，电梯恢复运行。",
                "维保人员到场更换门机皮带，电梯恢复正常。",
                "联系物业和维保单位抢修，电梯当天恢复运行。",
            ],
        ),
        "DT02": (
            [
                ("{place}电梯运行异响", "{place}{unit}单元电梯运行时抖动、有异响，居民不敢坐。"),
                ("{place}电梯年检过期", "{place}电梯轿厢内的年检合格标志已经过期。"),
            ],
            [
                "督促维保单位全面检修，更换导靴，异响消除。",
                "物业已完成电梯定期检验，张贴新的检验合格标志。",
            ],
        ),
        "DT03": (
            [
                (
                    "{place}居民申请加装电梯",
                    "{place}{unit}单元多户老年居民希望加装电梯，咨询怎么申请、费用怎么分摊。",
                ),
            ],
            [
                "组织单元业主协商，征得业主同意，已向住建部门提交加装电梯申请。",
            ],
        ),
        "ZA01": (
            [
                ("{compound}电动车被盗", "{compound}车棚里的电动车昨晚被偷，锁被剪断。"),
                ("{place}楼下电动车电瓶被盗", "{place}楼下停放的电动车电瓶被偷。"),
            ],
            [
                "协助车主报警，调取小区监控交派出所；督促物业加强车棚巡查。",
                "派出所已立案，社区在网格群提醒居民停车上锁。",
            ],
        ),
        "ZA02": (
            [
                ("{road}棋牌室疑似赌博", "{road}一家棋牌室每天晚上人很多，疑似聚众赌博。"),
            ],
            ["已转派出所核查处理。"],
        ),
        "ZA03": (
            [
                ("{place}居民反映遭受家庭暴力", "{place}一位女士到社区反映长期遭受丈夫殴打。"),
            ],
            [
                "陪同报警，派出所出具告诫书；联系妇联提供帮助，网格员定期回访。",
            ],
        ),
        "HJ01": (
            [
                ("{road}餐馆油烟扰民", "{road}一家餐馆油烟直接往居民楼排，窗户都不敢开。"),
                ("{compound}门口烧烤油烟大", "{compound}门口烧烤摊每晚油烟很大，一直到半夜。"),
            ],
            [
                "城管执法人员到场检查，督促餐馆安装油烟净化设备并定期清洗。",
                "劝导烧烤摊入室经营，油烟扰民问题已解决。",
            ],
        ),
        "HJ02": (
            [
                ("{road}附近河道漂浮垃圾", "{road}附近河道水面漂着很多塑料袋和瓶子。"),
                ("河边有人倾倒垃圾", "{road}旁河岸有人倾倒建筑垃圾和生活垃圾。"),
            ],
            ["联系河道保洁单位打捞清理，水面已干净。", "已清运河岸垃圾，设置禁止倾倒提示牌。"],
        ),
        "HJ03": (
            [
                ("{compound}有人焚烧垃圾", "{compound}空地上有人焚烧垃圾和树叶，浓烟很大。"),
                ("{road}路边焚烧杂物", "{road}路边有人焚烧杂物，烟味呛人。"),
            ],
            ["到场扑灭明火，劝导当事人，清理灰烬。", "已制止焚烧，残余垃圾已清运。"],
        ),
        "HJ04": (
            [
                ("{road}裸土未覆盖扬尘", "{road}一块空地裸土没有覆盖，一刮风尘土飞扬。"),
                ("{road}搅拌车遗撒扬尘", "{road}搅拌车经过后路面遗撒，扬尘很大。"),
            ],
            ["督促责任单位覆盖防尘网，洒水降尘。", "联系城管查处，路面已冲洗。"],
        ),
        "AQ06": (
            [
                ("{place}高空抛物", "{place}楼上有人往下扔垃圾袋，差点砸到楼下的人。"),
                ("{place}窗户玻璃掉落", "{place}{floor}楼窗户玻璃掉下来，碎了一地。"),
            ],
            [
                "入户排查、宣传高空抛物的危害，在单元门口张贴提示，联系派出所调取监控。",
                "协调住户更换窗户，清理碎玻璃，设置警示区。",
            ],
        ),
        "AQ07": (
            [
                ("{road}店铺招牌松动", "{road}一家店铺的招牌一角松了，刮风时晃得厉害。"),
                ("{road}广告牌破损", "{road}沿街广告牌破损，铁皮翘起来了。"),
            ],
            ["督促店主加固招牌，隐患已消除。", "城管督促拆除破损广告牌。"],
        ),
        "AQ08": (
            [
                ("{place}窗外有马蜂窝", "{place}{floor}楼窗外有个马蜂窝，越来越大，孩子不敢开窗。"),
                ("{compound}树上有马蜂窝", "{compound}小花园树上有一个马蜂窝，有居民被蜇。"),
            ],
            ["联系消防救援人员摘除马蜂窝。", "消防已摘除蜂窝，提醒居民注意防范。"],
        ),
        "XR01": (
            [
                (
                    "{place}老人走失",
                    "{place}一位患有认知障碍的老人早上出门买菜后一直没回家，家属很着急。",
                ),
                ("{compound}高龄老人外出未归", "{compound}一位80多岁的老人傍晚出门散步后未归。"),
            ],
            [
                "网格员、楼栋长和志愿者分头寻找，在附近公园找到老人，已安全送回家中。",
                "协助家属报警，通过监控在地铁站附近找到老人，已送回家。",
            ],
        ),
        "XR02": (
            [("{compound}孩子走失", "{compound}一名8岁男孩放学后没有回家，家长找不到。")],
            ["发动网格群和志愿者寻找，在同学家找到孩子，已交给家长。"],
        ),
        "XR03": (
            [("{place}家属联系不上", "{place}一位居民的家属两天联系不上，请社区帮忙寻找。")],
            ["协助报警，派出所已找到本人，平安。"],
        ),
        "BY01": (
            [
                (
                    "表扬{compound}的网格员",
                    "网格员帮家里老人代办医保卡，跑前跑后特别耐心，特此表扬。",
                ),
                ("感谢社区工作人员", "暖气不热的事社区一直跟到解决，感谢社区工作人员。"),
                ("表扬网格员雪天帮忙", "下雪天网格员帮忙清扫单元门口的积雪，谢谢他们。"),
            ],
            [],
        ),
        "BY02": (
            [
                ("表扬{compound}的热心邻居", "邻居帮我把摔倒的老人送到医院，想表扬一下。"),
                ("感谢志愿者", "学雷锋志愿者上门帮忙修好了水龙头，感谢他们。"),
            ],
            [],
        ),
    }
)
# What the handler of an urgent case (someone trapped, someone hurt, a fire burning) writes.
URGENT_NOTES = {
    "DT01": "接报后立即联系维保单位和119，被困人员已安全救出，电梯停用待修。",
    "AQ06": "立即联系120和派出所，伤者已送医，现场已设置警戒。",
    "AQ07": "拉设警戒线，消防人员到场拆除松动的招牌。",
    "HJ03": "网格员到场扑灭明火，已清理现场。",
}
SNOWLESS_AQ04 = [("{road}大树被风刮倾斜", "{road}路边大树被大风刮得倾斜，有倒伏隐患。")]
ON_THE_SPOT_NOTES = {
    "BJ04": "现场劝导，已恢复绿地。",
    "AQ04": "现场清除积雪，撒了融雪剂。",
    "MD04": "现场联系车主挪车，通道恢复通行。",
    "SJ01": "现场联系环卫工人清运完毕。",
    "SJ02": "现场清扫干净。",
    "SJ03": "现场清理完毕。",
    "SJ06": "现场劝导摊贩离开，通道已畅通。",
    "BJ03": "现场处置完毕。",
    "AQ01": "现场联系车主将车辆挪走，通道已畅通。",
    "AQ02": "现场找到车主，已将电线收回。",
    "BM02": "招呼路人帮忙推车，车辆已启动，提醒车主及时保养。",
    "SW01": "通过网格群发布招领信息，失主当日领回。",
    "JZ01": "现场劝导，提供热水和食物，告知救助站地址，本人已自行离开。",
    "HJ03": "现场扑灭明火，劝导当事人不再焚烧。",
}
CALLBACK = {
    Rating.SATISFIED: [
        "回访：居民对处理结果满意。",
        "回访：问题已解决，感谢社区。",
        "回访：满意。",
    ],
    Rating.FAIRLY: ["回访：基本满意，希望以后处理快一点。", "回访：基本满意。"],
    Rating.DISSATISFIED: ["回访：问题没有彻底解决，居民不满意。", "回访：居民表示问题反复出现。"],
}
NOT_RATED = "回访电话无人接听，已核实问题处置完毕。"
STILL_DISSATISFIED = [
    "二次回访：居民仍不满意，认为问题没有彻底解决；已做解释，如实记录居民的评价。",
    "二次回访：居民对处理结果仍不满意，已说明后续安排。",
]
SECOND_NOT_REACHED = "二次回访电话无人接听，居民的评价维持不满意。"
FIELD_CLOSE = "现场核查，问题已处置完毕。"
