"""The demo district's divisions and accounts.

Streets and communities are those named in the product's stories (Zhongyuan District,
Zhengzhou). Street codes follow the statistical division codes; community codes, grids,
boundaries, buildings and people are generated: official grid boundaries are not public.
"""

DISTRICT = {"code": "410102", "name": "中原区", "full_name": "郑州市中原区"}

# Where the generated lattice is laid: roughly the district's real extent.
BOUNDS = {"west": 113.55, "east": 113.66, "south": 34.72, "north": 34.80}
LATTICE = {"columns": 12, "rows": 8}

# Streets in a 4 × 2 arrangement of blocks (west→east, north→south); each block is 3 × 4 cells.
STREETS = [
    {
        "code": "410102004",
        "name": "秦岭路街道",
        "slug": "qll",
        "communities": [
            {"code": "410102004011", "name": "秦江社区", "slug": "qinjiang"},
        ],
    },
    {
        "code": "410102001",
        "name": "林山寨街道",
        "slug": "lsz",
        "communities": [
            {"code": "410102001006", "name": "农业银行社区", "slug": "nongyeyinhang"},
            {"code": "410102001012", "name": "中原中路一社区", "slug": "zyzly"},
        ],
    },
    {
        "code": "410102002",
        "name": "建设路街道",
        "slug": "jsl",
        "communities": [
            {"code": "410102002008", "name": "一中社区", "slug": "yizhong"},
        ],
    },
    {
        "code": "410102007",
        "name": "绿东村街道",
        "slug": "ldc",
        "communities": [
            {"code": "410102007005", "name": "开元社区", "slug": "kaiyuan"},
        ],
    },
    {
        "code": "410102010",
        "name": "中原西路街道",
        "slug": "zyxl",
        "communities": [
            {"code": "410102010003", "name": "绿都社区", "slug": "lvdu"},
            {"code": "410102010007", "name": "万达社区", "slug": "wanda"},
        ],
    },
    {
        "code": "410102009",
        "name": "航海西路街道",
        "slug": "hhxl",
        "communities": [
            {"code": "410102009004", "name": "观澜社区", "slug": "guanlan"},
        ],
    },
    {
        "code": "410102005",
        "name": "桐柏路街道",
        "slug": "tbl",
        "communities": [
            {"code": "410102005009", "name": "城开社区", "slug": "chengkai"},
            {"code": "410102005014", "name": "电厂南路社区", "slug": "dcnl"},
        ],
    },
    {
        "code": "410102006",
        "name": "三官庙街道",
        "slug": "sgm",
        "communities": [
            {"code": "410102006002", "name": "河南纺机社区", "slug": "fangji"},
            {"code": "410102006010", "name": "平安街社区", "slug": "pinganjie"},
        ],
    },
]

# The demo accounts (password ``wangge-demo``), as DESIGN.md lists them.
ACCOUNTS = [
    ("district", "中原区管理员", "district_admin", "410102"),
    ("district_review", "中原区网格中心 审核 刘洋", "district_admin", "410102"),
    ("street_zyxl", "中原西路街道 王静", "street_staff", "410102010"),
    ("community_lvdu", "绿都社区 李娜", "community_staff", "410102010003"),
    ("gridleader_lvdu", "绿都社区网格长 赵红", "grid_leader", "410102010003*"),
    ("gridworker_lvdu1", "绿都社区第1网格 孙丽", "grid_worker", "410102010003001"),
    ("gridworker_lvdu2", "绿都社区第2网格 周强", "grid_worker", "410102010003002"),
    ("gridworker_guanlan1", "观澜社区第1网格 吴敏", "grid_worker", "410102009004001"),
    ("partymember_lvdu", "绿都社区双报到党员 郑伟", "party_member", "410102010003"),
    ("gridworker_yz1", "一中社区第1网格 陈静", "grid_worker", "410102002008001"),
]

# Roads of the district, for addresses.
ROADS = [
    "中原路",
    "建设路",
    "桐柏路",
    "秦岭路",
    "伏牛路",
    "嵩山路",
    "华山路",
    "颍河路",
    "汝河路",
    "淮河路",
    "工人路",
    "棉纺路",
    "航海西路",
    "陇海西路",
    "须水河路",
]

# Dedicated grids (专属网格): a campus with its own grid inside a community.
DEDICATED = [
    {
        "community": "410102010007",
        "name": "万达广场专属网格",
        "compound": "万达广场",
        "buildings": ["A座", "B座", "C座"],
    },
    {
        "community": "410102002008",
        "name": "郑州一中专属网格",
        "compound": "郑州一中",
        "buildings": ["教学楼", "宿舍楼"],
    },
]

# Micro-grids: 绿都 grids 1 and 2 are each split in two, under building heads.
MICRO_GRIDS_IN = ["410102010003001", "410102010003002"]

COMPOUND_WORDS = [
    "绿都城",
    "锦华苑",
    "建业森林半岛",
    "康桥华城",
    "正商城",
    "百花园",
    "西元国际",
    "金色港湾",
    "兴华小区",
    "棉纺家属院",
    "电厂家属院",
    "纺机家属院",
    "秦岭小区",
    "华山路小区",
    "伏牛路小区",
    "中原新城",
    "碧沙岗小区",
    "嵩山花园",
    "颍河小区",
    "桐柏新村",
    "航海花园",
    "汝河小区",
    "工人新村",
    "农行家属院",
    "铁路新村",
    "市政家属院",
    "翠竹苑",
    "绿城花园",
    "春晓苑",
    "阳光城",
    "和谐家园",
    "福寿园",
    "书香苑",
    "枫林小区",
    "杏林小区",
    "长椿小区",
]
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
)
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美兰玲萍红燕琳雪婷倩颖洁佳梅琴云莉凤桂月晶丹"
# Birthplace codes of floating residents (Henan counties and neighbouring provinces).
OTHER_REGIONS = ["411302", "411502", "410526", "412702", "370102", "340102", "130102", "411402"]

# The Open311 api_key the demo issues (DESIGN: "The demo issues an Open311 key").
OPEN311_DEMO_KEY = "demo-open311-key"

# Codes the tests and the documentation refer to.
ZYXL = "410102010"
LVDU = "410102010003"
LVDU_GRID1 = "410102010003001"
LVDU_GRID2 = "410102010003002"
GUANLAN = "410102009004"
GUANLAN_GRID1 = "410102009004001"
NONGYEYINHANG = "410102001006"
WANDA = "410102010007"
CHENGKAI = "410102005009"
KAIYUAN = "410102007005"

# Places the stories name, given to the generated compounds of these grids (grid code →
# compound, and the address its buildings carry before the building's name).
STORY_COMPOUNDS = {
    "410102001006001": ("工人路19号院", "郑州市中原区工人路19号院"),  # S5
    "410102009004001": ("7号院", "郑州市中原区航海西路7号院"),  # S8
}

# The story cases of the year of history, by title (unique among the demo's cases):
# ``wangge.demo.history.story_case("S5")`` finds one.
STORY_CASES = {
    "S4": "万达广场1号门拾到两串钥匙",
    "S5": "工人路19号院1号楼21户暖气不热",
    "S8": "7号院2号楼楼上邻居的狗夜里叫个不停",
    "S9": "巡查发现一名露宿街头的流浪人员",
    "S10": "小区院内居民车辆电瓶亏电无法启动",
}

# How many cases a year of history holds (before the stories and the open cases shown to
# the personas), and which grids get more of them (the personas' grids are busier).
HISTORY_CASES = 1000
HISTORY_BUSY = {LVDU: 2.5, GUANLAN: 1.5}

# S1: every grid of 绿都社区 has a residents' group with a WeCom robot (the keys are made up:
# real ones come from each group's settings), and the community's notices reach them.
ROBOT_COMMUNITY = LVDU
ROBOT_GROUP_NAME = "{grid}居民群"
NOTICES = [
    {
        "key": "demo-notice-heating",
        "kind": "convenience",
        "title": "冬季供暖报修渠道",
        "body": (
            "各位居民：本年度供暖已开始。家中暖气不热、漏水，请拨打热力公司报修电话"
            " 0371-67170000，或在本群告诉网格员，我们帮您跟进到底。\n"
            "报修时请说明小区、楼号、单元和户号。"
        ),
        "places": [LVDU],
        "wecom_format": "text",
    },
    {
        "key": "demo-notice-charging",
        "kind": "safety",
        "template": "电动车安全充电提示",
        "places": [LVDU_GRID1, LVDU_GRID2],
        "wecom_format": "markdown",
        # Also by SMS to the residents: with no gateway configured, recorded and not sent.
        "to_sms": True,
    },
]
NOTICES_BY = "community_lvdu"

# Notices for all of a street or the district wait for approval (审核) by someone else at that
# level or above: the street's waits for `district`, the district's for `district_review`.
PENDING_NOTICES = [
    {
        "key": "demo-notice-street-fire",
        "by": "street_zyxl",
        "kind": "safety",
        "title": "中原西路街道冬季消防安全大排查",
        "body": (
            "各位居民：入冬以来用火用电增多。12月1日至15日，街道将联合各社区对辖区楼院"
            "开展消防安全排查，重点检查楼道堆物、电动车违规充电和燃气使用。\n"
            "请大家提前清理楼道杂物，配合网格员入户查看。"
        ),
        "places": [ZYXL],
        "wecom_format": "text",
    },
    {
        "key": "demo-notice-district-heating",
        "by": "district",
        "kind": "convenience",
        "title": "中原区供暖服务热线公布",
        "body": (
            "各位居民：本供暖季全区供暖问题统一受理。家中暖气不热、漏水，可拨打 12345 热线，"
            "或告诉所在网格的网格员，网格员将跟进到底。"
        ),
        "places": [DISTRICT["code"]],
        "wecom_format": "text",
    },
]

# Inspection campaigns (排查). S6: 一中社区 checks every building before the blizzard, one
# team per grid; a dispute screening drive (矛盾纠纷排查化解) runs in 观澜社区 (S8 belongs to it).
YIZHONG = "410102002008"
YIZHONG_GRID1 = "410102002008001"
BLIZZARD_CAMPAIGN = "一中社区雪前安全隐患大排查"
DISPUTE_CAMPAIGN = "观澜社区矛盾纠纷排查化解"

# S2: 绿都社区's grid team beyond the accounts above (no password: they sign in by other
# means), and the errands (帮办代办) done for its elderly people living alone (``errands.py``).
ERRANDS_PARTY_MEMBER = "partymember_lvdu"
LVDU_TEAM = [
    # user name, name, role, place, phone
    ("volunteer_lvdu", "绿都社区志愿者 陈静", "volunteer", LVDU, "13607715531"),
    ("police_lvdu", "绿都社区民警 马骏", "police", LVDU, "13937102110"),
    ("property_lvdu", "绿都物业管家 刘建国", "property", LVDU_GRID1, "13838205472"),
]
ERRAND_HELPERS = [
    "partymember_lvdu",
    "volunteer_lvdu",
    "gridworker_lvdu1",
    "buildinghead_001001",
]
# days_ago: when it was asked for; after_days: how long it took; way: how the rating came.
LVDU_ERRANDS = [
    {
        "kind": "shopping",
        "days_ago": 34,
        "helper": "partymember_lvdu",
        "minutes": 50,
        "text": "代购一袋米、一桶油和一周的蔬菜。",
        "done": "超市代购米面油和蔬菜，送货上门并核对小票。",
        "rating": 5,
        "words": "东西买得齐，还帮我放好了。",
    },
    {
        "kind": "paperwork",
        "days_ago": 30,
        "helper": "volunteer_lvdu",
        "minutes": 120,
        "after_days": 2,
        "text": "代办养老金资格认证。",
        "done": "陪同到社区服务中心完成养老资格认证。",
        "rating": 5,
        "words": "省了我跑好几趟。",
        "way": "callback",
    },
    {
        "kind": "accompany_doctor",
        "days_ago": 26,
        "helper": "partymember_lvdu",
        "minutes": 180,
        "text": "到市中心医院复查，需要人陪同挂号取药。",
        "done": "陪同复查、挂号、取药，送回家中。",
        "rating": 5,
        "words": "小郑很耐心。",
    },
    {
        "kind": "errand",
        "days_ago": 21,
        "helper": "gridworker_lvdu1",
        "minutes": 30,
        "text": "代缴本季度水费和燃气费。",
        "done": "代缴水费、燃气费，回执交给老人。",
        "rating": 4,
        "words": "办得快。",
        "source": "visit",
    },
    {
        "kind": "home_repair",
        "days_ago": 17,
        "helper": "buildinghead_001001",
        "minutes": 40,
        "text": "卫生间灯泡坏了，老人够不着。",
        "done": "更换卫生间灯泡，检查了家中插座。",
        "rating": 5,
        "words": "楼长随叫随到。",
        "source": "family",
    },
    {
        "kind": "shopping",
        "days_ago": 12,
        "helper": "volunteer_lvdu",
        "minutes": 45,
        "text": "代购降压药和日用品。",
        "done": "药店代购降压药，超市买了纸巾和洗衣液。",
        "rating": 4,
        "words": "药买对了，谢谢。",
        "way": "callback",
    },
    {
        "kind": "paperwork",
        "days_ago": 8,
        "helper": "partymember_lvdu",
        "minutes": 90,
        "after_days": 1,
        "text": "代办老年优待证。",
        "done": "携带身份证复印件和照片到街道代办老年优待证，已领回。",
        "rating": 5,
        "words": "没想到这么快就办好了。",
    },
    {
        "kind": "company",
        "days_ago": 5,
        "helper": "volunteer_lvdu",
        "minutes": 60,
        "text": "老人想有人陪着说说话。",
        "done": "上门陪伴聊天一小时，读了报纸。",
    },
    {
        "kind": "shopping",
        "days_ago": 2,
        "helper": "partymember_lvdu",
        "text": "代购一箱牛奶和鸡蛋，周末前送到。",
    },
    {
        "kind": "accompany_doctor",
        "days_ago": 1,
        "text": "下周二到社区卫生服务中心体检，需要人陪同。",
        "source": "family",
    },
]

# Patrols (巡查): 平安街社区's party members who walk its night safety patrol with the grid
# workers (S12), declared as ACCOUNTS are; made by ``demo/patrols.py`` without a password
# (they sign in by other means, as the other staff of the district do).
PINGANJIE = "410102006010"
PATROL_ACCOUNTS = [
    ("partymember_pinganjie1", "平安街社区双报到党员 陈建国", "party_member", PINGANJIE),
    ("partymember_pinganjie2", "平安街社区双报到党员 刘秀英", "party_member", PINGANJIE),
]
# The patrols' findings, by title (unique among the demo's cases).
PATROL_FINDINGS = {
    "S12-rough": "夜间巡查发现一名男子在桥洞下露宿",
    "S12-tree": "雪后树枝被压弯，垂到人行道上方",
    "S10-car": "院落巡查：居民汽车电瓶亏电，帮忙推车启动",
}
